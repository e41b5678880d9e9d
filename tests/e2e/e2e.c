// SPDX-License-Identifier: GPL-2.0
/* Shared helpers of the end-to-end programs (see e2e.h). */

#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t ktap_lock = PTHREAD_MUTEX_INITIALIZER;
static int ktap_planned, ktap_done, ktap_failed;

void ktap_begin(const char *prog, int ncases)
{
	/* Line-buffered: a program killed on timeout keeps what it printed. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_planned = ncases;
	printf("KTAP version 1\n# %s: mechanism %s, directory %s\n1..%d\n",
	       prog, mechanism(), e2e_dir(), ncases);
}

static void result(bool ok, const char *name, const char *directive,
		   const char *fmt, va_list ap)
{
	char why[512] = "";

	if (fmt)
		vsnprintf(why, sizeof(why), fmt, ap);
	pthread_mutex_lock(&ktap_lock);
	ktap_done++;
	if (!ok)
		ktap_failed++;
	printf("%sok %d %s", ok ? "" : "not ", ktap_done, name);
	if (directive)
		printf(" # %s %s", directive, why);
	else if (why[0])
		printf(" # %s", why);
	printf("\n");
	pthread_mutex_unlock(&ktap_lock);
}

void ktap_result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(ok, name, NULL, fmt, ap);
	va_end(ap);
}

void ktap_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(true, name, "SKIP", fmt, ap);
	va_end(ap);
}

void diag(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ktap_lock);
	printf("# %s\n", line);
	pthread_mutex_unlock(&ktap_lock);
}

int ktap_end(void)
{
	if (ktap_done != ktap_planned) {
		diag("planned %d cases, ran %d", ktap_planned, ktap_done);
		return 1;
	}
	return ktap_failed ? 1 : 0;
}

const char *e2e_dir(void)
{
	const char *dir = getenv("E2E_DIR");

	return dir && *dir ? dir : "/mnt";
}

const char *mechanism(void)
{
	const char *m = getenv("E2E_MECHANISM");

	return m && !strcmp(m, "stock") ? m : "on";
}

bool mechanism_on(void)
{
	return !strcmp(mechanism(), "on");
}

const char *fail_switch(void)
{
	static char path[96];
	const char *disk = getenv("E2E_DISK");

	snprintf(path, sizeof(path), "/sys/block/%s/make-it-fail",
		 disk && *disk ? disk : "ubda");
	return path;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void die(const char *what, const char *arg)
{
	printf("# fatal: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
	fflush(stdout);
	exit(1);
}

char *test_path(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", e2e_dir(), name) < 0)
		die("asprintf", name);
	return p;
}

int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT, 0644);

	if (fd < 0)
		die("open O_DIRECT", path);
	return fd;
}

int open_buffered(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		die("open", path);
	return fd;
}

void *alloc_aligned(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap anonymous", NULL);
	return p;
}

void fill_pattern(void *buf, uint32_t tag, off_t off, size_t len)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = (uint64_t)tag << 32 | (uint32_t)(off / 8 + i);
}

off_t check_pattern(const void *buf, uint32_t tag, off_t off, size_t len)
{
	const uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != ((uint64_t)tag << 32 | (uint32_t)(off / 8 + i)))
			return off + i * 8;
	return -1;
}

int pages_not_tagged(const uint8_t *buf, int npages, uint32_t tag)
{
	int p, n = 0;

	for (p = 0; p < npages; p++)
		n += check_pattern(buf + p * PAGE, tag, p * PAGE, PAGE) >= 0;
	return n;
}

void fill_gen(void *buf, uint64_t gen, size_t len)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = gen;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void sort_doubles(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

bool write_direct(int fd, const void *buf, size_t len, off_t off)
{
	void *al = alloc_aligned(len);
	ssize_t n;

	memcpy(al, buf, len);
	n = pwrite(fd, al, len, off);
	munmap(al, len);
	if (n != (ssize_t)len) {
		diag("pwrite O_DIRECT of %zu bytes at %lld: %zd (%s)", len,
		     (long long)off, n, n < 0 ? strerror(errno) : "short");
		return false;
	}
	return true;
}

bool write_str(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return CHECK(false, "open %s: %s", file, strerror(errno));
	n = write(fd, s, strlen(s));
	close(fd);
	return CHECK(n == (ssize_t)strlen(s), "write %s to %s: %s", s, file,
		     strerror(errno));
}

bool fail_nth_set(int nth)
{
	char num[16];

	snprintf(num, sizeof(num), "%d", nth);
	return write_str("/proc/thread-self/fail-nth", num);
}

bool fail_nth_fired(void)
{
	char num[32] = "";
	int fd = open("/proc/thread-self/fail-nth", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, num, sizeof(num) - 1);
	close(fd);
	/* Still counting down: the thread passed fewer than nth points. */
	return n > 0 && strtol(num, NULL, 10) == 0;
}

