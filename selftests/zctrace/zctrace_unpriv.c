// SPDX-License-Identifier: GPL-2.0
/*
 * What unprivileged callers can and cannot do:
 *  - open() wants CAP_PERFMON or CAP_SYS_ADMIN (and the 0600 root node);
 *  - START follows zc_may_trace() in module/session.c: the caller's own
 *    threads, or CAP_SYS_PTRACE, or a dumpable target whose real, effective
 *    and saved uids are all the caller's uid;
 *  - sessions of other files are invisible to the ioctls;
 *  - every genl command and the multicast group want CAP_NET_ADMIN in the
 *    initial user namespace, and the family is absent from other netns.
 */

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

/* ---- open() ---------------------------------------------------------- */

struct creds {
	uid_t uid;
	uint64_t caps;
};

static int open_with(void *arg)
{
	const struct creds *c = arg;
	int fd;

	if (zc_become(c->uid, c->uid, c->caps))
		return 200;
	fd = zc_open();
	return fd < 0 ? -fd : 0;
}

TEST(open_needs_perfmon)
{
	const struct { const char *who; struct creds c; int err; } cases[] = {
		{ "nobody", { ZC_NOBODY, 0 }, EACCES },
		{ "root uid, no caps", { 0, 0 }, EPERM },
		{ "root uid, CAP_NET_ADMIN", { 0, ZC_CAP(CAP_NET_ADMIN) }, EPERM },
		{ "nobody, DAC_OVERRIDE", { ZC_NOBODY, ZC_CAP(CAP_DAC_OVERRIDE) }, EPERM },
		{ "nobody, DAC_OVERRIDE+PERFMON",
		  { ZC_NOBODY, ZC_CAP(CAP_DAC_OVERRIDE) | ZC_CAP(CAP_PERFMON) }, 0 },
		{ "nobody, DAC_OVERRIDE+SYS_ADMIN",
		  { ZC_NOBODY, ZC_CAP(CAP_DAC_OVERRIDE) | ZC_CAP(CAP_SYS_ADMIN) }, 0 },
		/* The node's mode comes first. */
		{ "nobody, PERFMON", { ZC_NOBODY, ZC_CAP(CAP_PERFMON) }, EACCES },
		{ "root uid, PERFMON", { 0, ZC_CAP(CAP_PERFMON) }, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *who = cases[i].who;

		EXPECT_EQ(cases[i].err, zc_run_child(open_with, (void *)&cases[i].c))
			TH_LOG("open as %s", who);
	}
}

/* ---- START and zc_may_trace() ---------------------------------------- */

/* A target task: its credentials and dumpability. */
struct target {
	const char *what;
	uid_t ruid, euid, suid;
	int dumpable;
	struct zc_worker w;
	pid_t pid;
};

static int target_setup(void *arg)
{
	const struct target *t = arg;

	/* As root, straight to the mix of uids; that also drops every cap. */
	if (setgroups(0, NULL) ||
	    setresgid(t->ruid, t->ruid, t->ruid) ||
	    setresuid(t->ruid, t->euid, t->suid) ||
	    prctl(PR_SET_DUMPABLE, t->dumpable, 0, 0, 0))
		return 201;
	return 0;
}

struct caller {
	int fd;			/* opened as root before dropping */
	uint64_t caps;
	struct target *targets;
	int nr;
	int *results;		/* shared with the parent: -errno of each START */
	int self_result;
};

/* As nobody with only caller->caps, try to trace each target. */
static int caller_run(void *arg)
{
	struct caller *c = arg;
	int i;

	if (zc_become(ZC_NOBODY, ZC_NOBODY, c->caps))
		return 200;
	for (i = 0; i < c->nr; i++) {
		uint32_t id;

		c->results[i] = zc_start(c->fd, c->targets[i].pid, 0, &id);
		if (!c->results[i])
			zc_stop(c->fd, id, NULL, NULL);
	}
	/* One's own threads, even when not dumpable. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	c->results[c->nr] = zc_start(c->fd, 0, 0, NULL);
	return 0;
}

FIXTURE(trace) {
	struct target t[6];
	int *results;
	int fd;
};

FIXTURE_SETUP(trace)
{
	const struct target targets[] = {
		{ "nobody", ZC_NOBODY, ZC_NOBODY, ZC_NOBODY, 1 },
		{ "nobody, not dumpable", ZC_NOBODY, ZC_NOBODY, ZC_NOBODY, 0 },
		{ "another user", ZC_OTHER_UID, ZC_OTHER_UID, ZC_OTHER_UID, 1 },
		{ "nobody with another euid", ZC_NOBODY, ZC_OTHER_UID, ZC_NOBODY, 1 },
		{ "nobody with another suid", ZC_NOBODY, ZC_NOBODY, ZC_OTHER_UID, 1 },
		{ "root", 0, 0, 0, 1 },
	};
	unsigned int i;

	memcpy(self->t, targets, sizeof(targets));
	for (i = 0; i < ARRAY_SIZE(self->t); i++) {
		ASSERT_EQ(0, zc_worker_spawn(&self->t[i].w, target_setup, NULL, &self->t[i]))
			TH_LOG("target %s", self->t[i].what);
		self->t[i].pid = self->t[i].w.pid;
	}
	self->results = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->results);
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(trace)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->t); i++)
		zc_worker_kill(&self->t[i].w);
	close(self->fd);
}

static void check_trace(struct __test_metadata *_metadata,
			FIXTURE_DATA(trace) *self, uint64_t caps, const int *expect)
{
	struct caller c = {
		.fd = self->fd, .caps = caps, .targets = self->t,
		.nr = ARRAY_SIZE(self->t), .results = self->results,
	};
	int i;

	ASSERT_EQ(0, zc_run_child(caller_run, &c));
	for (i = 0; i < c.nr; i++) {
		const char *what = self->t[i].what;

		EXPECT_EQ(expect[i], self->results[i]) TH_LOG("target %s", what);
	}
	EXPECT_EQ(0, self->results[c.nr]) TH_LOG("own thread, not dumpable");
}

/* Without CAP_SYS_PTRACE only the caller's own, dumpable, uid-clean tasks. */
TEST_F(trace, same_user_only)
{
	const int expect[] = { 0, -EACCES, -EACCES, -EACCES, -EACCES, -EACCES };

	/* The capability to open is not the one to trace others. */
	check_trace(_metadata, self, ZC_CAP(CAP_PERFMON) | ZC_CAP(CAP_SYS_ADMIN), expect);
}

TEST_F(trace, no_caps_left)
{
	const int expect[] = { 0, -EACCES, -EACCES, -EACCES, -EACCES, -EACCES };

	check_trace(_metadata, self, 0, expect);
}

TEST_F(trace, cap_sys_ptrace_traces_all)
{
	const int expect[] = { 0, 0, 0, 0, 0, 0 };

	check_trace(_metadata, self, ZC_CAP(CAP_SYS_PTRACE), expect);
}

/* ---- other files' sessions ------------------------------------------- */

struct foreign {
	uint32_t id;	/* a session of the parent's file */
	int fd;		/* the child's own file, opened as root */
};

static int poke_foreign(void *arg)
{
	struct foreign *f = arg;
	uint32_t mine;

	if (zc_become(ZC_NOBODY, ZC_NOBODY, ZC_CAP(CAP_PERFMON)))
		return 200;
	if (zc_read(f->fd, f->id, NULL, NULL) != -ENOENT ||
	    zc_reset(f->fd, f->id) != -ENOENT ||
	    zc_stop(f->fd, f->id, NULL, NULL) != -ENOENT)
		return 1;
	/* Its own session is listed with its uid; left for the parent to see. */
	if (zc_start(f->fd, 0, 0, &mine))
		return 2;
	return mine == f->id ? 3 : 0;
}

TEST(foreign_sessions_invisible)
{
	struct zc_nl_session s;
	struct foreign f;
	uint32_t ids[16];
	struct zc_nl nl;
	int fd = zc_open(), n, i, found = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, zc_start(fd, 0, 0, &f.id));
	f.fd = zc_open();
	ASSERT_LE(0, f.fd);
	EXPECT_EQ(0, zc_run_child(poke_foreign, &f));
	EXPECT_EQ(0, zc_read(fd, f.id, NULL, NULL));

	/* The child exited: its session stays with its file, owned by nobody. */
	ASSERT_EQ(0, zc_nl_open(&nl));
	n = zc_nl_dump_sessions(&nl, ids, ARRAY_SIZE(ids), NULL);
	ASSERT_EQ(2, n);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, zc_nl_get_session(&nl, ids[i], &s));
		if (s.id == f.id)
			continue;
		EXPECT_EQ(ZC_NOBODY, s.owner_uid);
		EXPECT_EQ(ZCTRACE_STATE_EXITED, s.state);
		found++;
	}
	EXPECT_EQ(1, found);
	close(f.fd);
	EXPECT_EQ(1, zc_nl_dump_sessions(&nl, ids, ARRAY_SIZE(ids), NULL));
	zc_nl_close(&nl);
	close(fd);
}

