// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the zctrace selftests, see zctrace_lib.h. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "zctrace_lib.h"

void zc_require_module(void)
{
	if (geteuid() != 0) {
		ksft_print_header();
		ksft_exit_skip("zctrace selftests must run as root\n");
	}
	if (access(ZC_DEV, F_OK)) {
		ksft_print_header();
		ksft_exit_skip(ZC_DEV " missing: zctrace.ko is not loaded\n");
	}
	/* Tests compare their output with the kernel's: no mixing on pipes. */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* ---- /dev/zctrace ---------------------------------------------------- */

int zc_open(void)
{
	int fd = open(ZC_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int zc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int zc_version(int fd, struct zctrace_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return zc_ioctl(fd, ZCTRACE_IOC_VERSION, v);
}

int zc_start(int fd, pid_t pid, uint32_t flags, uint32_t *id)
{
	struct zctrace_start st = {
		.size = sizeof(st), .flags = flags, .pid = pid,
	};
	int ret = zc_ioctl(fd, ZCTRACE_IOC_START, &st);

	if (!ret && id)
		*id = st.id;
	return ret;
}

static int zc_read_cmd(int fd, unsigned long cmd, uint32_t id,
		       uint64_t *counters, uint32_t *state)
{
	struct zctrace_read rd = {
		.size = sizeof(rd), .id = id,
		.nr_counters = counters ? __ZCTRACE_CTR_MAX : 0,
		.counters = (uintptr_t)counters,
	};
	int ret = zc_ioctl(fd, cmd, &rd);

	if (!ret && state)
		*state = rd.state;
	/* The module's count must be ours: tests index by enum. */
	if (!ret && rd.nr_counters != __ZCTRACE_CTR_MAX)
		return -EPROTO;
	return ret;
}

int zc_read(int fd, uint32_t id, uint64_t *counters, uint32_t *state)
{
	return zc_read_cmd(fd, ZCTRACE_IOC_READ, id, counters, state);
}

int zc_stop(int fd, uint32_t id, uint64_t *counters, uint32_t *state)
{
	return zc_read_cmd(fd, ZCTRACE_IOC_STOP, id, counters, state);
}

int zc_reset(int fd, uint32_t id)
{
	struct zctrace_reset rs = { .size = sizeof(rs), .id = id };

	return zc_ioctl(fd, ZCTRACE_IOC_RESET, &rs);
}

pid_t zc_gettid(void)
{
	return syscall(SYS_gettid);
}

/*
 * Left mapped: an unmapped hole would be where the next one-page mmap()
 * lands (zc_readonly_copy()'s, say), and then no longer fault.
 */
void *zc_noaccess_page(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *zc_readonly_copy(const void *src, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	if (mprotect(p, psz, PROT_READ)) {
		munmap(p, psz);
		return NULL;
	}
	return p;
}

/* ---- generic netlink ------------------------------------------------- */

int zc_nl_open(struct zc_nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	/*
	 * The kernel sizes dump parts by the largest recv() seen on the
	 * socket: stay at a page so that dumps come in several parts.
	 */
	nl->rcvbuf = 4096;
	nl->buf = malloc(ZC_MSG_MAX);
	if (!nl->buf)
		return -ENOMEM;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)))
		ret = -errno;
	else
		ret = zc_nl_family(nl, ZCTRACE_GENL_NAME, &nl->family, NULL, NULL,
				   ZCTRACE_GENL_MCGRP, &nl->mcgrp);
	/* A failed open leaves nothing behind; zc_nl_close() may still run. */
	if (ret)
		zc_nl_close(nl);
	return ret;
}

void zc_nl_close(struct zc_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	free(nl->buf);
	nl->buf = NULL;
}

struct zc_msg *zc_msg_new(void)
{
	struct zc_msg *m = malloc(sizeof(*m));

	/* Tests cannot go on without memory. */
	if (!m)
		abort();
	return m;
}

void zc_msg_init(struct zc_msg *m, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->nlh.nlmsg_len = m->len;
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = 1;
}

size_t zc_msg_put(struct zc_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t off = m->len;

	if (m->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(m->buf))
		abort();
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	m->len += NLA_HDRLEN + NLA_ALIGN(len);
	m->nlh.nlmsg_len = m->len;
	return off;
}

size_t zc_msg_put_u32(struct zc_msg *m, uint16_t type, uint32_t v)
{
	return zc_msg_put(m, type, &v, sizeof(v));
}

size_t zc_msg_nest_start(struct zc_msg *m, uint16_t type)
{
	return zc_msg_put(m, type | NLA_F_NESTED, NULL, 0);
}

void zc_msg_nest_end(struct zc_msg *m, size_t off)
{
	struct nlattr *a = (struct nlattr *)(m->buf + off);

	a->nla_len = m->len - off;
}

void zc_msg_raw(struct zc_msg *m, const void *data, size_t len)
{
	if (m->len + len > sizeof(m->buf))
		abort();
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

int zc_nl_send_raw(struct zc_nl *nl, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(nl->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

int zc_nl_send(struct zc_nl *nl, struct zc_msg *m)
{
	m->nlh.nlmsg_seq = ++nl->seq;
	return zc_nl_send_raw(nl, m->buf, m->len);
}

ssize_t zc_nl_recv(struct zc_nl *nl, void *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
	ssize_t n;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -EAGAIN;
	n = recv(nl->fd, buf, len, MSG_TRUNC);
	if (n < 0)
		return -errno;
	return n > (ssize_t)len ? -EMSGSIZE : n;
}

/* Replies must come within this; TCG guests are slow, but not that slow. */
#define ZC_NL_TIMEOUT_MS 20000

int zc_nl_replies(struct zc_nl *nl, zc_nl_cb cb, void *arg, int *parts)
{
	char *buf = nl->buf;

	if (parts)
		*parts = 0;
	for (;;) {
		ssize_t n = zc_nl_recv(nl, buf, nl->rcvbuf, ZC_NL_TIMEOUT_MS);
		struct nlmsghdr *nlh;
		bool data = false;
		int len = n;

		if (n < 0)
			return n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct genlmsghdr *g = NLMSG_DATA(nlh);
			int ret;

			/* A reply to an earlier request would be taken for this one's. */
			if (nlh->nlmsg_seq != nl->seq)
				return -EPROTO;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				return e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return *(int *)NLMSG_DATA(nlh);
			if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				return -EBADMSG;
			data = true;
			if (!cb)
				continue;
			ret = cb(g, (const struct nlattr *)((char *)g + GENL_HDRLEN),
				 nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), arg);
			if (ret)
				return ret;
		}
		if (data && parts)
			(*parts)++;
	}
}

int zc_nl_request(struct zc_nl *nl, struct zc_msg *m, zc_nl_cb cb, void *arg,
		  int *parts)
{
	int ret;

	if (!(m->nlh.nlmsg_flags & NLM_F_DUMP))
		m->nlh.nlmsg_flags |= NLM_F_ACK;
	ret = zc_nl_send(nl, m);
	if (ret)
		return ret;
	return zc_nl_replies(nl, cb, arg, parts);
}

/* One request with at most one attribute (attr < 0: none), and its replies. */
static int zc_nl_call(struct zc_nl *nl, uint16_t type, uint16_t flags, uint8_t cmd,
		      int attr, const void *data, size_t len,
		      zc_nl_cb cb, void *arg, int *parts)
{
	struct zc_msg *m = zc_msg_new();
	int ret;

	zc_msg_init(m, type, flags, cmd);
	if (attr >= 0)
		zc_msg_put(m, attr, data, len);
	ret = zc_nl_request(nl, m, cb, arg, parts);
	free(m);
	return ret;
}

const struct nlattr *zc_attr_find(const struct nlattr *a, int len, int type)
{
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static const void *zc_attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int zc_attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

uint32_t zc_attr_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a && zc_attr_len(a) >= 4)
		memcpy(&v, zc_attr_data(a), 4);
	return v;
}

uint64_t zc_attr_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a && zc_attr_len(a) >= 8)
		memcpy(&v, zc_attr_data(a), 8);
	return v;
}

