/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ZCTRACE_H
#define _ZCTRACE_H

#include <linux/hash.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable-types.h>
#include <linux/sched.h>
#include <linux/uidgid.h>
#include <linux/zctrace.h>

#include "compat.h"

struct sk_buff;
struct sock;

struct zc_counters {
	u64 v[__ZCTRACE_CTR_MAX];
};

/* The copy sites a traced task can be inside of, see ZCTRACE_CTR_SITE_*. */
enum zc_site {
	ZC_SITE_OTHER,
	ZC_SITE_SOCK_SEND,
	ZC_SITE_FILE_READ,
	ZC_SITE_PIPE,
	ZC_SITE_SEGMENT,
	__ZC_SITE_MAX
};

/* Directions of a CPU copy. */
enum zc_dir {
	ZC_U2K,
	ZC_K2U,
	ZC_K2K,
};

struct zc_client;

struct zc_session {
	u32 id;
	u32 flags;
	struct pid *pid;
	kuid_t owner;
	char comm[TASK_COMM_LEN];
	u64 start_ns;

	struct zc_client *client;
	struct list_head client_node;	/* under zc_sessions_lock */

	/* Traced tasks and what they had counted before they exited. */
	struct list_head tasks;		/* of zc_task, under zc_tasks_lock */
	unsigned int nr_tasks;		/* written under zc_tasks_lock */
	bool dying;			/* under zc_tasks_lock */
	u32 end_state;			/* its state when it began dying */
	u64 exited_minflt, exited_majflt, exited_csw;

	/* The sockets the traced tasks sent on, see sockets.c. */
	struct list_head socks;		/* under zc_socks_lock */
	unsigned int nr_socks;		/* written under zc_socks_lock */
	bool socks_closed;		/* written under zc_socks_lock */

	struct zc_counters __percpu *counters;
	/* The counters' sums at the last RESET, under zc_sessions_mutex. */
	struct zc_counters reset_base;
};

/*
 * One traced thread.  The scheduler hook publishes the running thread's
 * zc_task in a per-CPU slot, so probes find their session without a lookup.
 */
struct zc_task {
	struct zc_session *session;
	struct task_struct *task;	/* the key; valid while on session->tasks */
	struct rhash_head hash_node;
	struct list_head node;
	struct rcu_head rcu;
	/* Written only by the thread itself, from the probes. */
	u8 site;
	u64 copied;			/* bytes of every copy it made */
	const struct sock *sk;		/* last socket it sent on, tracked */
	/* Under zc_tasks_lock: the task's counts at attach or the last RESET. */
	unsigned long minflt0, majflt0, csw0;
};

DECLARE_PER_CPU(struct zc_task *, zc_cpu_task);

/*
 * How many keys a table holds per hash slot, kept beside it under the
 * table's lock.  The tables are asked on every context switch and every
 * transmitted packet of the machine, nearly always about what they do not
 * hold: an empty slot says so with one load, before any hashing or walk.
 */
#define ZC_HINT_BITS 8
struct zc_hint {
	unsigned int slot[1 << ZC_HINT_BITS];
};

static inline bool zc_hint_may_hold(const struct zc_hint *h, unsigned long key)
{
	return READ_ONCE(h->slot[hash_long(key, ZC_HINT_BITS)]);
}

/* Called with the table's lock held. */
static inline void zc_hint_add(struct zc_hint *h, unsigned long key, int delta)
{
	unsigned int *slot = &h->slot[hash_long(key, ZC_HINT_BITS)];

	WRITE_ONCE(*slot, *slot + delta);
}

/*
 * Both tables are keyed by a kernel pointer and are asked on every context
 * switch into a traced thread and every packet it sends: hash the key with
 * one multiply and compare it as a pointer, where rhashtable's defaults
 * would run jhash2() and call memcmp().
 */
static inline u32 zc_ptr_hashfn(const void *key, u32 len, u32 seed)
{
	return hash_long(*(const unsigned long *)key ^ seed, 32);
}

static inline int zc_ptr_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const void *key = *(const void * const *)(obj + arg->ht->p.key_offset);

	return key != *(const void * const *)arg->key;
}

#define ZC_PTR_TABLE_PARAMS(type, key_member, node_member)		\
	{ .key_len = sizeof(void *),					\
	  .key_offset = offsetof(type, key_member),			\
	  .head_offset = offsetof(type, node_member),			\
	  .hashfn = zc_ptr_hashfn,					\
	  .obj_cmpfn = zc_ptr_cmpfn,					\
	  .automatic_shrinking = true }

/*
 * The traced task running on this CPU, if the probe interrupted it, not an
 * IRQ.  The slot is empty on nearly every hit: read it before the context.
 */
static inline struct zc_task *zc_current_task(void)
{
	struct zc_task *t = this_cpu_read(zc_cpu_task);

	return t && zc_probed_in_task() ? t : NULL;
}

static inline void zc_count(struct zc_session *s, enum zctrace_counter c, u64 delta)
{
	this_cpu_add(s->counters->v[c], delta);
}

/* session.c */
int zc_session_init(void);
void zc_session_uninit(void);
struct zc_client *zc_client_new(void);
void zc_client_free(struct zc_client *client);
int zc_session_start(struct zc_client *client, pid_t pid, u32 flags, u32 *id);
int zc_session_read(struct zc_client *client, u32 id, u64 *counters, u32 *state);
int zc_session_stop(struct zc_client *client, u32 id, u64 *counters, u32 *state);
int zc_session_reset(struct zc_client *client, u32 id);
void zc_session_snapshot(struct zc_session *s, u64 *counters);
u32 zc_session_state(struct zc_session *s);
struct zc_session *zc_session_next(unsigned long *id);
struct zc_session *zc_session_find(u32 id);
void zc_sessions_lock(void);
void zc_sessions_unlock(void);

/* Hooks the scheduler probes call; see probes.c. */
void zc_task_switch(struct task_struct *next);
void zc_task_fork(struct task_struct *parent, struct task_struct *child);
void zc_task_exit(struct task_struct *task);

/* sockets.c */
int zc_sockets_init(void);
void zc_sockets_uninit(void);
void zc_socket_track(struct zc_task *t, struct sock *sk);
struct zc_session *zc_socket_session(const struct sock *sk);
void zc_sockets_release(struct zc_session *s);

/* probes.c */
int zc_probes_init(void);
void zc_probes_uninit(void);
int zc_probes_get(void);
void zc_probes_put(void);

struct zc_probe_info {
	const char *name;
	u32 kind;		/* enum zctrace_probe_kind */
	int err;		/* last attach's errno, 0 on success */
	bool attached;
	u64 hits;
	u64 missed;
};

int zc_probe_info(unsigned int idx, struct zc_probe_info *info);

/* netlink.c */
int zc_netlink_init(void);
void zc_netlink_uninit(void);
void zc_netlink_notify_end(struct zc_session *s, const u64 *counters);

/* device.c */
int zc_device_init(void);
void zc_device_uninit(void);

#endif /* _ZCTRACE_H */
