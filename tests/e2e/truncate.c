// SPDX-License-Identifier: GPL-2.0
/*
 * Truncate racing page faults and O_DIRECT writes.
 *
 * Deterministic part: a load beyond EOF raises SIGBUS (caught with
 * sigsetjmp), the tail of a partial last page reads as zeroes, and data
 * cut off by truncate never comes back when the file grows again.
 *
 * Racing part, for a few seconds: the file is NPAGES long, [0, HALF) holds
 * generation stamps written with O_DIRECT, [HALF, NPAGES) starts as OLD
 * markers.  One thread truncates to HALF and extends to NPAGES again, in a
 * loop; one writes generations into [0, HALF) with O_DIRECT; one writes
 * FRESH pages into [HALF, NPAGES) with O_DIRECT (extending the file when
 * it is short); readers fault pages of a shared mapping and pread(2).
 *
 *  - [0, HALF) is never beyond EOF: no SIGBUS there, and no generation
 *    older than the one completed before the read began;
 *  - [HALF, NPAGES) reads as 0, FRESH or SIGBUS; OLD only before the
 *    first truncate returned; anything else is corrupt;
 *  - nothing hangs.
 *
 * The controls run the race again, shorter, with two faults injected into
 * the test itself: the generation writer publishes a generation before
 * writing it, and the truncater writes OLD back after extending the file.
 * The checker must see stale generations and old data in that run.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NPAGES		16
#define HALF		8
#define SIZE		(NPAGES * PAGE)
#define SECONDS		8.0
#define INJECT_SECONDS	2.0
#define OLD		0x01d01d01d01d01d0ULL
#define FRESH		0xf7e5f7e5f7e5f7e5ULL
#define EXAMPLES	3

static char *path;
static int bfd, dfd;
static uint8_t *map;
static _Atomic uint64_t published;
static atomic_bool truncated, stop;
static bool injected;		/* the controls' faults */
static atomic_long sigbus_low, sigbus_high, loads, preads, cycles, writes;
static atomic_long stale_gen, old_data, corrupt, examples;

static void example(const char *fmt, unsigned long long a,
		    unsigned long long b, int page)
{
	if (atomic_fetch_add(&examples, 1) < EXAMPLES)
		diag(fmt, page, a, b);
}

/* Judge one word read from page p; before/was_truncated sampled first. */
static void judge(int p, uint64_t v, uint64_t before, bool was_truncated)
{
	if (p < HALF) {
		if (v < before) {
			atomic_fetch_add(&stale_gen, 1);
			example("page %d: generation %llu after %llu completed",
				v, before, p);
		} else if (v > (uint64_t)1 << 40) {
			atomic_fetch_add(&corrupt, 1);
			example("page %d: %#llx is no generation (%llu)", v,
				before, p);
		}
	} else if (v == OLD) {
		if (was_truncated) {
			atomic_fetch_add(&old_data, 1);
			example("page %d: truncated data %#llx came back "
				"(generation %llu)", v, before, p);
		}
	} else if (v != 0 && v != FRESH) {
		atomic_fetch_add(&corrupt, 1);
		example("page %d: unexpected %#llx (generation %llu)", v,
			before, p);
	}
}

static void *truncater(void *arg)
{
	uint8_t *old = alloc_aligned(PAGE);

	(void)arg;
	fill_gen(old, OLD, PAGE);
	while (!atomic_load(&stop)) {
		if (ftruncate(bfd, HALF * PAGE) || ftruncate(bfd, SIZE)) {
			diag("ftruncate: %s", strerror(errno));
			break;
		}
		atomic_store(&truncated, true);
		/* Injected: data cut off by the truncate comes back. */
		if (injected && pwrite(dfd, old, PAGE, HALF * PAGE) != PAGE) {
			diag("truncater: %s", strerror(errno));
			break;
		}
		atomic_fetch_add(&cycles, 1);
	}
	munmap(old, PAGE);
	return NULL;
}

static void *gen_writer(void *arg)
{
	uint8_t *buf = alloc_aligned(HALF * PAGE);
	uint64_t gen;

	(void)arg;
	for (gen = 1; !atomic_load(&stop); gen++) {
		fill_gen(buf, gen, HALF * PAGE);
		if (injected)	/* published before it is written */
			atomic_store(&published, gen);
		if (pwrite(dfd, buf, HALF * PAGE, 0) != HALF * PAGE) {
			diag("generation writer: %s", strerror(errno));
			break;
		}
		atomic_store(&published, gen);
		atomic_fetch_add(&writes, 1);
	}
	munmap(buf, HALF * PAGE);
	return NULL;
}