struct zc_family_query {
	uint16_t id;
	uint32_t version, maxattr;
	const char *grp_name;
	uint32_t grp_id;
};

static int zc_family_cb(const struct genlmsghdr *g, const struct nlattr *attrs,
			int len, void *arg)
{
	const struct nlattr *a, *grps, *grp;
	struct zc_family_query *q = arg;
	int left;

	a = zc_attr_find(attrs, len, CTRL_ATTR_FAMILY_ID);
	if (a)
		memcpy(&q->id, zc_attr_data(a), 2);
	q->version = zc_attr_u32(zc_attr_find(attrs, len, CTRL_ATTR_VERSION));
	q->maxattr = zc_attr_u32(zc_attr_find(attrs, len, CTRL_ATTR_MAXATTR));
	grps = zc_attr_find(attrs, len, CTRL_ATTR_MCAST_GROUPS);
	if (!grps || !q->grp_name)
		return 0;
	/* A nest of nests, each with a name and an id. */
	left = zc_attr_len(grps);
	for (grp = zc_attr_data(grps); left >= NLA_HDRLEN && grp->nla_len >= NLA_HDRLEN;
	     left -= NLA_ALIGN(grp->nla_len),
	     grp = (const struct nlattr *)((const char *)grp + NLA_ALIGN(grp->nla_len))) {
		const struct nlattr *name, *id;

		name = zc_attr_find(zc_attr_data(grp), zc_attr_len(grp),
				    CTRL_ATTR_MCAST_GRP_NAME);
		id = zc_attr_find(zc_attr_data(grp), zc_attr_len(grp),
				  CTRL_ATTR_MCAST_GRP_ID);
		if (name && id && !strcmp(zc_attr_data(name), q->grp_name))
			q->grp_id = zc_attr_u32(id);
	}
	return 0;
}

