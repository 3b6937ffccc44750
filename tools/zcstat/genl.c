// SPDX-License-Identifier: GPL-2.0
/*
 * The zctrace generic netlink family.  Every reply is checked against the
 * policies below before a value is used: an integer of the wrong size, a
 * string without its NUL or a missing attribute the module always sends
 * make the whole reply -EBADMSG.
 */

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/socket.h>

#include "genl.h"
#include "nl.h"
#include "zcstat.h"

/* libnl only checks an integer's minimum length: ask for the exact one. */
#define POLICY_U32 { .type = NLA_U32, .minlen = 4, .maxlen = 4 }
#define POLICY_U64 { .type = NLA_U64, .minlen = 8, .maxlen = 8 }

static const struct nla_policy attr_policy[ZCTRACE_A_MAX + 1] = {
	[ZCTRACE_A_ABI_VERSION] = POLICY_U32,
	[ZCTRACE_A_NR_COUNTERS] = POLICY_U32,
	[ZCTRACE_A_SESSION_ID] = POLICY_U32,
	[ZCTRACE_A_SESSION] = { .type = NLA_NESTED },
	[ZCTRACE_A_PROBE] = { .type = NLA_NESTED },
};

static const struct nla_policy session_policy[ZCTRACE_SESSION_A_MAX + 1] = {
	[ZCTRACE_SESSION_A_ID] = POLICY_U32,
	[ZCTRACE_SESSION_A_PID] = POLICY_U32,
	[ZCTRACE_SESSION_A_FLAGS] = POLICY_U32,
	[ZCTRACE_SESSION_A_STATE] = POLICY_U32,
	[ZCTRACE_SESSION_A_OWNER_UID] = POLICY_U32,
	[ZCTRACE_SESSION_A_COMM] = { .type = NLA_STRING, .maxlen = 32 },
	[ZCTRACE_SESSION_A_START_NS] = POLICY_U64,
	[ZCTRACE_SESSION_A_COUNTERS] = { .type = NLA_NESTED },
};

/* A counter of another size is a different ABI. */
static const struct nla_policy counter_policy[ZCTRACE_CTR_MAX + 1] = {
	[ZCTRACE_CTR_COPY_U2K_BYTES ... ZCTRACE_CTR_MAX] = POLICY_U64,
};

static const struct nla_policy probe_policy[ZCTRACE_PROBE_A_MAX + 1] = {
	/* No maxlen: a name longer than probe_info's is cut, not the dump refused. */
	[ZCTRACE_PROBE_A_NAME] = { .type = NLA_STRING },
	[ZCTRACE_PROBE_A_KIND] = POLICY_U32,
	[ZCTRACE_PROBE_A_ERRNO] = POLICY_U32,
	[ZCTRACE_PROBE_A_ATTACHED] = { .type = NLA_FLAG },
	[ZCTRACE_PROBE_A_HITS] = POLICY_U64,
	[ZCTRACE_PROBE_A_MISSED] = POLICY_U64,
};

/* Whether tb holds every attribute from first to last (a flag may be absent). */
static bool all_present(struct nlattr **tb, int first, int last, int flag)
{
	for (int i = first; i <= last; i++)
		if (!tb[i] && i != flag)
			return false;
	return true;
}

int zgenl_open(struct zgenl *g)
{
	int err;

	/* A request that fails before it is sent leaves it so. */
	g->ext[0] = '\0';
	g->sk = nl_open(NETLINK_GENERIC, &err);
	if (!g->sk)
		return err;
	g->family = genl_ctrl_resolve(g->sk, ZCTRACE_GENL_NAME);
	if (g->family < 0) {
		err = -nl_errno(g->family);
		zgenl_close(g);
		return err;
	}
	return 0;
}

void zgenl_close(struct zgenl *g)
{
	nl_socket_free(g->sk);
	g->sk = NULL;
}

static struct nl_msg *request(struct zgenl *g, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, g->family, 0,
				flags, cmd, ZCTRACE_GENL_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* The top-level attributes of a message of command @cmd, checked. */
static int parse_top(struct nl_msg *msg, struct nlattr **tb, uint8_t cmd)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (!genlmsg_valid_hdr(nlh, 0) || genlmsg_hdr(nlh)->cmd != cmd ||
	    genlmsg_parse(nlh, 0, tb, ZCTRACE_A_MAX, attr_policy) < 0)
		return -EBADMSG;
	return 0;
}

struct version_reply {
	uint32_t abi, nr;
	bool seen;
};

