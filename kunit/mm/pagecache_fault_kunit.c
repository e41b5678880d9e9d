// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for current->faults_disabled_mapping and pagecache_lock_fault():
 * the marker's semantics, the fault path's decisions as a table, and real
 * get_user_pages() through a user mapping of ramfs files.
 *
 * Each checker also runs against a deliberately wrong fault helper and must
 * catch it.  Waits that could hang are bounded.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/faults_disabled_mapping.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kmsg_dump.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmap_lock.h>
#include <linux/pagecache_lock.h>
#include <linux/pagemap.h>
#include <linux/ramfs.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#define PCF_BLOCKED_AFTER	(HZ / 10)
#define PCF_TIMEOUT		(5 * HZ)

/* ---- The marker ---- */

static void fdm_is_null_in_the_running_test(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, current->faults_disabled_mapping);
	KUNIT_EXPECT_NULL(test, faults_disabled_mapping());
}

static void fdm_enter_sets_and_exit_clears_the_marker(struct kunit *test)
{
	struct address_space *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	faults_disabled_mapping_enter(m);
	KUNIT_EXPECT_PTR_EQ(test, faults_disabled_mapping(), m);
	KUNIT_EXPECT_EQ(test, faults_disabled_mapping_exit(), 0UL);
	KUNIT_EXPECT_NULL(test, current->faults_disabled_mapping);
}

static void fdm_flags_are_independent_and_survive_untagging(struct kunit *test)
{
	struct address_space *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	faults_disabled_mapping_enter(m);
	faults_disabled_mapping_set_flags(FDM_DROPPED_LOCKS);
	KUNIT_EXPECT_TRUE(test, faults_disabled_mapping_test_flags(FDM_DROPPED_LOCKS));
	KUNIT_EXPECT_FALSE(test, faults_disabled_mapping_test_flags(FDM_SELF_FAULT));
	KUNIT_EXPECT_PTR_EQ(test, faults_disabled_mapping(), m);

	faults_disabled_mapping_set_flags(FDM_SELF_FAULT);
	KUNIT_EXPECT_TRUE(test, faults_disabled_mapping_test_flags(FDM_SELF_FAULT));
	KUNIT_EXPECT_PTR_EQ(test, faults_disabled_mapping(), m);
	KUNIT_EXPECT_EQ(test, faults_disabled_mapping_exit(), FDM_FLAGS);
	KUNIT_EXPECT_NULL(test, current->faults_disabled_mapping);
}

static void fdm_flags_outside_a_section_are_ignored(struct kunit *test)
{
	faults_disabled_mapping_set_flags(FDM_DROPPED_LOCKS);
	KUNIT_EXPECT_NULL(test, current->faults_disabled_mapping);
}

/*
 * The kernel log since a mark: the report a case expects is observed in
 * the log itself, as kfence_test observes its reports (a taint flag set
 * by any earlier warning of the boot would prove nothing).
 */
static void fdm_log_mark(struct kmsg_dump_iter *mark)
{
	kmsg_dump_rewind(mark);
	mark->cur_seq = mark->next_seq;
}

/* Has a line with both @a and @b been logged since @mark? */
static bool fdm_log_has(const struct kmsg_dump_iter *mark, const char *a,
			const char *b)
{
	struct kmsg_dump_iter iter;
	char line[160];
	size_t len;

	kmsg_dump_rewind(&iter);
	iter.cur_seq = mark->cur_seq;
	while (kmsg_dump_get_line(&iter, false, line, sizeof(line) - 1, &len)) {
		line[len] = '\0';
		if (strstr(line, a) && strstr(line, b))
			return true;
	}
	return false;
}

/* The warning line: "WARNING: CPU: 0 PID: 1 at <file>:<line> <function>" */
#define FDM_WARNING	"WARNING: CPU: "
#define FDM_WARNED_AT	"faults_disabled_mapping.h"

static bool fdm_log_has_warning(const struct kmsg_dump_iter *mark)
{
	return fdm_log_has(mark, FDM_WARNING, FDM_WARNED_AT);
}

static void fdm_nested_entry_warns_and_replaces_the_marker(struct kunit *test)
{
	struct address_space *m = kunit_kcalloc(test, 2, sizeof(*m), GFP_KERNEL);
	struct kmsg_dump_iter mark;

	KUNIT_ASSERT_NOT_NULL(test, m);
	kunit_info(test, "expected report: " FDM_WARNED_AT "\n");
	fdm_log_mark(&mark);
	faults_disabled_mapping_enter(&m[0]);
	faults_disabled_mapping_set_flags(FDM_SELF_FAULT);
	faults_disabled_mapping_enter(&m[1]);
	KUNIT_EXPECT_PTR_EQ(test, faults_disabled_mapping(), &m[1]);
	KUNIT_EXPECT_EQ(test, faults_disabled_mapping_exit(), 0UL);
	KUNIT_EXPECT_TRUE_MSG(test, fdm_log_has_warning(&mark),
			      "no warning from " FDM_WARNED_AT " in the log");
}

/* The control: an entry that does not nest logs no such warning. */
static void fdm_single_entry_logs_no_warning(struct kunit *test)
{
	struct address_space *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct kmsg_dump_iter mark;

	KUNIT_ASSERT_NOT_NULL(test, m);
	fdm_log_mark(&mark);
	faults_disabled_mapping_enter(m);
	faults_disabled_mapping_set_flags(FDM_SELF_FAULT);
	KUNIT_EXPECT_EQ(test, faults_disabled_mapping_exit(), FDM_SELF_FAULT);
	KUNIT_EXPECT_FALSE(test, fdm_log_has_warning(&mark));
}

struct fdm_child {
	struct address_space	*seen;
	struct address_space	*set;
	struct completion	done;
};

static int fdm_child_fn(void *data)
{
	struct fdm_child *c = data;

	c->seen = current->faults_disabled_mapping;
	if (c->set) {
		faults_disabled_mapping_enter(c->set);
		faults_disabled_mapping_set_flags(FDM_DROPPED_LOCKS);
	}
	complete(&c->done);
	return 0;
}