int zc_nl_family(struct zc_nl *nl, const char *name, uint16_t *id,
		 uint32_t *version, uint32_t *maxattr,
		 const char *grp_name, uint32_t *grp_id)
{
	struct zc_family_query q = { .grp_name = grp_name };
	int ret;

	ret = zc_nl_call(nl, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
			 name, strlen(name) + 1, zc_family_cb, &q, NULL);
	if (ret)
		return ret;
	if (id)
		*id = q.id;
	if (version)
		*version = q.version;
	if (maxattr)
		*maxattr = q.maxattr;
	if (grp_id)
		*grp_id = q.grp_id;
	return 0;
}

int zc_nl_parse_session(const struct nlattr *attrs, int len, struct zc_nl_session *s)
{
	const struct nlattr *nest = zc_attr_find(attrs, len, ZCTRACE_A_SESSION);
	const struct nlattr *a, *ctrs;
	const void *d;
	int l;

	memset(s, 0, sizeof(*s));
	if (!nest)
		return -EBADMSG;
	d = zc_attr_data(nest);
	l = zc_attr_len(nest);
	if (!zc_attr_find(d, l, ZCTRACE_SESSION_A_ID))
		return -EBADMSG;
	s->id = zc_attr_u32(zc_attr_find(d, l, ZCTRACE_SESSION_A_ID));
	s->pid = zc_attr_u32(zc_attr_find(d, l, ZCTRACE_SESSION_A_PID));
	s->flags = zc_attr_u32(zc_attr_find(d, l, ZCTRACE_SESSION_A_FLAGS));
	s->state = zc_attr_u32(zc_attr_find(d, l, ZCTRACE_SESSION_A_STATE));
	s->owner_uid = zc_attr_u32(zc_attr_find(d, l, ZCTRACE_SESSION_A_OWNER_UID));
	s->start_ns = zc_attr_u64(zc_attr_find(d, l, ZCTRACE_SESSION_A_START_NS));
	a = zc_attr_find(d, l, ZCTRACE_SESSION_A_COMM);
	if (a)
		snprintf(s->comm, sizeof(s->comm), "%.*s", zc_attr_len(a),
			 (const char *)zc_attr_data(a));
	ctrs = zc_attr_find(d, l, ZCTRACE_SESSION_A_COUNTERS);
	if (ctrs) {
		int left = zc_attr_len(ctrs);

		for (a = zc_attr_data(ctrs); left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN;
		     left -= NLA_ALIGN(a->nla_len),
		     a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len))) {
			int t = a->nla_type & NLA_TYPE_MASK;

			/* Newer modules append counters: skip what we don't know. */
			if (t == ZCTRACE_CTR_PAD || t >= __ZCTRACE_CTR_MAX)
				continue;
			s->counters[t] = zc_attr_u64(a);
			s->nr_counters++;
		}
	}
	return 0;
}

