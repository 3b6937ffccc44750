// SPDX-License-Identifier: GPL-2.0
/*
 * The "zctrace" generic netlink family under hostile input: missing,
 * oversized, wrong-type and unknown attributes, nested garbage, unknown
 * commands, truncated messages, and session dumps that are abandoned,
 * raced with stops or read from another pid namespace halfway.  Attributes are checked by the family's strict
 * policy (module/netlink.c), so each case has one exact errno.
 */

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define NR_DUMP_SESSIONS 200
#define LAST_PROBE_KIND ZCTRACE_PROBE_FTRACE	/* ~400 bytes each: several parts of 4 KiB */
#define PART_BYTES 4096
#define NR_GETPPID 1000

FIXTURE(nl) {
	struct zc_nl nl;
	struct zc_msg *m;
	int fd;
	uint32_t id;	/* a session on this process */
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, zc_nl_open(&self->nl));
	self->m = zc_msg_new();
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &self->id));
}

FIXTURE_TEARDOWN(nl)
{
	close(self->fd);
	free(self->m);
	zc_nl_close(&self->nl);
}

/* A GET_SESSION doit for the fixture's session, attributes to follow. */
static struct zc_msg *get_session(FIXTURE_DATA(nl) *self)
{
	zc_msg_init(self->m, self->nl.family, 0, ZCTRACE_CMD_GET_SESSION);
	return self->m;
}

static int request(FIXTURE_DATA(nl) *self)
{
	return zc_nl_request(&self->nl, self->m, NULL, NULL, NULL);
}

