// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's fault-scheme comparison: O_DIRECT writes whose source is a
 * shared mapping dropped from the page tables and the page cache before
 * each write, so that pinning it faults, in the scenarios of fstests'
 * tests for faults during direct I/O:
 *
 *   other_file   from a mapping of another file (generic/708, one side)
 *   same_file    from a mapping of other pages of the target (generic/647)
 *   same_pages   from a mapping of the very range written (generic/729)
 *   abba         two writers, each from a mapping of the other's file,
 *                at once (generic/708, both sides)
 *
 * On a kernel with ext2's dio_fault_scheme parameter (make bench's
 * "schemes" kernel, the series with bench/patches applied) every scenario
 * runs under each scheme: pin (the series), marker (the series' marker
 * used bcachefs's way), nofault (btrfs's nofault-and-retry loop);
 * elsewhere once, as the kernel is, under the name E2E_MECHANISM gives
 * ("stock" or "on").
 *
 * Each (scheme, scenario) prints one diagnostic
 *   # fault-bench: {"scheme": ..., "scenario": ..., "writes": N, ...}
 * with the writes' results, their latency and the scheme's counters, and
 * one case that passes when no write hung and every destination page
 * holds its source's data (the destination starts as the expected content,
 * so a write that failed leaves it right and one that misplaced data is
 * seen).  Nothing else is asserted: the figures are compared by
 * tools/pcl bench.
 *
 *   dio_faults [SECONDS [PAGES]]   per cell (1 s), pages per write (16)
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PARAMS		"/sys/module/ext2/parameters/"
#define MAX_WRITES	100000
#define HANG_MARGIN	20.0	/* seconds past a cell's end that mean a hang */

static const char *const schemes[] = { "pin", "marker", "nofault" };
static const char *const scenarios[] = { "other_file", "same_file",
					 "same_pages", "abba" };
#define NSCHEMES	(sizeof(schemes) / sizeof(schemes[0]))
#define NSCENARIOS	(sizeof(scenarios) / sizeof(scenarios[0]))

static double seconds = 1.0;
static size_t pages = 16;

/* A file of two halves, dst then src, each 'pages' pages. */
struct file {
	const char *name;
	uint32_t tag;		/* pattern of its src half */
	int dfd, bfd;		/* O_DIRECT, buffered */
	uint8_t *map;		/* shared mapping of the whole file */
};

/* One writer: dst of 'to' from the mapping at 'from' + 'src_off'. */
struct writer {
	struct file *to, *from;
	off_t src_off;		/* file offset of the source in 'from' */
	double deadline;
	double *lat;
	size_t writes, ok, shortw, efault, other;
	pthread_t thread;
};

static size_t half(void)
{
	return pages * PAGE;
}

static void open_file(struct file *f, const char *name, uint32_t tag)
{
	char *path = test_path(name);
	size_t len = 2 * half();
	uint8_t *buf = alloc_aligned(len);

	f->bfd = open_buffered(path, O_RDWR | O_CREAT | O_TRUNC);
	memset(buf, 0, len);
	fill_pattern(buf + half(), tag, half(), half());
	if (pwrite(f->bfd, buf, len, 0) != (ssize_t)len)
		die("initial write", path);
	drop_cache(f->bfd, 0, len);
	munmap(buf, len);
	f->name = name;
	f->tag = tag;
	f->dfd = open_direct(path, O_RDWR);
	f->map = mmap(NULL, len, PROT_READ, MAP_SHARED, f->bfd, 0);
	if (f->map == MAP_FAILED)
		die("mmap", path);
	free(path);
}

/*
 * What dst must hold: the pattern of the source's file offset in its file
 * (for same_pages, dst's own content, so the expected is what it holds).
 */
static void expected(uint8_t *buf, const struct writer *w)
{
	fill_pattern(buf, w->from->tag, w->src_off, half());
}

/* Set dst to the expected content (buffered, then written back). */
static void reset_dst(const struct writer *w)
{
	uint8_t *buf = alloc_aligned(half());

	expected(buf, w);
	if (!write_direct(w->to->dfd, buf, half(), 0))
		die("resetting dst of", w->to->name);
	munmap(buf, half());
}