struct zc_version_reply {
	uint32_t abi, nr;
};

static int zc_version_cb(const struct genlmsghdr *g, const struct nlattr *attrs,
			 int len, void *arg)
{
	struct zc_version_reply *v = arg;

	v->abi = zc_attr_u32(zc_attr_find(attrs, len, ZCTRACE_A_ABI_VERSION));
	v->nr = zc_attr_u32(zc_attr_find(attrs, len, ZCTRACE_A_NR_COUNTERS));
	return 0;
}

int zc_nl_version(struct zc_nl *nl, uint32_t *abi, uint32_t *nr_counters)
{
	struct zc_version_reply v = { 0 };
	int ret;

	ret = zc_nl_call(nl, nl->family, 0, ZCTRACE_CMD_GET_VERSION, -1, NULL, 0,
			 zc_version_cb, &v, NULL);
	*abi = v.abi;
	*nr_counters = v.nr;
	return ret;
}

static int zc_session_cb(const struct genlmsghdr *g, const struct nlattr *attrs,
			 int len, void *arg)
{
	return zc_nl_parse_session(attrs, len, arg);
}

int zc_nl_get_session(struct zc_nl *nl, uint32_t id, struct zc_nl_session *s)
{
	memset(s, 0, sizeof(*s));
	return zc_nl_call(nl, nl->family, 0, ZCTRACE_CMD_GET_SESSION, ZCTRACE_A_SESSION_ID,
			  &id, sizeof(id), zc_session_cb, s, NULL);
}

int zc_nl_join_sessions(struct zc_nl *mc)
{
	int ret = zc_nl_open(mc), grp;

	if (ret)
		return ret;
	grp = mc->mcgrp;
	if (setsockopt(mc->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp))) {
		ret = -errno;
		zc_nl_close(mc);
	}
	return ret;
}

int zc_nl_recv_session_end(struct zc_nl *mc, int timeout_ms, struct zc_nl_session *s)
{
	const struct genlmsghdr *g;
	struct nlmsghdr *nlh = (struct nlmsghdr *)mc->buf;
	ssize_t len = zc_nl_recv(mc, mc->buf, ZC_MSG_MAX, timeout_ms);

	if (len < 0)
		return len;
	if (!NLMSG_OK(nlh, len) || nlh->nlmsg_type != mc->family ||
	    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EBADMSG;
	g = NLMSG_DATA(nlh);
	if (g->cmd != ZCTRACE_CMD_SESSION_END)
		return -EBADMSG;
	return zc_nl_parse_session((const void *)g + GENL_HDRLEN,
				   nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), s);
}