TEST_F(nl, get_session_ok_and_missing_id)
{
	struct zc_msg *m = get_session(self);

	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	EXPECT_EQ(0, request(self));
	get_session(self);
	EXPECT_EQ(-EINVAL, request(self));
	/* Another attribute is no replacement for the id. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_ABI_VERSION, self->id);
	EXPECT_EQ(-EINVAL, request(self));
}

TEST_F(nl, session_id_wrong_size_einval)
{
	static const size_t lens[] = { 0, 1, 2, 3, 5, 8, 16, 256 };
	uint8_t payload[256];
	unsigned int i;

	memset(payload, 0, sizeof(payload));
	memcpy(payload, &self->id, sizeof(self->id));
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		size_t len = lens[i];

		zc_msg_put(get_session(self), ZCTRACE_A_SESSION_ID, payload, len);
		EXPECT_EQ(-EINVAL, request(self)) TH_LOG("SESSION_ID of %zu bytes", len);
	}
}

/* NLA_POLICY_MIN(NLA_U32, 1): out of range is ERANGE, not a lookup. */
TEST_F(nl, session_id_zero_erange)
{
	zc_msg_put_u32(get_session(self), ZCTRACE_A_SESSION_ID, 0);
	EXPECT_EQ(-ERANGE, request(self));
}

TEST_F(nl, session_id_unknown_enoent)
{
	static const uint32_t ids[] = { 0x7fffffff, 0x80000000, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		zc_msg_put_u32(get_session(self), ZCTRACE_A_SESSION_ID, ids[i]);
		EXPECT_EQ(-ENOENT, request(self)) TH_LOG("id %u", ids[i]);
	}
	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	zc_msg_put_u32(get_session(self), ZCTRACE_A_SESSION_ID, self->id);
	EXPECT_EQ(-ENOENT, request(self));
}

TEST_F(nl, unknown_attrs_einval)
{
	static const uint16_t types[] = {
		ZCTRACE_A_UNSPEC, ZCTRACE_A_PAD, __ZCTRACE_A_MAX, 100, 0x3fff,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct zc_msg *m = get_session(self);

		zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
		zc_msg_put_u32(m, types[i], 1);
		EXPECT_EQ(-EINVAL, request(self)) TH_LOG("attribute type %u", types[i]);
	}
	/* The same on every command, dumps included. */
	zc_msg_init(self->m, self->nl.family, 0, ZCTRACE_CMD_GET_VERSION);
	zc_msg_put_u32(self->m, 100, 1);
	EXPECT_EQ(-EINVAL, request(self));
	zc_msg_init(self->m, self->nl.family, NLM_F_DUMP, ZCTRACE_CMD_GET_SESSION);
	zc_msg_put_u32(self->m, 100, 1);
	EXPECT_EQ(-EINVAL, request(self));
	zc_msg_init(self->m, self->nl.family, NLM_F_DUMP, ZCTRACE_CMD_GET_PROBE);
	zc_msg_put_u32(self->m, ZCTRACE_A_SESSION_ID, 0);
	EXPECT_EQ(-ERANGE, request(self));
}

/* Attributes whose header lies about their length. */
TEST_F(nl, malformed_attr_headers_einval)
{
	struct nlattr a;
	uint32_t v = 1;
	struct zc_msg *m;

	/* Shorter than its own header. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	a.nla_len = 2;
	a.nla_type = ZCTRACE_A_ABI_VERSION;
	zc_msg_raw(m, &a, sizeof(a));
	m->nlh.nlmsg_len = m->len;
	EXPECT_EQ(-EINVAL, request(self));

	/* Longer than the message. */
	m = get_session(self);
	a.nla_len = 64;
	a.nla_type = ZCTRACE_A_SESSION_ID;
	zc_msg_raw(m, &a, sizeof(a));
	zc_msg_raw(m, &v, sizeof(v));
	m->nlh.nlmsg_len = m->len;
	EXPECT_EQ(-EINVAL, request(self));

	/* Trailing bytes after the last attribute. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	zc_msg_raw(m, &v, 2);
	m->nlh.nlmsg_len = m->len;
	EXPECT_EQ(-EINVAL, request(self));
}

/* Nested attributes are validated against their own policies too. */
TEST_F(nl, nested_garbage)
{
	static const char long_comm[] = "0123456789abcdefghij";
	uint64_t u64 = 1;
	struct zc_msg *m;
	size_t nest, inner;

	/* A well-formed session nest is accepted, and ignored. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	nest = zc_msg_nest_start(m, ZCTRACE_A_SESSION);
	zc_msg_put_u32(m, ZCTRACE_SESSION_A_FLAGS, ZCTRACE_START_FOLLOW);
	zc_msg_put(m, ZCTRACE_SESSION_A_COMM, "x", 2);
	inner = zc_msg_nest_start(m, ZCTRACE_SESSION_A_COUNTERS);
	zc_msg_put(m, ZCTRACE_CTR_SYSCALLS, &u64, sizeof(u64));
	zc_msg_nest_end(m, inner);
	zc_msg_nest_end(m, nest);
	EXPECT_EQ(0, request(self));

#define NESTED_CASE(err, what, ...) do {					\
		m = get_session(self);						\
		zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);		\
		nest = zc_msg_nest_start(m, ZCTRACE_A_SESSION);			\
		__VA_ARGS__;							\
		zc_msg_nest_end(m, nest);					\
		EXPECT_EQ(err, request(self)) TH_LOG("%s", what);		\
	} while (0)

	NESTED_CASE(-EINVAL, "unknown flag",
		    zc_msg_put_u32(m, ZCTRACE_SESSION_A_FLAGS, ZCTRACE_START_FOLLOW << 1));
	NESTED_CASE(-ERANGE, "state past EXITED",
		    zc_msg_put_u32(m, ZCTRACE_SESSION_A_STATE, ZCTRACE_STATE_EXITED + 1));
	NESTED_CASE(-EINVAL, "comm without NUL",
		    zc_msg_put(m, ZCTRACE_SESSION_A_COMM, "abc", 3));
	NESTED_CASE(-EINVAL, "comm longer than TASK_COMM_LEN",
		    zc_msg_put(m, ZCTRACE_SESSION_A_COMM, long_comm, sizeof(long_comm)));
	NESTED_CASE(-EINVAL, "start_ns as u32",
		    zc_msg_put_u32(m, ZCTRACE_SESSION_A_START_NS, 1));
	NESTED_CASE(-EINVAL, "unknown session attribute",
		    zc_msg_put_u32(m, __ZCTRACE_SESSION_A_MAX, 1));
	NESTED_CASE(-EINVAL, "counter as u32",
		    inner = zc_msg_nest_start(m, ZCTRACE_SESSION_A_COUNTERS);
		    zc_msg_put_u32(m, ZCTRACE_CTR_SYSCALLS, 1);
		    zc_msg_nest_end(m, inner));
	NESTED_CASE(-EINVAL, "unknown counter",
		    inner = zc_msg_nest_start(m, ZCTRACE_SESSION_A_COUNTERS);
		    zc_msg_put(m, __ZCTRACE_CTR_MAX, &u64, sizeof(u64));
		    zc_msg_nest_end(m, inner));
	NESTED_CASE(-EINVAL, "counters not flagged nested",
		    inner = zc_msg_put(m, ZCTRACE_SESSION_A_COUNTERS, NULL, 0);
		    zc_msg_put(m, ZCTRACE_CTR_SYSCALLS, &u64, sizeof(u64));
		    zc_msg_nest_end(m, inner));
	NESTED_CASE(-EINVAL, "u32 flagged nested",
		    zc_msg_put_u32(m, ZCTRACE_SESSION_A_ID | NLA_F_NESTED, 1));
	NESTED_CASE(-EINVAL, "probe attributes in a session",
		    zc_msg_put(m, ZCTRACE_SESSION_A_COUNTERS | NLA_F_NESTED, NULL, 0);
		    zc_msg_put(m, ZCTRACE_PROBE_A_HITS + 10, &u64, sizeof(u64)));

	/* A session nest that is not flagged as one. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	nest = zc_msg_put(m, ZCTRACE_A_SESSION, NULL, 0);
	zc_msg_put_u32(m, ZCTRACE_SESSION_A_ID, 1);
	zc_msg_nest_end(m, nest);
	EXPECT_EQ(-EINVAL, request(self));

	/* A probe nest with a kind past the last one. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	nest = zc_msg_nest_start(m, ZCTRACE_A_PROBE);
	zc_msg_put_u32(m, ZCTRACE_PROBE_A_KIND, LAST_PROBE_KIND + 1);
	zc_msg_nest_end(m, nest);
	EXPECT_EQ(-ERANGE, request(self));

	/* A probe nest with a flag that carries data. */
	m = get_session(self);
	zc_msg_put_u32(m, ZCTRACE_A_SESSION_ID, self->id);
	nest = zc_msg_nest_start(m, ZCTRACE_A_PROBE);
	zc_msg_put_u32(m, ZCTRACE_PROBE_A_ATTACHED, 1);
	zc_msg_nest_end(m, nest);
	EXPECT_EQ(-ERANGE, request(self));
#undef NESTED_CASE
}

TEST_F(nl, unknown_commands_eopnotsupp)
{
	static const uint8_t doit[] = {
		ZCTRACE_CMD_UNSPEC, ZCTRACE_CMD_GET_PROBE, ZCTRACE_CMD_SESSION_END,
		__ZCTRACE_CMD_MAX, 100, 255,
	};
	static const uint8_t dump[] = {
		ZCTRACE_CMD_UNSPEC, ZCTRACE_CMD_GET_VERSION, ZCTRACE_CMD_SESSION_END,
		__ZCTRACE_CMD_MAX, 255,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(doit); i++) {
		zc_msg_init(self->m, self->nl.family, 0, doit[i]);
		EXPECT_EQ(-EOPNOTSUPP, request(self)) TH_LOG("doit cmd %u", doit[i]);
	}
	for (i = 0; i < ARRAY_SIZE(dump); i++) {
		zc_msg_init(self->m, self->nl.family, NLM_F_DUMP, dump[i]);
		EXPECT_EQ(-EOPNOTSUPP, request(self)) TH_LOG("dump cmd %u", dump[i]);
	}
}

TEST_F(nl, truncated_messages)
{
	struct zc_msg *m = self->m;
	char buf[256];
	uint32_t abi, nr;

	/* No room for the generic netlink header. */
	zc_msg_init(m, self->nl.family, NLM_F_ACK, ZCTRACE_CMD_GET_VERSION);
	m->len = m->nlh.nlmsg_len = NLMSG_HDRLEN + 2;
	EXPECT_EQ(-EINVAL, zc_nl_request(&self->nl, m, NULL, NULL, NULL));

	/* A length beyond the datagram: dropped without a reply. */
	zc_msg_init(m, self->nl.family, NLM_F_ACK, ZCTRACE_CMD_GET_VERSION);
	m->nlh.nlmsg_len = 1024;
	ASSERT_EQ(0, zc_nl_send_raw(&self->nl, m->buf, m->len));
	EXPECT_EQ(-EAGAIN, zc_nl_recv(&self->nl, buf, sizeof(buf), 300));

	/* The socket is still good. */
	ASSERT_EQ(0, zc_nl_version(&self->nl, &abi, &nr));
	EXPECT_EQ(ZCTRACE_ABI_VERSION, abi);
}

/* Start NR_DUMP_SESSIONS sessions on parked threads; ids[] in start order. */
static void many_sessions(struct __test_metadata *_metadata, int fd,
			  struct zc_threads *t, uint32_t *ids, int nr)
{
	int i;

	ASSERT_EQ(0, zc_threads_park(t, nr));
	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, zc_start(fd, t->tids[i], 0, &ids[i]));
}

TEST_F(nl, dump_many_sessions)
{
	uint32_t ids[NR_DUMP_SESSIONS + 1], listed[NR_DUMP_SESSIONS + 16];
	struct zc_threads t;
	int n, i, parts;

	many_sessions(_metadata, self->fd, &t, ids, NR_DUMP_SESSIONS);
	ids[NR_DUMP_SESSIONS] = self->id;
	n = zc_nl_dump_sessions(&self->nl, listed, ARRAY_SIZE(listed), &parts);
	ASSERT_EQ(NR_DUMP_SESSIONS + 1, n);
	/* The fixture's session came first, then the others in id order. */
	EXPECT_EQ(self->id, listed[0]);
	for (i = 0; i < NR_DUMP_SESSIONS; i++)
		EXPECT_EQ(ids[i], listed[i + 1]);
	EXPECT_LT(1, parts);
	TH_LOG("%d sessions dumped in %d parts of at most %d bytes", n, parts, PART_BYTES);
	zc_threads_release(&t);
}

/* The ids in the next datagram of a session dump, or -errno. */
static int dump_part(struct zc_nl *nl, uint32_t *ids, int max)
{
	char *buf = malloc(PART_BYTES);
	struct nlmsghdr *nlh;
	int len, count = 0;

	len = zc_nl_recv(nl, buf, PART_BYTES, 20000);
	for (nlh = (struct nlmsghdr *)buf; len > 0 && NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		struct zc_nl_session s;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			count = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			break;
		}
		if (nlh->nlmsg_type != nl->family || count >= max ||
		    zc_nl_parse_session(NLMSG_DATA(nlh) + GENL_HDRLEN,
					nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), &s)) {
			count = -EBADMSG;
			break;
		}
		ids[count++] = s.id;
	}
	free(buf);
	return len < 0 ? len : count;
}

