// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the two-state page cache lock.
 *
 * Waits that could hang are bounded: a waiter that does not wake, or a
 * stress thread that does not finish, fails its case with a message and
 * leaks the memory the stuck thread still uses rather than hanging the run.
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/pagecache_lock.h>
#include <linux/random.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#define PCL_WAKE_TIMEOUT	(5 * HZ)
#define PCL_STRESS_TIMEOUT	(60 * HZ)
/*
 * Stress runs stop after this long even if their iterations are not done,
 * so that slow debug kernels (KASAN, lockdep) stay well inside the hung
 * task timeout of the debug configuration.
 */
#define PCL_STRESS_RUN		(3 * HZ)

static struct pagecache_lock *pcl_alloc(struct kunit *test)
{
	struct pagecache_lock *lock;

	lock = kunit_kzalloc(test, sizeof(*lock), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lock);
	pagecache_lock_init(lock);
	return lock;
}

static bool pcl_trylock(struct pagecache_lock *lock, long state)
{
	return state > 0 ? pagecache_add_trylock(lock) :
			   pagecache_block_trylock(lock);
}

static void pcl_lock(struct pagecache_lock *lock, long state)
{
	if (state > 0)
		pagecache_add_lock(lock);
	else
		pagecache_block_lock(lock);
}

static int pcl_lock_killable(struct pagecache_lock *lock, long state)
{
	return state > 0 ? pagecache_add_lock_killable(lock) :
			   pagecache_block_lock_killable(lock);
}

static void pcl_unlock(struct pagecache_lock *lock, long state)
{
	if (state > 0)
		pagecache_add_unlock(lock);
	else
		pagecache_block_unlock(lock);
}

static const char *pcl_name(long state)
{
	return state > 0 ? "add" : "block";
}

static void pagecache_lock_starts_free_in_both_states(struct kunit *test)
{
	struct pagecache_lock *lock = pcl_alloc(test);

	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);
	KUNIT_ASSERT_TRUE(test, pagecache_add_trylock(lock));
	pagecache_add_unlock(lock);
	KUNIT_ASSERT_TRUE(test, pagecache_block_trylock(lock));
	pagecache_block_unlock(lock);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);
}

static void pagecache_lock_shares_a_state_with_itself(struct kunit *test,
						      long state)
{
	struct pagecache_lock *lock = pcl_alloc(test);

	pcl_lock(lock, state);
	KUNIT_EXPECT_TRUE_MSG(test, pcl_trylock(lock, state),
			      "second %s holder refused", pcl_name(state));
	KUNIT_EXPECT_TRUE_MSG(test, pcl_trylock(lock, state),
			      "third %s holder refused", pcl_name(state));
	pcl_unlock(lock, state);
	pcl_unlock(lock, state);
	KUNIT_EXPECT_FALSE(test, pcl_trylock(lock, -state));
	pcl_unlock(lock, state);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);
}

static void pagecache_add_is_shared_with_add(struct kunit *test)
{
	pagecache_lock_shares_a_state_with_itself(test, PAGECACHE_LOCK_ADD);
}

static void pagecache_block_is_shared_with_block(struct kunit *test)
{
	pagecache_lock_shares_a_state_with_itself(test, PAGECACHE_LOCK_BLOCK);
}

static void pagecache_lock_state_excludes_the_other(struct kunit *test,
						    long held)
{
	struct pagecache_lock *lock = pcl_alloc(test);

	KUNIT_ASSERT_TRUE(test, pcl_trylock(lock, held));
	KUNIT_EXPECT_FALSE_MSG(test, pcl_trylock(lock, -held),
			       "%s taken while %s held", pcl_name(-held),
			       pcl_name(held));
	pcl_unlock(lock, held);
	KUNIT_EXPECT_TRUE(test, pcl_trylock(lock, -held));
	pcl_unlock(lock, -held);
}

static void pagecache_add_excludes_block(struct kunit *test)
{
	pagecache_lock_state_excludes_the_other(test, PAGECACHE_LOCK_ADD);
}

static void pagecache_block_excludes_add(struct kunit *test)
{
	pagecache_lock_state_excludes_the_other(test, PAGECACHE_LOCK_BLOCK);
}

/* A kthread that waits for one state of a lock, then holds it until told. */
struct pcl_waiter {
	struct pagecache_lock	lock;
	long			state;
	bool			killable;
	int			ret;
	struct task_struct	*task;
	struct completion	started;
	struct completion	acquired;
	struct completion	release;
	struct completion	done;
};

