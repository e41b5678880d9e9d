// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT writes from buffers that are unmapped, partly unmapped,
 * PROT_NONE, or mappings (of another file or of the target file itself)
 * that reach beyond EOF: the write returns -EFAULT or a short count,
 * whatever was written is correct, and nothing loops or hangs.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN	(4 * PAGE)
#define BOUND	5.0

static char *target_path, *other_path;

/*
 * pwrite(fd, src, LEN, off) must fail with EFAULT or write fewer than
 * good + 1 pages (exactly 'good' pages when short: the mapped prefix is
 * written); written data must match the pattern (tag, src_off).
 */
static bool expect_fault(const char *name, int fd, const void *src, off_t off,
			 int good, uint32_t tag, off_t src_off)
{
	double t = now();
	ssize_t n = pwrite(fd, src, LEN, off);
	int err = errno;
	bool ok = true;
	uint8_t *buf;

	t = now() - t;
	if (n < 0)
		diag("%s: -1 (%s) in %.3f s", name, strerror(err), t);
	else
		diag("%s: %zd of %lu bytes in %.3f s", name, n, LEN, t);
	if (t > BOUND)
		ok = CHECK(false, "%s: took longer than %.0f s", name, BOUND);
	if (n < 0 && err != EFAULT)
		ok = CHECK(false, "%s: error %s, not EFAULT", name,
			   strerror(err));
	if (n >= 0 && n != good * (ssize_t)PAGE)
		ok = CHECK(false, "%s: wrote %zd bytes, expected EFAULT or %lu",
			   name, n, good * PAGE);
	if (n > 0) {
		off_t bad = -1;

		buf = read_direct(fd, n, off);
		if (buf)
			bad = check_pattern(buf, tag, src_off, n);
		if (!buf || bad >= 0)
			ok = CHECK(false, "%s: the written part is wrong%s",
				   name, buf ? "" : " (cannot read it back)");
		if (bad >= 0)
			diag("%s: first wrong word at byte %lld of the write: "
			     "%#llx", name, (long long)(bad - src_off),
			     (unsigned long long)*(uint64_t *)(buf + bad -
							      src_off));
		if (buf)
			munmap(buf, n);
	}
	return ok;
}

static int fresh_target(void)
{
	int fd = create_file(target_path, 9, 16 * PAGE);

	close(fd);
	return open_direct(target_path, O_RDWR);
}

static void unmapped(void)
{
	int fd = fresh_target();
	uint8_t *buf = alloc_aligned(LEN);

	munmap(buf, LEN);
	ktap_result(expect_fault("unmapped", fd, buf, 0, 0, 0, 0),
		    "unmapped_buffer", NULL);
	close(fd);
}

static void prot_none(void)
{
	int fd = fresh_target();
	uint8_t *buf = alloc_aligned(LEN);

	mprotect(buf, LEN, PROT_NONE);
	ktap_result(expect_fault("PROT_NONE", fd, buf, 0, 0, 0, 0),
		    "prot_none_buffer", NULL);
	munmap(buf, LEN);
	close(fd);
}

static void partly_unmapped(void)
{
	int fd = fresh_target();
	uint8_t *buf = alloc_aligned(LEN);

	fill_pattern(buf, 6, 0, LEN);
	munmap(buf + 2 * PAGE, 2 * PAGE);
	ktap_result(expect_fault("partly unmapped", fd, buf, 0, 2, 6, 0),
		    "partly_unmapped_buffer", NULL);
	munmap(buf, 2 * PAGE);
	close(fd);
}

/* A 4-page mapping of a 2-page file: the last two pages raise SIGBUS. */
static void other_beyond_eof(void)
{
	int fd = fresh_target();
	int ofd = create_file(other_path, 7, 2 * PAGE);
	uint8_t *m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, ofd, 0);

	if (m == MAP_FAILED) {
		ktap_result(false, "other_file_mapping_beyond_eof",
			    "mmap failed");
	} else {
		ktap_result(expect_fault("other file beyond EOF", fd, m, 0, 2,
					 7, 0),
			    "other_file_mapping_beyond_eof", NULL);
		munmap(m, LEN);
	}
	close(ofd);
	close(fd);
}