/*
 * dst holds its source's data on disk (read with O_DIRECT) and in the page
 * cache (a buffered read: a folio added while a scheme did not hold block
 * and left behind would show old bytes there).
 */
static bool dst_right(const struct writer *w)
{
	uint8_t *got = read_direct(w->to->dfd, half(), 0);
	uint8_t *cached = alloc_aligned(half());
	uint8_t *want = alloc_aligned(half());
	bool disk_ok, cache_ok;

	if (!got)
		return CHECK(false, "%s: cannot read dst", w->to->name);
	expected(want, w);
	disk_ok = !memcmp(got, want, half());
	cache_ok = pread(w->to->bfd, cached, half(), 0) == (ssize_t)half() &&
		   !memcmp(cached, want, half());
	if (!disk_ok)
		diag("%s: dst does not hold %s's data at %lld on disk",
		     w->to->name, w->from->name, (long long)w->src_off);
	if (!cache_ok)
		diag("%s: a buffered read of dst does not see %s's data at %lld",
		     w->to->name, w->from->name, (long long)w->src_off);
	munmap(got, half());
	munmap(cached, half());
	munmap(want, half());
	return disk_ok && cache_ok;
}

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	const uint8_t *src = w->from->map + w->src_off;

	while (now() < w->deadline && w->writes < MAX_WRITES) {
		double t;
		ssize_t n;

		madvise((void *)src, half(), MADV_DONTNEED);
		posix_fadvise(w->from->bfd, w->src_off, half(),
			      POSIX_FADV_DONTNEED);
		t = now();
		n = pwrite(w->to->dfd, src, half(), 0);
		w->lat[w->writes++] = now() - t;
		if (n == (ssize_t)half())
			w->ok++;
		else if (n >= 0)
			w->shortw++;
		else if (errno == EFAULT)
			w->efault++;
		else
			w->other++;
	}
	return NULL;
}

