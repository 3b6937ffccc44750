// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions and the threads they trace.
 *
 * A session is owned by the /dev/zctrace file that started it.  The threads
 * it traces are kept in zc_tasks, keyed by task_struct, which unlike a tid
 * stays the thread's through an exec (de_thread() swaps tids, and an exec
 * that fails after that point kills the thread before any exec event
 * tells of the swap) and until the exit hook forgets it; the sched_switch hook
 * copies the running thread's entry into a per-CPU slot so that probes
 * decide "is this thread traced?" with one per-CPU read.
 *
 * Tearing a session down must not free anything a probe may still hold:
 * its threads are unhashed first, a grace period lets every sched_switch
 * that looked them up finish, the per-CPU slots still pointing at them are
 * cleared, and a second grace period lets running probes finish.
 */

#include <linux/cred.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/rhashtable.h>
#include <linux/sched/coredump.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/xarray.h>

#include "zctrace.h"

#define ZC_MAX_SESSIONS 256

struct zc_client {
	struct list_head sessions;	/* under zc_sessions_mutex */
};

DEFINE_PER_CPU(struct zc_task *, zc_cpu_task);

static DEFINE_MUTEX(zc_sessions_mutex);
static DEFINE_XARRAY_ALLOC1(zc_sessions);
static u32 zc_next_id;
static unsigned int zc_nr_sessions;

static const struct rhashtable_params zc_task_params =
	ZC_PTR_TABLE_PARAMS(struct zc_task, task, hash_node);

static DEFINE_SPINLOCK(zc_tasks_lock);
static struct rhashtable zc_tasks;

static struct zc_hint zc_tasks_hint;	/* of zc_tasks' keys, under zc_tasks_lock */

static struct zc_task *zc_task_lookup(const struct task_struct *task)
{
	if (!zc_hint_may_hold(&zc_tasks_hint, (unsigned long)task))
		return NULL;
	return rhashtable_lookup_fast(&zc_tasks, &task, zc_task_params);
}

static unsigned long zc_task_csw(const struct task_struct *task)
{
	return READ_ONCE(task->nvcsw) + READ_ONCE(task->nivcsw);
}

static void zc_task_rebase(struct zc_task *t)
{
	t->minflt0 = READ_ONCE(t->task->min_flt);
	t->majflt0 = READ_ONCE(t->task->maj_flt);
	t->csw0 = zc_task_csw(t->task);
}

static int zc_task_add(struct zc_session *s, struct task_struct *task)
{
	struct zc_task *t;
	int ret;

	lockdep_assert_held(&zc_tasks_lock);
	t = kzalloc(sizeof(*t), GFP_ATOMIC);
	if (!t)
		return -ENOMEM;
	t->session = s;
	t->task = task;
	zc_task_rebase(t);

	ret = rhashtable_lookup_insert_fast(&zc_tasks, &t->hash_node, zc_task_params);
	if (ret) {
		kfree(t);
		/* EEXIST: a session traces it already; else the table is full for now. */
		return ret == -EEXIST ? -EBUSY : -ENOMEM;
	}
	zc_hint_add(&zc_tasks_hint, (unsigned long)task, 1);
	list_add(&t->node, &s->tasks);
	WRITE_ONCE(s->nr_tasks, s->nr_tasks + 1);
	return 0;
}

/* Fold t's counts into its session. */
static void zc_task_forget(struct zc_task *t)
{
	struct zc_session *s = t->session;
	struct task_struct *task = t->task;

	lockdep_assert_held(&zc_tasks_lock);
	s->exited_minflt += READ_ONCE(task->min_flt) - t->minflt0;
	s->exited_majflt += READ_ONCE(task->maj_flt) - t->majflt0;
	s->exited_csw += zc_task_csw(task) - t->csw0;
	list_del(&t->node);
	WRITE_ONCE(s->nr_tasks, s->nr_tasks - 1);
}

/* The caller frees t after a grace period. */
static void zc_task_unhash(struct zc_task *t)
{
	lockdep_assert_held(&zc_tasks_lock);
	rhashtable_remove_fast(&zc_tasks, &t->hash_node, zc_task_params);
	zc_hint_add(&zc_tasks_hint, (unsigned long)t->task, -1);
	zc_task_forget(t);
}

void zc_task_switch(struct task_struct *next)
{
	this_cpu_write(zc_cpu_task, zc_task_lookup(next));
}