static int parse_version(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZCTRACE_A_MAX + 1];
	struct version_reply *v = arg;

	if (parse_top(msg, tb, ZCTRACE_CMD_GET_VERSION) < 0 || !tb[ZCTRACE_A_ABI_VERSION] ||
	    !tb[ZCTRACE_A_NR_COUNTERS])
		return -EBADMSG;
	v->abi = nla_get_u32(tb[ZCTRACE_A_ABI_VERSION]);
	v->nr = nla_get_u32(tb[ZCTRACE_A_NR_COUNTERS]);
	v->seen = true;
	return 0;
}

int zgenl_version(struct zgenl *g, uint32_t *abi, uint32_t *nr_counters)
{
	struct version_reply v = { 0 };
	struct nl_msg *msg = request(g, ZCTRACE_CMD_GET_VERSION, 0);
	int err;

	if (!msg)
		return -ENOMEM;
	err = nl_transact(g->sk, msg, parse_version, &v, g->ext);
	if (!err && !v.seen)
		err = -EBADMSG;
	*abi = v.abi;
	*nr_counters = v.nr;
	return err;
}

static int parse_session_nest(struct nlattr *nest, struct session_info *s)
{
	struct nlattr *tb[ZCTRACE_SESSION_A_MAX + 1];
	struct nlattr *ctr[ZCTRACE_CTR_MAX + 1];

	memset(s, 0, sizeof(*s));
	if (!nest ||
	    nla_parse_nested(tb, ZCTRACE_SESSION_A_MAX, nest, session_policy) < 0 ||
	    !all_present(tb, ZCTRACE_SESSION_A_ID, ZCTRACE_SESSION_A_MAX, -1) ||
	    nla_parse_nested(ctr, ZCTRACE_CTR_MAX, tb[ZCTRACE_SESSION_A_COUNTERS],
			     counter_policy) < 0 ||
	    !all_present(ctr, ZCTRACE_CTR_COPY_U2K_BYTES, ZCTRACE_CTR_MAX, -1))
		return -EBADMSG;

	s->id = nla_get_u32(tb[ZCTRACE_SESSION_A_ID]);
	s->pid = nla_get_u32(tb[ZCTRACE_SESSION_A_PID]);
	s->flags = nla_get_u32(tb[ZCTRACE_SESSION_A_FLAGS]);
	s->state = nla_get_u32(tb[ZCTRACE_SESSION_A_STATE]);
	s->owner_uid = nla_get_u32(tb[ZCTRACE_SESSION_A_OWNER_UID]);
	nla_strlcpy(s->comm, tb[ZCTRACE_SESSION_A_COMM], sizeof(s->comm));
	/* Any thread names itself (PR_SET_NAME): show it as ps does. */
	for (char *c = s->comm; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	s->start_ns = nla_get_u64(tb[ZCTRACE_SESSION_A_START_NS]);
	for (int i = ZCTRACE_CTR_COPY_U2K_BYTES; i <= ZCTRACE_CTR_MAX; i++)
		s->ctr.v[i] = nla_get_u64(ctr[i]);
	return 0;
}

struct session_walk {
	int (*cb)(const struct session_info *s, void *arg);
	void *arg;
};

static int parse_session(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZCTRACE_A_MAX + 1];
	struct session_walk *w = arg;
	struct session_info s;

	if (parse_top(msg, tb, ZCTRACE_CMD_GET_SESSION) < 0 ||
	    parse_session_nest(tb[ZCTRACE_A_SESSION], &s) < 0)
		return -EBADMSG;
	return w->cb(&s, w->arg);
}

int zgenl_sessions(struct zgenl *g,
		   int (*cb)(const struct session_info *s, void *arg), void *arg)
{
	struct session_walk w = { cb, arg };
	struct nl_msg *msg = request(g, ZCTRACE_CMD_GET_SESSION, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	return nl_transact(g->sk, msg, parse_session, &w, g->ext);
}

struct probe_walk {
	int (*cb)(const struct probe_info *p, void *arg);
	void *arg;
};

static int parse_probe(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZCTRACE_A_MAX + 1];
	struct nlattr *pb[ZCTRACE_PROBE_A_MAX + 1];
	struct probe_walk *w = arg;
	struct probe_info p = { 0 };

	if (parse_top(msg, tb, ZCTRACE_CMD_GET_PROBE) < 0 || !tb[ZCTRACE_A_PROBE] ||
	    nla_parse_nested(pb, ZCTRACE_PROBE_A_MAX, tb[ZCTRACE_A_PROBE],
			     probe_policy) < 0 ||
	    !all_present(pb, ZCTRACE_PROBE_A_NAME, ZCTRACE_PROBE_A_MAX,
			 ZCTRACE_PROBE_A_ATTACHED))
		return -EBADMSG;
	nla_strlcpy(p.name, pb[ZCTRACE_PROBE_A_NAME], sizeof(p.name));
	p.kind = nla_get_u32(pb[ZCTRACE_PROBE_A_KIND]);
	p.err = nla_get_u32(pb[ZCTRACE_PROBE_A_ERRNO]);
	p.attached = pb[ZCTRACE_PROBE_A_ATTACHED];
	p.hits = nla_get_u64(pb[ZCTRACE_PROBE_A_HITS]);
	p.missed = nla_get_u64(pb[ZCTRACE_PROBE_A_MISSED]);
	return w->cb(&p, w->arg);
}