/* A plain kernel_thread() child must not return: that means "to user". */
static int fdm_forked_fn(void *data)
{
	fdm_child_fn(data);
	do_exit(0);
}

static void fdm_forked_task_starts_clean(struct kunit *test)
{
	struct address_space *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct fdm_child *c = kzalloc(sizeof(*c), GFP_KERNEL);
	pid_t pid;

	KUNIT_ASSERT_TRUE(test, m && c);
	init_completion(&c->done);
	c->seen = ERR_PTR(-EINVAL);

	faults_disabled_mapping_enter(m);
	pid = kernel_thread(fdm_forked_fn, c, "fdm_child",
			    CLONE_FS | CLONE_FILES | SIGCHLD);
	faults_disabled_mapping_exit();
	KUNIT_ASSERT_GT(test, pid, 0);
	if (!wait_for_completion_timeout(&c->done, PCF_TIMEOUT)) {
		KUNIT_FAIL(test, "child did not run");
		return;
	}
	KUNIT_EXPECT_NULL_MSG(test, c->seen, "fork copied the marker");
	kfree(c);
}

static void fdm_new_kthread_starts_clean(struct kunit *test)
{
	struct address_space *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct fdm_child *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_TRUE(test, m && c);
	init_completion(&c->done);
	c->seen = ERR_PTR(-EINVAL);
	faults_disabled_mapping_enter(m);
	t = kthread_run(fdm_child_fn, c, "fdm_kthread");
	faults_disabled_mapping_exit();
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (!wait_for_completion_timeout(&c->done, PCF_TIMEOUT)) {
		KUNIT_FAIL(test, "kthread did not run");
		return;
	}
	KUNIT_EXPECT_NULL(test, c->seen);
	kfree(c);
}

static void fdm_marker_set_in_one_task_is_invisible_in_another(struct kunit *test)
{
	struct address_space *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct fdm_child *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_TRUE(test, m && c);
	init_completion(&c->done);
	c->set = m;
	t = kthread_run(fdm_child_fn, c, "fdm_kthread");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	if (!wait_for_completion_timeout(&c->done, PCF_TIMEOUT)) {
		KUNIT_FAIL(test, "kthread did not run");
		return;
	}
	KUNIT_EXPECT_NULL(test, current->faults_disabled_mapping);
	KUNIT_EXPECT_FALSE(test, faults_disabled_mapping_test_flags(FDM_DROPPED_LOCKS));
	kfree(c);
}

static struct kunit_case fdm_test_cases[] = {
	KUNIT_CASE(fdm_is_null_in_the_running_test),
	KUNIT_CASE(fdm_enter_sets_and_exit_clears_the_marker),
	KUNIT_CASE(fdm_flags_are_independent_and_survive_untagging),
	KUNIT_CASE(fdm_flags_outside_a_section_are_ignored),
	KUNIT_CASE(fdm_nested_entry_warns_and_replaces_the_marker),
	KUNIT_CASE(fdm_single_entry_logs_no_warning),
	KUNIT_CASE(fdm_forked_task_starts_clean),
	KUNIT_CASE(fdm_new_kthread_starts_clean),
	KUNIT_CASE(fdm_marker_set_in_one_task_is_invisible_in_another),
	{}
};

static struct kunit_suite fdm_test_suite = {
	.name = "faults_disabled_mapping",
	.test_cases = fdm_test_cases,
};

/* ---- The fault path, as a table ---- */

enum pcf_marker { PCF_NONE, PCF_SELF, PCF_LOWER, PCF_HIGHER, PCF_NOT_OPTED,
		  PCF_FOREIGN };
enum pcf_other { PCF_FREE, PCF_ADD_HELD, PCF_BLOCK_HELD };

typedef vm_fault_t (*pcf_helper_t)(struct vm_fault *vmf,
				   vm_fault_t (*fault)(struct vm_fault *vmf));

struct pcf_row {
	const char	*name;
	enum pcf_marker	marker;		/* where the faulting task's marker is */
	enum pcf_other	other;		/* what another task holds on M */
	vm_fault_t	ret;		/* expected result of the fault */
	unsigned long	flags;		/* expected FDM_* flags afterwards */
	bool		blocks;		/* waits until the other task lets go */
	bool		ran;		/* the inner fault ran */
	unsigned int	fault_flags;	/* 0: a fault that cannot be retried */
};

#define PCF_INNER	VM_FAULT_NOPAGE
#define PCF_SIGBUS	VM_FAULT_SIGBUS
#define PCF_SELF_F	FDM_SELF_FAULT
#define PCF_DROP_F	FDM_DROPPED_LOCKS
#define PCF_RETRY	VM_FAULT_RETRY
#define PCF_FIRST	(FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE)
#define PCF_TRIED	(PCF_FIRST | FAULT_FLAG_TRIED)
#define PCF_NOWAIT	(FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT)