static int dump_first_part(struct zc_nl *nl, struct zc_msg *m, uint32_t *ids, int max)
{
	zc_msg_init(m, nl->family, NLM_F_DUMP, ZCTRACE_CMD_GET_SESSION);
	int ret = zc_nl_send(nl, m);

	return ret ? ret : dump_part(nl, ids, max);
}

/*
 * A dump holds a reference on the module until it ends: abandoning it
 * halfway by closing the socket must give it back.
 */
TEST_F_TIMEOUT(nl, dump_abandoned_halfway, 120)
{
	uint32_t ids[NR_DUMP_SESSIONS], part[NR_DUMP_SESSIONS];
	struct zc_threads t;
	long base;
	int i, got;

	many_sessions(_metadata, self->fd, &t, ids, NR_DUMP_SESSIONS);
	base = zc_mod_refcnt();
	ASSERT_LT(0, base);
	for (i = 0; i < 20; i++) {
		struct zc_nl nl;

		ASSERT_EQ(0, zc_nl_open(&nl));
		got = dump_first_part(&nl, self->m, part, NR_DUMP_SESSIONS);
		ASSERT_LT(0, got) TH_LOG("first part: %s", strerror(-got));
		ASSERT_GT(NR_DUMP_SESSIONS, got);
		EXPECT_EQ(base + 1, zc_mod_refcnt());
		zc_nl_close(&nl);
		EXPECT_EQ(base, zc_mod_refcnt());
	}
	/* Asked for and never read at all. */
	for (i = 0; i < 20; i++) {
		struct zc_nl nl;

		ASSERT_EQ(0, zc_nl_open(&nl));
		zc_msg_init(self->m, nl.family, NLM_F_DUMP, ZCTRACE_CMD_GET_SESSION);
		ASSERT_EQ(0, zc_nl_send(&nl, self->m));
		zc_nl_close(&nl);
	}
	EXPECT_EQ(base, zc_mod_refcnt());
	TH_LOG("40 dumps abandoned; module refcnt back to %ld", base);
	/* Sessions stopped while no dump is running; a full dump still works. */
	zc_threads_release(&t);
	close(self->fd);
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, zc_nl_dump_sessions(&self->nl, ids, NR_DUMP_SESSIONS, NULL));
}