int zc_ids_cb(const struct genlmsghdr *g, const struct nlattr *attrs,
		     int len, void *arg)
{
	struct zc_id_list *l = arg;
	struct zc_nl_session s;
	int ret = zc_nl_parse_session(attrs, len, &s);

	if (ret)
		return ret;
	if (l->nr < l->max)
		l->ids[l->nr] = s.id;
	l->nr++;
	return 0;
}

int zc_nl_dump_sessions(struct zc_nl *nl, uint32_t *ids, int max, int *parts)
{
	struct zc_id_list l = { .ids = ids, .max = max };
	int ret;

	ret = zc_nl_call(nl, nl->family, NLM_F_DUMP, ZCTRACE_CMD_GET_SESSION, -1, NULL, 0,
			 zc_ids_cb, &l, parts);
	return ret ? ret : l.nr;
}

struct zc_probe_list {
	struct zc_nl_probe *p;
	int nr, max;
};

static int zc_probe_cb(const struct genlmsghdr *g, const struct nlattr *attrs,
		       int len, void *arg)
{
	const struct nlattr *nest = zc_attr_find(attrs, len, ZCTRACE_A_PROBE);
	struct zc_probe_list *l = arg;
	struct zc_nl_probe *p;
	const struct nlattr *a;
	const void *d;
	int n;

	if (!nest)
		return -EBADMSG;
	if (l->nr >= l->max)
		return -ENOSPC;
	p = &l->p[l->nr++];
	d = zc_attr_data(nest);
	n = zc_attr_len(nest);
	a = zc_attr_find(d, n, ZCTRACE_PROBE_A_NAME);
	if (!a)
		return -EBADMSG;
	snprintf(p->name, sizeof(p->name), "%.*s", zc_attr_len(a),
		 (const char *)zc_attr_data(a));
	p->kind = zc_attr_u32(zc_attr_find(d, n, ZCTRACE_PROBE_A_KIND));
	p->err = zc_attr_u32(zc_attr_find(d, n, ZCTRACE_PROBE_A_ERRNO));
	p->attached = zc_attr_find(d, n, ZCTRACE_PROBE_A_ATTACHED);
	p->hits = zc_attr_u64(zc_attr_find(d, n, ZCTRACE_PROBE_A_HITS));
	return 0;
}

int zc_nl_dump_probes(struct zc_nl *nl, struct zc_nl_probe *p, int max)
{
	struct zc_probe_list l = { .p = p, .max = max };
	int ret;

	ret = zc_nl_call(nl, nl->family, NLM_F_DUMP, ZCTRACE_CMD_GET_PROBE, -1, NULL, 0,
			 zc_probe_cb, &l, NULL);
	return ret ? ret : l.nr;
}

/* ---- privileges ------------------------------------------------------ */

int zc_become(uid_t uid, gid_t gid, uint64_t caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	/* Keep the permitted set across the uid change, then narrow it. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ||
	    setgroups(0, NULL) ||
	    setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	data[0].effective = data[0].permitted = (uint32_t)caps;
	data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	/* Changing uid made us non-dumpable: undo, zc_may_trace() checks it. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* ---- processes ------------------------------------------------------- */

int zc_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int zc_run_child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(fn(arg));
	return zc_wait_child(pid);
}

/* A small text file into buf, NUL-terminated: its length, or -errno. */
static ssize_t zc_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Polls a millisecond apart: 20 s, inside the harness's 30 s for a test. */
#define ZC_SLEEP_WAIT_MS 20000