static const struct pcf_row pcf_rows[] = {
	/* fault_flags 0: the fault lock cannot be dropped, so it may wait. */
	{ "no marker, lock free", PCF_NONE, PCF_FREE, PCF_INNER, 0, false, true },
	{ "no marker, add held", PCF_NONE, PCF_ADD_HELD, PCF_INNER, 0, false, true },
	{ "no marker, block held", PCF_NONE, PCF_BLOCK_HELD, PCF_INNER, 0, true, true },
	{ "self, lock free", PCF_SELF, PCF_FREE, PCF_SIGBUS, PCF_SELF_F, false, false },
	{ "self, add held", PCF_SELF, PCF_ADD_HELD, PCF_SIGBUS, PCF_SELF_F, false, false },
	{ "self, block held", PCF_SELF, PCF_BLOCK_HELD, PCF_SIGBUS, PCF_SELF_F, false, false },
	{ "lower, lock free", PCF_LOWER, PCF_FREE, PCF_INNER, 0, false, true },
	{ "lower, add held", PCF_LOWER, PCF_ADD_HELD, PCF_INNER, 0, false, true },
	{ "lower, block held", PCF_LOWER, PCF_BLOCK_HELD, PCF_INNER, 0, true, true },
	{ "higher, lock free", PCF_HIGHER, PCF_FREE, PCF_INNER, 0, false, true },
	{ "higher, add held", PCF_HIGHER, PCF_ADD_HELD, PCF_INNER, 0, false, true },
	{ "higher, block held", PCF_HIGHER, PCF_BLOCK_HELD, PCF_SIGBUS, PCF_DROP_F, true, false },
	{ "not opted in, lock free", PCF_NOT_OPTED, PCF_FREE, PCF_INNER, 0, false, true },
	{ "not opted in, add held", PCF_NOT_OPTED, PCF_ADD_HELD, PCF_INNER, 0, false, true },
	{ "not opted in, block held", PCF_NOT_OPTED, PCF_BLOCK_HELD, PCF_INNER, 0, false, true },
	/* F did not opt in (another filesystem's lock): M is only tried. */
	{ "foreign, lock free", PCF_FOREIGN, PCF_FREE, PCF_INNER, 0, false, true },
	{ "foreign, add held", PCF_FOREIGN, PCF_ADD_HELD, PCF_INNER, 0, false, true },
	{ "foreign, block held", PCF_FOREIGN, PCF_BLOCK_HELD, PCF_SIGBUS, 0, false, false },
	/* Faults that may be retried never wait with the fault lock held. */
	{ "no marker, block held, first try",
	  PCF_NONE, PCF_BLOCK_HELD, PCF_RETRY, 0, true, false, PCF_FIRST },
	{ "no marker, block held, retried",
	  PCF_NONE, PCF_BLOCK_HELD, PCF_RETRY, 0, true, false, PCF_TRIED },
	{ "no marker, block held, no wait",
	  PCF_NONE, PCF_BLOCK_HELD, PCF_RETRY, 0, false, false, PCF_NOWAIT },
	{ "no marker, add held, retried",
	  PCF_NONE, PCF_ADD_HELD, PCF_INNER, 0, false, true, PCF_TRIED },
	{ "self, block held, retried",
	  PCF_SELF, PCF_BLOCK_HELD, PCF_SIGBUS, PCF_SELF_F, false, false, PCF_TRIED },
	{ "lower, block held, retried",
	  PCF_LOWER, PCF_BLOCK_HELD, PCF_RETRY, 0, true, false, PCF_TRIED },
	{ "higher, block held, retried",
	  PCF_HIGHER, PCF_BLOCK_HELD, PCF_RETRY, PCF_DROP_F, true, false, PCF_TRIED },
	{ "foreign, block held, retried",
	  PCF_FOREIGN, PCF_BLOCK_HELD, PCF_SIGBUS, 0, false, false, PCF_TRIED },
};