/*
 * Sessions stopped between two parts of a dump are not listed later, the
 * others come exactly once, in order, and the dump ends normally.
 *
 * Reading a part makes the kernel fill the next one at once, so the part
 * read right after the stops still shows the sessions as they were; the
 * parts after it must not.
 */
TEST_F_TIMEOUT(nl, dump_with_stops_between_parts, 120)
{
	uint32_t ids[NR_DUMP_SESSIONS], part[NR_DUMP_SESSIONS];
	uint32_t rest[NR_DUMP_SESSIONS + 16];
	struct zc_id_list l = { rest, 0, ARRAY_SIZE(rest) };
	struct zc_threads t;
	int first, second, i, j;

	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	many_sessions(_metadata, self->fd, &t, ids, NR_DUMP_SESSIONS);
	first = dump_first_part(&self->nl, self->m, part, NR_DUMP_SESSIONS);
	ASSERT_LT(0, first) TH_LOG("first part: %s", strerror(-first));
	ASSERT_GT(NR_DUMP_SESSIONS / 3, first);
	for (i = 0; i < first; i++)
		ASSERT_EQ(ids[i], part[i]);

	/* Stop every other session, dumped or not. */
	for (i = 0; i < NR_DUMP_SESSIONS; i += 2)
		ASSERT_EQ(0, zc_stop(self->fd, ids[i], NULL, NULL));

	second = dump_part(&self->nl, part, NR_DUMP_SESSIONS);
	ASSERT_LT(0, second);
	for (i = 0; i < second; i++)
		ASSERT_EQ(ids[first + i], part[i]);

	ASSERT_EQ(0, zc_nl_replies(&self->nl, zc_ids_cb, &l, NULL));
	for (i = first + second, j = 0; i < NR_DUMP_SESSIONS; i++) {
		if (!(i & 1))
			continue;
		ASSERT_GT(l.nr, j);
		EXPECT_EQ(ids[i], rest[j]) TH_LOG("session #%d", i);
		j++;
	}
	EXPECT_EQ(j, l.nr);
	TH_LOG("parts of %d and %d sessions, then %d of the %d left after stopping half",
	       first, second, l.nr, NR_DUMP_SESSIONS - first - second);
	zc_threads_release(&t);
}

