// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous O_DIRECT writes through Linux AIO (io_submit) and io_uring,
 * with the raw system calls (no libaio or liburing in a static program).
 *
 * The series holds the page cache lock for block from before a direct
 * write's first invalidation until its completion has invalidated the
 * range again; for an asynchronous write the submitter hands the hold to
 * the completion.  Each interface writes a batch of BATCH aligned
 * overwrites in one call, ROUNDS times, to a file of FILE_PAGES pages,
 * while a thread reads the file buffered and through a shared mapping:
 *
 *  - every write completes with its full count and the data read back
 *    with O_DIRECT and buffered is the last round's (the cache is
 *    coherent once the completions were reaped);
 *  - the writes stay asynchronous: in some round, fewer than BATCH
 *    completions are there when the submitting call returns.
 *
 * The control is the same checker on writes the filesystem itself makes
 * wait: sub-block (512-byte) writes, each extending the file, which ext2,
 * ext4 and XFS all force to wait for their I/O.  It must find every
 * completion there at the return, in every round.  A series that waited
 * for asynchronous writes to opted-in files would fail the asynchrony
 * checks as this control does.
 */
#include "e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FILE_PAGES	256
#define BATCH		16
#define WRITE_PAGES	16		/* each write: 64 KiB */
#define ROUNDS		20
#define SUB_BLOCK	512
#define TAG_BASE	100

struct batch_result {
	int rounds_async;	/* rounds with completions missing at return */
	int rounds;
	bool ok;		/* every write completed with its full count */
};

static char *path;
static atomic_bool stop_readers;

static off_t write_off(int i, size_t len)
{
	return (off_t)i * len;
}

/* Linux AIO */

static long sys_io_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static bool aio_batches(int fd, void **bufs, size_t len, uint32_t tag0,
			bool extend, struct batch_result *res)
{
	struct iocb iocbs[BATCH], *ptrs[BATCH];
	struct io_event events[BATCH];
	struct timespec zero = { 0 };
	aio_context_t ctx = 0;
	int round, i;

	if (sys_io_setup(BATCH, &ctx))
		return CHECK(false, "io_setup: %s", strerror(errno));
	res->ok = true;
	for (round = 0; round < ROUNDS; round++) {
		long got, done = 0;

		if (extend && ftruncate(fd, 0))
			die("ftruncate", path);
		for (i = 0; i < BATCH; i++) {
			fill_pattern(bufs[i], tag0 + round,
				     write_off(i, len), len);
			memset(&iocbs[i], 0, sizeof(iocbs[i]));
			iocbs[i].aio_fildes = fd;
			iocbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
			iocbs[i].aio_buf = (uintptr_t)bufs[i];
			iocbs[i].aio_nbytes = len;
			iocbs[i].aio_offset = write_off(i, len);
			ptrs[i] = &iocbs[i];
		}
		if (syscall(SYS_io_submit, ctx, BATCH, ptrs) != BATCH) {
			res->ok = CHECK(false, "io_submit: %s", strerror(errno));
			break;
		}
		got = syscall(SYS_io_getevents, ctx, 0, BATCH, events, &zero);
		res->rounds++;
		if (got >= 0 && got < BATCH)
			res->rounds_async++;
		if (got > 0)
			done = got;
		while (done < BATCH) {
			got = syscall(SYS_io_getevents, ctx, 1, BATCH - done,
				      events + done, NULL);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				res->ok = CHECK(false, "io_getevents: %s",
						strerror(errno));
				return false;
			}
			done += got;
		}
		for (i = 0; i < BATCH; i++)
			if (events[i].res != (__s64)len)
				res->ok = CHECK(false, "aio write returned %lld",
						(long long)events[i].res);
	}
	syscall(SYS_io_destroy, ctx);
	return res->ok;
}

/* io_uring */

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static bool ring_setup(struct ring *r)
{
	struct io_uring_params p = { 0 };
	void *sq, *cq;
	size_t sq_len, cq_len;

	r->fd = syscall(SYS_io_uring_setup, BATCH, &p);
	if (r->fd < 0)
		return CHECK(false, "io_uring_setup: %s", strerror(errno));
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED |
		  MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED |
		  MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return CHECK(false, "mmap io_uring: %s", strerror(errno));
	r->sq_tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)sq + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	return true;
}

static unsigned int cq_ready(struct ring *r)
{
	return __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head;
}

static bool uring_batches(int fd, void **bufs, size_t len, uint32_t tag0,
			  bool extend, struct batch_result *res)
{
	struct ring r;
	int round, i;

	if (extend)
		return CHECK(false, "extending io_uring batches: not written");
	if (!ring_setup(&r))
		return false;
	res->ok = true;
	for (round = 0; round < ROUNDS && res->ok; round++) {
		unsigned int tail = *r.sq_tail, seen = 0;

		for (i = 0; i < BATCH; i++) {
			unsigned int idx = (tail + i) & *r.sq_mask;
			struct io_uring_sqe *sqe = &r.sqes[idx];

			fill_pattern(bufs[i], tag0 + round,
				     write_off(i, len), len);
			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = IORING_OP_WRITE;
			sqe->fd = fd;
			sqe->addr = (uintptr_t)bufs[i];
			sqe->len = len;
			sqe->off = write_off(i, len);
			sqe->user_data = i;
			r.sq_array[idx] = idx;
		}
		__atomic_store_n(r.sq_tail, tail + BATCH, __ATOMIC_RELEASE);
		if (syscall(SYS_io_uring_enter, r.fd, BATCH, 0, 0, NULL, 0) !=
		    BATCH) {
			res->ok = CHECK(false, "io_uring_enter: %s",
					strerror(errno));
			break;
		}
		res->rounds++;
		if (cq_ready(&r) < BATCH)
			res->rounds_async++;
		while (seen < BATCH) {
			unsigned int head = *r.cq_head;

			if (head == __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE)) {
				if (syscall(SYS_io_uring_enter, r.fd, 0, 1,
					    IORING_ENTER_GETEVENTS, NULL, 0) < 0 &&
				    errno != EINTR) {
					res->ok = CHECK(false, "io_uring wait: %s",
							strerror(errno));
					break;
				}
				continue;
			}
			if (r.cqes[head & *r.cq_mask].res != (int)len)
				res->ok = CHECK(false, "io_uring write returned %d",
						r.cqes[head & *r.cq_mask].res);
			__atomic_store_n(r.cq_head, head + 1, __ATOMIC_RELEASE);
			seen++;
		}
	}
	close(r.fd);
	return res->ok;
}