int zc_wait_sleeping_in_read(pid_t pid, pid_t tid, int fd)
{
	char path[64], buf[128];
	long nr;
	unsigned long arg0;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	for (i = 0; i < ZC_SLEEP_WAIT_MS; i++) {
		ssize_t n = zc_read_text(path, buf, sizeof(buf));

		if (n < 0)
			return n;
		/* "NR 0xARG0 ...", "-1 ..." outside one, "running" while it runs. */
		if (sscanf(buf, "%ld 0x%lx", &nr, &arg0) == 2 &&
		    nr == SYS_read && arg0 == (unsigned long)fd)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

int zc_worker_spawn(struct zc_worker *w, int (*setup)(void *),
		    int (*work)(void *), void *arg)
{
	int go[2], ready[2], err;
	char c;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	if (pipe2(ready, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return -errno;
	}
	fflush(NULL);
	w->pid = fork();
	if (w->pid < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		close(ready[0]);
		close(ready[1]);
		return err;
	}
	if (!w->pid) {
		int ret = setup ? setup(arg) : 0;

		close(go[1]);
		close(ready[0]);
		if (ret)
			_exit(ret);
		/* Blocked here while the parent starts its sessions. */
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(100);
		_exit(work ? work(arg) : 0);
	}
	close(go[0]);
	close(ready[1]);
	w->go = go[1];
	/* Setup done (or failed: then EOF and the child's status). */
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return zc_worker_wait(w) ?: -ECHILD;
	}
	close(ready[0]);
	/*
	 * Its "ready" comes before its read() of the go byte: preempted in
	 * between, it would be switched in after the parent's START and the
	 * read() counted.  Sessions start only once it sleeps there.
	 */
	err = zc_wait_sleeping_in_read(w->pid, w->pid, go[0]);
	if (err) {
		zc_worker_kill(w);
		return err;
	}
	return 0;
}

int zc_worker_go(struct zc_worker *w)
{
	return write(w->go, "g", 1) == 1 ? 0 : -errno;
}

void zc_worker_kill(struct zc_worker *w)
{
	kill(w->pid, SIGKILL);
	zc_worker_wait(w);
}

int zc_worker_wait(struct zc_worker *w)
{
	if (w->go >= 0)
		close(w->go);
	w->go = -1;
	return zc_wait_child(w->pid);
}

struct zc_parked {
	struct zc_threads *set;
	int idx;
};

static void *zc_park(void *arg)
{
	struct zc_threads *t = ((struct zc_parked *)arg)->set;
	int idx = ((struct zc_parked *)arg)->idx;
	char c;

	free(arg);
	__atomic_store_n(&t->tids[idx], zc_gettid(), __ATOMIC_RELEASE);
	/*
	 * Block, not poll: a stream of syscalls while the module toggles the
	 * sys_enter tracepoint can wedge a TCG guest (see zctrace_load.c).
	 */
	while (read(t->pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

int zc_threads_park(struct zc_threads *t, int nr)
{
	pthread_attr_t attr;
	int i, ret = 0;

	memset(t, 0, sizeof(*t));
	if (pipe2(t->pipe, O_CLOEXEC))
		return -errno;
	t->tids = calloc(nr, sizeof(*t->tids));
	t->th = calloc(nr, sizeof(*t->th));
	if (!t->tids || !t->th)
		return -ENOMEM;
	/* Hundreds of them: small stacks. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 65536);
	for (t->nr = 0; t->nr < nr; t->nr++) {
		struct zc_parked *p = malloc(sizeof(*p));

		if (!p)
			return -ENOMEM;
		p->set = t;
		p->idx = t->nr;
		ret = pthread_create(&t->th[t->nr], &attr, zc_park, p);
		if (ret) {
			free(p);
			break;
		}
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < t->nr; i++)
		while (!__atomic_load_n(&t->tids[i], __ATOMIC_ACQUIRE))
			usleep(1000);
	return -ret;
}

void zc_threads_release(struct zc_threads *t)
{
	int i;

	/* EOF wakes them all. */
	close(t->pipe[1]);
	for (i = 0; i < t->nr; i++)
		pthread_join(t->th[i], NULL);
	close(t->pipe[0]);
	free(t->tids);
	free(t->th);
	memset(t, 0, sizeof(*t));
}

/* ---- traffic --------------------------------------------------------- */

int zc_private_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, ret = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

int zc_tcp_pair(int *snd, int *rcv)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t salen = sizeof(sa);
	int lfd, ret = 0;

	*snd = *rcv = -1;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen)) {
		ret = -errno;
		goto out;
	}
	*snd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*snd < 0 || connect(*snd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		goto out;
	}
	*rcv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*rcv < 0)
		ret = -errno;
out:
	if (ret) {
		if (*snd >= 0)
			close(*snd);
		*snd = -1;
	}
	close(lfd);
	return ret;
}

long zc_send_bytes(int fd, size_t len)
{
	static char buf[65536];
	long calls = 0;

	while (len) {
		ssize_t n = send(fd, buf, len < sizeof(buf) ? len : sizeof(buf),
				 MSG_NOSIGNAL);

		calls++;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len -= n;
	}
	return calls;
}

long zc_drain(int fd)
{
	char buf[16384];
	long total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		total += n;
	}
	return total;
}