static void pcf_row_desc(const struct pcf_row *row, char *desc)
{
	strscpy(desc, row->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pcf_row, pcf_rows, pcf_row_desc);

/* What one fault did; filled in by the faulting kthread. */
struct pcf_run {
	const struct pcf_row	*row;
	pcf_helper_t		helper;
	struct address_space	maps[2];	/* maps[0] < maps[1] */
	struct address_space	*m;		/* the faulting mapping */
	struct address_space	*f;		/* the marked mapping, or NULL */
	struct vm_area_struct	vma;
	struct file		file;
	struct mm_struct	*mm;		/* whose mmap lock is the fault lock */
	bool			fault_lock_kept; /* still held after the fault */
	bool			waited_unlocked; /* fault lock free while it waited */
	vm_fault_t		ret;
	unsigned long		flags;
	bool			ran;
	long			inner_word;	/* M's lock word while it ran */
	long			f_after;	/* F's lock word after the fault */
	bool			blocked;
	struct completion	done;
};

static struct pcf_run *pcf_current;

static vm_fault_t pcf_inner_fault(struct vm_fault *vmf)
{
	struct pcf_run *r = pcf_current;

	r->ran = true;
	r->inner_word = atomic_long_read(&r->m->pagecache_lock.v) &
			~PAGECACHE_LOCK_FLAGS;
	return PCF_INNER;
}

static int pcf_faulter_fn(void *data)
{
	struct pcf_run *r = data;
	struct vm_fault vmf = {
		.vma = &r->vma,
		.flags = r->row->fault_flags,
	};

	if (r->f && r->f != r->m)
		pagecache_block_lock(&r->f->pagecache_lock);
	if (r->f)
		faults_disabled_mapping_enter(r->f);
	if (r->mm)
		mmap_read_lock(r->mm);

	r->ret = r->helper(&vmf, pcf_inner_fault);

	if (r->mm) {
		r->fault_lock_kept = rwsem_is_locked(&r->mm->mmap_lock);
		if (r->fault_lock_kept)
			mmap_read_unlock(r->mm);
	}

	if (r->f) {
		r->flags = faults_disabled_mapping_exit();
		r->f_after = atomic_long_read(&r->f->pagecache_lock.v) &
			     ~PAGECACHE_LOCK_FLAGS;
		if (r->f != r->m)
			pagecache_block_unlock(&r->f->pagecache_lock);
	}
	complete(&r->done);
	return 0;
}

static void pcf_free(struct pcf_run *r)
{
	if (r->mm)
		mmput(r->mm);
	kfree(r);
}

/*
 * Run one row with @helper.  Returns NULL if the faulter did not finish: its
 * memory is then leaked on purpose.  A row whose fault may be retried gets a
 * real (empty) mm, whose mmap lock the faulter holds as the fault lock.
 */
static struct pcf_run *pcf_run_row(struct kunit *test, const struct pcf_row *row,
				   pcf_helper_t helper)
{
	struct pcf_run *r = kzalloc(sizeof(*r), GFP_KERNEL);
	struct pagecache_lock *ml;
	struct task_struct *t;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->row = row;
	r->helper = helper;
	init_completion(&r->done);
	for (i = 0; i < 2; i++) {
		pagecache_lock_init(&r->maps[i].pagecache_lock);
		if (row->marker != PCF_NOT_OPTED &&
		    (row->marker != PCF_FOREIGN || i == 1))
			mapping_set_pagecache_lock(&r->maps[i]);
	}
	r->m = row->marker == PCF_HIGHER ? &r->maps[0] : &r->maps[1];
	switch (row->marker) {
	case PCF_SELF:
		r->f = r->m;
		break;
	case PCF_LOWER:
	case PCF_FOREIGN:
		r->f = &r->maps[0];
		break;
	case PCF_HIGHER:
		r->f = &r->maps[1];
		break;
	default:
		r->f = NULL;
	}
	r->file.f_mapping = r->m;
	/* Our reference: the helper's get_file()/fput() never drop the last. */
	atomic_long_set(&r->file.f_count, 1);
	r->vma.vm_file = &r->file;
	if (row->fault_flags) {
		r->mm = mm_alloc();
		if (!r->mm) {
			kfree(r);
			KUNIT_FAIL_AND_ABORT(test, "cannot allocate an mm");
		}
		r->vma.vm_mm = r->mm;
	}
	ml = &r->m->pagecache_lock;

	if (row->other == PCF_ADD_HELD)
		pagecache_add_lock(ml);
	else if (row->other == PCF_BLOCK_HELD)
		pagecache_block_lock(ml);

	pcf_current = r;
	t = kthread_run(pcf_faulter_fn, r, "pcf_faulter");
	if (IS_ERR(t)) {
		pcf_free(r);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the faulting thread");
	}
	r->blocked = !wait_for_completion_timeout(&r->done, PCF_BLOCKED_AFTER);
	/* Only the faulter takes the mmap lock: it must not hold it to wait. */
	if (r->blocked && r->mm)
		r->waited_unlocked = !rwsem_is_locked(&r->mm->mmap_lock);

	if (row->other == PCF_ADD_HELD)
		pagecache_add_unlock(ml);
	else if (row->other == PCF_BLOCK_HELD)
		pagecache_block_unlock(ml);

	if (r->blocked && !wait_for_completion_timeout(&r->done, PCF_TIMEOUT)) {
		KUNIT_FAIL(test, "%s: fault still waiting 5 s after the other task let go",
			   row->name);
		return NULL;
	}
	return r;
}

/* Compare a run with its row; returns the number of mismatches. */
static int pcf_check(struct kunit *test, const struct pcf_run *r, bool report)
{
	const struct pcf_row *row = r->row;
	bool opted = row->marker != PCF_NOT_OPTED;
	long other_word = row->other == PCF_ADD_HELD ? PAGECACHE_LOCK_ADD :
			  row->other == PCF_BLOCK_HELD ? PAGECACHE_LOCK_BLOCK : 0;
	int bad = 0;

#define PCF_EXPECT(cond, fmt, ...)					\
	do {								\
		if (!(cond)) {						\
			bad++;						\
			if (report)					\
				KUNIT_FAIL(test, "%s: " fmt, row->name,	\
					   ##__VA_ARGS__);		\
		}							\
	} while (0)

	PCF_EXPECT(r->ret == row->ret, "returned %#x, expected %#x",
		   (unsigned int)r->ret, (unsigned int)row->ret);
	PCF_EXPECT(r->flags == row->flags, "flags %#lx, expected %#lx",
		   r->flags, row->flags);
	PCF_EXPECT(r->blocked == row->blocks, "%s, expected it %s",
		   r->blocked ? "waited" : "did not wait",
		   row->blocks ? "to wait" : "not to");
	PCF_EXPECT(r->ran == row->ran, "inner fault %s",
		   r->ran ? "ran" : "did not run");
	/* Opted in: we hold add; not opted in: only the other task holds. */
	PCF_EXPECT(!r->ran || (opted ? r->inner_word >= PAGECACHE_LOCK_ADD :
				      r->inner_word == other_word),
		   "inner fault ran with M's lock word %ld", r->inner_word);
	PCF_EXPECT(atomic_long_read(&r->m->pagecache_lock.v) == 0,
		   "M left with lock word %ld",
		   atomic_long_read(&r->m->pagecache_lock.v));
	PCF_EXPECT(!r->f || r->f == r->m || r->f_after == PAGECACHE_LOCK_BLOCK,
		   "F's block lock not held after the fault (word %ld)",
		   r->f_after);
	/* VM_FAULT_RETRY without RETRY_NOWAIT means the fault lock is gone. */
	PCF_EXPECT(!r->mm || r->fault_lock_kept ==
		   (row->ret != VM_FAULT_RETRY ||
		    !!(row->fault_flags & FAULT_FLAG_RETRY_NOWAIT)),
		   "fault lock %s after returning %#x",
		   r->fault_lock_kept ? "still held" : "released",
		   (unsigned int)r->ret);
	PCF_EXPECT(!r->mm || !r->blocked || r->waited_unlocked,
		   "waited with the fault lock held");
#undef PCF_EXPECT
	return bad;
}

static void pagecache_lock_fault_follows_the_table(struct kunit *test)
{
	const struct pcf_row *row = test->param_value;
	struct pcf_run *r = pcf_run_row(test, row, pagecache_lock_fault);

	if (!r)
		return;
	pcf_check(test, r, true);
	pcf_free(r);
}

/*
 * A helper that ignores the marker and the retry flags and just waits for
 * add: the checkers must catch it.  It waits by polling a trylock, which
 * lockdep does not order after the locks the faulter holds, so that the
 * report the checkers rely on is their own, not lockdep's (which would
 * switch lockdep off for the suites after this one).
 */
static vm_fault_t pcf_wrong_helper(struct vm_fault *vmf,
				   vm_fault_t (*fault)(struct vm_fault *vmf))
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	vm_fault_t ret;

	if (!mapping_uses_pagecache_lock(mapping))
		return fault(vmf);
	while (!pagecache_add_trylock(&mapping->pagecache_lock))
		usleep_range(1000, 2000);
	ret = fault(vmf);
	pagecache_add_unlock(&mapping->pagecache_lock);
	return ret;
}

static void pagecache_lock_fault_table_catches_a_helper_ignoring_the_marker(struct kunit *test)
{
	int i, rows_caught = 0;

	for (i = 0; i < ARRAY_SIZE(pcf_rows); i++) {
		struct pcf_run *r = pcf_run_row(test, &pcf_rows[i],
						pcf_wrong_helper);

		if (!r)
			return;
		if (pcf_check(test, r, false))
			rows_caught++;
		pcf_free(r);
	}
	kunit_info(test, "%d of %zu rows caught the wrong helper\n",
		   rows_caught, ARRAY_SIZE(pcf_rows));
	/*
	 * The four self rows, the two "higher, block held" and the two
	 * "foreign, block held" rows, and the four retryable rows where it
	 * waits with the fault lock held.
	 */
	KUNIT_EXPECT_EQ(test, rows_caught, 12);
}

static struct kunit_case pcf_test_cases[] = {
	KUNIT_CASE_PARAM(pagecache_lock_fault_follows_the_table, pcf_row_gen_params),
	KUNIT_CASE(pagecache_lock_fault_table_catches_a_helper_ignoring_the_marker),
	{}
};

static struct kunit_suite pcf_test_suite = {
	.name = "pagecache_lock_fault",
	.test_cases = pcf_test_cases,
};

/* ---- Real gup through user mappings of ramfs files ---- */

#define PCG_PAGES	4
#define PCG_SIZE	(PCG_PAGES * PAGE_SIZE)

static pcf_helper_t pcg_helper = pagecache_lock_fault;

static vm_fault_t pcg_fault(struct vm_fault *vmf)
{
	return pcg_helper(vmf, filemap_fault);
}

static const struct vm_operations_struct pcg_vm_ops = {
	.fault = pcg_fault,
};

static int pcg_mmap(struct file *file, struct vm_area_struct *vma)
{
	file_accessed(file);
	vma->vm_ops = &pcg_vm_ops;
	return 0;
}

static const struct file_operations pcg_fops = {
	.llseek		= generic_file_llseek,
	.read_iter	= generic_file_read_iter,
	.write_iter	= generic_file_write_iter,
	.splice_read	= filemap_splice_read,
	.splice_write	= iter_file_splice_write,
	.mmap		= pcg_mmap,
};

struct pcg_ctx {
	struct vfsmount		*mnt;
	struct file		*files[2];
};

static void pcg_exit(struct kunit *test)
{
	struct pcg_ctx *ctx = test->priv;
	int i;

	pcg_helper = pagecache_lock_fault;
	if (!ctx)
		return;
	for (i = 0; i < 2; i++)
		if (!IS_ERR_OR_NULL(ctx->files[i]))
			fput(ctx->files[i]);
	if (!IS_ERR_OR_NULL(ctx->mnt))
		kern_unmount(ctx->mnt);
}

static int pcg_init(struct kunit *test)
{
	struct file_system_type *type = get_fs_type("ramfs");
	struct pcg_ctx *ctx;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx || !type)
		return -ENOMEM;
	test->priv = ctx;
	ctx->mnt = kern_mount(type);
	put_filesystem(type);
	if (IS_ERR(ctx->mnt))
		return PTR_ERR(ctx->mnt);

	for (i = 0; i < 2; i++) {
		struct inode *inode;

		inode = ramfs_get_inode(ctx->mnt->mnt_sb, NULL, S_IFREG | 0600, 0);
		if (!inode)
			return -ENOMEM;
		mapping_set_pagecache_lock(inode->i_mapping);
		i_size_write(inode, PCG_SIZE);
		ctx->files[i] = alloc_file_pseudo(inode, ctx->mnt, "pcg",
						  O_RDWR, &pcg_fops);
		if (IS_ERR(ctx->files[i])) {
			iput(inode);
			return PTR_ERR(ctx->files[i]);
		}
	}
	return 0;
}