/* The rest of a dump, each session's pid checked against its thread's. */
struct pid_check {
	struct zc_nl *nl;
	const uint32_t *ids;
	const pid_t *tids;
	int nr, checked;
};

static int pid_check_cb(const struct genlmsghdr *g, const struct nlattr *attrs,
			int len, void *arg)
{
	struct pid_check *c = arg;
	struct zc_nl_session s;
	int i;

	if (zc_nl_parse_session(attrs, len, &s))
		return -EBADMSG;
	for (i = 0; i < c->nr; i++) {
		if (c->ids[i] != s.id)
			continue;
		if (s.pid != (uint32_t)c->tids[i])
			return -EXDEV;
		c->checked++;
		return 0;
	}
	return -ESRCH;
}

/* Exit status: 0, an errno, or 255 when the count is off. */
static int read_rest_of_dump(void *arg)
{
	struct pid_check *c = arg;
	int ret = zc_nl_replies(c->nl, pid_check_cb, c, NULL);

	if (ret)
		return -ret;
	return c->checked == c->nr ? 0 : 255;
}

/* Its children start a new pid namespace; the first of them reads. */
static int read_from_new_pid_ns(void *arg)
{
	if (unshare(CLONE_NEWPID))
		return errno;
	return zc_run_child(read_rest_of_dump, arg);
}

/*
 * Only a dump's first parts are built while the requester reads: a later
 * one is built for whoever reads the socket then.  Read by a process in a
 * new pid namespace, where none of the traced threads has a pid, they must
 * still give the pids the requester sees.
 */
