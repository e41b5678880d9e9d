// SPDX-License-Identifier: GPL-2.0
/*
 * An O_DIRECT write whose source can only be faulted in by another task
 * adding folios to the target file: the target is the backing file of a
 * loop device (buffered, the default), and the source is a mapping of
 * that loop device.  Faulting the source makes the loop worker read the
 * backing file through its page cache.  A write that holds the target's
 * block lock while it faults its source in waits for the worker, and the
 * worker for the lock: the write must complete, with the right bytes.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define BACKING		(4UL << 20)
#define LEN		(16 * PAGE)
#define TARGET		(1UL << 20)
#define TAG		5
#define BOUND		30.0

static int attach(const char *backing, char *dev, size_t devlen)
{
	struct loop_config cfg;
	int ctl, nr, lfd, bfd;

	ctl = open("/dev/loop-control", O_RDWR);
	if (ctl < 0)
		return CHECK(false, "/dev/loop-control: %s (CONFIG_BLK_DEV_LOOP?)",
			     strerror(errno)), -1;
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (nr < 0)
		return CHECK(false, "LOOP_CTL_GET_FREE: %s", strerror(errno)),
		       -1;
	snprintf(dev, devlen, "/dev/loop%d", nr);
	lfd = open(dev, O_RDWR);
	bfd = open(backing, O_RDWR);
	if (lfd < 0 || bfd < 0)
		return CHECK(false, "open %s: %s", lfd < 0 ? dev : backing,
			     strerror(errno)), -1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = bfd;
	if (ioctl(lfd, LOOP_CONFIGURE, &cfg)) {
		CHECK(false, "LOOP_CONFIGURE %s: %s", dev, strerror(errno));
		close(lfd);
		lfd = -1;
	}
	close(bfd);
	return lfd;
}

int main(void)
{
	const char *name = "write_from_a_loop_device_over_the_target";
	char *backing = test_path("loop_backing");
	const uint8_t *src;
	char dev[32];
	bool ok = true;
	double start;
	uint8_t *buf;
	int fd, lfd, dfd, err;
	ssize_t n;

	ktap_begin("dio_loop", 1);
	fd = create_file(backing, TAG, BACKING);
	close(fd);
	lfd = attach(backing, dev, sizeof(dev));
	if (lfd < 0) {
		ktap_result(false, name, "no loop device");
		return ktap_end();
	}
	ok &= CHECK(drop_all_caches(), "drop_caches failed");
	src = mmap(NULL, LEN, PROT_READ, MAP_SHARED, lfd, 0);
	if (src == MAP_FAILED) {
		ktap_result(false, name, "mmap %s: %s", dev, strerror(errno));
		return ktap_end();
	}
	ok &= CHECK(resident_pages((void *)src, LEN) == 0,
		    "the source is resident before the write");
	dfd = open_direct(backing, O_RDWR);

	start = now();
	if (!pwrite_bounded(dfd, src, LEN, TARGET, BOUND, &n, &err)) {
		ktap_result(false, name, "the write did not complete in %.0f s",
			    BOUND);
		return ktap_end();
	}
	diag("write: %zd of %lu bytes in %.3f s%s%s", n, LEN, now() - start,
	     n < 0 ? ": " : "", n < 0 ? strerror(err) : "");
	ok &= CHECK(n == (ssize_t)LEN, "the write returned %zd", n);
	buf = read_direct(dfd, LEN, TARGET);
	if (!buf || check_pattern(buf, TAG, 0, LEN) >= 0)
		ok = CHECK(false, "the target does not hold the source's bytes");
	if (buf)
		munmap(buf, LEN);
	munmap((void *)src, LEN);
	ioctl(lfd, LOOP_CLR_FD);
	close(lfd);
	close(dfd);
	ktap_result(ok, name, NULL);
	return ktap_end();
}
