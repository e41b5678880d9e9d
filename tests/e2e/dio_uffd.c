// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT writes whose source is served by a userfaultfd handler:
 *
 *  - the handler never answers: the write is stuck in its source.  A
 *    buffered reader and a faulter of the same file, at another offset,
 *    must finish, or die on SIGKILL; then the stuck writer dies on
 *    SIGKILL too;
 *  - faults that cannot be retried (futex's fault_in_user_writeable() on a
 *    MAP_SHARED page of the file, remote gup through /proc/self/mem) come
 *    while a write waits for its source, and an mmap() queues for the mmap
 *    lock behind them; then the source is served.  A write that held the
 *    target's block lock while faulting its source would need the mmap
 *    lock behind the queued mmap(), which waits for the fault, which
 *    waits for block: all three must complete;
 *  - the handler reads the target file (buffered, not cached) to serve a
 *    page: a write holding the target's block lock while its source
 *    faults would wait for the handler, and the handler for the lock;
 *    the write must complete with the right bytes (run last: a write
 *    that deadlocks cannot be cleaned up).
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define FILE_LEN	(1UL << 20)
#define LEN		(16 * PAGE)
#define TARGET		(512UL << 10)
#define TAG		6
#define BOUND		20.0
#define KILL_BOUND	5.0

static char *path;

static void served_from_the_target(void)
{
	const char *name = "write_from_a_source_served_by_reading_the_target";
	struct uffd_source h = { .tag = TAG, .serve = true, .gate = true };
	const uint8_t *src;
	bool ok = true;
	double start;
	uint8_t *buf;
	int fd, dfd, err;
	ssize_t n;

	fd = create_file(path, TAG, FILE_LEN);
	close(fd);
	ok &= CHECK(drop_all_caches(), "drop_caches failed");
	h.fd = open_buffered(path, O_RDONLY);
	posix_fadvise(h.fd, 0, 0, POSIX_FADV_RANDOM);
	src = uffd_source_map(&h, LEN);
	if (!src) {
		ktap_result(false, name, "no userfaultfd");
		return;
	}
	dfd = open_direct(path, O_RDWR);
	start = now();
	if (!pwrite_bounded(dfd, src, LEN, TARGET, BOUND, &n, &err)) {
		ktap_result(false, name, "the write did not complete in %.0f s",
			    BOUND);
		fflush(stdout);
		_exit(ktap_end());
	}
	diag("write: %zd of %lu bytes in %.3f s, %d pages served", n, LEN,
	     now() - start, h.served);
	ok &= CHECK(n == (ssize_t)LEN, "the write returned %zd (%s)", n,
		    n < 0 ? strerror(err) : "short");
	buf = read_direct(dfd, LEN, TARGET);
	if (!buf || check_pattern(buf, TAG, 0, LEN) >= 0)
		ok = CHECK(false, "the target does not hold the served bytes");
	if (buf)
		munmap(buf, LEN);
	close(dfd);
	close(h.fd);
	close(h.uffd);
	ktap_result(ok, name, NULL);
}

/* Wait up to 'bound' seconds for pid; true when it ended. */
static bool reaped(pid_t pid, double bound)
{
	double start = now();
	int status;

	while (now() - start < bound) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		usleep(10000);
	}
	return false;
}

/* A child that ends by itself or on SIGKILL; false when it does neither. */
static bool ends(const char *what, pid_t pid)
{
	if (reaped(pid, 2.0)) {
		diag("the %s finished by itself", what);
		return true;
	}
	kill(pid, SIGKILL);
	if (reaped(pid, KILL_BOUND)) {
		diag("the %s was blocked and died on SIGKILL", what);
		return true;
	}
	return CHECK(false, "the %s is blocked and does not die on SIGKILL",
		     what);
}

static void stuck_source(void)
{
	const char *name = "readers_behind_a_stuck_source_finish_or_die_on_sigkill";
	pid_t w, r, f;
	bool ok = true;
	int fd;

	fd = create_file(path, TAG, FILE_LEN);
	close(fd);
	ok &= CHECK(drop_all_caches(), "drop_caches failed");
	w = fork();
	if (w == 0) {
		struct uffd_source h = { .fd = -1, .tag = TAG };
		const void *src;
		int dfd;

		src = uffd_source_map(&h, LEN);
		dfd = open_direct(path, O_RDWR);
		if (src && pwrite(dfd, src, LEN, TARGET) < 0)
			_exit(1);
		_exit(0);
	}
	usleep(500000);
	r = fork();
	if (r == 0) {
		uint8_t *buf = alloc_aligned(PAGE);
		int bfd = open_buffered(path, O_RDONLY);

		_exit(pread(bfd, buf, PAGE, 0) == (ssize_t)PAGE ? 0 : 1);
	}
	ok &= ends("buffered reader", r);
	f = fork();
	if (f == 0) {
		int bfd = open_buffered(path, O_RDONLY);
		volatile uint8_t *m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED,
					   bfd, 4 * PAGE);

		_exit(m != MAP_FAILED && m[0] == m[0] ? 0 : 1);
	}
	ok &= ends("faulter", f);
	kill(w, SIGKILL);
	if (!reaped(w, KILL_BOUND))
		ok = CHECK(false, "the stuck writer does not die on SIGKILL");
	ktap_result(ok, name, NULL);
}

