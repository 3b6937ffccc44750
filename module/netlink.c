// SPDX-License-Identifier: GPL-2.0
/* The "zctrace" generic netlink family: sessions and probes, for watchers. */

#include <linux/cred.h>
#include <linux/kallsyms.h>
#include <linux/pid_namespace.h>
#include <linux/user_namespace.h>
#include <net/genetlink.h>

#include "zctrace.h"

static const struct nla_policy zc_counters_policy[__ZCTRACE_CTR_MAX] = {
	[ZCTRACE_CTR_COPY_U2K_BYTES ... ZCTRACE_CTR_MAX] = { .type = NLA_U64 },
};

static const struct nla_policy zc_session_policy[__ZCTRACE_SESSION_A_MAX] = {
	[ZCTRACE_SESSION_A_ID] = { .type = NLA_U32 },
	[ZCTRACE_SESSION_A_PID] = { .type = NLA_U32 },
	[ZCTRACE_SESSION_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, ZCTRACE_START_FLAGS),
	[ZCTRACE_SESSION_A_STATE] = NLA_POLICY_MAX(NLA_U32, ZCTRACE_STATE_EXITED),
	[ZCTRACE_SESSION_A_OWNER_UID] = { .type = NLA_U32 },
	[ZCTRACE_SESSION_A_COMM] = { .type = NLA_NUL_STRING, .len = TASK_COMM_LEN - 1 },
	[ZCTRACE_SESSION_A_START_NS] = { .type = NLA_U64 },
	[ZCTRACE_SESSION_A_COUNTERS] = NLA_POLICY_NESTED(zc_counters_policy),
};

static const struct nla_policy zc_probe_policy[__ZCTRACE_PROBE_A_MAX] = {
	[ZCTRACE_PROBE_A_NAME] = { .type = NLA_NUL_STRING, .len = KSYM_NAME_LEN - 1 },
	[ZCTRACE_PROBE_A_KIND] = NLA_POLICY_MAX(NLA_U32, ZCTRACE_PROBE_FTRACE),
	[ZCTRACE_PROBE_A_ERRNO] = { .type = NLA_U32 },
	[ZCTRACE_PROBE_A_ATTACHED] = { .type = NLA_FLAG },
	[ZCTRACE_PROBE_A_HITS] = { .type = NLA_U64 },
	[ZCTRACE_PROBE_A_MISSED] = { .type = NLA_U64 },
};