/* ---- generic netlink ------------------------------------------------- */

struct genl_case {
	struct creds c;
	uint32_t id;		/* a live session */
	int unshare_flags;
	int nl_fd;		/* a socket opened before dropping, or -1 */
	int *results;
};

/* unshare(CLONE_NEWUSER) refused, as in a chroot: nothing to test. */
#define UNSHARE_EPERM 203

enum { R_FAMILY, R_VERSION, R_GET, R_DUMP, R_PROBES, R_JOIN, R_OLD_SOCKET, NR_R };

static int genl_try(void *arg)
{
	struct genl_case *g = arg;
	struct zc_nl_session s;
	struct zc_nl_probe p[64];
	uint32_t abi, nr, ids[8];
	struct zc_nl nl;
	int grp;

	/* A network namespace needs root; a user namespace is made as nobody. */
	if ((g->unshare_flags & CLONE_NEWNET) && unshare(CLONE_NEWNET))
		return 202;
	if (zc_become(g->c.uid, g->c.uid, g->c.caps))
		return 200;
	if ((g->unshare_flags & CLONE_NEWUSER) && unshare(CLONE_NEWUSER))
		return errno == EPERM ? UNSHARE_EPERM : 202;
	g->results[R_FAMILY] = zc_nl_open(&nl);
	if (g->results[R_FAMILY])
		return 0;
	g->results[R_VERSION] = zc_nl_version(&nl, &abi, &nr);
	g->results[R_GET] = zc_nl_get_session(&nl, g->id, &s);
	g->results[R_DUMP] = zc_nl_dump_sessions(&nl, ids, ARRAY_SIZE(ids), NULL);
	g->results[R_PROBES] = zc_nl_dump_probes(&nl, p, ARRAY_SIZE(p));
	grp = nl.mcgrp;
	g->results[R_JOIN] = setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
					&grp, sizeof(grp)) ? -errno : 0;
	if (g->nl_fd >= 0) {
		/* Opened by root: what counts is who asks now. */
		struct zc_nl old = nl;

		old.fd = g->nl_fd;
		g->results[R_OLD_SOCKET] = zc_nl_version(&old, &abi, &nr);
	}
	zc_nl_close(&nl);
	return 0;
}