static struct address_space *pcg_mapping(struct kunit *test, int i)
{
	struct pcg_ctx *ctx = test->priv;

	return ctx->files[i]->f_mapping;
}

static unsigned long pcg_mmap_file(struct kunit *test, int i)
{
	struct pcg_ctx *ctx = test->priv;
	unsigned long addr;

	addr = kunit_vm_mmap(test, ctx->files[i], 0, PCG_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0UL, "cannot map the test file");
	return addr;
}

/* Pin a user range as a direct I/O write pins its source buffer. */
static ssize_t pcg_pin(unsigned long addr)
{
	struct page *pages[PCG_PAGES], **pp = pages;
	struct iov_iter iter;
	size_t offset;
	ssize_t ret;

	iov_iter_ubuf(&iter, ITER_SOURCE, (void __user *)addr, PCG_SIZE);
	ret = iov_iter_extract_pages(&iter, &pp, PCG_SIZE, PCG_PAGES, 0,
				     &offset);
	if (ret > 0)
		unpin_user_pages(pages, DIV_ROUND_UP(ret + offset, PAGE_SIZE));
	return ret;
}

static void pagecache_gup_without_a_marker_pins_the_pages(struct kunit *test)
{
	unsigned long addr = pcg_mmap_file(test, 0);

	KUNIT_EXPECT_EQ(test, pcg_pin(addr), (ssize_t)PCG_SIZE);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pcg_mapping(test, 0)->pagecache_lock.v), 0);
}

static void pagecache_gup_on_the_marked_mapping_fails_with_self(struct kunit *test)
{
	struct address_space *m = pcg_mapping(test, 0);
	unsigned long addr = pcg_mmap_file(test, 0);
	unsigned long flags;
	ssize_t ret;

	pagecache_block_lock(&m->pagecache_lock);
	faults_disabled_mapping_enter(m);
	ret = pcg_pin(addr);
	flags = faults_disabled_mapping_exit();
	pagecache_block_unlock(&m->pagecache_lock);

	KUNIT_EXPECT_EQ(test, ret, (ssize_t)-EFAULT);
	KUNIT_EXPECT_EQ(test, flags, FDM_SELF_FAULT);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&m->pagecache_lock.v), 0);
}