void zc_task_fork(struct task_struct *parent, struct task_struct *child)
{
	struct zc_task *pt = zc_task_lookup(parent);
	struct zc_session *s;
	int ret;

	if (!pt || !(pt->session->flags & ZCTRACE_START_FOLLOW))
		return;
	s = pt->session;
	spin_lock(&zc_tasks_lock);
	/* A FOLLOW start may have found the child before this hook ran. */
	ret = s->dying ? 0 : zc_task_add(s, child);
	if (ret && ret != -EBUSY)
		pr_warn_ratelimited("session %u: cannot follow tid %d: %d\n",
				    s->id, child->pid, ret);
	spin_unlock(&zc_tasks_lock);
}

/* Runs in the exiting thread itself, so only this CPU's slot can hold it. */
void zc_task_exit(struct task_struct *task)
{
	struct zc_task *t;

	spin_lock(&zc_tasks_lock);
	t = rhashtable_lookup_fast(&zc_tasks, &task, zc_task_params);
	if (t) {
		zc_task_unhash(t);
		this_cpu_write(zc_cpu_task, NULL);
		kfree_rcu(t, rcu);
	}
	spin_unlock(&zc_tasks_lock);
}

u32 zc_session_state(struct zc_session *s)
{
	/* Retiring unhashes every thread: what was running then still was. */
	if (READ_ONCE(s->dying))
		return s->end_state;
	return READ_ONCE(s->nr_tasks) ? ZCTRACE_STATE_RUNNING : ZCTRACE_STATE_EXITED;
}

static void zc_session_sum(const struct zc_session *s, u64 *v)
{
	int cpu, i;

	memset(v, 0, sizeof(struct zc_counters));
	for_each_possible_cpu(cpu) {
		const struct zc_counters *c = per_cpu_ptr(s->counters, cpu);

		for (i = 0; i < __ZCTRACE_CTR_MAX; i++)
			v[i] += READ_ONCE(c->v[i]);
	}
}

/*
 * Called with zc_sessions_mutex held, or on a session no longer in
 * zc_sessions, which RESET cannot find.
 */
void zc_session_snapshot(struct zc_session *s, u64 *v)
{
	struct zc_task *t;
	int i;

	zc_session_sum(s, v);
	for (i = 0; i < __ZCTRACE_CTR_MAX; i++)
		v[i] -= s->reset_base.v[i];

	spin_lock(&zc_tasks_lock);
	v[ZCTRACE_CTR_MINOR_FAULTS] = s->exited_minflt;
	v[ZCTRACE_CTR_MAJOR_FAULTS] = s->exited_majflt;
	v[ZCTRACE_CTR_CONTEXT_SWITCHES] = s->exited_csw;
	list_for_each_entry(t, &s->tasks, node) {
		v[ZCTRACE_CTR_MINOR_FAULTS] += READ_ONCE(t->task->min_flt) - t->minflt0;
		v[ZCTRACE_CTR_MAJOR_FAULTS] += READ_ONCE(t->task->maj_flt) - t->majflt0;
		v[ZCTRACE_CTR_CONTEXT_SWITCHES] += zc_task_csw(t->task) - t->csw0;
	}
	spin_unlock(&zc_tasks_lock);
}

static struct zc_session *zc_session_alloc(struct task_struct *task, u32 flags)
{
	struct zc_session *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return NULL;
	s->counters = alloc_percpu(struct zc_counters);
	if (!s->counters) {
		kfree(s);
		return NULL;
	}
	s->flags = flags;
	s->pid = get_task_pid(task, PIDTYPE_PID);
	s->owner = current_uid();
	get_task_comm(s->comm, task);
	s->start_ns = ktime_get_ns();
	INIT_LIST_HEAD(&s->tasks);
	INIT_LIST_HEAD(&s->socks);
	return s;
}

static void zc_session_free(struct zc_session *s)
{
	put_pid(s->pid);
	free_percpu(s->counters);
	kfree(s);
	zc_probes_put();
}

/*
 * Stop counting for every session on @list (linked through client_node and
 * already unreachable from zc_sessions).  On return no probe can touch them.
 */
static void zc_sessions_retire(struct list_head *list)
{
	struct zc_task *t, *tmp;
	struct zc_session *s;
	LIST_HEAD(dead);
	int cpu;

	spin_lock(&zc_tasks_lock);
	list_for_each_entry(s, list, client_node) {
		s->end_state = zc_session_state(s);
		WRITE_ONCE(s->dying, true);
		list_for_each_entry_safe(t, tmp, &s->tasks, node) {
			zc_task_unhash(t);
			list_add(&t->node, &dead);
		}
	}
	spin_unlock(&zc_tasks_lock);

	/* No sched_switch can find the dead threads after this... */
	synchronize_rcu();
	/* A slot may hold another session's thread, which can exit meanwhile. */
	rcu_read_lock();
	for_each_possible_cpu(cpu) {
		struct zc_task **slot = per_cpu_ptr(&zc_cpu_task, cpu);

		t = READ_ONCE(*slot);
		if (t && READ_ONCE(t->session->dying))
			cmpxchg(slot, t, NULL);
	}
	rcu_read_unlock();
	list_for_each_entry(s, list, client_node)
		zc_sockets_release(s);
	/* ...and after this no probe still holds one of them. */
	synchronize_rcu();

	list_for_each_entry_safe(t, tmp, &dead, node)
		kfree(t);
}