static int pcl_waiter_fn(void *data)
{
	struct pcl_waiter *w = data;

	if (w->killable)
		allow_signal(SIGKILL);
	complete(&w->started);
	if (w->killable)
		w->ret = pcl_lock_killable(&w->lock, w->state);
	else
		pcl_lock(&w->lock, w->state);
	complete(&w->acquired);
	if (!w->ret) {
		wait_for_completion(&w->release);
		pcl_unlock(&w->lock, w->state);
	}
	complete(&w->done);
	return 0;
}

static struct pcl_waiter *pcl_waiter_alloc(struct kunit *test, long state,
					   bool killable)
{
	struct pcl_waiter *w = kzalloc(sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	pagecache_lock_init(&w->lock);
	w->state = state;
	w->killable = killable;
	init_completion(&w->started);
	init_completion(&w->acquired);
	init_completion(&w->release);
	init_completion(&w->done);
	return w;
}

/* Start the waiter, and wait until it sleeps in the lock. */
static bool pcl_waiter_run(struct kunit *test, struct pcl_waiter *w)
{
	int i;

	w->task = kthread_run(pcl_waiter_fn, w, "pcl_waiter");
	if (IS_ERR(w->task))
		return false;
	get_task_struct(w->task);

	/* On SMP the wake-up of a new thread can complete after kthread_run(). */
	wait_for_completion(&w->started);
	for (i = 0; i < 1000 && task_is_running(w->task); i++)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_FALSE_MSG(test, task_is_running(w->task),
			       "%s waiter never went to sleep", pcl_name(w->state));
	return true;
}

/*
 * Start a waiter for @state on a lock held for the other state by the test,
 * and wait until it sleeps in the lock.  Allocated with kzalloc(): if the
 * waiter never finishes, the case fails and the memory is leaked on purpose.
 */
static struct pcl_waiter *pcl_start_waiter(struct kunit *test, long state,
					   bool killable, int holders)
{
	struct pcl_waiter *w = pcl_waiter_alloc(test, state, killable);
	int i;

	/* Trylocks: lockdep reports a task taking a state twice. */
	for (i = 0; i < holders; i++)
		KUNIT_ASSERT_TRUE(test, pcl_trylock(&w->lock, -state));

	if (!pcl_waiter_run(test, w)) {
		for (i = 0; i < holders; i++)
			pcl_unlock(&w->lock, -state);
		kfree(w);
		KUNIT_FAIL_AND_ABORT(test, "cannot start waiter thread");
	}
	return w;
}

/* Let the waiter go and free it, if it finishes in time. */
static void pcl_finish_waiter(struct kunit *test, struct pcl_waiter *w)
{
	complete(&w->release);
	if (!wait_for_completion_timeout(&w->done, PCL_WAKE_TIMEOUT)) {
		KUNIT_FAIL(test, "waiter thread did not finish");
		return;
	}
	put_task_struct(w->task);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&w->lock.v), 0);
	kfree(w);
}

static void pagecache_lock_waiter_wakes_when_last_holder_leaves(struct kunit *test,
								long state)
{
	struct pcl_waiter *w = pcl_start_waiter(test, state, false, 2);

	pcl_unlock(&w->lock, -state);
	msleep(20);
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&w->acquired),
			       "%s taken while one %s holder remained",
			       pcl_name(state), pcl_name(-state));

	pcl_unlock(&w->lock, -state);
	KUNIT_EXPECT_NE_MSG(test,
			    wait_for_completion_timeout(&w->acquired,
							PCL_WAKE_TIMEOUT), 0,
			    "%s waiter not woken within 5 s of the last %s unlock",
			    pcl_name(state), pcl_name(-state));
	pcl_finish_waiter(test, w);
}

static void pagecache_block_waiter_wakes_when_last_add_holder_leaves(struct kunit *test)
{
	pagecache_lock_waiter_wakes_when_last_holder_leaves(test,
							    PAGECACHE_LOCK_BLOCK);
}

static void pagecache_add_waiter_wakes_when_last_block_holder_leaves(struct kunit *test)
{
	pagecache_lock_waiter_wakes_when_last_holder_leaves(test,
							    PAGECACHE_LOCK_ADD);
}

