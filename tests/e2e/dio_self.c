// SPDX-License-Identifier: GPL-2.0
/*
 * Self-sourced O_DIRECT writes: the source buffer is an mmap (private or
 * shared) of the file being written, and its pages are not resident.
 *
 *  - disjoint source and target ranges: the write succeeds, the data is
 *    correct (read back with O_DIRECT and through the page cache);
 *  - a range written onto itself: completes in bounded time, data correct.
 *
 * The control writes one page from the wrong source page: both data
 * checks (O_DIRECT and through the page cache) must see it.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NPAGES		32		/* file size in pages */
#define HALF		(NPAGES / 2)
#define BOUND		5.0		/* seconds one write may take */
#define ITERATIONS	300

static char *path;
static double worst;

/* One O_DIRECT write of len bytes at off from src; bounded in time. */
static bool timed_write(int fd, const void *src, size_t len, off_t off)
{
	double t = now();
	ssize_t n = pwrite(fd, src, len, off);

	t = now() - t;
	if (t > worst)
		worst = t;
	if (n != (ssize_t)len) {
		diag("pwrite(%zu at %lld) from mapping: %zd (%s)", len,
		     (long long)off, n, n < 0 ? strerror(errno) : "short");
		return false;
	}
	if (t > BOUND) {
		diag("pwrite(%zu at %lld) took %.2f s (bound %.0f s)", len,
		     (long long)off, t, BOUND);
		return false;
	}
	return true;
}

/* Does the file hold, at page p, the pattern page model[p]? */
static bool verify_model(int fd, const int *model, const char *how)
{
	uint8_t *buf = read_direct(fd, NPAGES * PAGE, 0);
	bool ok = buf != NULL;
	int p;

	for (p = 0; ok && p < NPAGES; p++) {
		off_t bad = check_pattern(buf + p * PAGE, 1,
					  (off_t)model[p] * PAGE, PAGE);
		if (bad >= 0) {
			diag("%s: page %d should hold page %d of the pattern "
			     "(first bad byte %lld)", how, p, model[p],
			     (long long)(bad - (off_t)model[p] * PAGE));
			ok = false;
		}
	}
	if (buf)
		munmap(buf, NPAGES * PAGE);
	return ok;
}

/* The page cache view must agree with the disk (buffered pread). */
static bool verify_cached(const int *model)
{
	int fd = open_buffered(path, O_RDONLY);
	uint8_t *buf = alloc_aligned(NPAGES * PAGE);
	bool ok = pread(fd, buf, NPAGES * PAGE, 0) == NPAGES * PAGE;
	int p;

	for (p = 0; ok && p < NPAGES; p++)
		if (check_pattern(buf + p * PAGE, 1, (off_t)model[p] * PAGE,
				  PAGE) >= 0) {
			diag("buffered read: page %d is not pattern page %d",
			     p, model[p]);
			ok = false;
		}
	munmap(buf, NPAGES * PAGE);
	close(fd);
	return ok;
}

static void reset(int *model)
{
	int fd = create_file(path, 1, NPAGES * PAGE), p;

	close(fd);
	for (p = 0; p < NPAGES; p++)
		model[p] = p;
}

/* A fresh mapping of the whole file whose pages are not resident. */
static uint8_t *fresh_map(int fd, int flags)
{
	uint8_t *m;

	drop_cache(fd, 0, NPAGES * PAGE);
	m = mmap(NULL, NPAGES * PAGE, PROT_READ, flags, fd, 0);
	if (m == MAP_FAILED) {
		diag("mmap: %s", strerror(errno));
		return NULL;
	}
	return m;
}

static const char *kind(int flags)
{
	return flags == MAP_SHARED ? "MAP_SHARED" : "MAP_PRIVATE";
}

/*
 * Case: the file's own mapping as the source, either its first half
 * written over the second half (disjoint) or the whole file written onto
 * itself from a non-resident mapping (overlapping).
 */
static void self_write(int flags, bool overlap, const char *name)
{
	size_t len = overlap ? NPAGES * PAGE : HALF * PAGE;
	off_t off = overlap ? 0 : HALF * PAGE;
	int model[NPAGES], fd, p;
	uint8_t *m;
	bool ok;

	reset(model);
	worst = 0;
	fd = open_direct(path, O_RDWR);
	m = fresh_map(fd, flags);
	ok = m != NULL;
	if (ok) {
		size_t res = resident_pages(m, len);

		diag("%s: %zu of %zu source pages resident before the write",
		     kind(flags), res, len / PAGE);
		/* The premise: the write has to fault its source in. */
		ok = CHECK(res == 0, "%s: the source is resident before the "
			   "write", kind(flags));
		ok = timed_write(fd, m, len, off) && ok;
		for (p = 0; !overlap && p < HALF; p++)
			model[HALF + p] = p;
		ok = verify_model(fd, model, "O_DIRECT read") && ok;
		ok = verify_cached(model) && ok;
		munmap(m, NPAGES * PAGE);
	}
	close(fd);
	diag("%s: the write took %.3f s", name, worst);
	ktap_result(ok, name, NULL);
}