/* Threads running while they were hashed count from now, not from their next switch. */
static void zc_publish_running(void *unused)
{
	this_cpu_write(zc_cpu_task, zc_task_lookup(current));
}

/* Trace @task, and with ZCTRACE_START_FOLLOW its other threads. */
static int zc_session_attach(struct zc_session *s, struct task_struct *task)
{
	struct task_struct *thread;
	int ret = 0;

	spin_lock(&zc_tasks_lock);
	/* An exiting task may already be past the exit hook: it would leak. */
	if (task->flags & PF_EXITING) {
		ret = -ESRCH;
		goto out;
	}
	ret = zc_task_add(s, task);
	if (ret || !(s->flags & ZCTRACE_START_FOLLOW))
		goto out;

	rcu_read_lock();
	for_each_thread(task, thread) {
		if (thread == task || (thread->flags & PF_EXITING))
			continue;
		ret = zc_task_add(s, thread);
		if (ret)
			break;
	}
	rcu_read_unlock();
out:
	spin_unlock(&zc_tasks_lock);
	return ret;
}

/*
 * ptrace_may_access() is not exported; this is its core rule for reading:
 * CAP_SYS_PTRACE, or the caller's uid and gid are the target's real,
 * effective and saved ones and the target is dumpable (setuid programs
 * are not).
 */
static bool zc_may_trace(struct task_struct *task)
{
	const struct cred *mine = current_cred(), *theirs;
	bool same_user, dumpable = true;

	if (same_thread_group(task, current))
		return true;

	rcu_read_lock();
	theirs = __task_cred(task);
	same_user = uid_eq(mine->uid, theirs->uid) &&
		    uid_eq(mine->uid, theirs->euid) &&
		    uid_eq(mine->uid, theirs->suid) &&
		    gid_eq(mine->gid, theirs->gid) &&
		    gid_eq(mine->gid, theirs->egid) &&
		    gid_eq(mine->gid, theirs->sgid);
	rcu_read_unlock();

	task_lock(task);
	if (task->mm)
		dumpable = get_dumpable(task->mm) == SUID_DUMP_USER;
	task_unlock(task);
	/*
	 * As ptrace, ask for the capability only where the ids do not do:
	 * capable() audits a refusal and marks a success as privileged.
	 */
	return (same_user && dumpable) || capable(CAP_SYS_PTRACE);
}

static struct task_struct *zc_get_task(pid_t pid)
{
	struct task_struct *task;
	struct pid *p;

	if (!pid)
		return get_task_struct(current);
	p = find_get_pid(pid);
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	return task;
}

int zc_session_start(struct zc_client *client, pid_t pid, u32 flags, u32 *id)
{
	struct task_struct *task;
	struct zc_session *s;
	LIST_HEAD(undo);
	int ret;

	if (flags & ~ZCTRACE_START_FLAGS || pid < 0)
		return -EINVAL;

	task = zc_get_task(pid);
	if (!task)
		return -ESRCH;
	if (!zc_may_trace(task)) {
		ret = -EACCES;
		goto out_task;
	}

	/* The exit and fork hooks must be live before a thread is hashed. */
	ret = zc_probes_get();
	if (ret)
		goto out_task;
	s = zc_session_alloc(task, flags);
	if (!s) {
		zc_probes_put();
		ret = -ENOMEM;
		goto out_task;
	}
	s->client = client;

	mutex_lock(&zc_sessions_mutex);
	if (zc_nr_sessions >= ZC_MAX_SESSIONS) {
		ret = -ENOSPC;
		goto err_unlock;
	}
	ret = xa_alloc_cyclic(&zc_sessions, &s->id, s, xa_limit_31b,
			      &zc_next_id, GFP_KERNEL);
	if (ret < 0)
		goto err_unlock;
	ret = zc_session_attach(s, task);
	if (ret) {
		xa_erase(&zc_sessions, s->id);
		goto err_unlock;
	}
	zc_nr_sessions++;
	list_add(&s->client_node, &client->sessions);
	*id = s->id;
	mutex_unlock(&zc_sessions_mutex);
	on_each_cpu(zc_publish_running, NULL, 1);
	put_task_struct(task);
	return 0;

err_unlock:
	mutex_unlock(&zc_sessions_mutex);
	/* Threads a FOLLOW start hashed before failing are visible to probes. */
	list_add(&s->client_node, &undo);
	zc_sessions_retire(&undo);
	zc_session_free(s);
out_task:
	put_task_struct(task);
	return ret;
}