static void pagecache_lock_killed_waiter_returns_eintr(struct kunit *test,
						       long state)
{
	struct pcl_waiter *w = pcl_start_waiter(test, state, true, 1);

	send_sig(SIGKILL, w->task, 1);
	if (!wait_for_completion_timeout(&w->acquired, PCL_WAKE_TIMEOUT)) {
		KUNIT_FAIL(test, "killed %s waiter still asleep after 5 s",
			   pcl_name(state));
		pcl_unlock(&w->lock, -state);
		pcl_finish_waiter(test, w);
		return;
	}
	KUNIT_EXPECT_EQ(test, w->ret, -EINTR);

	/* The holder still holds, and the killed waiter holds nothing. */
	KUNIT_EXPECT_FALSE(test, pcl_trylock(&w->lock, state));
	KUNIT_EXPECT_TRUE(test, pcl_trylock(&w->lock, -state));
	pcl_unlock(&w->lock, -state);
	pcl_unlock(&w->lock, -state);
	KUNIT_EXPECT_TRUE(test, pcl_trylock(&w->lock, state));
	pcl_unlock(&w->lock, state);
	pcl_finish_waiter(test, w);
}

static void pagecache_block_lock_killable_returns_eintr_on_fatal_signal(struct kunit *test)
{
	pagecache_lock_killed_waiter_returns_eintr(test, PAGECACHE_LOCK_BLOCK);
}

static void pagecache_add_lock_killable_returns_eintr_on_fatal_signal(struct kunit *test)
{
	pagecache_lock_killed_waiter_returns_eintr(test, PAGECACHE_LOCK_ADD);
}

static void pagecache_lock_guards_release_on_scope_exit(struct kunit *test)
{
	struct pagecache_lock *lock = pcl_alloc(test);

	scoped_guard(pagecache_add, lock)
		KUNIT_EXPECT_FALSE(test, pagecache_block_trylock(lock));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);

	scoped_guard(pagecache_block_killable, lock)
		KUNIT_EXPECT_FALSE(test, pagecache_add_trylock(lock));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);

	scoped_guard(pagecache_block_try, lock) {
		bool ran = false;

		scoped_guard(pagecache_add_try, lock)
			ran = true;
		KUNIT_EXPECT_FALSE_MSG(test, ran,
				       "add try-guard entered under block");
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);
}

struct pcl_bad_unlock {
	struct pagecache_lock	*lock;
	long			state;
	int			count;
};

static void pcl_record_bad_unlock(struct pagecache_lock *lock, long i, long v)
{
	struct kunit *test = kunit_get_current_test();
	struct pcl_bad_unlock *seen = test->priv;

	seen->lock = lock;
	seen->state = i;
	seen->count++;
}

static void pagecache_unbalanced_unlock_is_reported_and_ignored(struct kunit *test)
{
	struct pagecache_lock *lock = pcl_alloc(test);
	struct pcl_bad_unlock seen = {};

	test->priv = &seen;
	kunit_activate_static_stub(test, __pagecache_unlock_bad_state,
				   pcl_record_bad_unlock);

	pagecache_add_unlock(lock);
	KUNIT_EXPECT_EQ(test, seen.count, 1);
	KUNIT_EXPECT_PTR_EQ(test, seen.lock, lock);
	KUNIT_EXPECT_EQ(test, seen.state, PAGECACHE_LOCK_ADD);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);

	KUNIT_EXPECT_TRUE(test, pagecache_block_trylock(lock));
	pagecache_block_unlock(lock);
	KUNIT_EXPECT_TRUE(test, pagecache_add_trylock(lock));
	pagecache_add_unlock(lock);
	KUNIT_EXPECT_EQ(test, seen.count, 1);
}

static void pagecache_unlock_of_the_wrong_state_is_reported_and_ignored(struct kunit *test)
{
	struct pagecache_lock *lock = pcl_alloc(test);
	struct pcl_bad_unlock seen = {};

	test->priv = &seen;
	kunit_activate_static_stub(test, __pagecache_unlock_bad_state,
				   pcl_record_bad_unlock);

	pagecache_add_lock(lock);
	pagecache_block_unlock(lock);
	KUNIT_EXPECT_EQ(test, seen.count, 1);
	KUNIT_EXPECT_EQ(test, seen.state, PAGECACHE_LOCK_BLOCK);
	KUNIT_EXPECT_FALSE_MSG(test, pagecache_block_trylock(lock),
			       "the wrong unlock released the add holder");
	pagecache_add_unlock(lock);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&lock->v), 0);
	KUNIT_EXPECT_EQ(test, seen.count, 1);
}

/*
 * Fairness: threads that cycle overlapping holds of one state, so that at
 * every moment one of them holds it, and a taker of the other state that
 * must get in while they still cycle.  The stream is bounded in time: a
 * taker that only gets in once it has ended was starved.
 */
#define PCL_CYCLERS		4
#define PCL_CYCLE_HOLD_US	2000
#define PCL_CYCLE_RUN		(2 * HZ)

