// SPDX-License-Identifier: GPL-2.0
/*
 * Fairness: one O_DIRECT writer against eight threads that keep filling
 * the page cache of the same file again.
 *
 * Four faulters drop their quarter of the file from the page cache and
 * touch it through a shared mapping, so that every touch is a fault that
 * reads from disk (under the series, holding the lock for add across the
 * read).  Four readers drop and pread(2) their quarter the same way.  The
 * writer overwrites one random page at a time with O_DIRECT (under the
 * series, holding the lock for block) and times each pwrite().
 *
 * A lock without a bound for the waiting side lets the overlapping fault
 * holds keep the writer out for as long as they last.  The program
 * reports the writer's median, 99th percentile and maximum latency, the
 * mean and 99th percentile time of one faulting touch (under the series,
 * one hold of the lock for add) and the readers' throughput, as figures for the case-by-kernel table; it does
 * not judge them (the benchmark targets are figures, not assertions).
 *
 * The cases check what must hold on any kernel: every thread finishes in
 * time and makes progress, and after the last write returned a buffered
 * read sees every page as the last direct write left it.
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

#define NPAGES		256
#define SIZE		(NPAGES * PAGE)
#define NFAULTERS	4
#define NREADERS	4
#define NTHREADS	(NFAULTERS + NREADERS)
#define SLICE		(NPAGES / NTHREADS * 2)	/* pages per faulter/reader */
#define SECONDS		6.0
#define MAX_WRITES	100000
#define MAX_FAULTS	200000
#define BOUND		60.0
#define OLD_TAG		1

struct run {
	int dfd, bfd;
	uint8_t *map;
	atomic_bool stop;
	/* The writer's results. */
	double *lat;			/* seconds per pwrite() */
	long writes;
	uint64_t gen[NPAGES];		/* last generation written, 0: OLD */
	bool write_failed;
	/* The readers' results. */
	_Atomic long pages_read;
	_Atomic long rounds[NTHREADS];
	double *fault_lat;		/* seconds per faulting touch */
	_Atomic long faults;
};

struct worker {
	struct run *run;
	int id;				/* 0..NFAULTERS-1 fault, then read */
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void *writer(void *arg)
{
	struct run *r = arg;
	uint8_t *buf = alloc_aligned(PAGE);
	double end = now() + SECONDS;

	while (r->writes < MAX_WRITES && now() < end) {
		int page = rng() % NPAGES;
		uint64_t gen = r->writes + 1;
		double t0;

		fill_gen(buf, gen, PAGE);
		t0 = now();
		if (pwrite(r->dfd, buf, PAGE, (off_t)page * PAGE) != PAGE) {
			diag("writer: pwrite of page %d: %s", page,
			     strerror(errno));
			r->write_failed = true;
			break;
		}
		r->lat[r->writes++] = now() - t0;
		r->gen[page] = gen;
	}
	atomic_store(&r->stop, true);
	munmap(buf, PAGE);
	return NULL;
}

static void *faulter(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	off_t off = (off_t)w->id * SLICE * PAGE;
	uint8_t *map = r->map + off;

	while (!atomic_load(&r->stop)) {
		int p;

		madvise(map, SLICE * PAGE, MADV_DONTNEED);
		posix_fadvise(r->bfd, off, SLICE * PAGE, POSIX_FADV_DONTNEED);
		for (p = 0; p < SLICE && !atomic_load(&r->stop); p++) {
			double t0 = now();
			long n;

			(void)*(const volatile uint64_t *)(map + p * PAGE);
			n = atomic_fetch_add(&r->faults, 1);
			if (n < MAX_FAULTS)
				r->fault_lat[n] = now() - t0;
			atomic_fetch_add(&r->pages_read, 1);
		}
		atomic_fetch_add(&r->rounds[w->id], 1);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	off_t off = (off_t)(w->id - NFAULTERS) * SLICE * PAGE;
	uint8_t *buf = malloc(SLICE * PAGE);

	if (!buf)
		die("malloc", NULL);
	while (!atomic_load(&r->stop)) {
		posix_fadvise(r->bfd, off, SLICE * PAGE, POSIX_FADV_DONTNEED);
		if (pread(r->bfd, buf, SLICE * PAGE, off) != SLICE * PAGE) {
			diag("reader %d: pread: %s", w->id, strerror(errno));
			break;
		}
		atomic_fetch_add(&r->pages_read, SLICE);
		atomic_fetch_add(&r->rounds[w->id], 1);
	}
	free(buf);
	return NULL;
}

/* The q-quantile (0..1) of n sorted values, in microseconds. */
static double quantile_us(const double *v, long n, double q)
{
	long i = (long)(q * (n - 1) + 0.5);

	return n ? v[i] * 1e6 : 0;
}

/* Pages whose buffered contents differ from what the last write left. */
static int stale_pages(struct run *r)
{
	uint8_t *buf = malloc(SIZE);
	int p, stale = 0;

	if (!buf)
		die("malloc", NULL);
	if (pread(r->bfd, buf, SIZE, 0) != (ssize_t)SIZE)
		die("pread", "after the run");
	for (p = 0; p < NPAGES; p++) {
		const uint64_t *word = (const uint64_t *)(buf + p * PAGE);
		bool ok;

		if (r->gen[p])
			ok = word[0] == r->gen[p] &&
			     word[PAGE / 8 - 1] == r->gen[p];
		else
			ok = check_pattern(buf + p * PAGE, OLD_TAG,
					   (off_t)p * PAGE, PAGE) < 0;
		if (!ok && stale++ < 3)
			diag("page %d: not what the last write (%llu) left",
			     p, (unsigned long long)r->gen[p]);
	}
	free(buf);
	return stale;
}

int main(void)
{
	static struct run r;
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS + 1];
	char *path = test_path("dio_fair");
	double start, elapsed;
	bool joined, progress = true;
	double fault_sum = 0;
	long nfaults, n;
	int i;

	ktap_begin("dio_fair", 2);
	r.lat = malloc(MAX_WRITES * sizeof(*r.lat));
	r.fault_lat = malloc(MAX_FAULTS * sizeof(*r.fault_lat));
	if (!r.lat || !r.fault_lat)
		die("malloc", NULL);
	create_file(path, OLD_TAG, SIZE);
	r.dfd = open_direct(path, O_RDWR);
	r.bfd = open_buffered(path, O_RDONLY);
	r.map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, r.bfd, 0);
	if (r.map == MAP_FAILED)
		die("mmap", path);

