// SPDX-License-Identifier: GPL-2.0
/*
 * The sockets a session's threads sent on.
 *
 * Transmit work (GSO segmentation, the driver's xmit) often runs in softirq
 * or in another task, so it is attributed through skb->sk to the session of
 * the thread that sent on that socket.  Each tracked socket is held until
 * its session ends so that its address cannot be reused by another socket
 * while it is in the table.
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "zctrace.h"

/* Bounds what one session can pin; later sockets are simply not followed. */
#define ZC_MAX_SOCKS 1024

struct zc_sock {
	struct rhash_head node;
	struct sock *sk;
	struct zc_session *session;
	struct list_head session_node;
	struct rcu_head rcu;
};

static const struct rhashtable_params zc_sock_params =
	ZC_PTR_TABLE_PARAMS(struct zc_sock, sk, node);

static struct rhashtable zc_socks;
static DEFINE_SPINLOCK(zc_socks_lock);

static struct zc_hint zc_socks_hint;	/* of zc_socks' keys, under zc_socks_lock */

static struct zc_sock *zc_sock_lookup(const struct sock *sk)
{
	if (!zc_hint_may_hold(&zc_socks_hint, (unsigned long)sk))
		return NULL;
	return rhashtable_lookup_fast(&zc_socks, &sk, zc_sock_params);
}

/*
 * Called from probes in the sending thread's context, on every send: the
 * thread's last socket is remembered, so a stream costs one comparison.
 * Only a socket the table holds for this session is remembered; the
 * table's reference keeps its address from being reused meanwhile.
 */
void zc_socket_track(struct zc_task *t, struct sock *sk)
{
	struct zc_session *s = t->session;
	struct zc_sock *zs;

	/*
	 * A kernel socket (an NFS or SMB client's) is shared by whoever the
	 * kernel sends for: its traffic is not the thread's.
	 */
	if (sk == t->sk || sk->sk_kern_sock)
		return;
	zs = zc_sock_lookup(sk);
	if (zs) {
		if (zs->session == s)
			t->sk = sk;
		return;
	}

	/*
	 * A probe that traps runs as an NMI, where nothing may be allocated;
	 * a full or closed table refuses under its lock anyway.
	 */
	if (in_nmi() || READ_ONCE(s->socks_closed) ||
	    READ_ONCE(s->nr_socks) >= ZC_MAX_SOCKS)
		return;
	zs = kmalloc(sizeof(*zs), GFP_ATOMIC);
	if (!zs)
		return;
	zs->sk = sk;
	zs->session = s;

	spin_lock(&zc_socks_lock);
	if (s->socks_closed || s->nr_socks >= ZC_MAX_SOCKS ||
	    rhashtable_lookup_insert_fast(&zc_socks, &zs->node, zc_sock_params)) {
		spin_unlock(&zc_socks_lock);
		kfree(zs);
		return;
	}
	zc_hint_add(&zc_socks_hint, (unsigned long)sk, 1);
	sock_hold(sk);
	list_add(&zs->session_node, &s->socks);
	WRITE_ONCE(s->nr_socks, s->nr_socks + 1);
	spin_unlock(&zc_socks_lock);
	t->sk = sk;
}

/*
 * The session that sent on @sk; called under RCU from any context, for
 * every packet the machine transmits.  A thread's last socket is one the
 * table holds, so the hint turns away the others' packets first.
 */
struct zc_session *zc_socket_session(const struct sock *sk)
{
	struct zc_task *t;
	struct zc_sock *zs;

	if (!sk || !zc_hint_may_hold(&zc_socks_hint, (unsigned long)sk))
		return NULL;
	/* Most packets leave in the thread that sends them, which knows its socket. */
	t = zc_current_task();
	if (t && t->sk == sk)
		return t->session;
	zs = rhashtable_lookup_fast(&zc_socks, &sk, zc_sock_params);
	return zs ? zs->session : NULL;
}

/* Forget @s's sockets; lookups in flight finish within a grace period. */
void zc_sockets_release(struct zc_session *s)
{
	struct zc_sock *zs, *tmp;
	LIST_HEAD(dead);

	spin_lock(&zc_socks_lock);
	WRITE_ONCE(s->socks_closed, true);
	list_for_each_entry_safe(zs, tmp, &s->socks, session_node) {
		rhashtable_remove_fast(&zc_socks, &zs->node, zc_sock_params);
		zc_hint_add(&zc_socks_hint, (unsigned long)zs->sk, -1);
		list_move(&zs->session_node, &dead);
	}
	WRITE_ONCE(s->nr_socks, 0);
	spin_unlock(&zc_socks_lock);

	list_for_each_entry_safe(zs, tmp, &dead, session_node) {
		sock_put(zs->sk);
		kfree_rcu(zs, rcu);
	}
}

int zc_sockets_init(void)
{
	return rhashtable_init(&zc_socks, &zc_sock_params);
}

void zc_sockets_uninit(void)
{
	rhashtable_destroy(&zc_socks);
}