struct pcl_stream {
	struct pagecache_lock	lock;
	long			state;		/* the cyclers' state */
	unsigned long		deadline;	/* jiffies */
	bool			stop;
	atomic_t		cycling;	/* cyclers still in their loop */
	atomic_t		cycles;
	atomic_t		running;
	struct completion	done;
};

static int pcl_cycler_fn(void *data)
{
	struct pcl_stream *s = data;

	while (!READ_ONCE(s->stop) && time_before(jiffies, s->deadline)) {
		pcl_lock(&s->lock, s->state);
		usleep_range(PCL_CYCLE_HOLD_US, PCL_CYCLE_HOLD_US * 3 / 2);
		pcl_unlock(&s->lock, s->state);
		atomic_inc(&s->cycles);
	}
	atomic_dec(&s->cycling);
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
	return 0;
}

/*
 * Start the cyclers of -@state, staggered so that their holds overlap, take
 * @state in the test's task and report whether that happened while the
 * stream still ran.  Returns -1 if the cyclers hung.
 */
static int pcl_run_stream(struct kunit *test, long state, unsigned int *waited_ms)
{
	struct pcl_stream *s;
	unsigned long start;
	bool cycling;
	int i;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	pagecache_lock_init(&s->lock);
	s->state = -state;
	s->deadline = jiffies + PCL_CYCLE_RUN;
	atomic_set(&s->cycling, PCL_CYCLERS);
	atomic_set(&s->running, PCL_CYCLERS + 1);
	init_completion(&s->done);
	for (i = 0; i < PCL_CYCLERS; i++) {
		struct task_struct *t;

		t = kthread_run(pcl_cycler_fn, s, "pcl_cycler/%d", i);
		if (IS_ERR(t)) {
			KUNIT_FAIL(test, "cannot start cycler %d", i);
			atomic_dec(&s->cycling);
			atomic_dec(&s->running);
		}
		usleep_range(PCL_CYCLE_HOLD_US / PCL_CYCLERS,
			     PCL_CYCLE_HOLD_US / PCL_CYCLERS + 100);
	}
	msleep(20);

	start = jiffies;
	pcl_lock(&s->lock, state);
	cycling = atomic_read(&s->cycling) == PCL_CYCLERS;
	*waited_ms = jiffies_to_msecs(jiffies - start);
	pcl_unlock(&s->lock, state);

	WRITE_ONCE(s->stop, true);
	if (!atomic_dec_and_test(&s->running) &&
	    !wait_for_completion_timeout(&s->done, PCL_WAKE_TIMEOUT)) {
		KUNIT_FAIL(test, "cyclers still running after %d s: lock wedged",
			   PCL_WAKE_TIMEOUT / HZ);
		return -1;
	}
	kunit_info(test, "%s taker waited %u ms behind %d %s cyclers (%d holds of ~%d us)\n",
		   pcl_name(state), *waited_ms, PCL_CYCLERS, pcl_name(-state),
		   atomic_read(&s->cycles), PCL_CYCLE_HOLD_US);
	kfree(s);
	return cycling;
}

static void pagecache_lock_taker_gets_in_behind_a_stream_of_the_other_state(struct kunit *test,
									    long state)
{
	unsigned int waited_ms;
	int cycling = pcl_run_stream(test, state, &waited_ms);

	KUNIT_EXPECT_EQ_MSG(test, cycling, 1,
			    "%s taker starved: it got in only after %u ms, when the %s stream ended",
			    pcl_name(state), waited_ms, pcl_name(-state));
}

static void pagecache_block_taker_gets_in_while_add_holds_keep_overlapping(struct kunit *test)
{
	pagecache_lock_taker_gets_in_behind_a_stream_of_the_other_state(test,
									PAGECACHE_LOCK_BLOCK);
}

static void pagecache_add_taker_gets_in_while_block_holds_keep_overlapping(struct kunit *test)
{
	pagecache_lock_taker_gets_in_behind_a_stream_of_the_other_state(test,
									PAGECACHE_LOCK_ADD);
}

/*
 * The lock without its queueing, for the control below: a waiter that only
 * waits for the other state's holders to leave and never makes new takers
 * wait, as the lock had it before it was made fair.
 */
