// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the two-state page cache lock against the locks it could
 * replace, as a module built outside the kernel tree (make bench builds it
 * against the benchmark kernel and loads it in the guest).  It measures on
 * load and prints; it asserts nothing about speed.  Each figure is one
 * kernel log line
 *
 *   pcl-bench: {"name": ..., "unit": ..., "value": ...}
 *
 * for tools to collect.  The module stays loaded; the guest powers off.
 */

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/pagecache_lock.h>
#include <linux/percpu-rwsem.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#define PCL_BENCH_LOOPS		1000000
#define PCL_BENCH_ROUNDS	5
#define PCL_BENCH_CONTENDED_MS	200

static void pcl_bench_print(const char *name, const char *unit, u64 value)
{
	pr_info("pcl-bench: {\"name\": \"%s\", \"unit\": \"%s\", \"value\": %llu}\n",
		name, unit, value);
}

/* Best of several rounds, in picoseconds per lock+unlock pair. */
#define PCL_BENCH_UNCONTENDED(name, lock, unlock)			\
do {									\
	u64 __best = U64_MAX;						\
	int __r, __i;							\
									\
	for (__r = 0; __r < PCL_BENCH_ROUNDS; __r++) {			\
		u64 __t = ktime_get_ns();				\
									\
		for (__i = 0; __i < PCL_BENCH_LOOPS; __i++) {		\
			lock;						\
			unlock;						\
		}							\
		__t = ktime_get_ns() - __t;				\
		__best = min(__best, __t);				\
		cond_resched();						\
	}								\
	pcl_bench_print(name, "ps/op",					\
			div_u64(__best * 1000, PCL_BENCH_LOOPS));	\
} while (0)

struct pcl_bench_uncontended {
	struct pagecache_lock		lock;
	struct rw_semaphore		rwsem;
	struct percpu_rw_semaphore	prwsem;
	atomic_long_t			floor;
};

static int pcl_bench_uncontended(void)
{
	struct pcl_bench_uncontended *u;
	int ret;

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	pagecache_lock_init(&u->lock);
	init_rwsem(&u->rwsem);
	ret = percpu_init_rwsem(&u->prwsem);
	if (ret)
		goto out;

	PCL_BENCH_UNCONTENDED("atomic_long_inc_dec", atomic_long_inc(&u->floor),
			      atomic_long_dec(&u->floor));
	PCL_BENCH_UNCONTENDED("pagecache_add_lock_unlock",
			      pagecache_add_lock(&u->lock),
			      pagecache_add_unlock(&u->lock));
	PCL_BENCH_UNCONTENDED("pagecache_block_lock_unlock",
			      pagecache_block_lock(&u->lock),
			      pagecache_block_unlock(&u->lock));
	PCL_BENCH_UNCONTENDED("rwsem_down_up_read", down_read(&u->rwsem),
			      up_read(&u->rwsem));
	PCL_BENCH_UNCONTENDED("percpu_rwsem_down_up_read",
			      percpu_down_read(&u->prwsem),
			      percpu_up_read(&u->prwsem));

	percpu_free_rwsem(&u->prwsem);
out:
	kfree(u);
	return ret;
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
			pagecache_add_lock(&c->lock);
			pagecache_add_unlock(&c->lock);
		} else {
			pagecache_block_lock(&c->lock);
			pagecache_block_unlock(&c->lock);
		}
		if (!(++n % 1024))
			cond_resched();
	}
	atomic_long_add(n, &c->ops[t->state > 0 ? 0 : 1]);
	if (atomic_dec_and_test(&c->running))
		complete(&c->done);
	return 0;
}

/* n threads taking add against n taking block, for a fixed time. */
static int pcl_bench_contended_run(unsigned int n)
{
	struct pcl_bench_contended *c;
	struct pcl_bench_thread *t;
	unsigned int i, started;
	char name[48];
	int ret = 0;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	t = kcalloc(2 * n, sizeof(*t), GFP_KERNEL);
	if (!c || !t) {
		ret = -ENOMEM;
		goto out;
	}
	pagecache_lock_init(&c->lock);
	init_completion(&c->done);
	atomic_set(&c->running, 2 * n);

	for (started = 0; started < 2 * n; started++) {
		struct task_struct *task;

		t[started].c = c;
		t[started].state = started % 2 ? PAGECACHE_LOCK_BLOCK :
						 PAGECACHE_LOCK_ADD;
		task = kthread_run(pcl_bench_contended_fn, &t[started],
				   "pcl_bench/%u", started);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			break;
		}
	}
	/* The threads that did not start will not count down. */
	for (i = started; i < 2 * n; i++)
		if (atomic_dec_and_test(&c->running))
			complete(&c->done);
	if (!ret)
		msleep(PCL_BENCH_CONTENDED_MS);
	WRITE_ONCE(c->stop, true);
	wait_for_completion(&c->done);
	if (ret)
		goto out;

	snprintf(name, sizeof(name), "contended_%ux%u_add", n, n);
	pcl_bench_print(name, "ops/s",
			atomic_long_read(&c->ops[0]) * 1000 /
			PCL_BENCH_CONTENDED_MS);
	snprintf(name, sizeof(name), "contended_%ux%u_block", n, n);
	pcl_bench_print(name, "ops/s",
			atomic_long_read(&c->ops[1]) * 1000 /
			PCL_BENCH_CONTENDED_MS);
out:
	kfree(t);
	kfree(c);
	return ret;
}

static int __init pcl_bench_init(void)
{
	static const unsigned int per_state[] = { 1, 2, 4 };
	unsigned int k;
	int ret;

	pcl_bench_print("sizeof_address_space", "bytes",
			sizeof(struct address_space));
	pcl_bench_print("sizeof_pagecache_lock", "bytes",
			sizeof(struct pagecache_lock));
	pcl_bench_print("nr_cpus", "cpus", num_online_cpus());

	ret = pcl_bench_uncontended();
	for (k = 0; !ret && k < ARRAY_SIZE(per_state); k++)
		ret = pcl_bench_contended_run(per_state[k]);
	if (ret)
		pr_err("pcl-bench: failed: %d\n", ret);
	return ret;
}

static void __exit pcl_bench_exit(void)
{
}

module_init(pcl_bench_init);
module_exit(pcl_bench_exit);

MODULE_DESCRIPTION("Benchmark of the two-state page cache lock");
MODULE_LICENSE("GPL");
/* pagecache_lock_init() calls __pagecache_lock_init(), exported for tests. */
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