/*
 * Case: a page cache page dirtied through a shared writable mapping, then
 * written onto itself with O_DIRECT from that mapping: the new data wins.
 */
static void dirty_onto_itself(const char *name)
{
	int fd = create_file(path, 1, NPAGES * PAGE);
	uint8_t *m = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, 0);
	uint8_t *buf;
	int dfd;
	bool ok = m != MAP_FAILED;

	if (ok) {
		fill_pattern(m, 2, 0, NPAGES * PAGE);
		dfd = open_direct(path, O_RDWR);
		ok = timed_write(dfd, m, NPAGES * PAGE, 0);
		buf = read_direct(dfd, NPAGES * PAGE, 0);
		if (!buf || check_pattern(buf, 2, 0, NPAGES * PAGE) >= 0)
			ok = CHECK(false, "O_DIRECT read: not the new data");
		if (check_pattern(m, 2, 0, NPAGES * PAGE) >= 0)
			ok = CHECK(false, "mapping: not the new data");
		if (buf)
			munmap(buf, NPAGES * PAGE);
		munmap(m, NPAGES * PAGE);
		close(dfd);
	}
	close(fd);
	ktap_result(ok, name, NULL);
}

/*
 * Case: many writes of 1 to 4 pages from random non-resident source pages,
 * alternately through private and shared mappings, either onto themselves
 * or to a random disjoint range; the file must match the model after each
 * batch.
 */
static void repeated(bool self, const char *name)
{
	int model[NPAGES], fd, i, ok = 1;
	double start = now();

	srand(self ? 2 : 1);
	reset(model);
	fd = open_direct(path, O_RDWR);
	worst = 0;
	for (i = 0; ok && i < ITERATIONS; i++) {
		int flags = i & 1 ? MAP_SHARED : MAP_PRIVATE;
		int len = 1 + rand() % 4, src = rand() % (NPAGES - len + 1);
		int dst = src, p, copy[4];
		uint8_t *m;

		while (!self && dst + len > src && src + len > dst)
			dst = rand() % (NPAGES - len + 1);
		m = fresh_map(fd, flags);
		if (!m) {
			ok = 0;
			break;
		}
		ok = timed_write(fd, m + src * PAGE, len * PAGE, dst * PAGE);
		munmap(m, NPAGES * PAGE);
		for (p = 0; p < len; p++)
			copy[p] = model[src + p];
		for (p = 0; p < len; p++)
			model[dst + p] = copy[p];
		if (i % 50 == 49 || !ok)
			ok = verify_model(fd, model, "O_DIRECT read") && ok;
	}
	ok = ok && verify_cached(model);
	close(fd);
	diag("%s: %d writes in %.2f s, slowest %.3f s", name, i,
	     now() - start, worst);
	ktap_result(ok, name, NULL);
}

/*
 * Control: page HALF written from pattern page 1 while the model says
 * page 0; both checkers must report the misplaced page.
 */
static void control(const char *name)
{
	int model[NPAGES], fd;
	uint8_t *m;
	bool direct, cached;

	reset(model);
	fd = open_direct(path, O_RDWR);
	m = fresh_map(fd, MAP_SHARED);
	if (!m) {
		close(fd);
		ktap_result(false, name, "mmap");
		return;
	}
	timed_write(fd, m + PAGE, PAGE, HALF * PAGE);
	munmap(m, NPAGES * PAGE);
	model[HALF] = 0;
	diag("control: page %d written from page 1, expected as page 0",
	     HALF);
	direct = verify_model(fd, model, "control, O_DIRECT read");
	cached = verify_cached(model);
	close(fd);
	ktap_result(!direct && !cached, name, NULL);
}

int main(void)
{
	path = test_path("self");
	ktap_begin("dio_self", 8);
	control("checkers_detect_a_misplaced_page");
	self_write(MAP_PRIVATE, false, "disjoint_private");
	self_write(MAP_SHARED, false, "disjoint_shared");
	repeated(false, "disjoint_repeated");
	self_write(MAP_PRIVATE, true, "onto_itself_private");
	self_write(MAP_SHARED, true, "onto_itself_shared");
	dirty_onto_itself("dirty_onto_itself_shared");
	repeated(true, "onto_itself_repeated");
	return ktap_end();
}