static bool pcl_unfair_grab(struct pagecache_lock *lock, long i)
{
	long old = atomic_long_read(&lock->v);
	long new, count;
	bool grab;

	do {
		count = old & ~PAGECACHE_LOCK_FLAGS;
		grab = i > 0 ? count >= 0 : count <= 0;
		if (!grab && (old & PAGECACHE_LOCK_WAITERS))
			return false;
		new = grab ? old + i : old | PAGECACHE_LOCK_WAITERS;
	} while (!atomic_long_try_cmpxchg(&lock->v, &old, new));
	return grab;
}

static void pcl_unfair_lock_slow(struct pagecache_lock *lock, long i)
{
	wait_var_event(lock, pcl_unfair_grab(lock, i));
}

static void pagecache_lock_starvation_checker_catches_an_unfair_lock(struct kunit *test)
{
	unsigned int waited_ms;
	int cycling;

	kunit_activate_static_stub(test, __pagecache_lock_slow,
				   pcl_unfair_lock_slow);
	cycling = pcl_run_stream(test, PAGECACHE_LOCK_BLOCK, &waited_ms);
	KUNIT_EXPECT_EQ_MSG(test, cycling, 0,
			    "an unfair block taker got in after %u ms while the add stream still ran",
			    waited_ms);
}

/*
 * Recursion: a task that holds add takes it again while a block taker is
 * queued between the two takes, as filemap_fault() does under
 * pagecache_lock_fault().  Inside a pagecache_add_held_enter() section the
 * second take must not wait (the queued taker waits for the first);
 * outside one, a second trylock is refused, which is what makes the section
 * necessary.  The second take runs in a thread of its own so that a
 * deadlock fails the case instead of hanging the run.
 */
struct pcl_nest {
	struct pagecache_lock	*lock;
	bool			section;
	bool			blocking;	/* pagecache_add_lock(), not tryget */
	bool			inner;		/* the second take succeeded */
	struct completion	holding;
	struct completion	go;
	struct completion	inner_done;
	struct completion	release;
	struct completion	done;
};

static int pcl_nest_fn(void *data)
{
	struct pcl_nest *n = data;
	struct pagecache_lock *prev = NULL;

	pagecache_add_lock(n->lock);
	if (n->section)
		prev = pagecache_add_held_enter(n->lock);
	complete(&n->holding);
	wait_for_completion(&n->go);
	if (n->blocking) {
		pagecache_add_lock(n->lock);
		n->inner = true;
	} else {
		n->inner = pagecache_add_trylock(n->lock);
	}
	complete(&n->inner_done);
	wait_for_completion(&n->release);
	if (n->inner)
		pagecache_add_unlock(n->lock);
	if (n->section)
		pagecache_add_held_exit(prev);
	pagecache_add_unlock(n->lock);
	complete(&n->done);
	return 0;
}

/*
 * Returns whether the second take got in with a block taker queued, or -1
 * if it hung.
 */
static int pcl_run_nest(struct kunit *test, bool section, bool blocking)
{
	struct pcl_waiter *w = pcl_waiter_alloc(test, PAGECACHE_LOCK_BLOCK,
						false);
	struct task_struct *t;
	struct pcl_nest *n;
	int inner;

	n = kzalloc(sizeof(*n), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, n);
	n->lock = &w->lock;
	n->section = section;
	n->blocking = blocking;
	init_completion(&n->holding);
	init_completion(&n->go);
	init_completion(&n->inner_done);
	init_completion(&n->release);
	init_completion(&n->done);
	t = kthread_run(pcl_nest_fn, n, "pcl_nest");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&n->holding);
	KUNIT_ASSERT_TRUE(test, pcl_waiter_run(test, w));

	complete(&n->go);
	if (!wait_for_completion_timeout(&n->inner_done, PCL_WAKE_TIMEOUT)) {
		KUNIT_FAIL(test, "second add take still waiting after %d s: deadlock",
			   PCL_WAKE_TIMEOUT / HZ);
		return -1;
	}
	inner = n->inner;
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&w->acquired),
			       "block taken while add was held");
	complete(&n->release);
	if (!wait_for_completion_timeout(&n->done, PCL_WAKE_TIMEOUT)) {
		KUNIT_FAIL(test, "add holder did not finish");
		return -1;
	}
	KUNIT_EXPECT_NE_MSG(test, wait_for_completion_timeout(&w->acquired,
							      PCL_WAKE_TIMEOUT), 0,
			    "block waiter not woken when the add holder left");
	pcl_finish_waiter(test, w);
	kfree(n);
	return inner;
}

static void pagecache_add_trylock_in_a_held_section_passes_a_queued_block_taker(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pcl_run_nest(test, true, false), 1);
}

static void pagecache_add_lock_in_a_held_section_passes_a_queued_block_taker(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pcl_run_nest(test, true, true), 1);
}