static const struct nla_policy zc_policy[__ZCTRACE_A_MAX] = {
	[ZCTRACE_A_ABI_VERSION] = { .type = NLA_U32 },
	[ZCTRACE_A_NR_COUNTERS] = { .type = NLA_U32 },
	[ZCTRACE_A_SESSION_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[ZCTRACE_A_SESSION] = NLA_POLICY_NESTED(zc_session_policy),
	[ZCTRACE_A_PROBE] = NLA_POLICY_NESTED(zc_probe_policy),
};

static struct genl_family zc_genl_family;

static int zc_nl_put_counters(struct sk_buff *skb, const u64 *v)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, ZCTRACE_SESSION_A_COUNTERS);
	if (!nest)
		return -EMSGSIZE;
	for (i = ZCTRACE_CTR_PAD + 1; i < __ZCTRACE_CTR_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, v[i], ZCTRACE_CTR_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The ids in a message are seen from the namespaces of the requester, or
 * for a multicast, which has many readers, from the initial ones.
 */
struct zc_nl_view {
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
};

static struct zc_nl_view zc_nl_requester_view(void)
{
	return (struct zc_nl_view){ task_active_pid_ns(current), current_user_ns() };
}

/* One message holding one session, as seen from @view. */
static int zc_nl_put_session(struct sk_buff *skb, u32 portid, u32 seq, int flags,
			     u8 cmd, struct zc_session *s, const u64 *v,
			     struct zc_nl_view view)
{
	char comm[TASK_COMM_LEN];
	struct task_struct *task;
	struct nlattr *nest;
	void *hdr;

	/* The name it has now: a session is often started just before an exec. */
	task = get_pid_task(s->pid, PIDTYPE_PID);
	if (task) {
		get_task_comm(comm, task);
		put_task_struct(task);
	} else {
		strscpy(comm, s->comm, sizeof(comm));
	}

	hdr = genlmsg_put(skb, portid, seq, &zc_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, ZCTRACE_A_SESSION);
	if (!nest ||
	    nla_put_u32(skb, ZCTRACE_SESSION_A_ID, s->id) ||
	    nla_put_u32(skb, ZCTRACE_SESSION_A_PID, pid_nr_ns(s->pid, view.pid_ns)) ||
	    nla_put_u32(skb, ZCTRACE_SESSION_A_FLAGS, s->flags) ||
	    nla_put_u32(skb, ZCTRACE_SESSION_A_STATE, zc_session_state(s)) ||
	    nla_put_u32(skb, ZCTRACE_SESSION_A_OWNER_UID,
			from_kuid_munged(view.user_ns, s->owner)) ||
	    nla_put_string(skb, ZCTRACE_SESSION_A_COMM, comm) ||
	    nla_put_u64_64bit(skb, ZCTRACE_SESSION_A_START_NS, s->start_ns,
			      ZCTRACE_SESSION_A_PAD) ||
	    zc_nl_put_counters(skb, v)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

static int zc_nl_get_version(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &zc_genl_family, 0, ZCTRACE_CMD_GET_VERSION);
	if (!hdr ||
	    nla_put_u32(msg, ZCTRACE_A_ABI_VERSION, ZCTRACE_ABI_VERSION) ||
	    nla_put_u32(msg, ZCTRACE_A_NR_COUNTERS, __ZCTRACE_CTR_MAX)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int zc_nl_get_session(struct sk_buff *skb, struct genl_info *info)
{
	struct zc_counters v;
	struct zc_session *s;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, ZCTRACE_A_SESSION_ID))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	zc_sessions_lock();
	s = zc_session_find(nla_get_u32(info->attrs[ZCTRACE_A_SESSION_ID]));
	if (s) {
		zc_session_snapshot(s, v.v);
		ret = zc_nl_put_session(msg, info->snd_portid, info->snd_seq, 0,
					ZCTRACE_CMD_GET_SESSION, s, v.v,
					zc_nl_requester_view());
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[ZCTRACE_A_SESSION_ID],
				    "no such session");
		ret = -ENOENT;
	}
	zc_sessions_unlock();

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Only a dump's first part is built by the requester: a later one is built
 * by whoever reads the socket then, which a fork or SCM_RIGHTS may have
 * put in other namespaces.  So the view is taken, and held, at the start.
 */
struct zc_nl_dump_ctx {
	unsigned long id;	/* to resume from: sessions come and go between parts */
	struct zc_nl_view view;
};

static struct zc_nl_dump_ctx *zc_nl_dump_ctx(struct netlink_callback *cb)
{
	BUILD_BUG_ON(sizeof(struct zc_nl_dump_ctx) > sizeof(cb->ctx));
	return (struct zc_nl_dump_ctx *)cb->ctx;
}

static int zc_nl_dump_sessions_start(struct netlink_callback *cb)
{
	struct zc_nl_view *view = &zc_nl_dump_ctx(cb)->view;

	*view = zc_nl_requester_view();
	get_pid_ns(view->pid_ns);
	get_user_ns(view->user_ns);
	return 0;
}

static int zc_nl_dump_sessions_done(struct netlink_callback *cb)
{
	struct zc_nl_view *view = &zc_nl_dump_ctx(cb)->view;

	put_user_ns(view->user_ns);
	put_pid_ns(view->pid_ns);
	return 0;
}

static int zc_nl_dump_sessions(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct zc_nl_dump_ctx *ctx = zc_nl_dump_ctx(cb);
	unsigned long id = ctx->id;
	struct zc_counters v;
	struct zc_session *s;
	int ret = 0;

	zc_sessions_lock();
	for (; (s = zc_session_next(&id)); id++) {
		zc_session_snapshot(s, v.v);
		ret = zc_nl_put_session(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI,
					ZCTRACE_CMD_GET_SESSION, s, v.v, ctx->view);
		if (ret)
			break;
	}
	zc_sessions_unlock();
	ctx->id = id;
	/* A full skb ends this part; the next one starts at the same session. */
	return ret && !skb->len ? ret : skb->len;
}

static int zc_nl_put_probe(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct zc_probe_info *p)
{
	struct nlattr *nest;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &zc_genl_family, NLM_F_MULTI, ZCTRACE_CMD_GET_PROBE);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, ZCTRACE_A_PROBE);
	if (!nest ||
	    nla_put_string(skb, ZCTRACE_PROBE_A_NAME, p->name) ||
	    nla_put_u32(skb, ZCTRACE_PROBE_A_KIND, p->kind) ||
	    nla_put_u32(skb, ZCTRACE_PROBE_A_ERRNO, -p->err) ||
	    (p->attached && nla_put_flag(skb, ZCTRACE_PROBE_A_ATTACHED)) ||
	    nla_put_u64_64bit(skb, ZCTRACE_PROBE_A_HITS, p->hits, ZCTRACE_PROBE_A_PAD) ||
	    nla_put_u64_64bit(skb, ZCTRACE_PROBE_A_MISSED, p->missed, ZCTRACE_PROBE_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

static int zc_nl_dump_probes(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct zc_probe_info info;
	unsigned int idx;

	for (idx = cb->args[0]; !zc_probe_info(idx, &info); idx++)
		if (zc_nl_put_probe(skb, cb, &info))
			break;
	cb->args[0] = idx;
	return skb->len;
}

/* Tell listeners a session ended, with its final counts. */
void zc_netlink_notify_end(struct zc_session *s, const u64 *counters)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&zc_genl_family, &init_net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (zc_nl_put_session(msg, 0, 0, 0, ZCTRACE_CMD_SESSION_END, s, counters,
			      (struct zc_nl_view){ &init_pid_ns, &init_user_ns })) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_multicast(&zc_genl_family, msg, 0, 0, GFP_KERNEL);
}

static const struct genl_ops zc_genl_ops[] = {
	{
		.cmd = ZCTRACE_CMD_GET_VERSION,
		.doit = zc_nl_get_version,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZCTRACE_CMD_GET_SESSION,
		.doit = zc_nl_get_session,
		.start = zc_nl_dump_sessions_start,
		.dumpit = zc_nl_dump_sessions,
		.done = zc_nl_dump_sessions_done,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = ZCTRACE_CMD_GET_PROBE,
		.dumpit = zc_nl_dump_probes,
		.flags = GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group zc_genl_mcgrps[] = {
	{ .name = ZCTRACE_GENL_MCGRP, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/*
 * Parallel: the handlers take the locks they need, and a GET_PROBE that
 * waits for an attach must not hold every other family's requests too.
 */
static struct genl_family zc_genl_family __ro_after_init = {
	.name = ZCTRACE_GENL_NAME,
	.version = ZCTRACE_GENL_VERSION,
	.maxattr = ZCTRACE_A_MAX,
	.policy = zc_policy,
	.module = THIS_MODULE,
	.parallel_ops = true,
	.ops = zc_genl_ops,
	.n_ops = ARRAY_SIZE(zc_genl_ops),
	.mcgrps = zc_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(zc_genl_mcgrps),
};

int zc_netlink_init(void)
{
	return genl_register_family(&zc_genl_family);
}

void zc_netlink_uninit(void)
{
	genl_unregister_family(&zc_genl_family);
}