	start = now();
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .run = &r, .id = i };
		start_thread(&t[i], i < NFAULTERS ? faulter : reader, &w[i]);
	}
	start_thread(&t[NTHREADS], writer, &r);
	joined = join_bounded(t, NTHREADS + 1, BOUND);
	elapsed = now() - start;
	if (!joined) {
		ktap_result(false, "direct_writer_and_8_refillers_all_finish",
			    "a thread is still running %.0f s after the start",
			    BOUND);
		ktap_skip("buffered_read_after_the_last_write_is_current",
			  "the run did not finish");
		return ktap_end();
	}

	for (i = 0; i < NTHREADS; i++)
		if (!atomic_load(&r.rounds[i])) {
			diag("thread %d made no round", i);
			progress = false;
		}
	nfaults = atomic_load(&r.faults);
	if (nfaults > MAX_FAULTS)
		nfaults = MAX_FAULTS;
	sort_doubles(r.lat, r.writes);
	sort_doubles(r.fault_lat, nfaults);
	for (n = 0; n < nfaults; n++)
		fault_sum += r.fault_lat[n];
	diag("%ld writes, %ld pages read by 8 threads in %.1f s", r.writes,
	     atomic_load(&r.pages_read), elapsed);
	diag("figures: writes=%ld write_median_us=%.0f write_p99_us=%.0f "
	     "write_max_us=%.0f fault_mean_us=%.0f fault_p99_us=%.0f "
	     "reader_pages_per_s=%.0f",
	     r.writes, quantile_us(r.lat, r.writes, 0.5),
	     quantile_us(r.lat, r.writes, 0.99),
	     quantile_us(r.lat, r.writes, 1.0),
	     nfaults ? fault_sum / nfaults * 1e6 : 0,
	     quantile_us(r.fault_lat, nfaults, 0.99),
	     atomic_load(&r.pages_read) / elapsed);
	ktap_result(!r.write_failed && r.writes > 0 && progress,
		    "direct_writer_and_8_refillers_all_finish",
		    "%ld writes, every thread made progress", r.writes);
	i = stale_pages(&r);
	ktap_result(i == 0, "buffered_read_after_the_last_write_is_current",
		    "%d stale pages", i);
	return ktap_end();
}