static void pagecache_add_trylock_outside_a_section_queues_behind_a_block_taker(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, pcl_run_nest(test, false, false), 0,
			    "a new add taker got in ahead of a queued block taker");
}

/*
 * Stress: threads take random states in random ways and check, while they
 * hold the lock, that nobody holds the other state.  The same checker runs
 * against a deliberately broken lock to show that it catches a violation.
 */
struct pcl_stress_ops {
	bool (*get)(struct pagecache_lock *lock, long state, unsigned int how);
	void (*put)(struct pagecache_lock *lock, long state);
};

struct pcl_stress {
	struct pagecache_lock		lock;
	const struct pcl_stress_ops	*ops;
	unsigned int			iterations;
	unsigned long			deadline;	/* jiffies */
	atomic_t			inside[2];
	atomic_t			violations;
	atomic_t			acquired;
	atomic_t			running;
	struct completion		done;
};

static bool pcl_stress_lock(struct pagecache_lock *lock, long state,
			    unsigned int how)
{
	switch (how) {
	case 0:
		return pcl_trylock(lock, state);
	case 1:
		return pcl_lock_killable(lock, state) == 0;
	default:
		pcl_lock(lock, state);
		return true;
	}
}

static const struct pcl_stress_ops pcl_real_ops = {
	.get = pcl_stress_lock,
	.put = pcl_unlock,
};

/* A lock whose lock ignores the other state: what the checker must catch. */
static bool pcl_broken_lock(struct pagecache_lock *lock, long state,
			    unsigned int how)
{
	atomic_long_add(state, &lock->v);
	return true;
}

static void pcl_broken_unlock(struct pagecache_lock *lock, long state)
{
	atomic_long_sub(state, &lock->v);
}

static const struct pcl_stress_ops pcl_broken_ops = {
	.get = pcl_broken_lock,
	.put = pcl_broken_unlock,
};

static void pcl_stress_check(struct pcl_stress *s, int other)
{
	if (atomic_read(&s->inside[other]))
		atomic_inc(&s->violations);
}

static int pcl_stress_fn(void *data)
{
	struct pcl_stress *s = data;
	unsigned int n;

	allow_signal(SIGKILL);
	for (n = 0; n < s->iterations; n++) {
		long state = get_random_u32_below(2) ? PAGECACHE_LOCK_ADD :
						       PAGECACHE_LOCK_BLOCK;
		int mine = state > 0 ? 0 : 1;

		if (atomic_read(&s->violations) ||
		    time_after_eq(jiffies, s->deadline))
			break;
		if (!s->ops->get(&s->lock, state, get_random_u32_below(3)))
			continue;

		atomic_inc(&s->inside[mine]);
		/* Order our entry before reading the other state's count. */
		smp_mb__after_atomic();
		pcl_stress_check(s, !mine);
		if (n % 8 == 0)
			usleep_range(5, 20);
		else
			cpu_relax();
		pcl_stress_check(s, !mine);
		atomic_dec(&s->inside[mine]);
		atomic_inc(&s->acquired);

		s->ops->put(&s->lock, state);
	}
	if (atomic_dec_and_test(&s->running))
		complete(&s->done);
	return 0;
}

/* Returns the number of violations seen, or -1 if the threads hung. */
static int pcl_run_stress(struct kunit *test, const struct pcl_stress_ops *ops,
			  unsigned int threads, unsigned int iterations)
{
	struct pcl_stress *s;
	unsigned int i;
	int violations;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	pagecache_lock_init(&s->lock);
	s->ops = ops;
	s->iterations = iterations;
	s->deadline = jiffies + PCL_STRESS_RUN;
	atomic_set(&s->running, threads + 1);
	init_completion(&s->done);

	for (i = 0; i < threads; i++) {
		struct task_struct *t;

		t = kthread_run(pcl_stress_fn, s, "pcl_stress/%u", i);
		if (IS_ERR(t)) {
			KUNIT_FAIL(test, "cannot start stress thread %u", i);
			atomic_dec(&s->running);
		}
	}
	if (!atomic_dec_and_test(&s->running) &&
	    !wait_for_completion_timeout(&s->done, PCL_STRESS_TIMEOUT)) {
		KUNIT_FAIL(test, "stress threads still running after %d s: lock wedged",
			   PCL_STRESS_TIMEOUT / HZ);
		return -1;
	}

	violations = atomic_read(&s->violations);
	kunit_info(test, "%u threads, %d acquisitions, %d exclusion violations\n",
		   threads, atomic_read(&s->acquired), violations);
	kfree(s);
	return violations;
}