/* Readers of the file while the writes run: buffered and faulting. */
static void *reader(void *arg)
{
	size_t len = FILE_PAGES * PAGE;
	int fd = open_buffered(path, O_RDONLY);
	volatile uint8_t *map;
	char *buf = malloc(PAGE);
	unsigned long n = 0;

	(void)arg;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED || !buf)
		die("reader", NULL);
	while (!atomic_load(&stop_readers)) {
		size_t p = (n * 7) % FILE_PAGES;

		if (pread(fd, buf, PAGE, p * PAGE) < 0)
			die("pread", path);
		(void)map[((n * 13) % FILE_PAGES) * PAGE];
		n++;
	}
	munmap((void *)map, len);
	free(buf);
	close(fd);
	return NULL;
}

/* The last round's data, read with O_DIRECT and buffered. */
static bool data_right(int fd, size_t len, uint32_t tag)
{
	size_t total = (size_t)BATCH * len;
	int bfd = open_buffered(path, O_RDONLY);
	uint8_t *direct = read_direct(fd, total, 0);
	uint8_t *cached = alloc_aligned(total);
	off_t bad_direct, bad_cached;

	if (!direct || pread(bfd, cached, total, 0) != (ssize_t)total)
		die("read back", path);
	close(bfd);
	bad_direct = check_pattern(direct, tag, 0, total);
	bad_cached = check_pattern(cached, tag, 0, total);
	munmap(direct, total);
	munmap(cached, total);
	return CHECK(bad_direct < 0, "O_DIRECT read: wrong byte at %lld",
		     (long long)bad_direct) &
	       CHECK(bad_cached < 0, "buffered read: wrong byte at %lld",
		     (long long)bad_cached);
}

typedef bool (*batches_fn)(int fd, void **bufs, size_t len, uint32_t tag0,
			   bool extend, struct batch_result *res);

/*
 * ROUNDS batches of fn's writes of len bytes, with readers of the file
 * (not while it is truncated and extended: they would fault beyond EOF).
 */
static bool run(const char *what, batches_fn fn, size_t len, uint32_t tag0,
		bool extend, struct batch_result *res)
{
	int readers = extend ? 0 : 2;
	pthread_t t[2];
	void *bufs[BATCH];
	bool ok;
	int fd, i;

	path = test_path(what);
	close(create_file(path, tag0 - 1, FILE_PAGES * PAGE));
	fd = open_direct(path, O_RDWR);
	for (i = 0; i < BATCH; i++)
		bufs[i] = alloc_aligned(len);
	atomic_store(&stop_readers, false);
	for (i = 0; i < readers; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	ok = fn(fd, bufs, len, tag0, extend, res);
	atomic_store(&stop_readers, true);
	for (i = 0; i < readers; i++)
		pthread_join(t[i], NULL);
	ok = ok && data_right(fd, len, tag0 + ROUNDS - 1);
	diag("%s: %d of %d rounds had completions missing when the call "
	     "returned", what, res->rounds_async, res->rounds);
	for (i = 0; i < BATCH; i++)
		munmap(bufs[i], len);
	close(fd);
	free(path);
	return ok;
}

static void interface(const char *name, const char *what, batches_fn fn,
		      uint32_t tag0)
{
	struct batch_result res = { 0 };
	bool ok = run(what, fn, WRITE_PAGES * PAGE, tag0, false, &res);

	ktap_result(ok && CHECK(res.rounds_async > 0, "every completion was "
				"there when the call returned: the writes "
				"were waited for"), name, NULL);
}

/* The control: writes the filesystem waits for are seen as waited for. */
static void control(void)
{
	struct batch_result res = { 0 };
	bool ok = run("control", aio_batches, SUB_BLOCK, TAG_BASE + 200,
		      true, &res);

	ktap_result(ok && CHECK(res.rounds_async == 0 && res.rounds == ROUNDS,
				"%d rounds of extending sub-block writes "
				"looked asynchronous", res.rounds_async),
		    "checker_sees_extending_sub_block_writes_waited_for",
		    NULL);
}

int main(void)
{
	ktap_begin("dio_async", 3);
	interface("aio_writes_complete_asynchronously_and_coherently", "aio",
		  aio_batches, TAG_BASE);
	interface("io_uring_writes_complete_asynchronously_and_coherently",
		  "uring", uring_batches, TAG_BASE + 100);
	control();
	return ktap_end();
}
