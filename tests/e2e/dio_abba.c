// SPDX-License-Identifier: GPL-2.0
/*
 * AB-BA: one thread writes file A with O_DIRECT from a mapping of file B
 * while another writes B from a mapping of A, thousands of times, with the
 * source pages dropped from the page tables (and often from the page
 * cache) before each write.  Neither may hang and the data must be right.
 *
 * Each file is [src | dst], R pages each: A.dst receives B.src and B.dst
 * receives A.src, page for page, so the expected content never changes.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define R		8		/* pages per half */
#define ITERATIONS	3000		/* per thread */
#define DEADLINE	60.0		/* seconds for all iterations */
#define BOUND		5.0		/* seconds one write may take */

struct side {
	const char *name;
	uint32_t tag;		/* pattern tag of this file's src half */
	int dfd;		/* this file, O_DIRECT */
	int bfd;		/* this file, buffered (for DONTNEED) */
	uint8_t *shared, *private;	/* mappings of this file */
	struct side *other;	/* source of this side's writes */
	int done, failed, verified;
	double worst;
	unsigned int seed;
};

static double deadline;

static bool verify_page(struct side *s, int page)
{
	uint8_t *buf = read_direct(s->dfd, PAGE, (R + page) * PAGE);
	off_t bad;

	if (!buf)
		return false;
	bad = check_pattern(buf, s->other->tag, page * PAGE, PAGE);
	munmap(buf, PAGE);
	if (bad >= 0)
		diag("%s: dst page %d does not hold %s's src page %d", s->name,
		     page, s->other->name, page);
	return bad < 0;
}

static void *writer(void *arg)
{
	struct side *s = arg;
	struct side *o = s->other;
	int i;

	for (i = 0; i < ITERATIONS && now() < deadline; i++) {
		int len = 1 + rand_r(&s->seed) % 4;
		int page = rand_r(&s->seed) % (R - len + 1);
		uint8_t *map = i & 1 ? o->shared : o->private;
		double t;
		ssize_t n;

		/* Not in the page tables; every third time not cached. */
		madvise(map + page * PAGE, len * PAGE, MADV_DONTNEED);
		if (i % 3 == 0)
			posix_fadvise(o->bfd, page * PAGE, len * PAGE,
				      POSIX_FADV_DONTNEED);
		t = now();
		n = pwrite(s->dfd, map + page * PAGE, len * PAGE,
			   (R + page) * PAGE);
		t = now() - t;
		if (t > s->worst)
			s->worst = t;
		if (n != len * (ssize_t)PAGE) {
			diag("%s: pwrite %d: %zd (%s)", s->name, i, n,
			     n < 0 ? strerror(errno) : "short");
			s->failed++;
		}
		if (i % 64 == 0 && !verify_page(s, page))
			s->failed++;
		s->verified += i % 64 == 0;
	}
	s->done = i;
	return NULL;
}