static void pagecache_lock_stress_never_lets_both_states_in(struct kunit *test)
{
	int violations = pcl_run_stress(test, &pcl_real_ops, 4, 4000);

	KUNIT_EXPECT_EQ_MSG(test, violations, 0,
			    "add and block were held at the same time");
}

static void pagecache_lock_stress_checker_catches_a_broken_lock(struct kunit *test)
{
	int violations = pcl_run_stress(test, &pcl_broken_ops, 4, 4000);

	KUNIT_EXPECT_GT_MSG(test, violations, 0,
			    "the checker missed a lock that excludes nothing");
}

static struct kunit_case pagecache_lock_test_cases[] = {
	KUNIT_CASE(pagecache_lock_starts_free_in_both_states),
	KUNIT_CASE(pagecache_add_is_shared_with_add),
	KUNIT_CASE(pagecache_block_is_shared_with_block),
	KUNIT_CASE(pagecache_add_excludes_block),
	KUNIT_CASE(pagecache_block_excludes_add),
	KUNIT_CASE(pagecache_block_waiter_wakes_when_last_add_holder_leaves),
	KUNIT_CASE(pagecache_add_waiter_wakes_when_last_block_holder_leaves),
	KUNIT_CASE(pagecache_block_lock_killable_returns_eintr_on_fatal_signal),
	KUNIT_CASE(pagecache_add_lock_killable_returns_eintr_on_fatal_signal),
	KUNIT_CASE(pagecache_lock_guards_release_on_scope_exit),
	KUNIT_CASE(pagecache_block_taker_gets_in_while_add_holds_keep_overlapping),
	KUNIT_CASE(pagecache_add_taker_gets_in_while_block_holds_keep_overlapping),
	KUNIT_CASE_SLOW(pagecache_lock_starvation_checker_catches_an_unfair_lock),
	KUNIT_CASE(pagecache_add_trylock_in_a_held_section_passes_a_queued_block_taker),
	KUNIT_CASE(pagecache_add_lock_in_a_held_section_passes_a_queued_block_taker),
	KUNIT_CASE(pagecache_add_trylock_outside_a_section_queues_behind_a_block_taker),
	KUNIT_CASE(pagecache_unbalanced_unlock_is_reported_and_ignored),
	KUNIT_CASE(pagecache_unlock_of_the_wrong_state_is_reported_and_ignored),
	KUNIT_CASE_SLOW(pagecache_lock_stress_never_lets_both_states_in),
	KUNIT_CASE_SLOW(pagecache_lock_stress_checker_catches_a_broken_lock),
	{}
};

static struct kunit_suite pagecache_lock_test_suite = {
	.name = "pagecache_lock",
	.test_cases = pagecache_lock_test_cases,
};

/*
 * Lockdep: each case needs lockdep on when it starts.  The last case makes
 * lockdep report and switch itself off, which it observes through
 * debug_locks; it runs only with CONFIG_PAGECACHE_LOCK_LOCKDEP_SELFTEST, and
 * is in a suite of its own so that a run that boots once per suite keeps
 * lockdep for everything else.
 */
static void pcl_require_lockdep(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_skip(test, "needs CONFIG_PROVE_LOCKING");
	if (!debug_locks)
		kunit_skip(test, "lockdep was switched off by an earlier report");
}

struct pcl_pair {
	struct pagecache_lock a;
	struct pagecache_lock b;
};

static struct pcl_pair *pcl_pair_alloc(struct kunit *test)
{
	struct pcl_pair *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	pagecache_lock_init(&p->a);
	pagecache_lock_init(&p->b);
	return p;
}

/* Hold @outer for block and take @inner for add, as a DIO fault would. */
static void pcl_block_then_add(struct pagecache_lock *outer,
			       struct pagecache_lock *inner)
{
	pagecache_block_lock(outer);
	pagecache_add_lock(inner);
	pagecache_add_unlock(inner);
	pagecache_block_unlock(outer);
}

