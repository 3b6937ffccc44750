// SPDX-License-Identifier: GPL-2.0
/* Request/reply over a libnl socket, with the kernel's own errno. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "nl.h"

int nl_errno(int nlerr)
{
	static const struct { int nle, err; } map[] = {
		{ NLE_PERM, EPERM }, { NLE_NOACCESS, EACCES },
		{ NLE_OBJ_NOTFOUND, ENOENT }, { NLE_NOMEM, ENOMEM },
		{ NLE_EXIST, EEXIST }, { NLE_INVAL, EINVAL }, { NLE_BUSY, EBUSY },
		{ NLE_RANGE, ERANGE }, { NLE_AGAIN, EAGAIN }, { NLE_INTR, EINTR },
		{ NLE_NODEV, ENODEV }, { NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_MSGSIZE, EMSGSIZE }, { NLE_MSG_TRUNC, EMSGSIZE },
		{ NLE_PROTO_MISMATCH, EPROTONOSUPPORT }, { NLE_NOADDR, EADDRNOTAVAIL },
	};

	if (nlerr < 0)
		nlerr = -nlerr;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == nlerr)
			return map[i].err;
	return EIO;
}

struct nl_sock *nl_open(int protocol, int *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int ret, one = 1;

	if (!sk) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = nl_connect(sk, protocol);
	if (ret < 0) {
		nl_socket_free(sk);
		*err = -nl_errno(ret);
		return NULL;
	}
	/*
	 * The kernel's words on an error, without our request echoed back.
	 * Best effort: a kernel without them still gives the errno.
	 */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return sk;
}

struct txn {
	int (*parse)(struct nl_msg *msg, void *arg);
	void *arg;
	int err;
	bool done;
	char *ext;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;
	int ret = t->parse ? t->parse(msg, t->arg) : 0;

	if (ret >= 0)
		return NL_OK;
	t->err = ret;
	t->done = true;
	return NL_STOP;
}

/*
 * NLMSGERR_ATTR_MSG of an error or a failed dump's DONE into ext, when it
 * has extended-ack TLVs: they follow the first len bytes of its body.
 */
static void ext_msg(struct nlmsghdr *nlh, int len, char *ext)
{
	static const struct nla_policy policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (ext && (nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    nlmsg_parse(nlh, len, tb, NLMSGERR_ATTR_MAX, policy) >= 0 && tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(ext, tb[NLMSGERR_ATTR_MSG], NL_EXT_LEN);
}

/*
 * The ack of a request, or the end of a dump.  A dump the kernel could not
 * finish ends with NLMSG_DONE holding the negative errno, which libnl
 * leaves to the caller.
 */
static int on_done(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct txn *t = arg;
	int err;

	if (nlh->nlmsg_type == NLMSG_DONE && nlmsg_datalen(nlh) >= (int)sizeof(err)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			t->err = err;
			ext_msg(nlh, sizeof(err), t->ext);
		}
	}
	t->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	/* libnl hands over the body of the message: its header is right before. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct txn *t = arg;

	(void)who;
	t->err = e->error;
	t->done = true;
	/* The error, then our request unless the kernel capped it. */
	ext_msg(nlh, sizeof(e->error) + (nlh->nlmsg_flags & NLM_F_CAPPED ?
					 sizeof(e->msg) : e->msg.nlmsg_len), t->ext);
	return NL_STOP;
}

int nl_transact(struct nl_sock *sk, struct nl_msg *msg,
		int (*parse)(struct nl_msg *msg, void *arg), void *arg,
		char ext[NL_EXT_LEN])
{
	struct txn t = { .parse = parse, .arg = arg, .ext = ext };
	struct nl_cb *cb;
	int ret;

	if (ext)
		*ext = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);

	ret = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		t.err = -nl_errno(ret);
	else
		while (!t.done) {
			ret = nl_recvmsgs(sk, cb);
			/*
			 * A dump that changed while it was read (libnl reads on
			 * to its end first) shows no one state: try again.
			 */
			if (ret == -NLE_DUMP_INTR && !t.err) {
				t.err = -EAGAIN;
				break;
			}
			/* A callback that stopped has said why. */
			if (ret < 0 && !t.done) {
				t.err = -nl_errno(ret);
				break;
			}
		}
	nl_cb_put(cb);
	return t.err;
}
