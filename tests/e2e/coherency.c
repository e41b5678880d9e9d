// SPDX-License-Identifier: GPL-2.0
/*
 * Coherency checker: one O_DIRECT writer stamps generations 1, 2, ... into
 * a range and publishes each generation after its pwrite() returned.
 * Readers load the published generation g BEFORE each read and then read
 * the range through the page cache:
 *
 *   pread      buffered pread(2)
 *   mmap       loads through a shared mapping (every other round after
 *              madvise(MADV_WILLNEED))
 *   readahead  posix_fadvise(WILLNEED) or readahead(2), then pread(2)
 *   splice     splice(2) from the file into a pipe, then read(2)
 *
 * A page holding a generation older than g is a stale read: the page
 * cache kept (or re-read) data that a completed write replaced.
 *
 * Stale reads must be 0 on every kernel: stock ext2 is coherent for
 * clean page cache (a folio read in during a write is found by the
 * invalidation after it, which waits for its lock; one read in later
 * reads the new blocks), and the series must keep that, with the
 * mechanism on or off.  The last case proves that the checker can
 * fail: a writer that publishes each generation BEFORE its pwrite() (and
 * pauses between the two, so that the readers run in between even on one
 * CPU) must produce stale reads.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NPAGES		4
#define SIZE		(NPAGES * PAGE)
#define GENERATIONS	2000
#define SECONDS		15.0
#define INJECT_GENERATIONS 300
#define INJECT_SECONDS	4.0
#define MIN_READS	50	/* per reader, or the run proves nothing */
#define EXAMPLES	3

enum { PREAD, MMAP, READAHEAD, SPLICE, NREADERS };
static const char *const reader_names[NREADERS] = {
	"pread", "mmap", "readahead", "splice"
};

struct run {
	const char *mode;	/* "on", "stock" or "injected" */
	bool publish_early;	/* the injected fault */
	int generations;
	double seconds;
	int dfd, bfd;
	uint8_t *map;
	_Atomic uint64_t published;
	atomic_bool stop;
	uint64_t written;
	long reads[NREADERS], stale[NREADERS], examples;
	pthread_mutex_t lock;
};

struct reader {
	struct run *run;
	int kind;
};

static void *writer(void *arg)
{
	struct run *r = arg;
	uint8_t *buf = alloc_aligned(SIZE);
	double end = now() + r->seconds;
	uint64_t gen;

	for (gen = 1; gen <= (uint64_t)r->generations && now() < end; gen++) {
		fill_gen(buf, gen, SIZE);
		if (r->publish_early) {
			/* The fault: published too early, and a pause that
			 * lets the readers in before the write. */
			atomic_store(&r->published, gen);
			usleep(100);
		}
		if (pwrite(r->dfd, buf, SIZE, 0) != SIZE) {
			diag("writer: pwrite of generation %llu: %s",
			     (unsigned long long)gen, strerror(errno));
			break;
		}
		if (!r->publish_early)
			atomic_store(&r->published, gen);
		r->written = gen;
	}
	atomic_store(&r->stop, true);
	munmap(buf, SIZE);
	return NULL;
}

static void judge(struct reader *rd, uint64_t before, const uint64_t *first,
		  const uint64_t *last, int page)
{
	struct run *r = rd->run;
	uint64_t seen = *first < *last ? *first : *last;

	if (seen >= before)
		return;
	pthread_mutex_lock(&r->lock);
	r->stale[rd->kind]++;
	if (r->examples++ < EXAMPLES)
		diag("%s: stale read by %s: page %d holds generation %llu, "
		     "generation %llu was published before the read began",
		     r->mode, reader_names[rd->kind], page,
		     (unsigned long long)seen, (unsigned long long)before);
	pthread_mutex_unlock(&r->lock);
}

/* Judge every page of a copy of the whole range. */
static void judge_buf(struct reader *rd, uint64_t before, const uint8_t *buf)
{
	int p;

	for (p = 0; p < NPAGES; p++) {
		const uint64_t *w = (const uint64_t *)(buf + p * PAGE);

		judge(rd, before, &w[0], &w[PAGE / 8 - 1], p);
	}
}

/* The range through splice(2) into a pipe (the pipe holds 16 pages). */
static bool splice_read(int fd, const int *pipefd, uint8_t *buf)
{
	loff_t off = 0;
	size_t got = 0;

	while (off < (loff_t)SIZE) {
		ssize_t n = splice(fd, &off, pipefd[1], NULL, SIZE - off, 0);

		if (n <= 0)
			return false;
	}
	while (got < SIZE) {
		ssize_t n = read(pipefd[0], buf + got, SIZE - got);

		if (n <= 0)
			return false;
		got += n;
	}
	return true;
}