static void pagecache_lock_consistent_order_is_not_reported(struct kunit *test)
{
	struct pcl_pair *p;

	pcl_require_lockdep(test);
	p = pcl_pair_alloc(test);
	pcl_block_then_add(&p->a, &p->b);
	pcl_block_then_add(&p->a, &p->b);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static void pagecache_lock_add_taken_again_in_a_held_section_is_not_reported(struct kunit *test)
{
	struct pagecache_lock *prev;
	struct pcl_pair *p;

	pcl_require_lockdep(test);
	p = pcl_pair_alloc(test);
	pagecache_add_lock(&p->a);
	prev = pagecache_add_held_enter(&p->a);
	pagecache_add_lock(&p->a);
	KUNIT_EXPECT_TRUE(test, pagecache_add_trylock(&p->a));
	pagecache_add_lock(&p->b);
	pagecache_add_unlock(&p->b);
	pagecache_add_unlock(&p->a);
	pagecache_add_unlock(&p->a);
	pagecache_add_held_exit(prev);
	pagecache_add_unlock(&p->a);
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static void pagecache_lock_ab_ba_order_is_reported_by_lockdep(struct kunit *test)
{
	struct pcl_pair *p;

	pcl_require_lockdep(test);
	if (!IS_ENABLED(CONFIG_PAGECACHE_LOCK_LOCKDEP_SELFTEST))
		kunit_skip(test,
			   "needs CONFIG_PAGECACHE_LOCK_LOCKDEP_SELFTEST (its report switches lockdep off)");
	p = pcl_pair_alloc(test);
	kunit_info(test, "expected report: possible circular locking dependency\n");
	pcl_block_then_add(&p->a, &p->b);
	pcl_block_then_add(&p->b, &p->a);
	KUNIT_EXPECT_FALSE_MSG(test, debug_locks,
			       "lockdep did not report block(A)->add(B) vs block(B)->add(A)");
}

/* Does the calling task hold @lock for block, as lockdep sees it? */
static bool pcl_block_held(struct pagecache_lock *lock)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	return lock_is_held(&lock->block_map);
#else
	return false;
#endif
}

struct pcl_handoff {
	struct pagecache_lock lock;
	struct completion done;
	bool held_before;	/* by the completing task, before it took over */
	bool held_after;
};

/* The completing side of an asynchronous direct write. */
static int pcl_handoff_fn(void *arg)
{
	struct pcl_handoff *h = arg;

	h->held_before = pcl_block_held(&h->lock);
	pagecache_block_acquire(&h->lock);
	h->held_after = pcl_block_held(&h->lock);
	pagecache_block_unlock(&h->lock);
	complete(&h->done);
	return 0;
}

static void pagecache_block_hold_handed_to_another_task_is_not_reported(struct kunit *test)
{
	struct task_struct *t;
	struct pcl_handoff *h;

	pcl_require_lockdep(test);
	/* Not test-managed: a completing thread that never ran keeps it. */
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	pagecache_lock_init(&h->lock);
	init_completion(&h->done);

	pagecache_block_lock(&h->lock);
	KUNIT_EXPECT_TRUE(test, pcl_block_held(&h->lock));
	pagecache_block_release(&h->lock);
	KUNIT_EXPECT_FALSE_MSG(test, pcl_block_held(&h->lock),
			       "the submitter still holds block for lockdep after handing it over");
	KUNIT_EXPECT_FALSE_MSG(test, pagecache_add_trylock(&h->lock),
			       "handing block over released it");

	t = kthread_run(pcl_handoff_fn, h, "pcl_handoff");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_TRUE_MSG(test, wait_for_completion_timeout(&h->done,
								PCL_WAKE_TIMEOUT),
			      "the completing thread did not finish");
	KUNIT_EXPECT_FALSE(test, h->held_before);
	KUNIT_EXPECT_TRUE_MSG(test, h->held_after,
			      "the completing thread does not hold block for lockdep after taking it over");
	KUNIT_EXPECT_TRUE_MSG(test, pagecache_add_trylock(&h->lock),
			      "block still held after the completing thread unlocked it");
	pagecache_add_unlock(&h->lock);
	KUNIT_EXPECT_TRUE(test, debug_locks);
	kfree(h);
}

static struct kunit_case pagecache_lock_lockdep_test_cases[] = {
	KUNIT_CASE(pagecache_lock_consistent_order_is_not_reported),
	KUNIT_CASE(pagecache_lock_add_taken_again_in_a_held_section_is_not_reported),
	KUNIT_CASE(pagecache_block_hold_handed_to_another_task_is_not_reported),
	KUNIT_CASE(pagecache_lock_ab_ba_order_is_reported_by_lockdep),
	{}
};

static struct kunit_suite pagecache_lock_lockdep_test_suite = {
	.name = "pagecache_lock_lockdep",
	.test_cases = pagecache_lock_lockdep_test_cases,
};

kunit_test_suites(&pagecache_lock_test_suite,
		  &pagecache_lock_lockdep_test_suite);

MODULE_DESCRIPTION("KUnit tests for the two-state page cache lock");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