int zgenl_probes(struct zgenl *g,
		 int (*cb)(const struct probe_info *p, void *arg), void *arg)
{
	struct probe_walk w = { cb, arg };
	struct nl_msg *msg = request(g, ZCTRACE_CMD_GET_PROBE, NLM_F_DUMP);

	if (!msg)
		return -ENOMEM;
	return nl_transact(g->sk, msg, parse_probe, &w, g->ext);
}

/* A multicast message: only SESSION_END is ours to handle. */
static int parse_event(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZCTRACE_A_MAX + 1];
	struct zgenl *g = arg;
	struct session_info s;

	/* A malformed event is dropped: the next dump shows the truth. */
	if (parse_top(msg, tb, ZCTRACE_CMD_SESSION_END) < 0 ||
	    parse_session_nest(tb[ZCTRACE_A_SESSION], &s) < 0)
		return NL_SKIP;
	g->on_end(&s, g->on_end_arg);
	return NL_OK;
}

int zgenl_subscribe(struct zgenl *g,
		    int (*cb)(const struct session_info *s, void *arg), void *arg)
{
	int grp, err;

	grp = genl_ctrl_resolve_grp(g->sk, ZCTRACE_GENL_NAME, ZCTRACE_GENL_MCGRP);
	if (grp < 0)
		return -nl_errno(grp);
	g->on_end = cb;
	g->on_end_arg = arg;
	/* Events carry no sequence number of ours. */
	nl_socket_disable_seq_check(g->sk);
	nl_socket_modify_cb(g->sk, NL_CB_VALID, NL_CB_CUSTOM, parse_event, g);
	err = nl_socket_add_membership(g->sk, grp);
	if (!err)
		err = nl_socket_set_nonblocking(g->sk);
	return err < 0 ? -nl_errno(err) : 0;
}

int zgenl_events(struct zgenl *g)
{
	struct nl_cb *cb = nl_socket_get_cb(g->sk);
	int ret;

	/* Each call reads one datagram's worth; stop when none is left. */
	do
		ret = nl_recvmsgs_report(g->sk, cb);
	while (ret > 0);
	nl_cb_put(cb);
	return ret == -NLE_AGAIN || !ret ? 0 : -nl_errno(ret);
}

int zgenl_fd(const struct zgenl *g)
{
	return nl_socket_get_fd(g->sk);
}

static int append(void **v, size_t *n, const void *item, size_t size)
{
	void *slot = array_slot(v, *n, size);

	if (!slot)
		return -ENOMEM;
	memcpy(slot, item, size);
	(*n)++;
	return 0;
}

int session_list_add(const struct session_info *s, void *list)
{
	struct session_list *l = list;

	return append((void **)&l->v, &l->n, s, sizeof(*s));
}

int probe_list_add(const struct probe_info *p, void *list)
{
	struct probe_list *l = list;

	return append((void **)&l->v, &l->n, p, sizeof(*p));
}

const char *probe_kind_name(uint32_t kind)
{
	switch (kind) {
	case ZCTRACE_PROBE_KPROBE: return "kprobe";
	case ZCTRACE_PROBE_KRETPROBE: return "kretprobe";
	case ZCTRACE_PROBE_TRACEPOINT: return "tracepoint";
	case ZCTRACE_PROBE_FTRACE: return "ftrace";
	default: return "unknown";
	}
}

const char *session_state_name(uint32_t state)
{
	switch (state) {
	case ZCTRACE_STATE_RUNNING: return "running";
	case ZCTRACE_STATE_EXITED: return "exited";
	default: return "unknown";
	}
}