/* A counter of the schemes kernel, or -1 when there is none. */
static long counter(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

static void json_counter(const char *key, long before, long after)
{
	if (before >= 0 && after >= 0)
		printf(", \"%s\": %ld", key, after - before);
}

/* Run the writers of one cell, print its figures and its case. */
static void cell(const char *scheme, const char *scenario, struct writer *w,
		 int nw)
{
	long r0 = counter("dio_fault_retries");
	long s0 = counter("dio_fault_self");
	long d0 = counter("dio_fault_drops");
	long f0 = counter("dio_fault_fallbacks");
	size_t writes = 0, ok = 0, shortw = 0, efault = 0, other = 0, k = 0;
	pthread_t t[2];
	double start, *lat;
	char name[64];
	bool right = true;
	int i;

	for (i = 0; i < nw; i++)
		reset_dst(&w[i]);
	start = now();
	for (i = 0; i < nw; i++) {
		w[i].deadline = start + seconds;
		w[i].writes = w[i].ok = w[i].shortw = w[i].efault = 0;
		w[i].other = 0;
		start_thread(&t[i], write_loop, &w[i]);
	}
	snprintf(name, sizeof(name), "%s_%s", scheme, scenario);
	if (!join_bounded(t, nw, seconds + HANG_MARGIN)) {
		diag("%s: a writer still runs %.0f s after the cell's end: hang",
		     name, HANG_MARGIN);
		ktap_result(false, name, "hang");
		fflush(stdout);
		_exit(1);
	}
	for (i = 0; i < nw; i++) {
		writes += w[i].writes;
		ok += w[i].ok;
		shortw += w[i].shortw;
		efault += w[i].efault;
		other += w[i].other;
		right = dst_right(&w[i]) && right;
	}
	lat = malloc(writes * sizeof(*lat) + 1);
	if (!lat)
		die("malloc", NULL);
	for (i = 0; i < nw; i++) {
		memcpy(lat + k, w[i].lat, w[i].writes * sizeof(*lat));
		k += w[i].writes;
	}
	sort_doubles(lat, writes);
	printf("# fault-bench: {\"scheme\": \"%s\", \"scenario\": \"%s\", "
	       "\"writers\": %d, \"pages\": %zu, \"seconds\": %.3f, "
	       "\"writes\": %zu, \"ok\": %zu, \"short\": %zu, "
	       "\"efault\": %zu, \"errors\": %zu",
	       scheme, scenario, nw, pages, now() - start, writes, ok, shortw,
	       efault, other);
	if (writes)
		printf(", \"us_p50\": %.1f, \"us_p99\": %.1f",
		       lat[writes / 2] * 1e6, lat[writes * 99 / 100] * 1e6);
	json_counter("retries", r0, counter("dio_fault_retries"));
	json_counter("self_faults", s0, counter("dio_fault_self"));
	json_counter("drops", d0, counter("dio_fault_drops"));
	json_counter("fallbacks", f0, counter("dio_fault_fallbacks"));
	printf(", \"data_ok\": %s}\n", right ? "true" : "false");
	fflush(stdout);
	free(lat);
	ktap_result(right && writes, name, NULL);
}

/* The writers of a scenario, in w; returns how many. */
static int scenario_writers(const char *scenario, struct file *a,
			    struct file *b, struct writer *w)
{
	memset(w, 0, 2 * sizeof(*w));
	w[0].to = a;
	w[0].from = a;
	w[0].src_off = half();
	if (!strcmp(scenario, "other_file")) {
		w[0].from = b;
	} else if (!strcmp(scenario, "same_pages")) {
		w[0].src_off = 0;
	} else if (!strcmp(scenario, "abba")) {
		w[0].from = b;
		w[1].to = b;
		w[1].from = a;
		w[1].src_off = half();
		return 2;
	}
	return 1;
}

/* The control: the data check sees a page of dst from the wrong source. */
static void control(struct file *a, struct file *b)
{
	struct writer w = { .to = a, .from = b, .src_off = half() };
	bool seen;

	reset_dst(&w);
	write_direct(a->dfd, a->map + half(), PAGE, 0);
	seen = !dst_right(&w);
	reset_dst(&w);
	ktap_result(seen && dst_right(&w),
		    "faults_data_check_sees_a_misplaced_page", NULL);
}

int main(int argc, char **argv)
{
	bool switchable = counter("dio_fault_scheme") >= 0;
	size_t nschemes = switchable ? NSCHEMES : 1;
	struct file a, b;
	struct writer w[2];
	size_t i, j;

	if (argc > 1)
		seconds = atof(argv[1]);
	if (argc > 2)
		pages = strtoul(argv[2], NULL, 10);
	if (seconds <= 0 || !pages || pages > 256) {
		fprintf(stderr, "usage: dio_faults [SECONDS [PAGES (1-256)]]\n");
		return 2;
	}
	ktap_begin("dio_faults", 1 + nschemes * NSCENARIOS);
	open_file(&a, "faults_a", 0xa);
	open_file(&b, "faults_b", 0xb);
	w[0].lat = malloc(MAX_WRITES * sizeof(double));
	w[1].lat = malloc(MAX_WRITES * sizeof(double));
	if (!w[0].lat || !w[1].lat)
		die("malloc", NULL);
	control(&a, &b);
	for (i = 0; i < nschemes; i++) {
		const char *scheme = switchable ? schemes[i] : mechanism();
		char value[4];

		if (switchable) {
			snprintf(value, sizeof(value), "%zu", i);
			if (!write_str(PARAMS "dio_fault_scheme", value))
				die("selecting scheme", scheme);
		}
		for (j = 0; j < NSCENARIOS; j++) {
			double *lat0 = w[0].lat, *lat1 = w[1].lat;
			int nw = scenario_writers(scenarios[j], &a, &b, w);

			w[0].lat = lat0;
			w[1].lat = lat1;
			cell(scheme, scenarios[j], w, nw);
		}
	}
	if (switchable)
		write_str(PARAMS "dio_fault_scheme", "0");
	return ktap_end();
}