static void *reader(void *arg)
{
	struct reader *rd = arg;
	struct run *r = rd->run;
	uint8_t *buf = alloc_aligned(SIZE);
	int pipefd[2] = { -1, -1 };
	long round;

	if (rd->kind == SPLICE && pipe(pipefd)) {
		diag("pipe: %s", strerror(errno));
		goto out;
	}
	for (round = 0; !atomic_load(&r->stop); round++) {
		uint64_t before = atomic_load(&r->published);
		uint64_t first, last;
		int p;

		switch (rd->kind) {
		case MMAP:
			if (round & 1)
				madvise(r->map, SIZE, MADV_WILLNEED);
			for (p = 0; p < NPAGES; p++) {
				const volatile uint64_t *w =
					(const uint64_t *)(r->map + p * PAGE);
				first = w[0];
				last = w[PAGE / 8 - 1];
				judge(rd, before, &first, &last, p);
			}
			break;
		case SPLICE:
			if (!splice_read(r->bfd, pipefd, buf)) {
				diag("splice: %s", strerror(errno));
				goto out;
			}
			judge_buf(rd, before, buf);
			break;
		case READAHEAD:
			if (round & 1)
				readahead(r->bfd, 0, SIZE);
			else
				posix_fadvise(r->bfd, 0, SIZE,
					      POSIX_FADV_WILLNEED);
			/* fall through */
		case PREAD:
			if (pread(r->bfd, buf, SIZE, 0) != SIZE) {
				diag("%s: pread: %s", reader_names[rd->kind],
				     strerror(errno));
				goto out;
			}
			judge_buf(rd, before, buf);
			break;
		}
		r->reads[rd->kind]++;
	}
out:
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	munmap(buf, SIZE);
	return NULL;
}

static long total_stale(const struct run *r)
{
	return r->stale[PREAD] + r->stale[MMAP] + r->stale[READAHEAD] +
	       r->stale[SPLICE];
}

/* One writer and the NREADERS readers; false when the set-up failed. */
static bool run(struct run *r)
{
	char *path = test_path("coherency");
	uint8_t *zero = alloc_aligned(SIZE);
	struct reader rds[NREADERS];
	pthread_t tw, tr[NREADERS];
	double start = now();
	int i;

	pthread_mutex_init(&r->lock, NULL);
	r->bfd = open_buffered(path, O_RDWR | O_CREAT | O_TRUNC);
	r->dfd = open_direct(path, O_RDWR);
	if (!write_direct(r->dfd, zero, SIZE, 0))
		return false;
	r->map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, r->bfd, 0);
	if (r->map == MAP_FAILED)
		return CHECK(false, "mmap: %s", strerror(errno));
	for (i = 0; i < NREADERS; i++) {
		rds[i] = (struct reader){ .run = r, .kind = i };
		start_thread(&tr[i], reader, &rds[i]);
	}
	start_thread(&tw, writer, r);
	join_thread(tw);
	for (i = 0; i < NREADERS; i++)
		join_thread(tr[i]);
	diag("stale_reads mode=%s total=%ld pread=%ld mmap=%ld readahead=%ld "
	     "splice=%ld generations=%llu reads=%ld/%ld/%ld/%ld seconds=%.1f",
	     r->mode, total_stale(r), r->stale[PREAD], r->stale[MMAP],
	     r->stale[READAHEAD], r->stale[SPLICE],
	     (unsigned long long)r->written, r->reads[PREAD], r->reads[MMAP],
	     r->reads[READAHEAD], r->reads[SPLICE], now() - start);
	munmap(r->map, SIZE);
	munmap(zero, SIZE);
	close(r->dfd);
	close(r->bfd);
	unlink(path);
	free(path);
	return true;
}

static bool exercised(const struct run *r)
{
	int i;

	if (r->written < 100)
		return CHECK(false, "%s: only %llu generations written",
			     r->mode, (unsigned long long)r->written);
	for (i = 0; i < NREADERS; i++)
		if (r->reads[i] < MIN_READS)
			return CHECK(false, "%s: reader %s made only %ld reads",
				     r->mode, reader_names[i], r->reads[i]);
	return true;
}

int main(void)
{
	static struct run real, injected;
	bool ok;

	ktap_begin("coherency", 3);

	real.mode = mechanism();
	real.generations = GENERATIONS;
	real.seconds = SECONDS;
	ok = run(&real);
	ktap_result(ok && exercised(&real), "coherency_exercised", NULL);
	if (!ok)
		ktap_skip("coherency_no_stale_reads", "set-up failed");
	else
		ktap_result(total_stale(&real) == 0,
			    "coherency_no_stale_reads", NULL);

	injected.mode = "injected";
	injected.publish_early = true;
	injected.generations = INJECT_GENERATIONS;
	injected.seconds = INJECT_SECONDS;
	ok = run(&injected);
	if (ok && total_stale(&injected) == 0)
		diag("the checker saw no stale read although the writer "
		     "published each generation before writing it");
	ktap_result(ok && total_stale(&injected) > 0,
		    "checker_detects_injected_stale_reads", NULL);
	return ktap_end();
}