/* The other direct I/O writer: holds L for block and wants H for add. */
struct pcg_writer {
	struct address_space	*l;
	struct address_space	*h;
	bool			got_h;
	struct completion	holding;
	struct completion	done;
};

static int pcg_writer_fn(void *data)
{
	struct pcg_writer *w = data;
	unsigned long deadline = jiffies + PCF_TIMEOUT;

	pagecache_block_lock(&w->l->pagecache_lock);
	complete(&w->holding);
	while (time_before(jiffies, deadline)) {
		if (pagecache_add_trylock(&w->h->pagecache_lock)) {
			w->got_h = true;
			pagecache_add_unlock(&w->h->pagecache_lock);
			break;
		}
		usleep_range(500, 1000);
	}
	pagecache_block_unlock(&w->l->pagecache_lock);
	complete(&w->done);
	return 0;
}

/* Returns false if the writer did not finish (its memory is leaked). */
static bool pcg_ab_ba(struct kunit *test, struct pcg_writer **wp,
		      ssize_t *ret, unsigned long *flags, long *h_after)
{
	struct address_space *a = pcg_mapping(test, 0);
	struct address_space *b = pcg_mapping(test, 1);
	struct pcg_writer *w = kzalloc(sizeof(*w), GFP_KERNEL);
	struct task_struct *t;
	unsigned long addr;

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->l = a < b ? a : b;
	w->h = a < b ? b : a;
	addr = pcg_mmap_file(test, w->l == a ? 0 : 1);
	init_completion(&w->holding);
	init_completion(&w->done);

	/* We write H from a mapping of L while the writer writes L from H. */
	pagecache_block_lock(&w->h->pagecache_lock);
	t = kthread_run(pcg_writer_fn, w, "pcg_writer");
	if (IS_ERR(t)) {
		pagecache_block_unlock(&w->h->pagecache_lock);
		kfree(w);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the writer thread");
	}
	wait_for_completion(&w->holding);

	faults_disabled_mapping_enter(w->h);
	*ret = pcg_pin(addr);
	*flags = faults_disabled_mapping_exit();
	*h_after = atomic_long_read(&w->h->pagecache_lock.v) &
		   ~PAGECACHE_LOCK_FLAGS;
	pagecache_block_unlock(&w->h->pagecache_lock);

	if (!wait_for_completion_timeout(&w->done, PCF_TIMEOUT)) {
		KUNIT_FAIL(test, "the other writer never finished");
		return false;
	}
	*wp = w;
	return true;
}

static void pagecache_gup_ab_ba_drops_and_retakes_the_block_lock(struct kunit *test)
{
	struct pcg_writer *w;
	unsigned long flags;
	long h_after;
	ssize_t ret;

	if (!pcg_ab_ba(test, &w, &ret, &flags, &h_after))
		return;
	kunit_info(test, "gup returned %zd with flags %#lx\n", ret, flags);
	KUNIT_EXPECT_TRUE_MSG(test, w->got_h,
			      "the other writer never got H: AB-BA deadlock broken only by its timeout");
	KUNIT_EXPECT_EQ(test, flags, FDM_DROPPED_LOCKS);
	KUNIT_EXPECT_TRUE(test, ret == (ssize_t)PCG_SIZE || ret == -EFAULT);
	KUNIT_EXPECT_EQ_MSG(test, h_after, PAGECACHE_LOCK_BLOCK,
			    "H not held for block after the fault");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&w->l->pagecache_lock.v), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&w->h->pagecache_lock.v), 0);
	kfree(w);
}

static void pagecache_gup_ab_ba_checker_catches_a_helper_keeping_the_lock(struct kunit *test)
{
	struct pcg_writer *w;
	unsigned long flags;
	long h_after;
	ssize_t ret;

	pcg_helper = pcf_wrong_helper;
	if (!pcg_ab_ba(test, &w, &ret, &flags, &h_after))
		return;
	KUNIT_EXPECT_FALSE_MSG(test, w->got_h,
			       "the checker missed a helper that waits holding its block lock");
	KUNIT_EXPECT_EQ(test, flags, 0UL);
	kfree(w);
}

static struct kunit_case pcg_test_cases[] = {
	KUNIT_CASE(pagecache_gup_without_a_marker_pins_the_pages),
	KUNIT_CASE(pagecache_gup_on_the_marked_mapping_fails_with_self),
	KUNIT_CASE(pagecache_gup_ab_ba_drops_and_retakes_the_block_lock),
	KUNIT_CASE_SLOW(pagecache_gup_ab_ba_checker_catches_a_helper_keeping_the_lock),
	{}
};

static struct kunit_suite pcg_test_suite = {
	.name = "pagecache_lock_gup",
	.init = pcg_init,
	.exit = pcg_exit,
	.test_cases = pcg_test_cases,
};

/* ---- Every path that adds folios waits while the lock is held for block ---- */

#define PCA_HOLD_MS	200

/* A kthread holding @mapping for block until released or @hold passes. */
struct pca_holder {
	struct address_space	*mapping;
	unsigned long		hold;		/* jiffies */
	unsigned long		nrpages_while_held;
	struct completion	holding;
	struct completion	release;
	struct completion	done;
};

static int pca_holder_fn(void *data)
{
	struct pca_holder *h = data;

	pagecache_block_lock(&h->mapping->pagecache_lock);
	complete(&h->holding);
	wait_for_completion_timeout(&h->release, h->hold);
	h->nrpages_while_held = READ_ONCE(h->mapping->nrpages);
	pagecache_block_unlock(&h->mapping->pagecache_lock);
	complete(&h->done);
	return 0;
}

