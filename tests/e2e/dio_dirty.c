// SPDX-License-Identifier: GPL-2.0
/*
 * A page of the target dirtied through a MAP_SHARED mapping while an
 * O_DIRECT write to it is in flight: the demonstration of what stock
 * 6.12 gets wrong.
 *
 * The window is held open deterministically: the write's source is served
 * by userfaultfd, and a store goes to page STORE of the target range
 * through a shared mapping once the write has faulted on its source.
 * Then the source is served and the write completes.
 *
 * Stock 6.12 invalidates the range before
 * pinning the source: the store caches and dirties the page behind the
 * write, the invalidation after the write fails on it ("Page cache
 * invalidation failure on direct I/O"), fsync reports EIO, buffered reads
 * after the write returned see the old bytes, and writeback later puts
 * them back on disk over the new ones: a lost write.
 *
 * With the mechanism on, the write pins its source before it takes the
 * lock and invalidates: the store lands before the write, which then
 * writes the page back, drops it and overwrites it.  fsync succeeds,
 * every read after the write returns the new bytes, on disk too.
 *
 * The case passes when the mechanism is on and nothing is lost, and,
 * on stock, when the loss is seen: a kernel without the
 * series that stops losing the write is reported, not passed silently.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NPAGES		16
#define TARGET		4		/* first page of the write */
#define LEN_PAGES	4
#define LEN		(LEN_PAGES * PAGE)
#define STORE		(TARGET + 1)	/* the page dirtied meanwhile */
#define OLD_TAG		1
#define NEW_TAG		2
#define STORED		0x5707ed5707ed5707ULL
#define BOUND		20.0

struct outcome {
	ssize_t written;
	int fsync_err;		/* 0 or errno */
	int stale_after_return;	/* pages of a buffered read not NEW */
	int inval_msgs;		/* invalidation failure messages it added */
	int lost_on_disk;	/* pages on disk not NEW after writeback */
};

/* The window: a store through the shared mapping, to page STORE. */
static bool store(void *map)
{
	*(volatile uint64_t *)((uint8_t *)map + STORE * PAGE) = STORED;
	return true;
}

static bool dirty_during_write(const char *path, struct outcome *o)
{
	struct uffd_source src = { .fd = -1, .tag = NEW_TAG, .serve = true };
	struct bg_write w = { .len = LEN, .off = TARGET * PAGE };
	int fd, msgs_before;
	uint8_t *map, *buf;

	fd = create_file(path, OLD_TAG, NPAGES * PAGE);
	if (!CHECK(drop_all_caches(), "drop_caches failed"))
		return false;
	map = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	w.buf = uffd_source_map(&src, LEN);
	if (map == MAP_FAILED || !w.buf)
		return CHECK(false, "setup: mmap or userfaultfd failed");
	w.fd = open_direct(path, O_RDWR);
	msgs_before = count_inval_msgs();

	if (!write_in_window(&w, &src, store, map, BOUND))
		return false;
	o->written = w.n;
	if (w.n != (ssize_t)LEN)
		diag("the write returned %zd (%s)", w.n,
		     w.n < 0 ? strerror(w.err) : "short");

	o->fsync_err = fsync(fd) ? errno : 0;
	buf = alloc_aligned(LEN);
	if (pread(fd, buf, LEN, TARGET * PAGE) != (ssize_t)LEN)
		return CHECK(false, "buffered pread: %s", strerror(errno));
	o->stale_after_return = pages_not_tagged(buf, LEN_PAGES, NEW_TAG);
	o->inval_msgs = msgs_before < 0 ? -1 :
			count_inval_msgs() - msgs_before;

	/* Writeback of whatever is dirty, then the disk's own bytes. */
	munmap(map, NPAGES * PAGE);
	close(fd);
	if (!CHECK(drop_all_caches(), "drop_caches failed"))
		return false;
	munmap(buf, LEN);
	buf = read_direct(w.fd, LEN, TARGET * PAGE);
	if (!buf)
		return false;
	o->lost_on_disk = pages_not_tagged(buf, LEN_PAGES, NEW_TAG);
	munmap(buf, LEN);
	close(w.fd);
	close(src.uffd);
	return true;
}

int main(void)
{
	const char *name = "write_over_a_page_dirtied_during_the_write";
	struct outcome o = { 0 };
	bool lost, ok;

	ktap_begin("dio_dirty", 1);
	if (!dirty_during_write(test_path("dirty"), &o)) {
		ktap_result(false, name, "did not run");
		return ktap_end();
	}
	diag("write %zd of %lu bytes; fsync: %s; pages stale after return: "
	     "%d; \"invalidation failure\" messages: %d; pages lost on disk: "
	     "%d", o.written, LEN, o.fsync_err ? strerror(o.fsync_err) : "ok",
	     o.stale_after_return, o.inval_msgs, o.lost_on_disk);
	diag("figures: fsync_errors=%d lost_pages_on_disk=%d",
	     o.fsync_err != 0, o.lost_on_disk);
	diag("stale_reads mode=%s total=%d (dirtied during the write)",
	     mechanism(), o.stale_after_return);
	/* inval_msgs is -1 when the log could not be read: not a pass. */
	lost = o.fsync_err || o.stale_after_return || o.inval_msgs != 0 ||
	       o.lost_on_disk;
	if (mechanism_on()) {
		ok = o.written == (ssize_t)LEN && !lost;
		ktap_result(ok, name, NULL);
	} else {
		ok = o.lost_on_disk > 0 && o.fsync_err == EIO;
		if (!ok)
			diag("expected on stock: the "
			     "write lost on disk and fsync EIO; it was not");
		ktap_result(ok, name, "mechanism %s: the stock failure is "
			    "expected", mechanism());
	}
	return ktap_end();
}
