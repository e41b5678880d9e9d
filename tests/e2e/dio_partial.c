// SPDX-License-Identifier: GPL-2.0
/*
 * An O_DIRECT write that fails part way while pages of its range are
 * cached: the demonstration of what stock 6.12 gets wrong on an I/O error.
 *
 * Stock iomap_dio_rw() invalidates the page cache of the range before the
 * write and, after it, only when the write succeeded: a failed bio skips
 * kiocb_invalidate_post_direct_write().  A page cached while the write is
 * in flight keeps its old bytes, while the disk holds the new bytes of the
 * bios that succeeded: after the call returned, a buffered read and an
 * O_DIRECT read of the same page disagree until the page is evicted.
 *
 * The window is held open deterministically: the write's source is served
 * by userfaultfd, and once the write has faulted on its source a buffered
 * read caches the whole range (old bytes, those of the disk); then the
 * source is served.  The write, pages [8, 16) of a 16-page file, crosses
 * ext2's last direct block, or on ext4 and XFS a page made an unwritten
 * extent of its own, so it is more than one bio; the n-th bio of the
 * writing thread fails (fail-nth, make-it-fail on the test disk), for every
 * n until the call submits fewer than n bios, each round on a fresh file.
 *
 * With the mechanism on, the write pins its source before it takes the
 * lock and invalidates, and holds the lock during the I/O: the pages cached
 * while it waited for its source are dropped, none is added until it
 * returns, and every cached page after the call equals the disk.
 *
 * Each round also reports fsync after the call and the pages the call
 * reported written that are not on disk once the caches are dropped.
 *
 * The case passes with the mechanism on when no page is stale, none the
 * call reported written is missing from the disk, and some round failed
 * part way (the control: the injection reached the write),
 * and, on stock, when stale pages are seen: a kernel without
 * the series that stops showing them is reported, not passed silently.
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
#define TARGET		8		/* first page of the write */
#define LEN_PAGES	8
#define SPLIT		12		/* ext2's first indirect block */
#define LEN		(LEN_PAGES * PAGE)
#define OLD_TAG		1
#define NEW_TAG		2
#define MAX_NTH		24
#define BOUND		20.0
#define CASE		"partly_failed_write_leaves_no_stale_page_cache"
#define CONTROL		"disk_check_counts_a_page_put_back_to_old_bytes"

struct round {
	ssize_t written;
	int err;
	bool injected;		/* the call submitted an nth bio */
	int new_on_disk;	/* pages the write put on disk */
	int stale;		/* cached pages that differ from the disk */
	int inval_msgs;		/* "invalidation failure" lines it added */
	int fsync_err;		/* fsync after the call: 0 or errno */
	int lost_on_disk;	/* pages reported written, not new on disk */
};

struct cache_read {
	int fd;
	uint8_t *buf;
};

/* The window: the whole target read into the page cache. */
static bool cache_range(void *arg)
{
	struct cache_read *c = arg;

	return CHECK(pread(c->fd, c->buf, LEN, TARGET * PAGE) == (ssize_t)LEN,
		     "buffered pread during the write: %s", strerror(errno));
}

/*
 * One write with its nth bio failing (none for 0), pages cached during the
 * write; with lose_page, the first page of the range is put back to its old
 * bytes on disk after the call (the control of the disk check).
 */
static bool one(const char *path, int nth, bool lose_page, struct round *r)
{
	static uint8_t old_page[PAGE];
	struct uffd_source src = { .fd = -1, .tag = NEW_TAG, .serve = true };
	struct bg_write w = { .len = LEN, .off = TARGET * PAGE,
			      .fail_nth = nth };
	uint8_t *cached, *disk;
	struct cache_read reader;
	int bfd, msgs, p;
	void *source;

	bfd = create_file(path, OLD_TAG, FILE_PAGES * PAGE);
	split_mapping_at(bfd, SPLIT);
	if (!CHECK(drop_all_caches(), "drop_caches failed"))
		return false;
	source = uffd_source_map(&src, LEN);
	if (!source)
		return false;
	w.buf = source;
	w.fd = open_direct(path, O_RDWR);
	cached = alloc_aligned(LEN);
	msgs = count_inval_msgs();

	reader = (struct cache_read){ .fd = bfd, .buf = cached };
	if (!write_in_window(&w, &src, cache_range, &reader, BOUND))
		return false;
	r->written = w.n;
	r->err = w.err;
	r->injected = w.injected;

	/* After the call: what the page cache serves, then the disk. */
	if (!CHECK(pread(bfd, cached, LEN, TARGET * PAGE) == (ssize_t)LEN,
		   "buffered pread after the write: %s", strerror(errno)))
		return false;
	disk = read_direct(w.fd, LEN, TARGET * PAGE);
	if (!disk)
		return false;
	r->inval_msgs = msgs < 0 ? -1 : count_inval_msgs() - msgs;
	r->stale = 0;
	for (p = 0; p < LEN_PAGES; p++)
		r->stale += !!memcmp(cached + p * PAGE, disk + p * PAGE, PAGE);
	r->new_on_disk = LEN_PAGES - pages_not_tagged(disk, LEN_PAGES,
						      NEW_TAG);
	munmap(disk, LEN);
	r->fsync_err = fsync(bfd) ? errno : 0;
	if (lose_page) {
		fill_pattern(old_page, OLD_TAG, TARGET * PAGE, PAGE);
		if (!write_direct(w.fd, old_page, PAGE, TARGET * PAGE))
			return false;
	}

	/*
	 * The disk after the caches are dropped: every page the call reported
	 * written must hold the new bytes (a short write reports a prefix).
	 */
	if (!CHECK(drop_all_caches(), "drop_caches failed"))
		return false;
	disk = read_direct(w.fd, LEN, TARGET * PAGE);
	if (!disk)
		return false;
	r->lost_on_disk = pages_not_tagged(disk, w.n > 0 ? w.n / PAGE : 0,
					   NEW_TAG);
	munmap(disk, LEN);
	munmap(cached, LEN);
	close(src.uffd);
	munmap(source, LEN);
	close(w.fd);
	close(bfd);
	return true;
}