/* ---- the module ------------------------------------------------------ */

const char *zc_ko_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("ZCTRACE_KO");
	char exe[PATH_MAX - 32];
	ssize_t n;
	char *slash;

	if (env && *env)
		return access(env, R_OK) ? NULL : env;
	/* Out of tree the programs sit in selftests/zctrace of the repo. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/../../zctrace.ko", exe);
	return access(path, R_OK) ? NULL : path;
}

int zc_mod_load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = -errno;
	close(fd);
	return ret;
}

int zc_mod_unload(void)
{
	/* O_NONBLOCK: a module in use fails with EWOULDBLOCK, never waits. */
	return syscall(SYS_delete_module, ZC_MODNAME, O_NONBLOCK) ? -errno : 0;
}

static long zc_read_long(const char *path)
{
	char buf[64];
	ssize_t n = zc_read_text(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (!n)
		return -EIO;
	return strtol(buf, NULL, 10);
}

long zc_mod_refcnt(void)
{
	return zc_read_long("/sys/module/" ZC_MODNAME "/refcnt");
}

long zc_tainted(void)
{
	return zc_read_long("/proc/sys/kernel/tainted");
}

int zc_kprobes_listed(const char *const *syms, int nr)
{
	FILE *f = fopen("/sys/kernel/debug/kprobes/list", "re");
	char line[512];
	int found = 0;

	if (!f)
		return -errno;
	/* "ffffffff81234560  k  _copy_to_iter+0x0    [FTRACE]" */
	while (fgets(line, sizeof(line), f)) {
		char addr[64], kind[8], sym[256];
		char *plus;
		int i;

		if (sscanf(line, "%63s %7s %255s", addr, kind, sym) != 3)
			continue;
		plus = strchr(sym, '+');
		if (plus)
			*plus = '\0';
		for (i = 0; i < nr; i++)
			if (!strcmp(sym, syms[i]))
				found++;
	}
	fclose(f);
	return found;
}

int zc_probe_symbols(struct zc_nl *nl, char (*names)[128], int max)
{
	struct zc_nl_probe probes[64];
	int n, i, nr = 0;

	n = zc_nl_dump_probes(nl, probes, 64);
	if (n < 0)
		return n;
	/* Only these show in debugfs' kprobes list. */
	for (i = 0; i < n && nr < max; i++)
		if (probes[i].kind == ZCTRACE_PROBE_KPROBE ||
		    probes[i].kind == ZCTRACE_PROBE_KRETPROBE)
			memcpy(names[nr++], probes[i].name, 128);
	return nr;
}

long zc_meminfo(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "re");
	size_t flen = strlen(field);
	char line[256];
	long v = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long long zc_slab_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	long long total = 0;
	char line[512];

	if (!f)
		return -errno;
	/* name <active_objs> <num_objs> <objsize> ... */
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		long active, num, size;

		if (sscanf(line, "%63s %ld %ld %ld", name, &active, &num, &size) == 4)
			total += (long long)active * size;
	}
	fclose(f);
	return total;
}
