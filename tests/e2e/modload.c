// SPDX-License-Identifier: GPL-2.0
/*
 * Load a kernel module and copy what the kernel logged while it loaded
 * into the KTAP output, for make bench (tests/e2e/lock-bench-plan): the
 * page cache lock benchmark (bench/) measures in its init function.
 *
 *   modload FILE.ko [PARAMETERS]
 *
 * One case, passing when finit_module(2) returned 0; each kernel log
 * record written meanwhile is a diagnostic line ("# pcl-bench: {...}").
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The records of /dev/kmsg from fd on, each as a diagnostic. */
static void copy_kmsg(int fd)
{
	char rec[8192];
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 &&
							      errno == EPIPE)) {
		char *msg, *nl;

		if (n < 0)
			continue;	/* records overwritten: go on */
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		diag("%s", msg);
	}
}

int main(int argc, char **argv)
{
	const char *params = argc > 2 ? argv[2] : "";
	const char *name;
	double start;
	int fd, kmsg, ret, err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: modload FILE.ko [PARAMETERS]\n");
		return 2;
	}
	name = strrchr(argv[1], '/');
	name = name ? name + 1 : argv[1];
	ktap_begin("modload", 1);

	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg < 0)
		diag("/dev/kmsg: %s: the kernel log is not copied",
		     strerror(errno));
	else
		lseek(kmsg, 0, SEEK_END);
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ktap_result(false, "module_loads", "%s: %s", argv[1],
			    strerror(errno));
		return ktap_end();
	}
	start = now();
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	if (kmsg >= 0) {
		copy_kmsg(kmsg);
		close(kmsg);
	}
	if (ret)
		ktap_result(false, "module_loads", "finit_module(%s): %s",
			    name, strerror(err));
	else
		ktap_result(true, "module_loads", "%s loaded in %.1f s", name,
			    now() - start);
	return ktap_end();
}