int count_inval_msgs(void)
{
	static const char msg[] =
		"Page cache invalidation failure on direct I/O";
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *p;
	int n = 0, len;

	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	len = klogctl(3, buf, size);		/* SYSLOG_ACTION_READ_ALL */
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	for (p = buf; (p = strstr(p, msg)); p++)
		n++;
	free(buf);
	return n;
}

static void *bg_writer(void *arg)
{
	struct bg_write *w = arg;

	if (w->fail_nth)
		fail_nth_set(w->fail_nth);
	w->n = pwrite(w->fd, w->buf, w->len, w->off);
	w->err = errno;
	if (w->fail_nth) {
		w->injected = fail_nth_fired();
		fail_nth_set(0);
	}
	w->done = true;
	return NULL;
}

void pwrite_start(struct bg_write *w, pthread_t *t)
{
	w->n = -1;
	w->injected = false;
	w->done = false;
	start_thread(t, bg_writer, w);
}

bool write_in_window(struct bg_write *w, struct uffd_source *s,
		     bool (*during)(void *), void *arg, double bound)
{
	pthread_t t;

	pwrite_start(w, &t);
	if (!CHECK(uffd_source_wait_fault(s, 5.0),
		   "the write never faulted on its source"))
		return false;
	if (!during(arg))
		return false;
	s->gate = true;
	return join_bounded(&t, 1, bound) ||
	       CHECK(false, "the write did not complete in %.0f s", bound);
}

bool pwrite_bounded(int fd, const void *buf, size_t len, off_t off,
		    double bound, ssize_t *n, int *err)
{
	/* Static: a stuck writer keeps using it after we return. */
	static struct bg_write w;
	double start = now();
	pthread_t t;

	w = (struct bg_write){ .fd = fd, .buf = buf, .len = len, .off = off };
	pwrite_start(&w, &t);
	while (!w.done && now() - start < bound)
		usleep(10000);
	if (!w.done)
		return false;
	join_thread(t);
	*n = w.n;
	*err = w.err;
	return true;
}

void *read_direct(int fd, size_t len, off_t off)
{
	void *buf = alloc_aligned(len);
	ssize_t n = pread(fd, buf, len, off);

	if (n != (ssize_t)len) {
		diag("pread O_DIRECT of %zu bytes at %lld: %zd (%s)", len,
		     (long long)off, n, n < 0 ? strerror(errno) : "short");
		munmap(buf, len);
		return NULL;
	}
	return buf;
}

int create_file(const char *path, uint32_t tag, size_t len)
{
	int fd = open_buffered(path, O_RDWR | O_CREAT | O_TRUNC);
	void *buf = alloc_aligned(len);

	fill_pattern(buf, tag, 0, len);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		die("pwrite", path);
	munmap(buf, len);
	drop_cache(fd, 0, len);
	return fd;
}

void drop_cache(int fd, off_t off, size_t len)
{
	if (fsync(fd))
		die("fsync", NULL);
	errno = posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
	if (errno)
		die("posix_fadvise DONTNEED", NULL);
}