FIXTURE(genl) {
	int fd;
	uint32_t id;
	int *results;
};

FIXTURE_SETUP(genl)
{
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &self->id));
	self->results = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->results);
}

FIXTURE_TEARDOWN(genl)
{
	close(self->fd);
}

static void run_genl(struct __test_metadata *_metadata, FIXTURE_DATA(genl) *self,
		     struct genl_case *g, const int *expect, int nr)
{
	static const char *const names[NR_R] = {
		"resolve family", "GET_VERSION", "GET_SESSION", "dump sessions",
		"dump probes", "join \"sessions\"", "GET_VERSION on root's socket",
	};
	int i, ret;

	g->id = self->id;
	g->results = self->results;
	memset(self->results, 0x7f, NR_R * sizeof(int));
	ret = zc_run_child(genl_try, g);
	if (ret == UNSHARE_EPERM)
		SKIP(return, "no user namespaces here (a chroot?)");
	ASSERT_EQ(0, ret);
	for (i = 0; i < nr; i++) {
		const char *what = names[i];

		EXPECT_EQ(expect[i], self->results[i]) TH_LOG("%s", what);
	}
}

/* Anyone resolves the family; nobody without CAP_NET_ADMIN uses it. */
TEST_F(genl, nobody_eperm)
{
	struct zc_nl root;
	struct genl_case g = { .c = { ZC_NOBODY, 0 } };
	const int expect[] = { 0, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM };

	ASSERT_EQ(0, zc_nl_open(&root));
	g.nl_fd = root.fd;
	run_genl(_metadata, self, &g, expect, NR_R);
	zc_nl_close(&root);
}

TEST_F(genl, root_without_net_admin_eperm)
{
	struct genl_case g = {
		.c = { 0, ~ZC_CAP(CAP_NET_ADMIN) & ((1ULL << (CAP_LAST_CAP + 1)) - 1) },
		.nl_fd = -1,
	};
	const int expect[] = { 0, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM };

	run_genl(_metadata, self, &g, expect, R_OLD_SOCKET);
}

TEST_F(genl, net_admin_is_enough)
{
	struct genl_case g = { .c = { ZC_NOBODY, ZC_CAP(CAP_NET_ADMIN) }, .nl_fd = -1 };
	/* The fixture's session is one, the dump counts it. */
	const int expect[] = { 0, 0, 0, 1, 0, 0 };

	run_genl(_metadata, self, &g, expect, R_PROBES);
	EXPECT_LT(0, self->results[R_PROBES]);
	EXPECT_EQ(0, self->results[R_JOIN]);
}

/* CAP_NET_ADMIN over one's own user namespace is not enough. */
TEST_F(genl, user_namespace_eperm)
{
	struct genl_case g = { .c = { ZC_NOBODY, 0 }, .unshare_flags = CLONE_NEWUSER,
			       .nl_fd = -1 };
	const int expect[] = { 0, -EPERM, -EPERM, -EPERM, -EPERM, -EPERM };

	run_genl(_metadata, self, &g, expect, R_OLD_SOCKET);
}

/* The family lives in the initial network namespace only. */
TEST_F(genl, other_netns_has_no_family)
{
	struct genl_case g = { .c = { ZC_NOBODY, 0 }, .unshare_flags = CLONE_NEWNET,
			       .nl_fd = -1 };
	const int expect[] = { -ENOENT };

	run_genl(_metadata, self, &g, expect, 1);
}

ZC_HARNESS_MAIN
