// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT writes that fail part way with an I/O error.  The n-th bio the
 * writing task submits fails (fail-nth, CONFIG_FAIL_MAKE_REQUEST with
 * make-it-fail set on the test disk), for every n from 1 until the call
 * submits fewer than n bios.  Whatever n, the write returns the error, or a
 * short count whose bytes are the source's first bytes, or the full count
 * with every byte right; a page of the target never holds a source page
 * other than its own.
 *
 * The source is the target file's own mapping, [0, 8) pages, the first two
 * pages mapped and the others not cached (so that faulting them goes
 * through ->fault, not fault-around); the target is [8, 16)
 * pages, which crosses ext2's last direct block (block 12 of a 4 KiB-block
 * file needs the indirect block, read during the write).  The page cache
 * is dropped before each write so that the indirect block is read by the
 * writing task.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FILE_PAGES	16
#define SRC_PAGES	8
#define LEN		(SRC_PAGES * PAGE)
#define TAG		3
#define MAX_NTH		24

static char *path;

/* What page 'p' of the target [8, 16) holds, as a source page or its own. */
static int page_origin(const uint8_t *buf, int p)
{
	off_t own = (SRC_PAGES + p) * PAGE;
	int s;

	if (check_pattern(buf + p * PAGE, TAG, own, PAGE) < 0)
		return -1;
	for (s = 0; s < SRC_PAGES; s++)
		if (check_pattern(buf + p * PAGE, TAG, s * PAGE, PAGE) < 0)
			return s;
	return -2;
}

/*
 * One write with the nth bio failing; returns false when the invariant
 * breaks, and sets *injected when the call submitted an nth bio.
 */
static bool one(int nth, bool *injected)
{
	bool ok = true;
	ssize_t n;
	uint8_t *m, *buf;
	uint64_t v;
	int fd, bfd, p, err;

	fd = create_file(path, TAG, FILE_PAGES * PAGE);
	close(fd);
	CHECK(drop_all_caches(), "drop_caches failed");
	bfd = open_buffered(path, O_RDONLY);
	fd = open_direct(path, O_RDWR);
	m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, bfd, 0);
	if (m == MAP_FAILED)
		return CHECK(false, "mmap: %s", strerror(errno));
	/* No read-around and no fault-around of pages not yet cached. */
	madvise(m, LEN, MADV_RANDOM);
	posix_fadvise(bfd, 0, 0, POSIX_FADV_RANDOM);
	probe_load((uint64_t *)m, &v);
	probe_load((uint64_t *)(m + PAGE), &v);
	if (resident_pages(m, LEN) != 2)
		ok = CHECK(false, "%zu source pages resident, not 2",
			   resident_pages(m, LEN));

	ok &= fail_nth_set(nth);
	n = pwrite(fd, m, LEN, SRC_PAGES * PAGE);
	err = errno;
	*injected = fail_nth_fired();
	fail_nth_set(0);

	if (n < 0)
		diag("fail bio %d: -1 (%s)%s", nth, strerror(err),
		     *injected ? "" : ", no such bio");
	else
		diag("fail bio %d: %zd of %lu bytes%s", nth, n, LEN,
		     *injected ? "" : ", no such bio");
	/* EFAULT: a read of the source failed; EIO: a write or metadata. */
	if (n < 0 && err != EIO && err != EFAULT)
		ok = CHECK(false, "fail bio %d: error %s, not EIO or EFAULT",
			   nth, strerror(err));
	if (n >= 0 && n % PAGE)
		ok = CHECK(false, "fail bio %d: count %zd not whole pages", nth,
			   n);

	/* Read back from the disk, not from the cache the write went by. */
	munmap(m, LEN);
	close(fd);
	close(bfd);
	CHECK(drop_all_caches(), "drop_caches failed");
	fd = open_direct(path, O_RDONLY);
	buf = read_direct(fd, LEN, SRC_PAGES * PAGE);
	close(fd);
	if (!buf)
		return CHECK(false, "cannot read the target back");
	for (p = 0; p < SRC_PAGES; p++) {
		int from = page_origin(buf, p);
		bool written = n >= 0 && p * PAGE < (size_t)n;

		if (from == -2 || (from >= 0 && from != p) ||
		    (written && from != p)) {
			ok = CHECK(false, "fail bio %d: target page %d holds %s "
				   "(expected source page %d%s)", nth, p,
				   from == -2 ? "foreign data" :
				   from == -1 ? "its old data" :
				   "another source page", p,
				   written ? "" : " or its old data");
			if (from >= 0)
				diag("fail bio %d: target page %d holds source "
				     "page %d", nth, p, from);
		}
	}
	munmap(buf, LEN);
	return ok;
}

static void later_round_error(void)
{
	bool ok = true, injected = true;
	int nth;

	for (nth = 1; nth <= MAX_NTH && injected; nth++)
		ok &= one(nth, &injected);
	/* The control: the injected errors reached the write at all. */
	if (nth == 2)
		ok = CHECK(false, "no bio of the write could be failed");
	if (injected)
		ok = CHECK(false, "the write still submitted bio %d", MAX_NTH);
	ktap_result(ok, "self_sourced_write_failing_part_way_keeps_its_offsets",
		    NULL);
}

int main(void)
{
	struct statvfs st;
	bool ready;

	path = test_path("error_target");
	ktap_begin("dio_error", 1);
	probe_install();
	ready = !statvfs(e2e_dir(), &st) && st.f_bsize == 4096 &&
		!access("/proc/thread-self/fail-nth", W_OK);
	if (!ready) {
		ktap_result(false,
			    "self_sourced_write_failing_part_way_keeps_its_offsets",
			    "needs 4 KiB blocks and CONFIG_FAULT_INJECTION");
		return ktap_end();
	}
	if (!write_str(fail_switch(), "1")) {
		ktap_result(false,
			    "self_sourced_write_failing_part_way_keeps_its_offsets",
			    "needs CONFIG_FAIL_MAKE_REQUEST");
		return ktap_end();
	}
	later_round_error();
	write_str(fail_switch(), "0");
	return ktap_end();
}
