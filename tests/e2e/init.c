// SPDX-License-Identifier: GPL-2.0
/*
 * init of the end-to-end kernels: UML booted from a hostfs root, or QEMU
 * booted from an ext2 root image.
 *
 * Mounts the test disk on /mnt (pcl_e2e.disk=NAME on the kernel command
 * line, default ubda, block device 98:0), as pcl_e2e.fs=ext2|ext4|xfs
 * (default ext2), reads /plan (lines
 * "name timeout-seconds program [args...]", '#' comments), and runs
 * each program from /bin with its stdout in /out/<name>.ktap and in its
 * environment E2E_DIR=/mnt/<name>, E2E_DISK=<the disk's name>, E2E_FS=<the
 * filesystem> and
 * E2E_MECHANISM=on|stock ("stock" when the kernel command line has
 * pcl_e2e.stock=1, which the tools pass to the kernel built without the
 * series).  A program that runs
 * past its time limit is killed (SIGKILL to its process group).  /out/status
 * records "start <name>" and "end <name> <how> <seconds>" lines, written
 * through to the host as they happen, so a hang can be named even when the
 * whole machine has to be killed.  Then sync, unmount, and power off
 * (UML), or reboot with pcl_e2e.exit=reboot (QEMU runs with -no-reboot
 * and has no power-off device).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DISK_PARAM	"pcl_e2e.disk="
#define DISK_DEFAULT	"ubda"
#define FS_PARAM	"pcl_e2e.fs="
#define FS_DEFAULT	"ext2"
#define REBOOT_PARAM	"pcl_e2e.exit=reboot"
#define STOCK_PARAM	"pcl_e2e.stock=1"
#define MNT		"/mnt"
/*
 * Seconds a killed program may take to go: pcl_e2e.kill_grace=N on the
 * kernel command line (tools/pcltools/e2e/machine.py, KILL_GRACE, which
 * also sizes the wall-clock limit of the boot), else this default.
 */
#define KILL_GRACE_PARAM	"pcl_e2e.kill_grace="
#define KILL_GRACE_DEFAULT	10
#define MAX_ARGS	16

static int status_fd = -1;
static volatile sig_atomic_t alarmed;
static char disk[32] = DISK_DEFAULT;
static char fstype[16] = FS_DEFAULT;
static bool reboot_to_exit;

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("e2e: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void status(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || status_fd < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(status_fd, line, n) != n)
		say("cannot write /out/status: %s", strerror(errno));
	fsync(status_fd);
}

