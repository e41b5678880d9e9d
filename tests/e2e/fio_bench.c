// SPDX-License-Identifier: GPL-2.0
/*
 * make bench, fio part: run fio on the test mount, once per job file
 * named on the command line (/fio/<job>.fio), each after the caches are
 * dropped, with its JSON report in /out/fio-<job>.json.  fio is Debian's
 * dynamic binary, copied with its libraries into /fio by the tools and
 * started through the dynamic loader (/fio/ld.so --library-path /fio/lib),
 * so the root needs no library layout of its own.  The runtime of each
 * job is PCL_FIO_RUNTIME seconds (the job files read it), from the
 * pcl_fio.runtime=N kernel parameter, default 5.
 *
 * KTAP: one case per job, ok when fio exited 0 and wrote its report.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNTIME_PARAM	"pcl_fio.runtime="
#define RUNTIME_DEFAULT	5

static int runtime(void)
{
	char cmdline[4096] = "";
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, cmdline, sizeof(cmdline) - 1);
	const char *p;
	int v;

	if (fd >= 0)
		close(fd);
	if (n > 0)
		cmdline[n] = 0;
	p = strstr(cmdline, RUNTIME_PARAM);
	v = p ? atoi(p + strlen(RUNTIME_PARAM)) : 0;
	return v > 0 && v <= 600 ? v : RUNTIME_DEFAULT;
}

static bool run_job(const char *job)
{
	char file[256], output[256];
	struct stat st;
	int wstatus;
	pid_t pid;

	snprintf(file, sizeof(file), "/fio/%s.fio", job);
	snprintf(output, sizeof(output), "--output=/out/fio-%s.json", job);
	if (!CHECK(!stat(file, &st), "%s: %s", file, strerror(errno)))
		return false;
	drop_all_caches();
	pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		if (chdir(e2e_dir()))
			_exit(126);
		execl("/fio/ld.so", "ld.so", "--library-path", "/fio/lib",
		      "/fio/fio", "--output-format=json", output, file,
		      (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &wstatus, 0) != pid)
		die("waitpid", job);
	snprintf(output, sizeof(output), "/out/fio-%s.json", job);
	return CHECK(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
		     "fio %s: %s %d", job, WIFEXITED(wstatus) ?
		     "exit status" : "signal", WIFEXITED(wstatus) ?
		     WEXITSTATUS(wstatus) : WTERMSIG(wstatus)) &&
	       CHECK(!stat(output, &st) && st.st_size > 0, "%s: no report",
		     output);
}

int main(int argc, char **argv)
{
	char seconds[16];
	int i;

	ktap_begin("fio_bench", argc - 1);
	snprintf(seconds, sizeof(seconds), "%d", runtime());
	setenv("PCL_FIO_RUNTIME", seconds, 1);
	diag("runtime %s s per job", seconds);
	for (i = 1; i < argc; i++)
		ktap_result(run_job(argv[i]), argv[i], NULL);
	return ktap_end();
}