/* A retired session's last counts go to listeners, and to @snap. */
static void zc_session_end(struct zc_session *s, u64 *snap)
{
	zc_session_snapshot(s, snap);
	zc_netlink_notify_end(s, snap);
	zc_session_free(s);
}

static struct zc_session *zc_client_session(struct zc_client *client, u32 id)
{
	struct zc_session *s;

	lockdep_assert_held(&zc_sessions_mutex);
	s = xa_load(&zc_sessions, id);
	return s && s->client == client ? s : NULL;
}

int zc_session_read(struct zc_client *client, u32 id, u64 *counters, u32 *state)
{
	struct zc_session *s;

	mutex_lock(&zc_sessions_mutex);
	s = zc_client_session(client, id);
	if (s) {
		zc_session_snapshot(s, counters);
		*state = zc_session_state(s);
	}
	mutex_unlock(&zc_sessions_mutex);
	return s ? 0 : -ENOENT;
}

int zc_session_stop(struct zc_client *client, u32 id, u64 *counters, u32 *state)
{
	struct zc_session *s;
	LIST_HEAD(list);

	mutex_lock(&zc_sessions_mutex);
	s = zc_client_session(client, id);
	if (s) {
		xa_erase(&zc_sessions, id);
		zc_nr_sessions--;
		list_move(&s->client_node, &list);
	}
	mutex_unlock(&zc_sessions_mutex);
	if (!s)
		return -ENOENT;

	zc_sessions_retire(&list);
	*state = zc_session_state(s);
	zc_session_end(s, counters);
	return 0;
}

int zc_session_reset(struct zc_client *client, u32 id)
{
	struct zc_session *s;
	struct zc_task *t;

	mutex_lock(&zc_sessions_mutex);
	s = zc_client_session(client, id);
	if (s) {
		/*
		 * Another CPU's counters are not ours to write: this_cpu_add()
		 * there is a read-modify-write that would put back what a
		 * memset() cleared.
		 */
		zc_session_sum(s, s->reset_base.v);
		spin_lock(&zc_tasks_lock);
		s->exited_minflt = 0;
		s->exited_majflt = 0;
		s->exited_csw = 0;
		list_for_each_entry(t, &s->tasks, node)
			zc_task_rebase(t);
		spin_unlock(&zc_tasks_lock);
	}
	mutex_unlock(&zc_sessions_mutex);
	return s ? 0 : -ENOENT;
}

struct zc_client *zc_client_new(void)
{
	struct zc_client *client = kzalloc(sizeof(*client), GFP_KERNEL);

	if (client)
		INIT_LIST_HEAD(&client->sessions);
	return client;
}

void zc_client_free(struct zc_client *client)
{
	struct zc_session *s, *tmp;
	struct zc_counters snap;
	LIST_HEAD(list);

	mutex_lock(&zc_sessions_mutex);
	list_for_each_entry(s, &client->sessions, client_node) {
		xa_erase(&zc_sessions, s->id);
		zc_nr_sessions--;
	}
	list_splice_init(&client->sessions, &list);
	mutex_unlock(&zc_sessions_mutex);

	if (!list_empty(&list)) {
		zc_sessions_retire(&list);
		list_for_each_entry_safe(s, tmp, &list, client_node)
			zc_session_end(s, snap.v);
	}
	kfree(client);
}

void zc_sessions_lock(void)
{
	mutex_lock(&zc_sessions_mutex);
}

void zc_sessions_unlock(void)
{
	mutex_unlock(&zc_sessions_mutex);
}

/* The first session with an id >= *id. */
struct zc_session *zc_session_next(unsigned long *id)
{
	lockdep_assert_held(&zc_sessions_mutex);
	return xa_find(&zc_sessions, id, ULONG_MAX, XA_PRESENT);
}

struct zc_session *zc_session_find(u32 id)
{
	lockdep_assert_held(&zc_sessions_mutex);
	return xa_load(&zc_sessions, id);
}

int zc_session_init(void)
{
	return rhashtable_init(&zc_tasks, &zc_task_params);
}

/* Every file holds a module reference, so no session can be left here. */
void zc_session_uninit(void)
{
	WARN_ON(!xa_empty(&zc_sessions));
	WARN_ON(atomic_read(&zc_tasks.nelems));
	rhashtable_destroy(&zc_tasks);
}