static void __attribute__((noreturn)) power_off(bool clean)
{
	if (clean) {
		sync();
		if (umount(MNT))
			say("umount %s: %s", MNT, strerror(errno));
	}
	status(clean ? "done" : "abort");
	sync();
	say("powering off");
	reboot(reboot_to_exit ? RB_AUTOBOOT : RB_POWER_OFF);
	for (;;)
		pause();
}

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup_console(void)
{
	int fd;

	mkdir("/dev", 0755);
	if (access("/dev/console", F_OK))
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (fcntl(1, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static unsigned int kill_grace = KILL_GRACE_DEFAULT;

static void read_cmdline(char *buf, size_t len)
{
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
}

static bool stock_kernel(const char *cmdline)
{
	return strstr(cmdline, STOCK_PARAM) != NULL;
}

/*
 * The word after param= on the kernel command line into buf, when there is
 * one that fits; buf is left as it is otherwise.  pcl_e2e.disk=NAME: the
 * test disk under /dev and /sys/block; pcl_e2e.fs=TYPE: its filesystem.
 */
static void param_of(const char *cmdline, const char *param, char *buf,
		     size_t size)
{
	const char *p = strstr(cmdline, param);
	size_t n;

	if (!p)
		return;
	p += strlen(param);
	n = strcspn(p, " \n");
	if (n > 0 && n < size)
		snprintf(buf, size, "%.*s", (int)n, p);
}

static unsigned int grace_of(const char *cmdline)
{
	const char *p = strstr(cmdline, KILL_GRACE_PARAM);
	unsigned long v;
	char *end;

	if (!p)
		return KILL_GRACE_DEFAULT;
	v = strtoul(p + strlen(KILL_GRACE_PARAM), &end, 10);
	return v > 0 && v < 3600 ? (unsigned int)v : KILL_GRACE_DEFAULT;
}

static bool mount_disk(void)
{
	char dev[64];

	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	mkdir(MNT, 0755);
	if (access(dev, F_OK) && !strcmp(disk, DISK_DEFAULT) &&
	    mknod(dev, S_IFBLK | 0600, makedev(98, 0)))
		say("mknod %s: %s", dev, strerror(errno));
	if (mount(dev, MNT, fstype, 0, NULL)) {
		say("mount %s on %s (%s): %s", dev, MNT, fstype,
		    strerror(errno));
		return false;
	}
	return true;
}

static const char *mechanism(bool stock)
{
	return stock ? "stock" : "on";
}

static void child(const char *name, char **argv, bool stock)
{
	char path[256], dir[256], out[256];
	int fd;

	setpgid(0, 0);
	snprintf(dir, sizeof(dir), "%s/%s", MNT, name);
	snprintf(out, sizeof(out), "/out/%s.ktap", name);
	snprintf(path, sizeof(path), "/bin/%s", argv[0]);
	mkdir(dir, 0755);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, 1) < 0)
		_exit(126);
	setenv("E2E_DIR", dir, 1);
	setenv("E2E_MECHANISM", mechanism(stock), 1);
	setenv("E2E_DISK", disk, 1);
	setenv("E2E_FS", fstype, 1);
	execv(path, argv);
	printf("# exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* Wait for pid until the alarm rings; true when it was reaped. */
static bool wait_child(pid_t pid, int *wstatus, unsigned int seconds)
{
	alarmed = 0;
	alarm(seconds);
	for (;;) {
		pid_t r = waitpid(pid, wstatus, 0);

		if (r == pid) {
			alarm(0);
			return true;
		}
		if (r < 0 && errno == EINTR && alarmed)
			return false;
		if (r < 0 && errno != EINTR) {
			alarm(0);
			say("waitpid: %s", strerror(errno));
			*wstatus = 0;
			return true;
		}
	}
}

/* Run one plan entry; false when the program could not be got rid of. */
static bool run(const char *name, unsigned int timeout, char **argv,
		bool stock)
{
	double start = now();
	int ws = 0;
	pid_t pid;

	say("start %s (limit %u s)", name, timeout);
	status("start %s", name);
	pid = fork();
	if (pid < 0) {
		status("end %s fork-failed 0", name);
		return true;
	}
	if (pid == 0)
		child(name, argv, stock);
	setpgid(pid, pid);
	if (wait_child(pid, &ws, timeout)) {
		if (WIFSIGNALED(ws)) {
			say("%s: killed by signal %d", name, WTERMSIG(ws));
			status("end %s signal=%d %.2f", name, WTERMSIG(ws),
			       now() - start);
		} else {
			say("%s: exit %d in %.2f s", name, WEXITSTATUS(ws),
			    now() - start);
			status("end %s exit=%d %.2f", name, WEXITSTATUS(ws),
			       now() - start);
		}
		return true;
	}
	say("%s: still running after %u s: killing it", name, timeout);
	kill(-pid, SIGKILL);
	if (wait_child(pid, &ws, kill_grace)) {
		status("end %s timeout %.2f", name, now() - start);
		return true;
	}
	say("%s: cannot be killed (hung in the kernel)", name);
	status("end %s hung %.2f", name, now() - start);
	return false;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	char line[512], cmdline[4096];
	bool stock, clean = true;
	FILE *plan;

	setup_console();
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: waitpid -> EINTR */
	mkdir("/proc", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL))
		say("mount /proc: %s", strerror(errno));
	mkdir("/out", 0755);
	status_fd = open("/out/status", O_WRONLY | O_CREAT | O_APPEND, 0644);
	mkdir("/sys", 0755);
	if (mount("sysfs", "/sys", "sysfs", 0, NULL))
		say("mount /sys: %s", strerror(errno));
	read_cmdline(cmdline, sizeof(cmdline));
	stock = stock_kernel(cmdline);
	kill_grace = grace_of(cmdline);
	param_of(cmdline, DISK_PARAM, disk, sizeof(disk));
	param_of(cmdline, FS_PARAM, fstype, sizeof(fstype));
	reboot_to_exit = strstr(cmdline, REBOOT_PARAM) != NULL;
	say("init: mechanism %s; disk %s (%s)", mechanism(stock), disk,
	    fstype);
	if (!mount_disk()) {
		status("no-disk");
		power_off(false);
	}
	plan = fopen("/plan", "r");
	if (!plan) {
		say("/plan: %s", strerror(errno));
		status("no-plan");
		power_off(true);
	}
	while (clean && fgets(line, sizeof(line), plan)) {
		char *argv[MAX_ARGS + 1], *name, *limit, *save = NULL;
		int argc = 0;

		line[strcspn(line, "\n#")] = 0;
		name = strtok_r(line, " \t", &save);
		limit = strtok_r(NULL, " \t", &save);
		if (!name)
			continue;
		while (argc < MAX_ARGS &&
		       (argv[argc] = strtok_r(NULL, " \t", &save)))
			argc++;
		argv[argc] = NULL;
		if (!limit || !argc) {
			say("/plan: bad line for %s", name);
			continue;
		}
		clean = run(name, (unsigned int)atoi(limit), argv, stock);
	}
	fclose(plan);
	power_off(clean);
}