/* Start a holder and wait until it holds block; NULL if it cannot start. */
static struct pca_holder *pca_hold(struct address_space *mapping,
				   unsigned long hold)
{
	struct pca_holder *h = kzalloc(sizeof(*h), GFP_KERNEL);
	struct task_struct *t;

	if (!h)
		return NULL;
	h->mapping = mapping;
	h->hold = hold;
	init_completion(&h->holding);
	init_completion(&h->release);
	init_completion(&h->done);
	t = kthread_run(pca_holder_fn, h, "pca_holder");
	if (IS_ERR(t)) {
		kfree(h);
		return NULL;
	}
	wait_for_completion(&h->holding);
	return h;
}

struct pca_path {
	const char	*name;
	int		(*run)(struct kunit *test, struct file *file);
	bool		waits;	/* readahead skips instead: it is a hint */
};

static int pca_buffered_read(struct kunit *test, struct file *file)
{
	char buf[16];
	loff_t pos = 0;

	return kernel_read(file, buf, sizeof(buf), &pos) == sizeof(buf) ? 0 : -EIO;
}

static int pca_buffered_write(struct kunit *test, struct file *file)
{
	static const char buf[16] = "pagecache-lock";
	loff_t pos = 0;

	return kernel_write(file, buf, sizeof(buf), &pos) == sizeof(buf) ? 0 : -EIO;
}

/*
 * The readahead that fadvise(WILLNEED), madvise(MADV_WILLNEED) and
 * readahead(2) start on a file with a backing device.  ramfs has none, so
 * fadvise is a no-op on it and its files get no readahead window: call the
 * readahead code directly, with a window.
 */
static int pca_readahead(struct kunit *test, struct file *file)
{
	/* No backing device means no readahead window: give it one. */
	file->f_ra.ra_pages = PCG_PAGES;
	page_cache_sync_readahead(file->f_mapping, &file->f_ra, file, 0,
				  PCG_PAGES);
	return 0;
}

static int pca_mmap_fault(struct kunit *test, struct file *file)
{
	unsigned long addr;
	char c;

	addr = kunit_vm_mmap(test, file, 0, PCG_SIZE, PROT_READ, MAP_SHARED, 0);
	if (!addr)
		return -ENOMEM;
	return copy_from_user(&c, (void __user *)addr, 1) ? -EFAULT : 0;
}

static int pca_splice_read(struct kunit *test, struct file *file)
{
	struct pcg_ctx *ctx = test->priv;
	loff_t in = 0, out = 0;

	return do_splice_direct(file, &in, ctx->files[1], &out, PAGE_SIZE, 0) ==
	       PAGE_SIZE ? 0 : -EIO;
}

static const struct pca_path pca_paths[] = {
	{ "buffered read", pca_buffered_read, true },
	{ "buffered write", pca_buffered_write, true },
	{ "readahead", pca_readahead, false },
	{ "mmap fault", pca_mmap_fault, true },
	{ "splice read", pca_splice_read, true },
};

