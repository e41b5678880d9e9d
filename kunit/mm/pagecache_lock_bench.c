// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the two-state page cache lock against the locks it could
 * replace, run as a KUnit suite.  It measures and prints; it asserts nothing
 * about speed.  Each figure is one line
 *
 *   pcl-bench: {"name": ..., "unit": ..., "value": ...}
 *
 * for tools to collect.
 */

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/pagecache_lock.h>
#include <linux/percpu-rwsem.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#define PCL_BENCH_LOOPS		1000000
#define PCL_BENCH_ROUNDS	5
#define PCL_BENCH_CONTENDED_MS	200

static void pcl_bench_print(struct kunit *test, const char *name,
			    const char *unit, u64 value)
{
	kunit_info(test, "pcl-bench: {\"name\": \"%s\", \"unit\": \"%s\", \"value\": %llu}\n",
		   name, unit, value);
}

/* Best of several rounds, in picoseconds per get+put pair. */
#define PCL_BENCH_UNCONTENDED(test, name, get, put)			\
do {									\
	u64 __best = U64_MAX;						\
	int __r, __i;							\
									\
	for (__r = 0; __r < PCL_BENCH_ROUNDS; __r++) {			\
		u64 __t = ktime_get_ns();				\
									\
		for (__i = 0; __i < PCL_BENCH_LOOPS; __i++) {		\
			get;						\
			put;						\
		}							\
		__t = ktime_get_ns() - __t;				\
		__best = min(__best, __t);				\
		cond_resched();						\
	}								\
	pcl_bench_print(test, name, "ps/op",				\
			div_u64(__best * 1000, PCL_BENCH_LOOPS));	\
} while (0)

static void pagecache_lock_bench_uncontended_get_put(struct kunit *test)
{
	struct pagecache_lock *lock;
	struct rw_semaphore *rwsem;
	struct percpu_rw_semaphore *prwsem;
	atomic_long_t *floor;

	lock = kunit_kzalloc(test, sizeof(*lock), GFP_KERNEL);
	rwsem = kunit_kzalloc(test, sizeof(*rwsem), GFP_KERNEL);
	prwsem = kunit_kzalloc(test, sizeof(*prwsem), GFP_KERNEL);
	floor = kunit_kzalloc(test, sizeof(*floor), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, lock && rwsem && prwsem && floor);
	pagecache_lock_init(lock);
	init_rwsem(rwsem);
	KUNIT_ASSERT_EQ(test, percpu_init_rwsem(prwsem), 0);

	PCL_BENCH_UNCONTENDED(test, "atomic_long_inc_dec", atomic_long_inc(floor),
			      atomic_long_dec(floor));
	PCL_BENCH_UNCONTENDED(test, "pagecache_add_get_put",
			      pagecache_add_get(lock), pagecache_add_put(lock));
	PCL_BENCH_UNCONTENDED(test, "pagecache_block_get_put",
			      pagecache_block_get(lock),
			      pagecache_block_put(lock));
	PCL_BENCH_UNCONTENDED(test, "rwsem_down_up_read", down_read(rwsem),
			      up_read(rwsem));
	PCL_BENCH_UNCONTENDED(test, "percpu_rwsem_down_up_read",
			      percpu_down_read(prwsem), percpu_up_read(prwsem));

	percpu_free_rwsem(prwsem);
}

struct pcl_bench_contended {
	struct pagecache_lock	lock;
	atomic_long_t		ops[2];
	atomic_t		running;
	bool			stop;
	struct completion	done;
};

struct pcl_bench_thread {
	struct pcl_bench_contended	*c;
	long				state;
};

static int pcl_bench_contended_fn(void *data)
{
	struct pcl_bench_thread *t = data;
	struct pcl_bench_contended *c = t->c;
	long n = 0;

	while (!READ_ONCE(c->stop)) {
		if (t->state > 0) {
			pagecache_add_get(&c->lock);
			pagecache_add_put(&c->lock);
		} else {
			pagecache_block_get(&c->lock);
			pagecache_block_put(&c->lock);
		}
		if (!(++n % 1024))
			cond_resched();
	}
	atomic_long_add(n, &c->ops[t->state > 0 ? 0 : 1]);
	if (atomic_dec_and_test(&c->running))
		complete(&c->done);
	return 0;
}

static void pagecache_lock_bench_contended_throughput(struct kunit *test)
{
	static const unsigned int per_state[] = { 1, 2, 4 };
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(per_state); k++) {
		unsigned int n = per_state[k], i;
		struct pcl_bench_contended *c;
		struct pcl_bench_thread *t;
		char name[48];

		c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
		t = kunit_kcalloc(test, 2 * n, sizeof(*t), GFP_KERNEL);
		KUNIT_ASSERT_TRUE(test, c && t);
		pagecache_lock_init(&c->lock);
		init_completion(&c->done);
		atomic_set(&c->running, 2 * n);

		for (i = 0; i < 2 * n; i++) {
			struct task_struct *task;

			t[i].c = c;
			t[i].state = i % 2 ? PAGECACHE_LOCK_BLOCK :
					     PAGECACHE_LOCK_ADD;
			task = kthread_run(pcl_bench_contended_fn, &t[i],
					   "pcl_bench/%u", i);
			KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		}
		msleep(PCL_BENCH_CONTENDED_MS);
		WRITE_ONCE(c->stop, true);
		KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&c->done,
								  30 * HZ), 0);

		snprintf(name, sizeof(name), "contended_%ux%u_add", n, n);
		pcl_bench_print(test, name, "ops/s",
				atomic_long_read(&c->ops[0]) * 1000 /
				PCL_BENCH_CONTENDED_MS);
		snprintf(name, sizeof(name), "contended_%ux%u_block", n, n);
		pcl_bench_print(test, name, "ops/s",
				atomic_long_read(&c->ops[1]) * 1000 /
				PCL_BENCH_CONTENDED_MS);
	}
}

static void pagecache_lock_bench_sizes(struct kunit *test)
{
	pcl_bench_print(test, "sizeof_address_space", "bytes",
			sizeof(struct address_space));
	pcl_bench_print(test, "sizeof_pagecache_lock", "bytes",
			sizeof(struct pagecache_lock));
	pcl_bench_print(test, "nr_cpus", "cpus", num_online_cpus());
}

static struct kunit_case pagecache_lock_bench_cases[] = {
	KUNIT_CASE(pagecache_lock_bench_sizes),
	KUNIT_CASE_SLOW(pagecache_lock_bench_uncontended_get_put),
	KUNIT_CASE_SLOW(pagecache_lock_bench_contended_throughput),
	{}
};

static struct kunit_suite pagecache_lock_bench_suite = {
	.name = "pagecache_lock_bench",
	.test_cases = pagecache_lock_bench_cases,
};

kunit_test_suite(pagecache_lock_bench_suite);

MODULE_DESCRIPTION("Benchmark of the two-state page cache lock");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