/*
 * The target file's own mapping as the source: 'prepare' makes part of it
 * unusable; the write goes to [8, 12) pages, disjoint from the source.
 */
static void self(const char *name, const char *what, int size_pages,
		 int hole, int prot, int good)
{
	int bfd = create_file(target_path, 9, size_pages * PAGE);
	int fd = open_direct(target_path, O_RDWR);
	uint8_t *m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, bfd, 0);
	bool ok = m != MAP_FAILED;

	if (ok) {
		if (hole >= 0)
			munmap(m + hole * PAGE, PAGE);
		if (prot >= 0)
			mprotect(m, LEN, prot);
		ok = expect_fault(what, fd, m, 8 * PAGE, good, 9, 0);
		munmap(m, LEN);
	}
	close(fd);
	close(bfd);
	ktap_result(ok, name, NULL);
}

/*
 * The source reaches into the range the write extends the file with:
 * i_size 2 pages, source [1, 3) pages of the file with page 1 resident,
 * target [2, 4).  The source's second page does not exist when the call
 * starts: the write fails with EFAULT (as on stock 6.12) or writes only
 * its first page, which must hold the source's page 1; never what the
 * write itself put there.
 */
static void self_into_extension(void)
{
	const char *name = "self_source_reaching_into_the_extension";
	int bfd = create_file(target_path, 9, 2 * PAGE);
	int fd = open_direct(target_path, O_RDWR);
	uint8_t *m = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, bfd, PAGE);
	struct stat st;
	uint64_t v;
	bool ok = true;
	ssize_t n;
	int err;

	if (m == MAP_FAILED) {
		ktap_result(false, name, "mmap failed");
		goto out;
	}
	probe_load((uint64_t *)m, &v);
	n = pwrite(fd, m, 2 * PAGE, 2 * PAGE);
	err = errno;
	munmap(m, 2 * PAGE);
	if (n < 0)
		diag("%s: -1 (%s)", name, strerror(err));
	else
		diag("%s: %zd of %lu bytes", name, n, 2 * PAGE);
	if (n < 0 && err != EFAULT)
		ok = CHECK(false, "error %s, not EFAULT", strerror(err));
	if (n > (ssize_t)PAGE || n == 0)
		ok = CHECK(false, "wrote %zd bytes: the source's second page "
			   "did not exist when the write started", n);
	if (!fstat(fd, &st) && st.st_size != (off_t)(2 * PAGE + (n > 0 ? n : 0)))
		ok = CHECK(false, "size %lld after writing %zd bytes",
			   (long long)st.st_size, n);
	if (n > 0) {
		uint8_t *buf = read_direct(fd, n, 2 * PAGE);

		if (!buf || check_pattern(buf, 9, PAGE, n) >= 0)
			ok = CHECK(false, "the written page is not the "
				   "source's page 1");
		if (buf)
			munmap(buf, n);
	}
	ktap_result(ok, name, NULL);
out:
	close(fd);
	close(bfd);
}

int main(void)
{
	target_path = test_path("efault_target");
	other_path = test_path("efault_other");
	ktap_begin("dio_efault", 8);
	unmapped();
	prot_none();
	partly_unmapped();
	other_beyond_eof();
	/*
	 * The target grows under its own mapping: the source pages past the
	 * old EOF must not be read back as the zeroes the write made valid.
	 */
	self("self_mapping_beyond_eof", "own mapping beyond EOF", 2, -1, -1,
	     2);
	self("self_mapping_with_hole", "own mapping with a hole", 16, 1, -1,
	     1);
	self("self_mapping_prot_none", "own mapping PROT_NONE", 16, -1,
	     PROT_NONE, 0);
	self_into_extension();
	return ktap_end();
}
