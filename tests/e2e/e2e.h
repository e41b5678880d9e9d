/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the end-to-end programs: KTAP output, files on the
 * ext2 test mount, O_DIRECT buffers, patterns, page cache residency,
 * timing, and catching SIGBUS/SIGSEGV with sigsetjmp.
 *
 * Every program prints KTAP on stdout ("KTAP version 1", "1..N",
 * "ok N name" / "not ok N name", "# SKIP reason", "# diagnostic") and
 * exits 0 when every case passed or was skipped, 1 otherwise.
 */
#ifndef E2E_H
#define E2E_H

#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGE 4096UL

/* KTAP */
void ktap_begin(const char *prog, int ncases);
void ktap_result(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ktap_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ktap_end(void);

/* Failure of a setup step: a diagnostic, and the case fails. */
#define CHECK(cond, ...) ({						\
	bool __ok = (cond);						\
	if (!__ok)							\
		diag(__VA_ARGS__);					\
	__ok;								\
})

/*
 * A broken environment: "# fatal: what arg: strerror(errno)", and the
 * program exits 1 (its missing results make the run incomplete, which
 * names the cause).
 */
void die(const char *what, const char *arg) __attribute__((noreturn));

/* Environment set by init */
const char *e2e_dir(void);		/* E2E_DIR: a directory on ext2 */
/* E2E_MECHANISM: "on" (the series) or "stock" (no series) */
const char *mechanism(void);
bool mechanism_on(void);		/* mechanism() is "on" */
/* /sys/block/<E2E_DISK>/make-it-fail: the test disk's fault switch */
const char *fail_switch(void);

/* Time */
double now(void);			/* CLOCK_MONOTONIC, seconds */

/* Files */
char *test_path(const char *name);	/* e2e_dir()/name, malloc'ed */
int open_direct(const char *path, int flags);	/* O_DIRECT, or exit */
int open_buffered(const char *path, int flags);
/* Fill [0, len) of a new file with fill_pattern(tag, offset) and sync. */
int create_file(const char *path, uint32_t tag, size_t len);
/* Write len bytes at off with O_DIRECT from an aligned copy of buf. */
bool write_direct(int fd, const void *buf, size_t len, off_t off);
/*
 * pwrite() in a thread of its own: pwrite_start() starts it in *t; once
 * the thread is joined (join_bounded()), n and err hold the result.  With
 * fail_nth > 0, the thread's fail_nth-th fault point fails
 * (fail_nth_set()), and injected tells whether the call reached it.
 */
struct bg_write {
	int fd;
	const void *buf;
	size_t len;
	off_t off;
	int fail_nth;
	ssize_t n;
	int err;
	bool injected;
	volatile bool done;
};
void pwrite_start(struct bg_write *w, pthread_t *t);
/*
 * pwrite() in a thread, waited for up to 'bound' seconds: true with *n and
 * *err set when it returned, false when it is still stuck in the kernel
 * (the thread is left behind; the process cannot clean it up).
 */
bool pwrite_bounded(int fd, const void *buf, size_t len, off_t off,
		    double bound, ssize_t *n, int *err);
/*
 * Read len bytes at off with O_DIRECT into an aligned buffer (munmap() it),
 * or NULL with a diagnostic.
 */
void *read_direct(int fd, size_t len, off_t off);
/* Drop the clean page cache of [off, off + len) (fsync + FADV_DONTNEED). */
void drop_cache(int fd, off_t off, size_t len);
/*
 * On a filesystem that maps files by extents (ext4, XFS), make page
 * 'page' of fd an unwritten extent of its own, reading zeros (punched,
 * then allocated again): a direct write across it is then more than one
 * bio, as one across ext2's last direct block is.  False, changing
 * nothing, where fallocate() is not supported (ext2).
 */
bool split_mapping_at(int fd, int page);
/* sync, then drop every clean cache of the machine (drop_caches 3). */
bool drop_all_caches(void);
/* Pages of [addr, addr + len) resident in the page cache (mincore). */
size_t resident_pages(void *addr, size_t len);

/* Write s to file (sysfs, procfs); false, with a diagnostic, when it fails. */
bool write_str(const char *file, const char *s);

/*
 * Fault injection (CONFIG_FAULT_INJECTION): fail_nth_set(n) makes the n-th
 * fault point the calling thread passes fail (0: none), with make-it-fail
 * set on a disk its n-th bio to that disk; fail_nth_fired() afterwards
 * tells whether the count reached it.
 */
bool fail_nth_set(int nth);
bool fail_nth_fired(void);

/*
 * Lines of the kernel log that contain "Page cache invalidation failure on
 * direct I/O" (stock's warning that a page survived the invalidation after
 * a direct write); -1 when the log cannot be read.
 */
int count_inval_msgs(void);

/* Aligned anonymous memory (mmap), for O_DIRECT. */
void *alloc_aligned(size_t len);

/*
 * Patterns: the 8-byte word at file offset off holds tag << 32 | off / 8,
 * so a misplaced, stale or foreign page is recognised.
 */
void fill_pattern(void *buf, uint32_t tag, off_t off, size_t len);
/* Offset of the first byte that differs from the pattern, or -1. */
off_t check_pattern(const void *buf, uint32_t tag, off_t off, size_t len);
/* Pages of buf (npages of a buffer whose source began at offset 0) not tag's. */
int pages_not_tagged(const uint8_t *buf, int npages, uint32_t tag);
/* Generation stamps: every word of each page holds gen. */
void fill_gen(void *buf, uint64_t gen, size_t len);

/* Sort n doubles (latencies, rates) into ascending order. */
void sort_doubles(double *v, size_t n);

/*
 * Catching SIGBUS and SIGSEGV: probe_load(addr, &value) loads a word and
 * returns 0, or returns the signal number when the load faulted.
 */
extern __thread sigjmp_buf probe_env;
extern __thread volatile int probe_armed;
void probe_install(void);
int probe_load(const volatile uint64_t *addr, uint64_t *value);

/*
 * A source buffer served by userfaultfd: uffd_source_map() registers len
 * bytes of anonymous memory for missing faults and starts a thread that
 * answers each one with a page read from fd at the next page offset (or,
 * with fd < 0, the pattern 'tag' at that offset), once 'gate' is set;
 * with 'serve' false it never answers.  'faulted' is set when the first
 * fault arrives.  NULL (and a diagnostic) when userfaultfd is missing.
 */
struct uffd_source {
	int fd;
	uint32_t tag;
	bool serve;
	_Atomic bool gate;
	_Atomic bool faulted;
	int uffd;
	int served;
};
void *uffd_source_map(struct uffd_source *s, size_t len);
/* Wait up to 'bound' seconds for the first fault; true when it came. */
bool uffd_source_wait_fault(struct uffd_source *s, double bound);
/*
 * The write w in a thread, held inside gup by its source s: once it has
 * faulted on s, during(arg) runs (the window), then s is served and the
 * write joined within 'bound' seconds.  False, with a diagnostic, when
 * the write never faulted, during() failed or the write did not return.
 */
bool write_in_window(struct bg_write *w, struct uffd_source *s,
		     bool (*during)(void *), void *arg, double bound);

/* Threads */
typedef void *(*thread_fn)(void *);
void start_thread(pthread_t *t, thread_fn fn, void *arg);
void join_thread(pthread_t t);
/*
 * Join n threads, all within 'seconds' from now: true when every one
 * returned, false when one is still running (a hang: the rest are left
 * behind, the process cannot clean them up).
 */
bool join_bounded(const pthread_t *t, int n, double seconds);

#endif