static void *fresh_writer(void *arg)
{
	uint8_t *buf = alloc_aligned(PAGE);
	unsigned int seed = 7;

	(void)arg;
	fill_gen(buf, FRESH, PAGE);
	while (!atomic_load(&stop)) {
		int p = HALF + rand_r(&seed) % (NPAGES - HALF);

		if (pwrite(dfd, buf, PAGE, p * PAGE) != PAGE) {
			diag("fresh writer: %s", strerror(errno));
			break;
		}
		atomic_fetch_add(&writes, 1);
	}
	munmap(buf, PAGE);
	return NULL;
}

static void *faulter(void *arg)
{
	(void)arg;
	probe_install();
	while (!atomic_load(&stop)) {
		int p;

		for (p = 0; p < NPAGES; p++) {
			uint64_t before = atomic_load(&published), v;
			bool was = atomic_load(&truncated);

			if (probe_load((uint64_t *)(map + p * PAGE), &v)) {
				atomic_fetch_add(p < HALF ? &sigbus_low :
						 &sigbus_high, 1);
				continue;
			}
			judge(p, v, before, was);
			atomic_fetch_add(&loads, 1);
		}
	}
	return NULL;
}

static void *preader(void *arg)
{
	uint8_t *buf = alloc_aligned(SIZE);

	(void)arg;
	while (!atomic_load(&stop)) {
		uint64_t before = atomic_load(&published);
		bool was = atomic_load(&truncated);
		ssize_t n = pread(bfd, buf, SIZE, 0);
		int p;

		if (n < HALF * (ssize_t)PAGE) {
			diag("pread returned %zd (file never shorter than "
			     "%lu)", n, HALF * PAGE);
			atomic_fetch_add(&corrupt, 1);
			break;
		}
		for (p = 0; p < n / (ssize_t)PAGE; p++)
			judge(p, *(uint64_t *)(buf + p * PAGE), before, was);
		atomic_fetch_add(&preads, 1);
	}
	munmap(buf, SIZE);
	return NULL;
}

static int setup(uint32_t tag)
{
	int fd = create_file(path, tag, SIZE);

	map = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		diag("mmap: %s", strerror(errno));
		exit(2);
	}
	return fd;
}

static void sigbus_beyond_eof(void)
{
	int fd = setup(3);
	uint64_t v;
	bool ok = true;
	int sig;

	probe_install();
	if (ftruncate(fd, HALF * PAGE))
		ok = CHECK(false, "ftruncate: %s", strerror(errno));
	sig = probe_load((uint64_t *)(map + (HALF + 2) * PAGE), &v);
	if (sig != SIGBUS)
		ok = CHECK(false, "load beyond EOF: signal %d, value %#llx",
			   sig, (unsigned long long)v);
	sig = probe_load((uint64_t *)(map + PAGE), &v);
	if (sig || v != ((uint64_t)3 << 32 | PAGE / 8))
		ok = CHECK(false, "load below EOF: signal %d, value %#llx",
			   sig, (unsigned long long)v);
	if (ftruncate(fd, SIZE))
		ok = CHECK(false, "ftruncate: %s", strerror(errno));
	sig = probe_load((uint64_t *)(map + (HALF + 2) * PAGE), &v);
	if (sig || v)
		ok = CHECK(false, "after growing again: signal %d, value %#llx",
			   sig, (unsigned long long)v);
	munmap(map, SIZE);
	close(fd);
	ktap_result(ok, "sigbus_beyond_eof", NULL);
}

static void partial_page(void)
{
	int fd = setup(4);
	const off_t eof = HALF * PAGE + 128;
	uint64_t v;
	bool ok = true;
	int sig;

	if (ftruncate(fd, eof))
		ok = CHECK(false, "ftruncate: %s", strerror(errno));
	sig = probe_load((uint64_t *)(map + eof - 8), &v);
	if (sig || v != ((uint64_t)4 << 32 | (eof - 8) / 8))
		ok = CHECK(false, "last word before EOF: signal %d, %#llx",
			   sig, (unsigned long long)v);
	sig = probe_load((uint64_t *)(map + eof), &v);
	if (sig || v)
		ok = CHECK(false, "tail of the last page: signal %d, %#llx",
			   sig, (unsigned long long)v);
	sig = probe_load((uint64_t *)(map + (HALF + 1) * PAGE), &v);
	if (sig != SIGBUS)
		ok = CHECK(false, "page after EOF: signal %d", sig);
	munmap(map, SIZE);
	close(fd);
	ktap_result(ok, "partial_last_page", NULL);
}

/* Counters and shared state back to the start of a run. */
static void reset_race(void)
{
	atomic_long *counters[] = { &sigbus_low, &sigbus_high, &loads,
				    &preads, &cycles, &writes, &stale_gen,
				    &old_data, &corrupt, &examples };
	size_t i;

	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		atomic_store(counters[i], 0);
	atomic_store(&published, 0);
	atomic_store(&truncated, false);
	atomic_store(&stop, false);
}

