// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded random fuzzer for both of zctrace's surfaces at once: one
 * thread throws random ioctls (commands, sizes, pointers, ids, pids, flags,
 * reserved bits) at a few open files, another random generic netlink
 * messages (commands, flags, attributes of random types, lengths and
 * nesting, broken framing, abandoned dumps).
 *
 *   ZCTRACE_FUZZ_SEED   seed (default: from the clock), printed either way
 *   ZCTRACE_FUZZ_CALLS  total calls (default 100000), 70% ioctl, 30% genl
 *
 * Every answer must be 0 or an errno the interface documents, and once the
 * files and sockets are closed no session and no module reference may be
 * left.  The VM runner checks the kernel log for splats afterwards.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define NR_FILES	3
#define NR_TARGETS	48	/* parked threads that can really be traced */
#define NR_IDS		512

static uint64_t rnd_next(uint64_t *s)
{
	/* xorshift64*: small, fast, and the same sequence for a seed. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return n ? rnd_next(s) % n : 0;
}

/* True with a probability of pct percent. */
static bool chance(uint64_t *s, unsigned int pct)
{
	return rnd(s, 100) < pct;
}

struct fuzz {
	uint64_t seed;
	long ioctl_calls, genl_calls;	/* planned */
	long ioctl_made, genl_made;	/* made: a thread that gives up early fails */
	struct zc_threads targets;
	pid_t dead_pid;
	int fds[NR_FILES];
	uint32_t ids[NR_IDS];	/* ids that START returned, live or not */
	int nr_ids;
	char *page;		/* 2 pages: random bytes, then an inaccessible one */
	char *ro;		/* read-only page */
	char *gone;		/* inaccessible */
	long psz;
	/* tallies */
	long ioctl_errs[256], genl_errs[256];
	long bad_ioctl, bad_genl, starts, dumps, abandoned;
};

static uint64_t pick_ptr(struct fuzz *f, uint64_t *s, size_t want)
{
	switch (rnd(s, 20)) {
	case 0: return 0;
	case 1: return (uintptr_t)f->gone;
	case 2: return ZC_KERNEL_PTR;
	case 3: return (uintptr_t)f->ro;
	case 4: return rnd_next(s);
	case 5: return (uintptr_t)f->page + f->psz - rnd(s, want + 1);	/* straddles */
	default: return (uintptr_t)f->page + rnd(s, 64) * 8;
	}
}

static uint32_t pick_id(struct fuzz *f, uint64_t *s)
{
	if (f->nr_ids && chance(s, 80))
		return f->ids[rnd(s, f->nr_ids)];
	switch (rnd(s, 4)) {
	case 0: return 0;
	case 1: return UINT32_MAX;
	case 2: return rnd(s, 4096);
	default: return rnd_next(s);
	}
}

static int32_t pick_pid(struct fuzz *f, uint64_t *s)
{
	/*
	 * Tasks that exist are rare: once traced they answer EBUSY, and a
	 * refused START costs two RCU grace periods in the module.
	 */
	switch (rnd(s, 100)) {
	case 0: return f->targets.tids[rnd(s, f->targets.nr)];
	case 1: return 0;
	case 2: return getpid();
	case 3: return 1;
	case 4: return 2;
	case 5 ... 19: return f->dead_pid;
	case 20 ... 34: return INT_MAX;
	case 35 ... 49: return -1 - rnd(s, 5);
	case 50 ... 54: return INT_MIN;
	default: return rnd_next(s);
	}
}

static const unsigned long zc_cmds[] = {
	ZCTRACE_IOC_VERSION, ZCTRACE_IOC_START, ZCTRACE_IOC_READ,
	ZCTRACE_IOC_STOP, ZCTRACE_IOC_RESET,
};

static uint32_t cmd_size(unsigned long cmd)
{
	return _IOC_SIZE(cmd);
}

/* An argument as large as the random commands' sizes (below 128) say. */
#define ARG_BYTES 128

/* Fill the argument: mostly plausible, with one or two things wrong. */
static void build_arg(struct fuzz *f, uint64_t *s, unsigned long cmd, char *arg)
{
	uint32_t size = cmd_size(cmd);
	unsigned int i;

	memset(arg, 0, ARG_BYTES);
	if (chance(s, 10))
		for (i = 0; i < ARG_BYTES; i++)
			arg[i] = rnd_next(s);
	*(uint32_t *)arg = chance(s, 85) ? size : (chance(s, 50) ? rnd(s, 80) : rnd_next(s));

	if (cmd == ZCTRACE_IOC_START) {
		struct zctrace_start *st = (void *)arg;

		st->flags = chance(s, 80) ? (chance(s, 50) ? ZCTRACE_START_FOLLOW : 0)
					  : 1U << rnd(s, 32);
		st->pid = pick_pid(f, s);
		if (chance(s, 5))
			st->reserved[rnd(s, 2)] = rnd_next(s);
	} else if (cmd == ZCTRACE_IOC_READ || cmd == ZCTRACE_IOC_STOP) {
		struct zctrace_read *rd = (void *)arg;
		static const uint32_t nrs[] = { 0, 1, 3, __ZCTRACE_CTR_MAX, 64, UINT32_MAX };

		rd->id = pick_id(f, s);
		rd->nr_counters = chance(s, 80) ? nrs[rnd(s, ARRAY_SIZE(nrs))] : rnd_next(s);
		rd->counters = chance(s, 70) ? (uintptr_t)f->page + f->psz - 8 * __ZCTRACE_CTR_MAX
					     : pick_ptr(f, s, 8 * __ZCTRACE_CTR_MAX);
		if (chance(s, 5))
			rd->state = rnd_next(s);
		if (chance(s, 5))
			rd->reserved[rnd(s, 2)] = rnd_next(s);
	} else if (cmd == ZCTRACE_IOC_RESET) {
		struct zctrace_reset *rs = (void *)arg;

		rs->id = pick_id(f, s);
		if (chance(s, 5))
			rs->reserved = rnd_next(s);
	} else if (cmd == ZCTRACE_IOC_VERSION && chance(s, 5)) {
		((struct zctrace_version *)arg)->reserved = rnd_next(s);
	}
}

static bool ioctl_err_ok(unsigned long cmd, int err, bool known)
{
	if (!known)
		return err == ENOTTY;
	switch (err) {
	case 0: case EINVAL: case EFAULT:
		return true;
	case ENOENT:
		return cmd == ZCTRACE_IOC_READ || cmd == ZCTRACE_IOC_STOP ||
		       cmd == ZCTRACE_IOC_RESET;
	case ESRCH: case EACCES: case EBUSY: case ENOSPC:
		return cmd == ZCTRACE_IOC_START;
	default:
		return false;
	}
}

/*
 * do_vfs_ioctl() answers some commands for every file before the driver
 * sees them (FIGETBSZ, FS_IOC_GETFSUUID since 6.5, the FIO*, FI* and
 * FS_IOC_* families): they are not the module's to refuse with ENOTTY.
 */
static bool vfs_ioctl_type(unsigned int type)
{
	return type == 0 || type == 0x15 || type == 'T' || type == 'X' ||
	       type == 'f' || type == 0x94;
}

static void *ioctl_fuzzer(void *arg)
{
	struct fuzz *f = arg;
	uint64_t s = f->seed ^ 0x1badc0de1badc0deULL;
	char buf[ARG_BYTES];
	long n;

	for (n = 0; n < f->ioctl_calls; n++) {
		int slot = rnd(&s, NR_FILES), ret, err;
		unsigned long cmd;
		bool known = true;
		uint64_t ptr;

		/* Now and then a file goes, with all of its sessions. */
		if (chance(&s, 1) && rnd(&s, 20) == 0) {
			close(f->fds[slot]);
			f->fds[slot] = zc_open();
			if (f->fds[slot] < 0)
				break;
		}
		if (chance(&s, 90)) {
			cmd = zc_cmds[rnd(&s, ARRAY_SIZE(zc_cmds))];
		} else {
			unsigned int type = chance(&s, 70) ? ZCTRACE_IOC_MAGIC : rnd(&s, 256);

			if (vfs_ioctl_type(type))
				type = ZCTRACE_IOC_MAGIC;
			cmd = _IOC(rnd(&s, 4), type, rnd(&s, 8), rnd(&s, 128));
			known = false;
			for (unsigned int i = 0; i < ARRAY_SIZE(zc_cmds); i++)
				if (cmd == zc_cmds[i])
					known = true;
		}
		build_arg(f, &s, known ? cmd : ZCTRACE_IOC_READ, buf);
		/* The argument sits at the end of the random page, or elsewhere. */
		if (chance(&s, 85)) {
			ptr = (uintptr_t)f->page + f->psz - 2 * f->psz / 4 - 64;
			memcpy((void *)(uintptr_t)ptr, buf, sizeof(buf));
			if (chance(&s, 5)) {
				/* Cut off by the inaccessible page. */
				ptr = (uintptr_t)f->page + f->psz - rnd(&s, cmd_size(cmd) + 1);
				memcpy((void *)(uintptr_t)ptr, buf, f->page + f->psz - (char *)(uintptr_t)ptr);
			}
		} else {
			ptr = pick_ptr(f, &s, 64);
		}
		ret = ioctl(f->fds[slot], cmd, (void *)(uintptr_t)ptr);
		err = ret ? errno : 0;
		f->ioctl_errs[err & 255]++;
		if (!ioctl_err_ok(cmd, err, known)) {
			if (f->bad_ioctl++ < 10)
				ksft_print_msg("ioctl %#lx arg %#llx: unexpected %s\n",
					       cmd, (unsigned long long)ptr, strerror(err));
		}
		if (!ret && cmd == ZCTRACE_IOC_START) {
			uint32_t id = ((struct zctrace_start *)(uintptr_t)ptr)->id;

			f->starts++;
			f->ids[f->nr_ids < NR_IDS ? f->nr_ids++ : rnd(&s, NR_IDS)] = id;
		}
	}
	f->ioctl_made = n;
	return NULL;
}

/* Random attributes, nested up to depth levels, appended to m. */
static void random_attrs(struct fuzz *f, uint64_t *s, struct zc_msg *m, int depth)
{
	int nr = rnd(s, 6), i;

	for (i = 0; i < nr && m->len < 8192; i++) {
		uint16_t type = chance(s, 85) ? rnd(s, __ZCTRACE_A_MAX + 3) : rnd(s, 0x4000);
		uint8_t data[300];
		size_t len;

		if (depth && chance(s, 25)) {
			size_t nest = zc_msg_nest_start(m, type);

			if (chance(s, 20))
				((struct nlattr *)(m->buf + nest))->nla_type &= ~NLA_F_NESTED;
			random_attrs(f, s, m, depth - 1);
			zc_msg_nest_end(m, nest);
			continue;
		}
		if (chance(s, 40)) {
			uint32_t id = pick_id(f, s);

			memcpy(data, &id, 4);
			len = chance(s, 80) ? 4 : rnd(s, 9);
		} else {
			len = chance(s, 90) ? rnd(s, 24) : rnd(s, sizeof(data));
			for (size_t j = 0; j < len; j++)
				data[j] = rnd_next(s);
		}
		zc_msg_put(m, type | (chance(s, 5) ? NLA_F_NESTED : 0), data, len);
	}
}

/*
 * Read until the sentinel's ack, and the fuzz message's end when it can
 * have one.  Returns the fuzz message's errno (0, or -1 when none came).
 */
static int fuzz_replies(struct zc_nl *nl, uint32_t fuzz_seq, uint32_t sentinel_seq,
			bool wait_fuzz)
{
	bool sentinel = false, done = !wait_fuzz;
	int err = -1;

	while (!sentinel || !done) {
		ssize_t n = zc_nl_recv(nl, nl->buf, 16384, 20000);
		struct nlmsghdr *nlh;
		int len = n;

		if (n < 0)
			return n == -EMSGSIZE ? -1 : -2;
		for (nlh = (void *)nl->buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			bool end = nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE;

			if (nlh->nlmsg_seq == sentinel_seq && end)
				sentinel = true;
			if (nlh->nlmsg_seq == fuzz_seq && end) {
				done = true;
				err = nlh->nlmsg_type == NLMSG_DONE ? 0 :
				      -((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			}
		}
	}
	return err;
}

static bool genl_err_ok(int err)
{
	switch (err) {
	case -1:	/* no answer: framing was broken */
	case 0: case EINVAL: case ERANGE: case ENOENT: case EOPNOTSUPP:
	case EMSGSIZE:
		return true;
	default:
		return false;
	}
}

static void *genl_fuzzer(void *arg)
{
	struct fuzz *f = arg;
	uint64_t s = f->seed ^ 0x5eed5eed5eed5eedULL;
	struct zc_msg *m = zc_msg_new(), *sentinel = zc_msg_new();
	struct zc_nl nl = { .fd = -1 };
	long n;

	for (n = 0; n < f->genl_calls; n++) {
		uint16_t flags = NLM_F_ACK;
		bool framed = true;
		uint8_t cmd;
		int err;

		if (nl.fd < 0 && zc_nl_open(&nl))
			break;
		cmd = chance(&s, 80) ? rnd(&s, __ZCTRACE_CMD_MAX + 2) : rnd(&s, 256);
		if (chance(&s, 30))
			flags |= NLM_F_DUMP;
		zc_msg_init(m, chance(&s, 98) ? nl.family : rnd(&s, 0x10000), flags, cmd);
		((struct genlmsghdr *)(m->buf + NLMSG_HDRLEN))->version = rnd(&s, 256);
		random_attrs(f, &s, m, 3);
		if (chance(&s, 3)) {
			/* Lie about the lengths. */
			if (chance(&s, 50))
				m->nlh.nlmsg_len = rnd(&s, m->len + 64);
			else
				m->len -= rnd(&s, m->len - NLMSG_HDRLEN + 1);
			framed = m->nlh.nlmsg_len == m->len &&
				 m->len >= NLMSG_HDRLEN + GENL_HDRLEN;
		}
		if (m->nlh.nlmsg_type < GENL_MIN_ID || m->nlh.nlmsg_type != nl.family)
			framed = false;	/* other families' answers are theirs */
		m->nlh.nlmsg_seq = ++nl.seq;
		if (zc_nl_send_raw(&nl, m->buf, m->len))
			continue;
		if (flags & NLM_F_DUMP)
			f->dumps++;

		/* A dump left halfway now and then. */
		if ((flags & NLM_F_DUMP) && chance(&s, 5)) {
			zc_nl_close(&nl);
			f->abandoned++;
			continue;
		}
		zc_msg_init(sentinel, nl.family, NLM_F_ACK, ZCTRACE_CMD_GET_VERSION);
		sentinel->nlh.nlmsg_seq = ++nl.seq;
		if (zc_nl_send_raw(&nl, sentinel->buf, sentinel->len))
			break;
		err = fuzz_replies(&nl, m->nlh.nlmsg_seq, sentinel->nlh.nlmsg_seq, framed);
		if (err == -2) {
			f->bad_genl++;
			ksft_print_msg("genl: no answer to GET_VERSION after cmd %u\n", cmd);
			break;
		}
		f->genl_errs[err < 0 ? 255 : err & 255]++;
		if (!genl_err_ok(err) && f->bad_genl++ < 10)
			ksft_print_msg("genl cmd %u flags %#x: unexpected %s\n", cmd, flags,
				       strerror(err));
	}
	f->genl_made = n;
	zc_nl_close(&nl);
	free(m);
	free(sentinel);
	return NULL;
}

static void print_tally(const char *what, const long *errs)
{
	char line[512];
	int i, off = 0;

	line[0] = '\0';
	for (i = 0; i < 256 && off < (int)sizeof(line); i++)
		if (errs[i])
			off += snprintf(line + off, sizeof(line) - off, " %s:%ld",
					i == 0 ? "ok" : i == 255 ? "none" : strerrorname_np(i) ?: "?",
					errs[i]);
	ksft_print_msg("%s:%s\n", what, line);
}

FIXTURE(fuzz) {
	struct fuzz *f;
};

FIXTURE_SETUP(fuzz)
{
	struct fuzz *f = calloc(1, sizeof(*f));
	const char *env;
	long calls = 100000;
	uint8_t junk[4096];
	unsigned int i;
	pid_t pid;

	ASSERT_NE(NULL, f);
	self->f = f;
	env = getenv("ZCTRACE_FUZZ_SEED");
	if (env && *env) {
		f->seed = strtoull(env, NULL, 0);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		f->seed = ts.tv_sec * 1000000007ULL ^ ts.tv_nsec ^ getpid();
	}
	if (!f->seed)
		f->seed = 1;	/* xorshift's one fixed point */
	env = getenv("ZCTRACE_FUZZ_CALLS");
	if (env && *env)
		calls = atol(env);
	f->ioctl_calls = calls * 7 / 10;
	f->genl_calls = calls - f->ioctl_calls;
	ksft_print_msg("seed %llu, %ld calls: rerun with ZCTRACE_FUZZ_SEED=%llu\n",
		       (unsigned long long)f->seed, calls, (unsigned long long)f->seed);

	f->psz = sysconf(_SC_PAGESIZE);
	f->page = mmap(NULL, 2 * f->psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f->page);
	ASSERT_EQ(0, mprotect(f->page + f->psz, f->psz, PROT_NONE));
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = rnd_next(&f->seed) >> 7;
	memcpy(f->page, junk, f->psz);
	f->ro = zc_readonly_copy(junk, f->psz);
	ASSERT_NE(NULL, f->ro);
	f->gone = zc_noaccess_page();

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	f->dead_pid = pid;
	ASSERT_EQ(0, zc_threads_park(&f->targets, NR_TARGETS));
	for (i = 0; i < NR_FILES; i++) {
		f->fds[i] = zc_open();
		ASSERT_LE(0, f->fds[i]);
	}
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, ioctl_and_genl, 290)
{
	struct fuzz *f = self->f;
	uint32_t ids[NR_IDS];
	struct timespec t0, t1;
	pthread_t a, b;
	struct zc_nl nl;
	long refcnt, calls;
	int before, i, anchor;
	double secs;

	ASSERT_EQ(0, zc_nl_open(&nl));
	before = zc_nl_dump_sessions(&nl, ids, NR_IDS, NULL);
	ASSERT_LE(0, before);
	/* Only the fuzzer's own files hold the module, besides others'. */
	refcnt = zc_mod_refcnt() - NR_FILES;
	/*
	 * One session for the whole run keeps the probes attached: toggling
	 * the sys_enter tracepoint while the other thread makes syscalls can
	 * wedge a TCG guest (see zctrace_load.c), and is not what is fuzzed.
	 */
	anchor = zc_open();
	ASSERT_LE(0, anchor);
	ASSERT_EQ(0, zc_start(anchor, f->targets.tids[0], 0, NULL));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, pthread_create(&a, NULL, ioctl_fuzzer, f));
	ASSERT_EQ(0, pthread_create(&b, NULL, genl_fuzzer, f));
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (i = 0; i < NR_FILES; i++)
		close(f->fds[i]);
	close(anchor);
	zc_threads_release(&f->targets);

	print_tally("ioctl results", f->ioctl_errs);
	print_tally("genl results", f->genl_errs);
	calls = f->ioctl_made + f->genl_made;
	ksft_print_msg("%ld calls in %.1f s (%.0f/s): %ld sessions started, %ld dumps, %ld abandoned\n",
		       calls, secs, calls / secs, f->starts, f->dumps, f->abandoned);

	EXPECT_EQ(f->ioctl_calls, f->ioctl_made);
	EXPECT_EQ(f->genl_calls, f->genl_made);
	EXPECT_EQ(0, f->bad_ioctl);
	EXPECT_EQ(0, f->bad_genl);
	/* Nothing the fuzzer did outlives its files and sockets. */
	EXPECT_EQ(before, zc_nl_dump_sessions(&nl, ids, NR_IDS, NULL));
	EXPECT_EQ(refcnt, zc_mod_refcnt());
	zc_nl_close(&nl);
}

ZC_HARNESS_MAIN
