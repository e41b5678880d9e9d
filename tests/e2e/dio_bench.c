// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT write throughput, for make bench (tests/e2e/bench-plan).
 *
 *   dio_bench [SECONDS [ROUNDS [BLOCK_BYTES [REGION_MIB]]]]
 *                                              (default 2 3 65536 4)
 *
 * Four configurations: 1 and 4 writer threads, with the writers on
 * disjoint REGION_MIB ranges of one file ("same") or on one file each
 * ("separate"). Each writer overwrites its range with pwrite of
 * BLOCK_BYTES from an aligned buffer, block after block, wrapping around,
 * until SECONDS are up. The files are written and synced beforehand (the
 * writes overwrite allocated blocks), their page cache dropped, and
 * removed after the round. Each configuration runs ROUNDS times, the
 * rounds taking the configurations in turn, after an unreported warm-up
 * of SECONDS / 2 with 4 writers on a file each.
 *
 * Each configuration then prints one diagnostic line
 *   # dio-bench: {"writers":4,"layout":"same",...,"mb_s":...}
 * (mb_s: the median over the rounds of the bytes written over the time
 * from the start to the last write's end, each round in mb_s_rounds;
 * latencies in microseconds over every write of every round), and a case
 * that passes when every write wrote its whole block. No figure is
 * asserted.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_WRITERS	4
#define MAX_ROUNDS	9

struct writer {
	int fd;
	off_t start;		/* first byte of its range in the file */
	size_t blocks;		/* blocks in its range */
	size_t block;
	pthread_barrier_t *go;
	atomic_bool *stop;
	/* results */
	double *lat;		/* seconds per write */
	size_t n, cap;
	int err;		/* errno of a failed write, or -1 if short */
	bool failed;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	void *buf = alloc_aligned(w->block);
	size_t i = 0;

	fill_pattern(buf, 0xb0 + (uint32_t)(w->start >> 20), 0, w->block);
	pthread_barrier_wait(w->go);
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		off_t off = w->start + (off_t)(i % w->blocks) * w->block;
		double t0 = now();
		ssize_t r = pwrite(w->fd, buf, w->block, off);
		double t1 = now();

		if (r != (ssize_t)w->block) {
			w->failed = true;
			w->err = r < 0 ? errno : -1;
			break;
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			w->lat = realloc(w->lat, w->cap * sizeof(*w->lat));
			if (!w->lat) {
				w->failed = true;
				w->err = ENOMEM;
				break;
			}
		}
		w->lat[w->n++] = t1 - t0;
		i++;
	}
	munmap(buf, w->block);
	return NULL;
}

struct config {
	int writers;
	bool same;		/* one file shared, or one file each */
	/* results, over the rounds */
	double mb_s[MAX_ROUNDS];
	double seconds;
	size_t writes, min_n, max_n;
	double *lat;
	size_t nlat;
	bool failed;
};

/* One round of one configuration: SECONDS of writing on fresh files. */
static void run_round(struct config *c, int round, double seconds,
		      size_t block, size_t region)
{
	const char *layout = c->same ? "same" : "separate";
	int i, nfiles = c->same ? 1 : c->writers, fd[MAX_WRITERS];
	struct writer w[MAX_WRITERS];
	pthread_t t[MAX_WRITERS];
	char *path[MAX_WRITERS];
	pthread_barrier_t go;
	atomic_bool stop = false;
	struct timespec ts;
	double start, elapsed;
	size_t n = 0;

	for (i = 0; i < nfiles; i++) {
		char file[64];

		snprintf(file, sizeof(file), "%s-%d-%d", layout, c->writers, i);
		path[i] = test_path(file);
		close(create_file(path[i], 0xb0, c->same ? c->writers * region
						       : region));
		fd[i] = open_direct(path[i], O_WRONLY);
	}
	pthread_barrier_init(&go, NULL, c->writers + 1);
	for (i = 0; i < c->writers; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].fd = fd[c->same ? 0 : i];
		w[i].start = c->same ? (off_t)i * region : 0;
		w[i].blocks = region / block;
		w[i].block = block;
		w[i].go = &go;
		w[i].stop = &stop;
		start_thread(&t[i], writer_main, &w[i]);
	}
	pthread_barrier_wait(&go);
	start = now();
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	atomic_store(&stop, true);
	for (i = 0; i < c->writers; i++)
		join_thread(t[i]);
	elapsed = now() - start;
	pthread_barrier_destroy(&go);

	for (i = 0; i < c->writers; i++) {
		if (w[i].failed) {
			c->failed = true;
			diag("writers_%d_%s_file, round %d, writer %d: pwrite "
			     "O_DIRECT of %zu bytes failed after %zu writes: %s",
			     c->writers, layout, round + 1, i, block, w[i].n,
			     w[i].err < 0 ? "short write" : strerror(w[i].err));
		}
		if (w[i].n < c->min_n)
			c->min_n = w[i].n;
		if (w[i].n > c->max_n)
			c->max_n = w[i].n;
		c->lat = realloc(c->lat, (c->nlat + w[i].n + 1) *
				 sizeof(*c->lat));
		if (!c->lat) {
			diag("out of memory");
			exit(2);
		}
		memcpy(c->lat + c->nlat, w[i].lat, w[i].n * sizeof(*c->lat));
		c->nlat += w[i].n;
		n += w[i].n;
		free(w[i].lat);
	}
	c->writes += n;
	c->seconds += elapsed;
	c->mb_s[round] = n * block / elapsed / 1e6;
	for (i = 0; i < nfiles; i++) {
		close(fd[i]);
		unlink(path[i]);
		free(path[i]);
	}
}