static void partly_failed_write(void)
{
	char *path = test_path("partial");
	int nth, stale = 0, partial = 0, msgs = 0, rounds = 0;
	int fsync_errs = 0, lost = 0;
	struct round r = { .injected = true };
	bool ok = true;

	for (nth = 1; nth <= MAX_NTH && r.injected; nth++) {
		if (!one(path, nth, false, &r)) {
			ok = false;
			break;
		}
		rounds++;
		diag("fail bio %d: %zd (%s)%s; pages new on disk: %d, stale "
		     "after return: %d; \"invalidation failure\" messages: %d; "
		     "fsync: %s; pages lost on disk: %d",
		     nth, r.written, r.written < 0 ? strerror(r.err) :
		     r.written == (ssize_t)LEN ? "full" : "short",
		     r.injected ? "" : ", no such bio", r.new_on_disk, r.stale,
		     r.inval_msgs, r.fsync_err ? strerror(r.fsync_err) : "ok",
		     r.lost_on_disk);
		lost += r.lost_on_disk;
		fsync_errs += r.fsync_err != 0;
		if (r.written == (ssize_t)LEN)
			continue;
		stale += r.stale;
		msgs += r.inval_msgs;
		partial += r.injected && r.new_on_disk > 0;
	}
	if (ok && r.injected)
		ok = CHECK(false, "the write still submitted bio %d", MAX_NTH);
	diag("figures: rounds_failed_part_way=%d fsync_errors=%d "
	     "lost_pages_on_disk=%d", partial, fsync_errs, lost);
	diag("stale_reads mode=%s total=%d (partly failed write)",
	     mechanism(), stale);
	diag("%d rounds, %d failed part way; stale pages after return: %d; "
	     "\"invalidation failure\" messages: %d", rounds, partial, stale,
	     msgs);
	if (mechanism_on()) {
		ok = ok && CHECK(partial > 0, "no round failed part way") &&
		     !stale && CHECK(!lost, "bytes reported written are not "
				     "on disk");
		ktap_result(ok, CASE, NULL);
	} else {
		ok = ok && stale > 0;
		if (!ok)
			diag("expected on stock: stale "
			     "pages after a write that failed part way; none");
		ktap_result(ok, CASE, "mechanism %s: the stock failure is "
			    "expected", mechanism());
	}
}

/*
 * The control of the disk check: a write that succeeds, then its first
 * page put back to the old bytes on disk behind the page cache, as
 * writeback of a stale page does to a lost write.  The check must count
 * that page and no other.
 */
static void disk_check_control(void)
{
	char *path = test_path("partial-control");
	struct round r = { 0 };
	bool ok = one(path, 0, true, &r);

	diag("control: a full write (%zd) with its first page put back to "
	     "the old bytes; pages lost on disk: %d", r.written,
	     r.lost_on_disk);
	ok = ok && CHECK(r.written == (ssize_t)LEN, "the write was short") &&
	     CHECK(r.lost_on_disk == 1, "the check counted %d pages, not 1",
		   r.lost_on_disk);
	ktap_result(ok, CONTROL, NULL);
	free(path);
}

int main(void)
{
	struct statvfs st;

	ktap_begin("dio_partial", 2);
	if (statvfs(e2e_dir(), &st) || st.f_bsize != 4096 ||
	    access("/proc/thread-self/fail-nth", W_OK) ||
	    !write_str(fail_switch(), "1")) {
		ktap_result(false, CASE,
			    "needs 4 KiB blocks, CONFIG_FAIL_MAKE_REQUEST");
		ktap_result(false, CONTROL, "not run");
		return ktap_end();
	}
	partly_failed_write();
	disk_check_control();
	write_str(fail_switch(), "0");
	return ktap_end();
}