TEST_F_TIMEOUT(nl, dump_keeps_requester_pid_ns, 120)
{
	uint32_t ids[NR_DUMP_SESSIONS], part[NR_DUMP_SESSIONS];
	struct zc_threads t;
	struct pid_check c = { .nl = &self->nl };
	int first, ret;

	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	many_sessions(_metadata, self->fd, &t, ids, NR_DUMP_SESSIONS);
	first = dump_first_part(&self->nl, self->m, part, NR_DUMP_SESSIONS);
	ASSERT_LT(0, first) TH_LOG("first part: %s", strerror(-first));
	ASSERT_GT(NR_DUMP_SESSIONS / 3, first);

	c.ids = ids + first;
	c.tids = t.tids + first;
	c.nr = NR_DUMP_SESSIONS - first;
	ret = zc_run_child(read_from_new_pid_ns, &c);
	EXPECT_EQ(0, ret) TH_LOG("reader: %s", ret == 255 ? "sessions missing" :
				 ret == EXDEV ? "a pid seen from its namespace" :
				 strerror(ret));
	zc_threads_release(&t);
}

/* The tracepoints the module cannot do without (module/probes.c). */
static const char *const required_probes[] = {
	"sched_switch", "task_newtask", "sched_process_exit", "sys_enter",
};

static const struct zc_nl_probe *find_probe(const struct zc_nl_probe *p, int n,
					    const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

TEST_F(nl, dump_probes)
{
	const struct zc_nl_probe *q;
	struct zc_nl_probe p[64];
	unsigned int r;
	int n, i;

	n = zc_nl_dump_probes(&self->nl, p, ARRAY_SIZE(p));
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		EXPECT_NE(0, p[i].name[0]);
		EXPECT_GE(LAST_PROBE_KIND, p[i].kind);
		/* A session exists: every probe attached or says why not. */
		EXPECT_EQ(p[i].attached, p[i].err == 0) TH_LOG("%s", p[i].name);
	}
	for (r = 0; r < ARRAY_SIZE(required_probes); r++) {
		q = find_probe(p, n, required_probes[r]);
		EXPECT_NE(NULL, q) TH_LOG("%s not listed", required_probes[r]);
		if (!q)
			continue;
		EXPECT_TRUE(q->attached) TH_LOG("%s", q->name);
		EXPECT_EQ(ZCTRACE_PROBE_TRACEPOINT, q->kind) TH_LOG("%s", q->name);
	}
	TH_LOG("%d probes", n);
}

/* The next SESSION_END the listener gets. */
static void recv_session_end(struct __test_metadata *_metadata, struct zc_nl *mc,
			     struct zc_nl_session *s)
{
	ASSERT_EQ(0, zc_nl_recv_session_end(mc, 5000, s));
	EXPECT_EQ(__ZCTRACE_CTR_MAX - 2, s->nr_counters);
}

/* STOP tells the "sessions" group, with the final counts and state. */
TEST_F(nl, session_end_multicast)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	uint32_t state = 99;
	struct zc_nl_session s;
	struct zc_nl mc;
	int i;

	ASSERT_EQ(0, zc_nl_join_sessions(&mc));
	ASSERT_EQ(0, zc_stop(self->fd, self->id, ctr, &state));
	/* This thread still runs. */
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, state);
	recv_session_end(_metadata, &mc, &s);
	EXPECT_EQ(self->id, s.id);
	EXPECT_EQ(getpid(), s.pid);
	EXPECT_EQ(state, s.state);
	/* The same final counts, the STOP's own system call included in both. */
	for (i = ZCTRACE_CTR_PAD + 1; i < __ZCTRACE_CTR_MAX; i++)
		EXPECT_EQ(ctr[i], s.counters[i]) TH_LOG("counter %d", i);
	zc_nl_close(&mc);
}

/* Closing the file ends its sessions, and listeners are told so too. */
TEST_F(nl, session_end_multicast_on_close)
{
	struct zc_nl_session s;
	struct zc_nl mc;
	uint32_t id;
	int fd, i;

	/* The fixture's session traces this thread already. */
	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	ASSERT_EQ(0, zc_nl_join_sessions(&mc));
	fd = zc_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_start(fd, 0, 0, &id));
	for (i = 0; i < NR_GETPPID; i++)
		syscall(SYS_getppid);
	close(fd);
	recv_session_end(_metadata, &mc, &s);
	EXPECT_EQ(id, s.id);
	EXPECT_EQ(getpid(), s.pid);
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, s.state);
	/* The getppid()s and the close() that ended it. */
	EXPECT_EQ(NR_GETPPID + 1, s.counters[ZCTRACE_CTR_SYSCALLS]);
	EXPECT_EQ(0, s.counters[ZCTRACE_CTR_COPY_U2K_BYTES]);
	zc_nl_close(&mc);
}

ZC_HARNESS_MAIN