static void pca_path_desc(const struct pca_path *path, char *desc)
{
	strscpy(desc, path->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pca_path, pca_paths, pca_path_desc);

struct pca_result {
	int		ret;
	unsigned long	nrpages_while_held;
	s64		waited_ms;
	unsigned long	nrpages_after;
};

/* Run @path while another kthread holds file 0 for block. */
static bool pca_run(struct kunit *test, const struct pca_path *path,
		    struct pca_result *res)
{
	struct pcg_ctx *ctx = test->priv;
	struct file *file = ctx->files[0];
	struct pca_holder *h;
	ktime_t start;

	h = pca_hold(file->f_mapping, msecs_to_jiffies(PCA_HOLD_MS));
	if (!h)
		KUNIT_FAIL_AND_ABORT(test, "cannot start the holder thread");

	start = ktime_get();
	res->ret = path->run(test, file);
	res->waited_ms = ktime_ms_delta(ktime_get(), start);

	if (!wait_for_completion_timeout(&h->done, PCF_TIMEOUT)) {
		KUNIT_FAIL(test, "the block holder never finished");
		return false;
	}
	res->nrpages_while_held = h->nrpages_while_held;
	res->nrpages_after = READ_ONCE(file->f_mapping->nrpages);
	kfree(h);
	return true;
}

static void pagecache_add_path_waits_while_block_is_held(struct kunit *test)
{
	const struct pca_path *path = test->param_value;
	struct pca_result res;

	if (!pca_run(test, path, &res))
		return;
	KUNIT_EXPECT_EQ(test, res.ret, 0);
	KUNIT_EXPECT_EQ_MSG(test, res.nrpages_while_held, 0UL,
			    "%s added folios while block was held", path->name);
	if (!path->waits)
		return;
	KUNIT_EXPECT_GE_MSG(test, res.waited_ms, (s64)PCA_HOLD_MS / 2,
			    "%s did not wait for the block holder", path->name);
	KUNIT_EXPECT_GT(test, res.nrpages_after, 0UL);
}

/*
 * Readahead skips rather than waits, so its row shows only that nothing
 * was added while block was held: with the lock free the same call must
 * add folios, or that row would pass on a readahead that adds nothing.
 */
static void pagecache_readahead_adds_folios_when_the_lock_is_free(struct kunit *test)
{
	struct pcg_ctx *ctx = test->priv;
	struct file *file = ctx->files[0];

	KUNIT_ASSERT_EQ(test, file->f_mapping->nrpages, 0UL);
	KUNIT_ASSERT_EQ(test, pca_readahead(test, file), 0);
	KUNIT_EXPECT_GT_MSG(test, READ_ONCE(file->f_mapping->nrpages), 0UL,
			    "readahead added no folios with the lock free");
}

/* The same checks on a mapping that did not opt in must see no waiting. */
static void pagecache_add_path_checker_catches_a_mapping_not_opted_in(struct kunit *test)
{
	struct pcg_ctx *ctx = test->priv;
	struct pca_result res;

	clear_bit(AS_PAGECACHE_LOCK, &ctx->files[0]->f_mapping->flags);
	if (!pca_run(test, &pca_paths[0], &res))
		return;
	KUNIT_EXPECT_GT_MSG(test, res.nrpages_while_held, 0UL,
			    "the checker missed folios added under a block holder");
	KUNIT_EXPECT_LT(test, res.waited_ms, (s64)PCA_HOLD_MS / 2);
}

/* ---- Waits for add end on a fatal signal ---- */

enum pck_how { PCK_READ, PCK_FAULT, PCK_UNKILLABLE };

struct pck_victim {
	enum pck_how		how;
	struct file		*file;
	struct mm_struct	*mm;	/* PCK_FAULT: the test's mm */
	unsigned long		addr;	/* PCK_FAULT: the file, mapped */
	long			ret;
	struct completion	started;
	struct completion	done;
};

/* Waits for add on the file in one of three ways; SIGKILL may end it. */
static int pck_victim_fn(void *data)
{
	struct pck_victim *v = data;
	struct address_space *mapping = v->file->f_mapping;
	loff_t pos = 0;
	char buf[16];

	allow_signal(SIGKILL);
	complete(&v->started);
	switch (v->how) {
	case PCK_READ:
		v->ret = kernel_read(v->file, buf, sizeof(buf), &pos);
		break;
	case PCK_FAULT:
		kthread_use_mm(v->mm);
		v->ret = copy_from_user(buf, (void __user *)v->addr, 1) ?
			 -EFAULT : 0;
		kthread_unuse_mm(v->mm);
		break;
	case PCK_UNKILLABLE:	/* the control: an uninterruptible wait */
		pagecache_add_lock(&mapping->pagecache_lock);
		pagecache_add_unlock(&mapping->pagecache_lock);
		v->ret = 0;
		break;
	}
	complete(&v->done);
	return 0;
}

/*
 * Start a victim waiting for add on file 0 while another kthread holds
 * block, SIGKILL it, and report whether it returned while block was still
 * held.  The holder then lets go, so that no victim is left waiting.
 */
static bool pck_killed_while_held(struct kunit *test, enum pck_how how,
				  long *ret)
{
	struct pcg_ctx *ctx = test->priv;
	unsigned long addr = 0;
	struct pca_holder *h;
	struct pck_victim *v;
	struct task_struct *vt;
	bool ended;

	if (how == PCK_FAULT)
		addr = pcg_mmap_file(test, 0);
	v = kzalloc(sizeof(*v), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	v->how = how;
	v->file = ctx->files[0];
	v->addr = addr;
	v->mm = how == PCK_FAULT ? current->mm : NULL;
	init_completion(&v->started);
	init_completion(&v->done);

	h = pca_hold(v->file->f_mapping, PCF_TIMEOUT);
	if (!h) {
		kfree(v);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the holder thread");
	}
	vt = kthread_run(pck_victim_fn, v, "pck_victim");
	if (IS_ERR(vt)) {
		complete(&h->release);
		wait_for_completion(&h->done);
		kfree(h);
		kfree(v);
		KUNIT_FAIL_AND_ABORT(test, "cannot start the victim thread");
	}
	wait_for_completion(&v->started);
	msleep(jiffies_to_msecs(PCF_BLOCKED_AFTER));
	KUNIT_EXPECT_FALSE_MSG(test, completion_done(&v->done),
			       "the victim did not wait for the block holder");
	send_sig(SIGKILL, vt, 1);
	ended = wait_for_completion_timeout(&v->done, PCF_BLOCKED_AFTER * 5);
	complete(&h->release);
	wait_for_completion(&h->done);
	kfree(h);
	/* A victim that never returns keeps *v: it is leaked, not freed. */
	if (!ended)
		KUNIT_ASSERT_TRUE_MSG(test,
				      wait_for_completion_timeout(&v->done, PCF_TIMEOUT),
				      "the victim never returned");
	*ret = v->ret;
	kfree(v);
	return ended;
}

static void pagecache_add_wait_of_a_buffered_read_ends_on_sigkill(struct kunit *test)
{
	long ret;

	KUNIT_EXPECT_TRUE_MSG(test, pck_killed_while_held(test, PCK_READ, &ret),
			      "SIGKILL did not end the read's wait for add");
	KUNIT_EXPECT_EQ(test, ret, (long)-EINTR);
}

static void pagecache_add_wait_of_a_fault_ends_on_sigkill(struct kunit *test)
{
	long ret;

	KUNIT_EXPECT_TRUE_MSG(test, pck_killed_while_held(test, PCK_FAULT, &ret),
			      "SIGKILL did not end the fault's wait for add");
	KUNIT_EXPECT_EQ(test, ret, (long)-EFAULT);
}

/* The control: an uninterruptible wait must be seen not to end. */
static void pagecache_add_kill_checker_catches_an_unkillable_wait(struct kunit *test)
{
	long ret;

	KUNIT_EXPECT_FALSE_MSG(test,
			       pck_killed_while_held(test, PCK_UNKILLABLE, &ret),
			       "the checker missed a wait that SIGKILL cannot end");
	KUNIT_EXPECT_EQ(test, ret, 0L);
}

static struct kunit_case pca_test_cases[] = {
	KUNIT_CASE_PARAM(pagecache_add_path_waits_while_block_is_held,
			 pca_path_gen_params),
	KUNIT_CASE(pagecache_readahead_adds_folios_when_the_lock_is_free),
	KUNIT_CASE(pagecache_add_path_checker_catches_a_mapping_not_opted_in),
	KUNIT_CASE(pagecache_add_wait_of_a_buffered_read_ends_on_sigkill),
	KUNIT_CASE(pagecache_add_wait_of_a_fault_ends_on_sigkill),
	KUNIT_CASE(pagecache_add_kill_checker_catches_an_unkillable_wait),
	{}
};

static struct kunit_suite pca_test_suite = {
	.name = "pagecache_lock_add_paths",
	.init = pcg_init,
	.exit = pcg_exit,
	.test_cases = pca_test_cases,
};

kunit_test_suites(&fdm_test_suite, &pcf_test_suite, &pcg_test_suite,
		  &pca_test_suite);

MODULE_DESCRIPTION("KUnit tests for faults_disabled_mapping and pagecache_lock_fault()");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
