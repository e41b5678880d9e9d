// SPDX-License-Identifier: GPL-2.0
/*
 * O_DIRECT writes whose source is served by a userfaultfd handler:
 *
 *  - the handler never answers: the write is stuck in its source.  A
 *    buffered reader and a faulter of the same file, at another offset,
 *    must finish, or die on SIGKILL; then the stuck writer dies on
 *    SIGKILL too;
 *  - the handler reads the target file (buffered, not cached) to serve a
 *    page: a write holding the target's block lock while its source
 *    faults would wait for the handler, and the handler for the lock;
 *    the write must complete with the right bytes (run last: a write
 *    that deadlocks cannot be cleaned up).
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

struct handler {
	int uffd, fd;
	bool serve;
	int served;
};

/* Serve each missing page from the file at its offset in the region. */
static void *handle(void *arg)
{
	struct handler *h = arg;
	uint8_t *page = alloc_aligned(PAGE);
	struct uffd_msg msg;

	for (;;) {
		struct uffdio_copy copy;
		unsigned long addr;

		if (read(h->uffd, &msg, sizeof(msg)) != sizeof(msg))
			break;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (!h->serve) {
			pause();
			continue;
		}
		addr = msg.arg.pagefault.address & ~(PAGE - 1);
		if (pread(h->fd, page, PAGE, h->served * PAGE) != (ssize_t)PAGE)
			memset(page, 0, PAGE);
		copy.dst = addr;
		copy.src = (unsigned long)page;
		copy.len = PAGE;
		copy.mode = 0;
		copy.copy = 0;
		if (ioctl(h->uffd, UFFDIO_COPY, &copy))
			break;
		h->served++;
	}
	return NULL;
}

/* A 16-page region registered for missing faults with a handler. */
static void *uffd_region(struct handler *h, pthread_t *t)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	void *region;

	h->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (h->uffd < 0)
		return CHECK(false, "userfaultfd: %s (CONFIG_USERFAULTFD?)",
			     strerror(errno)), NULL;
	if (ioctl(h->uffd, UFFDIO_API, &api))
		return CHECK(false, "UFFDIO_API: %s", strerror(errno)), NULL;
	region = alloc_aligned(LEN);
	reg.range.start = (unsigned long)region;
	reg.range.len = LEN;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg))
		return CHECK(false, "UFFDIO_REGISTER: %s", strerror(errno)),
		       NULL;
	start_thread(t, handle, h);
	return region;
}

static void served_from_the_target(void)
{
	const char *name = "write_from_a_source_served_by_reading_the_target";
	struct handler h = { .serve = true };
	const uint8_t *src;
	pthread_t ht;
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
	src = uffd_region(&h, &ht);
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
		struct handler h = { .serve = false };
		const void *src;
		pthread_t ht;
		int dfd;

		src = uffd_region(&h, &ht);
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

int main(void)
{
	path = test_path("uffd_target");
	ktap_begin("dio_uffd", 2);
	stuck_source();
	served_from_the_target();
	return ktap_end();
}