static atomic_bool fault_failed;

/* A fault that cannot be retried: FUTEX_WAKE_OP on a page not mapped. */
static void *futex_fault(void *addr)
{
	static uint32_t word1;
	long r;

	r = syscall(SYS_futex, &word1, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1,
		    (void *)1UL, addr,
		    FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
	if (r < 0) {
		diag("futex(FUTEX_WAKE_OP): %s", strerror(errno));
		atomic_store(&fault_failed, true);
	}
	return NULL;
}

/* Remote gup (get_user_pages_remote() without @locked): /proc/self/mem. */
static void *remote_gup(void *addr)
{
	int fd = open("/proc/self/mem", O_RDONLY);
	uint64_t v;
	ssize_t n = -1;

	if (fd >= 0)
		n = pread(fd, &v, sizeof(v), (off_t)(uintptr_t)addr);
	if (n != sizeof(v)) {
		diag("pread /proc/self/mem: %zd (%s)", n, strerror(errno));
		atomic_store(&fault_failed, true);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* A writer of the mmap lock: an mmap() and munmap(). */
static void *mapper(void *arg)
{
	void *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	(void)arg;
	if (m == MAP_FAILED) {
		diag("mmap: %s", strerror(errno));
		atomic_store(&fault_failed, true);
	} else {
		munmap(m, PAGE);
	}
	return NULL;
}

static void no_retry_fault(const char *name, thread_fn fault)
{
	struct uffd_source h = { .fd = -1, .tag = TAG, .serve = true };
	struct bg_write w = { .len = LEN, .off = TARGET };
	pthread_t t[3];
	void *page;
	bool ok = true;
	uint8_t *buf;
	int fd;

	atomic_store(&fault_failed, false);
	fd = create_file(path, TAG, FILE_LEN);
	ok &= CHECK(drop_all_caches(), "drop_caches failed");
	/* Page 4 of the file: mapped, not in the page tables nor cached. */
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    4 * PAGE);
	w.buf = uffd_source_map(&h, LEN);
	if (page == MAP_FAILED || !w.buf) {
		ktap_result(false, name, "setup");
		return;
	}
	w.fd = open_direct(path, O_RDWR);
	pwrite_start(&w, &t[0]);
	ok &= CHECK(uffd_source_wait_fault(&h, 5.0), "the write never faulted");
	start_thread(&t[1], fault, page);
	usleep(300000);
	start_thread(&t[2], mapper, NULL);
	usleep(300000);
	atomic_store(&h.gate, true);
	if (!join_bounded(t, 3, BOUND)) {
		ktap_result(false, name, "the write, the fault or the mmap() "
			    "did not complete in %.0f s", BOUND);
		fflush(stdout);
		_exit(ktap_end());
	}
	diag("%s: write %zd of %lu bytes, %d pages served", name, w.n, LEN,
	     h.served);
	ok &= CHECK(w.n == (ssize_t)LEN, "the write returned %zd (%s)", w.n,
		    w.n < 0 ? strerror(w.err) : "short");
	ok &= CHECK(!atomic_load(&fault_failed), "the fault or mmap() failed");
	buf = read_direct(w.fd, LEN, TARGET);
	if (!buf || check_pattern(buf, TAG, 0, LEN) >= 0)
		ok = CHECK(false, "the target does not hold the served bytes");
	if (buf)
		munmap(buf, LEN);
	munmap(page, PAGE);
	close(w.fd);
	close(fd);
	close(h.uffd);
	ktap_result(ok, name, NULL);
}

int main(void)
{
	path = test_path("uffd_target");
	ktap_begin("dio_uffd", 4);
	stuck_source();
	no_retry_fault("futex_fault_behind_a_waiting_write_completes",
		       futex_fault);
	no_retry_fault("remote_gup_behind_a_waiting_write_completes",
		       remote_gup);
	served_from_the_target();
	return ktap_end();
}