static void open_side(struct side *s, const char *name, uint32_t tag)
{
	char *path = test_path(name);
	uint8_t *buf = alloc_aligned(2 * R * PAGE);
	int fd = open_buffered(path, O_RDWR | O_CREAT | O_TRUNC);

	/* src half: this file's pattern; dst half: zeroes for now. */
	memset(buf, 0, 2 * R * PAGE);
	fill_pattern(buf, tag, 0, R * PAGE);
	if (pwrite(fd, buf, 2 * R * PAGE, 0) != (ssize_t)(2 * R * PAGE))
		diag("%s: initial write failed", name);
	drop_cache(fd, 0, 2 * R * PAGE);
	munmap(buf, 2 * R * PAGE);
	s->name = name;
	s->tag = tag;
	s->bfd = fd;
	s->dfd = open_direct(path, O_RDWR);
	/* The mappings cover the src half only. */
	s->shared = mmap(NULL, R * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	s->private = mmap(NULL, R * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (s->shared == MAP_FAILED || s->private == MAP_FAILED) {
		diag("mmap %s: %s", name, strerror(errno));
		exit(2);
	}
	free(path);
}

static bool verify_all(struct side *s)
{
	uint8_t *buf = read_direct(s->dfd, 2 * R * PAGE, 0);
	bool ok = buf != NULL;

	if (ok && check_pattern(buf, s->tag, 0, R * PAGE) >= 0)
		ok = CHECK(false, "%s: src half changed", s->name);
	if (ok && check_pattern(buf + R * PAGE, s->other->tag, 0,
				R * PAGE) >= 0)
		ok = CHECK(false, "%s: dst half is not %s's src half",
			   s->name, s->other->name);
	if (buf)
		munmap(buf, 2 * R * PAGE);
	return ok;
}

/* A thread that blocks until a byte arrives on the pipe. */
static void *stuck(void *arg)
{
	char c;

	return read(*(int *)arg, &c, 1) == 1 ? NULL : arg;
}

/*
 * Controls, before the run: the hang detector reports a thread that does
 * not return, and the data checks report a dst page written from the
 * wrong src page.
 */
static void controls(struct side *a)
{
	int pipefd[2];
	pthread_t t;
	bool hung;

	if (pipe(pipefd))
		die("pipe", NULL);
	start_thread(&t, stuck, &pipefd[0]);
	hung = !join_bounded(&t, 1, 0.5);
	if (write(pipefd[1], "x", 1) != 1)
		die("write to pipe", NULL);
	join_thread(t);
	close(pipefd[0]);
	close(pipefd[1]);
	ktap_result(hung, "abba_hang_detector_sees_a_stuck_thread", NULL);

	/* A.dst page 0 from B.src page 1, then put right again. */
	write_direct(a->dfd, a->other->private + PAGE, PAGE, R * PAGE);
	ktap_result(!verify_page(a, 0) && !verify_all(a),
		    "abba_data_checks_see_a_misplaced_page", NULL);
	write_direct(a->dfd, a->other->private, PAGE, R * PAGE);
}

int main(void)
{
	struct side a = { .seed = 1 }, b = { .seed = 2 };
	pthread_t t[2];
	double start;

	ktap_begin("dio_abba", 5);
	open_side(&a, "abba_a", 0xa);
	open_side(&b, "abba_b", 0xb);
	a.other = &b;
	b.other = &a;
	/* The dst halves start as the final content, so every write is checked. */
	write_direct(a.dfd, b.private, R * PAGE, R * PAGE);
	write_direct(b.dfd, a.private, R * PAGE, R * PAGE);
	controls(&a);

	start = now();
	deadline = start + DEADLINE;
	start_thread(&t[0], writer, &a);
	start_thread(&t[1], writer, &b);
	if (!join_bounded(t, 2, DEADLINE + 20)) {
		diag("writers still running %.0f s after the deadline: hang",
		     now() - deadline);
		ktap_result(false, "abba_no_hang", "hang");
		ktap_skip("abba_write_results", "writers hung");
		ktap_skip("abba_data", "writers hung");
		fflush(stdout);
		_exit(1);
	}
	diag("A<-B: %d writes (%d checked), slowest %.3f s; B<-A: %d writes "
	     "(%d checked), slowest %.3f s; %.2f s in all", a.done, a.verified,
	     a.worst, b.done, b.verified, b.worst, now() - start);
	if (a.done < ITERATIONS || b.done < ITERATIONS)
		diag("the deadline (%.0f s) came before all iterations",
		     DEADLINE);
	if (a.worst >= BOUND || b.worst >= BOUND)
		diag("a write took longer than %.0f s", BOUND);
	ktap_result(a.done == ITERATIONS && b.done == ITERATIONS &&
		    a.worst < BOUND && b.worst < BOUND, "abba_no_hang", NULL);
	ktap_result(!a.failed && !b.failed, "abba_write_results", NULL);
	ktap_result(verify_all(&a) && verify_all(&b), "abba_data", NULL);
	return ktap_end();
}