/* The racing threads for 'seconds'; false when they hung (reported). */
static bool run_race(uint32_t tag, double seconds)
{
	pthread_t t[5];
	thread_fn fns[5] = { truncater, gen_writer, fresh_writer, faulter,
			     preader };
	uint8_t *init = alloc_aligned(SIZE);
	double start;
	int i;

	reset_race();
	bfd = setup(tag);
	dfd = open_direct(path, O_RDWR);
	fill_gen(init, 0, HALF * PAGE);
	fill_gen(init + HALF * PAGE, OLD, (NPAGES - HALF) * PAGE);
	write_direct(dfd, init, SIZE, 0);
	munmap(init, SIZE);

	start = now();
	for (i = 0; i < 5; i++)
		start_thread(&t[i], fns[i], NULL);
	while (now() < start + seconds)
		usleep(100000);
	atomic_store(&stop, true);
	if (!join_bounded(t, 5, 20))
		return false;
	diag("%s%.1f s: %ld truncate cycles, %ld O_DIRECT writes, %ld loads, "
	     "%ld preads, SIGBUS %ld below / %ld beyond HALF",
	     injected ? "injected faults: " : "", now() - start,
	     atomic_load(&cycles), atomic_load(&writes), atomic_load(&loads),
	     atomic_load(&preads), atomic_load(&sigbus_low),
	     atomic_load(&sigbus_high));
	return true;
}

/* Judge the final state: latest generation below HALF, no OLD above. */
static void judge_final(void)
{
	uint8_t *buf = read_direct(dfd, SIZE, 0);
	int i;

	if (!buf) {
		atomic_fetch_add(&corrupt, 1);
		return;
	}
	for (i = 0; i < NPAGES; i++)
		judge(i, *(uint64_t *)(buf + i * PAGE),
		      atomic_load(&published), true);
	munmap(buf, SIZE);
}

static void finish_run(void)
{
	munmap(map, SIZE);
	close(dfd);
	close(bfd);
}

static void race(void)
{
	if (!run_race(5, SECONDS)) {
		diag("threads still running 20 s after the end: hang");
		ktap_result(false, "truncate_race_no_hang", NULL);
		ktap_skip("truncate_race_no_old_data", "hang");
		ktap_skip("truncate_race_no_stale_generation", "hang");
		ktap_skip("truncate_race_sigbus_only_beyond_eof", "hang");
		ktap_skip("checker_detects_injected_stale_generations", "hang");
		ktap_skip("checker_detects_injected_old_data", "hang");
		fflush(stdout);
		_exit(1);
	}
	diag("stale_reads mode=%s total=%ld (truncate race; old data %ld, "
	     "corrupt %ld)", mechanism(),
	     atomic_load(&stale_gen), atomic_load(&old_data),
	     atomic_load(&corrupt));
	ktap_result(atomic_load(&cycles) > 0 && atomic_load(&writes) > 0,
		    "truncate_race_no_hang", NULL);
	judge_final();
	ktap_result(!atomic_load(&old_data) && !atomic_load(&corrupt),
		    "truncate_race_no_old_data", NULL);
	ktap_result(!atomic_load(&stale_gen),
		    "truncate_race_no_stale_generation", NULL);
	ktap_result(!atomic_load(&sigbus_low) && atomic_load(&sigbus_high),
		    "truncate_race_sigbus_only_beyond_eof", NULL);
	finish_run();
}

static void controls(void)
{
	bool ran;

	injected = true;
	ran = run_race(6, INJECT_SECONDS);
	injected = false;
	if (!ran) {
		diag("injected run: threads still running 20 s after the end");
		ktap_result(false, "checker_detects_injected_stale_generations",
			    "hang");
		ktap_result(false, "checker_detects_injected_old_data", "hang");
		fflush(stdout);
		_exit(1);
	}
	judge_final();
	diag("stale_reads mode=injected total=%ld (truncate race; old data "
	     "%ld, corrupt %ld)", atomic_load(&stale_gen),
	     atomic_load(&old_data), atomic_load(&corrupt));
	ktap_result(atomic_load(&stale_gen) > 0,
		    "checker_detects_injected_stale_generations", NULL);
	ktap_result(atomic_load(&old_data) > 0,
		    "checker_detects_injected_old_data", NULL);
	finish_run();
}

int main(void)
{
	path = test_path("truncate");
	ktap_begin("truncate", 8);
	sigbus_beyond_eof();
	partial_page();
	race();
	controls();
	return ktap_end();
}