bool split_mapping_at(int fd, int page)
{
	off_t off = (off_t)page * PAGE;

	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
		      PAGE)) {
		if (errno == EOPNOTSUPP)
			return false;
		die("fallocate PUNCH_HOLE", NULL);
	}
	if (fallocate(fd, 0, off, PAGE))
		die("fallocate", NULL);
	drop_cache(fd, 0, 0);
	return true;
}

bool drop_all_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	bool ok;

	sync();
	if (fd < 0)
		return false;
	ok = write(fd, "3", 1) == 1;
	close(fd);
	return ok;
}

size_t resident_pages(void *addr, size_t len)
{
	unsigned char vec[len / PAGE + 1];
	size_t i, n = 0;

	if (mincore(addr, len, vec))
		die("mincore", NULL);
	for (i = 0; i < (len + PAGE - 1) / PAGE; i++)
		n += vec[i] & 1;
	return n;
}

__thread sigjmp_buf probe_env;
__thread volatile int probe_armed;

static void probe_handler(int sig)
{
	if (probe_armed) {
		probe_armed = 0;
		siglongjmp(probe_env, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void probe_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

int probe_load(const volatile uint64_t *addr, uint64_t *value)
{
	int sig = sigsetjmp(probe_env, 1);

	if (sig)
		return sig;
	probe_armed = 1;
	*value = *addr;
	probe_armed = 0;
	return 0;
}

void start_thread(pthread_t *t, thread_fn fn, void *arg)
{
	errno = pthread_create(t, NULL, fn, arg);
	if (errno)
		die("pthread_create", NULL);
}

void join_thread(pthread_t t)
{
	errno = pthread_join(t, NULL);
	if (errno)
		die("pthread_join", NULL);
}

bool join_bounded(const pthread_t *t, int n, double seconds)
{
	struct timespec until;
	int i;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - (time_t)seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	for (i = 0; i < n; i++)
		if (pthread_timedjoin_np(t[i], NULL, &until))
			return false;
	return true;
}

static void *uffd_serve(void *arg)
{
	struct uffd_source *s = arg;
	uint8_t *page = alloc_aligned(PAGE);
	struct uffd_msg msg;

	for (;;) {
		struct uffdio_copy copy;
		off_t off = (off_t)s->served * PAGE;

		if (read(s->uffd, &msg, sizeof(msg)) != sizeof(msg))
			break;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		s->faulted = true;
		if (!s->serve) {
			pause();
			continue;
		}
		while (!s->gate)
			usleep(1000);
		if (s->fd < 0)
			fill_pattern(page, s->tag, off, PAGE);
		else if (pread(s->fd, page, PAGE, off) != (ssize_t)PAGE)
			memset(page, 0, PAGE);
		copy.dst = msg.arg.pagefault.address & ~(PAGE - 1);
		copy.src = (unsigned long)page;
		copy.len = PAGE;
		copy.mode = 0;
		copy.copy = 0;
		if (ioctl(s->uffd, UFFDIO_COPY, &copy))
			break;
		s->served++;
	}
	return NULL;
}

void *uffd_source_map(struct uffd_source *s, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	pthread_t t;
	void *region;

	s->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (s->uffd < 0)
		return CHECK(false, "userfaultfd: %s (CONFIG_USERFAULTFD?)",
			     strerror(errno)), NULL;
	if (ioctl(s->uffd, UFFDIO_API, &api))
		return CHECK(false, "UFFDIO_API: %s", strerror(errno)), NULL;
	region = alloc_aligned(len);
	reg.range.start = (unsigned long)region;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(s->uffd, UFFDIO_REGISTER, &reg))
		return CHECK(false, "UFFDIO_REGISTER: %s", strerror(errno)),
		       NULL;
	start_thread(&t, uffd_serve, s);
	pthread_detach(t);
	return region;
}

bool uffd_source_wait_fault(struct uffd_source *s, double bound)
{
	double start = now();

	while (!s->faulted && now() - start < bound)
		usleep(1000);
	return s->faulted;
}