/* The configuration's figures, and its case. */
static void report(struct config *c, int rounds, double seconds,
		   size_t block, size_t region)
{
	const char *layout = c->same ? "same" : "separate";
	double sorted[MAX_ROUNDS], median, sum = 0;
	char list[16 * MAX_ROUNDS] = "", name[64];
	size_t k, len = 0;
	int r;

	for (r = 0; r < rounds; r++) {
		sorted[r] = c->mb_s[r];
		len += snprintf(list + len, sizeof(list) - len, "%s%.2f",
				r ? "," : "", c->mb_s[r]);
	}
	sort_doubles(sorted, rounds);
	median = rounds % 2 ? sorted[rounds / 2] :
		(sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2;
	sort_doubles(c->lat, c->nlat);
	for (k = 0; k < c->nlat; k++)
		sum += c->lat[k];
	diag("dio-bench: {\"writers\":%d,\"layout\":\"%s\",\"block\":%zu,"
	     "\"region\":%zu,\"mechanism\":\"%s\",\"duration\":%.1f,"
	     "\"rounds\":%d,\"seconds\":%.3f,\"writes\":%zu,"
	     "\"writes_min\":%zu,\"writes_max\":%zu,\"bytes\":%zu,"
	     "\"mb_s\":%.2f,\"mb_s_rounds\":[%s],\"lat_us_mean\":%.2f,"
	     "\"lat_us_p50\":%.2f,\"lat_us_p99\":%.2f,\"lat_us_max\":%.2f}",
	     c->writers, layout, block, region, mechanism(),
	     seconds, rounds, c->seconds, c->writes, c->min_n, c->max_n,
	     c->writes * block, median, list,
	     c->nlat ? sum / c->nlat * 1e6 : 0.0,
	     c->nlat ? c->lat[c->nlat / 2] * 1e6 : 0.0,
	     c->nlat ? c->lat[c->nlat * 99 / 100] * 1e6 : 0.0,
	     c->nlat ? c->lat[c->nlat - 1] * 1e6 : 0.0);
	if (!c->writes)
		diag("writers_%d_%s_file: no write completed", c->writers,
		     layout);
	snprintf(name, sizeof(name), "writers_%d_%s_file", c->writers, layout);
	ktap_result(!c->failed && c->writes, name, NULL);
	free(c->lat);
}

static double arg(int argc, char **argv, int i, double def)
{
	char *end;
	double v;

	if (argc <= i)
		return def;
	v = strtod(argv[i], &end);
	if (*end || v <= 0) {
		printf("# usage: dio_bench [SECONDS [ROUNDS [BLOCK_BYTES "
		       "[REGION_MIB]]]]\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	double seconds = arg(argc, argv, 1, 2);
	int rounds = (int)arg(argc, argv, 2, 3);
	size_t block = (size_t)arg(argc, argv, 3, 65536);
	size_t region = (size_t)arg(argc, argv, 4, 4) << 20;
	struct config configs[] = {
		{ .writers = 1, .same = true, .min_n = SIZE_MAX },
		{ .writers = 1, .same = false, .min_n = SIZE_MAX },
		{ .writers = 4, .same = true, .min_n = SIZE_MAX },
		{ .writers = 4, .same = false, .min_n = SIZE_MAX },
	};
	struct config warmup = { .writers = MAX_WRITERS, .same = false };
	size_t i, n = sizeof(configs) / sizeof(configs[0]);
	int r;

	if (rounds > MAX_ROUNDS || block % PAGE || region < block ||
	    region % block) {
		printf("# dio_bench: at most %d rounds; BLOCK_BYTES must be a "
		       "multiple of %lu dividing REGION_MIB MiB\n", MAX_ROUNDS,
		       PAGE);
		return 2;
	}
	ktap_begin("dio_bench", n);
	diag("%d round(s) of %.1f s per configuration, %zu-byte writes, "
	     "%zu MiB per writer", rounds, seconds, block, region >> 20);
	/*
	 * Warm-up, not reported: the first writes after boot run slower
	 * (memory and image blocks touched for the first time).
	 */
	run_round(&warmup, 0, seconds / 2, block, region);
	free(warmup.lat);
	/* Rounds interleave the configurations: drift hits them alike. */
	for (r = 0; r < rounds; r++)
		for (i = 0; i < n; i++)
			run_round(&configs[i], r, seconds, block, region);
	for (i = 0; i < n; i++)
		report(&configs[i], rounds, seconds, block, region);
	return ktap_end();
}
