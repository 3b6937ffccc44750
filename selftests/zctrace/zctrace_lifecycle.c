// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions over their whole life: traced tasks that fork and exit, a file
 * closed by a process that is SIGKILLed with sessions and a dump open, 64
 * sessions on both CPUs at once with loopback TCP traffic, probes that
 * exist only while a session does, threads and io_uring workers followed
 * or not, a traced thread that execs, and STOP, READ, RESET, genl and
 * close() racing.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define NR_GETPPID 1000

FIXTURE(life) {
	int fd;
	struct zc_nl nl;
};

FIXTURE_SETUP(life)
{
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(life)
{
	close(self->fd);
	zc_nl_close(&self->nl);
}

static long raw_fork(void)
{
	/* glibc's fork() may make syscalls of its own: counts must be exact. */
	return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/*
 * Forks a child that drops its copy of the pipe's write end, makes
 * NR_GETPPID getppid(), waits for the test to close the pipe, then exits:
 * 2 syscalls here, NR_GETPPID + 3 in the child.
 */
static int fork_and_leave(void *arg)
{
	int *hold = arg;
	char c;
	int i;

	if (!raw_fork()) {
		syscall(SYS_close, hold[1]);
		for (i = 0; i < NR_GETPPID; i++)
			syscall(SYS_getppid);
		syscall(SYS_read, hold[0], &c, 1);
		syscall(SYS_exit_group, 0);
	}
	syscall(SYS_exit_group, 0);
	return 0;
}

static void follow_case(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
			uint32_t flags, uint64_t expect_syscalls)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct zc_worker w;
	uint32_t id, state;
	int hold[2], status;

	/*
	 * The orphan is reparented to this process, which reaps it: gone,
	 * it no longer holds the copies of self->fd and of the genl socket
	 * it inherited.
	 */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	ASSERT_EQ(0, pipe(hold));
	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, fork_and_leave, hold));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, flags, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));
	close(hold[0]);

	/* The worker is gone; with FOLLOW its child is still traced. */
	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	EXPECT_EQ(flags & ZCTRACE_START_FOLLOW ? ZCTRACE_STATE_RUNNING :
		  ZCTRACE_STATE_EXITED, state);

	/* Let the orphan go, and wait until it is gone. */
	close(hold[1]);
	ASSERT_LT(0, waitpid(-1, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_EXITED, state);
	EXPECT_EQ(expect_syscalls, ctr[ZCTRACE_CTR_SYSCALLS]);
	ASSERT_EQ(0, zc_stop(self->fd, id, NULL, NULL));
}

TEST_F(life, follow_counts_children)
{
	follow_case(_metadata, self, ZCTRACE_START_FOLLOW, 2 + NR_GETPPID + 3);
}

TEST_F(life, no_follow_counts_target_only)
{
	follow_case(_metadata, self, 0, 2);
}

/* ---- FOLLOW and io_uring's workers ------------------------------------ */

#define URING_READ_BYTES (64 * 1024)

static void *map_ring(int ring, size_t len, off_t what)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    ring, what);
}

/*
 * Reads URING_READ_BYTES of the file *arg through io_uring, forced to an
 * io-wq worker (IOSQE_ASYNC), which the kernel creates for this first
 * request: after the START.  Exits KSFT_SKIP where io_uring is off.
 */
static int uring_read_async(void *arg)
{
	static char buf[URING_READ_BYTES];
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned int *tail;
	char *sq, *cq;
	int ring;

	ring = syscall(__NR_io_uring_setup, 1, &p);
	if (ring < 0)
		return errno == ENOSYS || errno == EPERM ? KSFT_SKIP : 1;
	sq = map_ring(ring, p.sq_off.array + p.sq_entries * sizeof(__u32),
		      IORING_OFF_SQ_RING);
	cq = map_ring(ring, p.cq_off.cqes + p.cq_entries * sizeof(*cqe),
		      IORING_OFF_CQ_RING);
	sqe = map_ring(ring, p.sq_entries * sizeof(*sqe), IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqe == MAP_FAILED)
		return 1;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ;
	sqe->flags = IOSQE_ASYNC;
	sqe->fd = *(int *)arg;
	sqe->addr = (unsigned long)buf;
	sqe->len = sizeof(buf);
	((unsigned int *)(sq + p.sq_off.array))[0] = 0;
	tail = (unsigned int *)(sq + p.sq_off.tail);
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);

	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) != 1)
		return 1;
	cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return cqe[*(unsigned int *)(cq + p.cq_off.head) &
		   *(unsigned int *)(cq + p.cq_off.ring_mask)].res !=
	       URING_READ_BYTES;
}

/*
 * The worker doing the read is followed with FOLLOW, and its read counted
 * like the thread's own; without FOLLOW it is not.  Once the process is
 * reaped its worker is gone too, and the session says EXITED.
 */
static void uring_case(struct __test_metadata *_metadata, FIXTURE_DATA(life) *self,
		       uint32_t flags, uint64_t expect_k2u)
{
	static const char payload[URING_READ_BYTES];
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct zc_worker w;
	uint32_t id, state;
	int fd, ret;

	fd = memfd_create("zctrace-uring", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(payload), write(fd, payload, sizeof(payload)));
	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, uring_read_async, &fd));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, flags, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ret = zc_worker_wait(&w);
	close(fd);
	ASSERT_EQ(0, zc_stop(self->fd, id, ctr, &state));
	if (ret == KSFT_SKIP)
		SKIP(return, "io_uring is not available");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(ZCTRACE_STATE_EXITED, state);
	EXPECT_EQ(expect_k2u, ctr[ZCTRACE_CTR_COPY_K2U_BYTES]);
	EXPECT_EQ(expect_k2u, ctr[ZCTRACE_CTR_SITE_FILE_READ_BYTES]);
	EXPECT_EQ(!!expect_k2u, ctr[ZCTRACE_CTR_COPY_K2U_CALLS]);
}

TEST_F(life, follow_counts_io_uring_worker)
{
	uring_case(_metadata, self, ZCTRACE_START_FOLLOW, URING_READ_BYTES);
}

TEST_F(life, no_follow_leaves_io_uring_worker_out)
{
	uring_case(_metadata, self, 0, 0);
}

/* ---- FOLLOW and threads ---------------------------------------------- */

#define THREAD_STACK (64 * 1024)

/*
 * Threads made by clone() with nothing but raw system calls in them, so
 * that every one they make is known: glibc's clone() makes one in the
 * parent, and one (exit) in the child after fn returns.
 */
struct threads {
	int old_go[2];		/* the old thread waits on it */
	char *stack[2];
	pid_t ctid[2];		/* cleared by the kernel when each one exits */
};

static int getppid_thread(void *arg)
{
	int *go = arg;
	char c;
	int i;

	if (go)
		syscall(SYS_read, *go, &c, 1);
	for (i = 0; i < NR_GETPPID; i++)
		syscall(SYS_getppid);
	return 0;
}

/* Its tid, or -1. */
static pid_t spawn_thread(struct threads *t, int n, int *go)
{
	const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			  CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;

	t->ctid[n] = 1;
	return clone(getppid_thread, t->stack[n] + THREAD_STACK, flags, go,
		     NULL, NULL, &t->ctid[n]);
}

/* Before the START: the stacks, and the old thread, blocked on its pipe. */
static int threads_setup(void *arg)
{
	struct threads *t = arg;
	pid_t tid;
	int i;

	if (pipe(t->old_go))
		return 20;
	for (i = 0; i < 2; i++) {
		t->stack[i] = mmap(NULL, THREAD_STACK, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (t->stack[i] == MAP_FAILED)
			return 21;
	}
	tid = spawn_thread(t, 0, &t->old_go[0]);
	if (tid < 0)
		return 22;
	/*
	 * Not yet switched in, or preempted before its read(), it would be
	 * switched in after the START and its read() counted with FOLLOW.
	 */
	return zc_wait_sleeping_in_read(getpid(), tid, t->old_go[0]) ? 24 : 0;
}

/*
 * After it: clone the new thread, let the old one go, wait for both.
 * clone, write and exit_group, and a futex wait for each thread that has
 * not exited yet when it looks.
 */
static int threads_work(void *arg)
{
	struct threads *t = arg;
	pid_t tid;
	int i;

	if (spawn_thread(t, 1, NULL) < 0)
		return 23;
	syscall(SYS_write, t->old_go[1], "g", 1);
	/*
	 * Wait for the value just loaded: loaded again for the call, it may
	 * be the exit's 0 already, and a wait for 0 never ends.
	 */
	for (i = 0; i < 2; i++)
		while ((tid = __atomic_load_n(&t->ctid[i], __ATOMIC_ACQUIRE)))
			syscall(SYS_futex, &t->ctid[i], FUTEX_WAIT, tid, NULL);
	return 0;
}

static void follow_threads_case(struct __test_metadata *_metadata,
				FIXTURE_DATA(life) *self, uint32_t flags,
				uint64_t min_syscalls)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct threads t = { 0 };
	struct zc_worker w;
	uint32_t id, state;

	ASSERT_EQ(0, zc_worker_spawn(&w, threads_setup, threads_work, &t));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, flags, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));
	ASSERT_EQ(0, zc_stop(self->fd, id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_EXITED, state);
	/* Up to two futex waits, depending on who gets there first. */
	EXPECT_LE(min_syscalls, ctr[ZCTRACE_CTR_SYSCALLS]);
	EXPECT_GE(min_syscalls + 2, ctr[ZCTRACE_CTR_SYSCALLS]);
}

/* A thread there before the START, and one cloned after it: NR_GETPPID + exit each. */
TEST_F(life, follow_counts_threads)
{
	follow_threads_case(_metadata, self, ZCTRACE_START_FOLLOW, 3 + 2 * (NR_GETPPID + 1));
}

TEST_F(life, no_follow_leaves_threads_out)
{
	follow_threads_case(_metadata, self, 0, 3);
}

/* ---- a dying owner --------------------------------------------------- */

struct dying {
	int ready[2];
	pid_t victim;	/* a task of the test to trace from the child */
};

/*
 * Open the device, trace a few of one's own threads and the test's
 * process, leave a dump half read, and wait to be killed.
 */
static int owner(void *arg)
{
	struct dying *d = arg;
	struct zc_threads t;
	struct zc_msg *m = zc_msg_new();
	struct zc_nl nl;
	char buf[4096];
	int fd, i;

	fd = zc_open();
	if (fd < 0 || zc_threads_park(&t, 150) || zc_nl_open(&nl))
		return 1;
	for (i = 0; i < t.nr; i++)
		if (zc_start(fd, t.tids[i], 0, NULL))
			return 2;
	if (zc_start(fd, d->victim, ZCTRACE_START_FOLLOW, NULL))
		return 3;
	zc_msg_init(m, nl.family, NLM_F_DUMP, ZCTRACE_CMD_GET_SESSION);
	if (zc_nl_send(&nl, m) || zc_nl_recv(&nl, buf, sizeof(buf), 10000) <= 0)
		return 4;
	if (write(d->ready[1], "r", 1) != 1)
		return 5;
	pause();
	return 0;
}

TEST_F_TIMEOUT(life, owner_killed_with_sessions_and_dump, 120)
{
	struct dying d = { .victim = getpid() };
	uint32_t ids[256];
	long base;
	pid_t pid;
	char c;
	int status, n;

	base = zc_mod_refcnt();
	ASSERT_EQ(0, zc_nl_dump_sessions(&self->nl, ids, 256, NULL));
	ASSERT_EQ(0, pipe(d.ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(owner(&d));
	close(d.ready[1]);
	if (read(d.ready[0], &c, 1) != 1) {
		ASSERT_EQ(0, zc_wait_child(pid)) TH_LOG("the owner failed");
	}
	n = zc_nl_dump_sessions(&self->nl, ids, 256, NULL);
	EXPECT_EQ(151, n);
	/* Its file and its dump each hold the module. */
	EXPECT_EQ(base + 2, zc_mod_refcnt());
	EXPECT_EQ(-EBUSY, zc_start(self->fd, 0, 0, NULL));

	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));

	EXPECT_EQ(0, zc_nl_dump_sessions(&self->nl, ids, 256, NULL));
	EXPECT_EQ(base, zc_mod_refcnt());
	/* This process is no longer traced by anyone. */
	EXPECT_EQ(0, zc_start(self->fd, 0, 0, NULL));
	TH_LOG("owner of 151 sessions and a dump SIGKILLed: all gone, refcnt %ld", base);
}

/* ---- probes ---------------------------------------------------------- */

TEST_F(life, probes_only_while_sessions)
{
	static char names[64][128];
	const char *syms[64];
	struct zc_nl_probe p[64];
	uint32_t ids[8], id;
	int nr_syms, n, i, attached;

	ASSERT_EQ(0, zc_nl_dump_sessions(&self->nl, ids, 8, NULL))
		TH_LOG("sessions of others exist");
	if (zc_kprobes_listed(NULL, 0) < 0)
		SKIP(return, "no /sys/kernel/debug/kprobes/list");
	nr_syms = zc_probe_symbols(&self->nl, names, 64);
	ASSERT_LT(0, nr_syms);
	for (i = 0; i < nr_syms; i++)
		syms[i] = names[i];

	/* Nothing registered without a session. */
	n = zc_nl_dump_probes(&self->nl, p, 64);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++)
		EXPECT_FALSE(p[i].attached) TH_LOG("%s attached", p[i].name);
	EXPECT_EQ(0, zc_kprobes_listed(syms, nr_syms));

	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &id));
	n = zc_nl_dump_probes(&self->nl, p, 64);
	attached = 0;
	for (i = 0; i < n; i++)
		if (p[i].attached && (p[i].kind == ZCTRACE_PROBE_KPROBE ||
				      p[i].kind == ZCTRACE_PROBE_KRETPROBE))
			attached++;
	EXPECT_EQ(nr_syms, attached);
	EXPECT_EQ(attached, zc_kprobes_listed(syms, nr_syms));
	TH_LOG("%d kprobes and kretprobes registered with one session, of %d", attached, nr_syms);

	ASSERT_EQ(0, zc_stop(self->fd, id, NULL, NULL));
	EXPECT_EQ(0, zc_kprobes_listed(syms, nr_syms));
	n = zc_nl_dump_probes(&self->nl, p, 64);
	for (i = 0; i < n; i++)
		EXPECT_FALSE(p[i].attached) TH_LOG("%s still attached", p[i].name);

	/* Closing the file is a stop too. */
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &id));
	close(self->fd);
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, zc_kprobes_listed(syms, nr_syms));
}

/* ---- 64 sessions with traffic ---------------------------------------- */

#define NR_SENDERS 64
#define SEND_BYTES (256 * 1024)

struct sender {
	pthread_t th, sink;
	int snd, rcv, cpu;
	pid_t tid;
	int go, done;	/* read ends: EOF says go, then done */
	long calls;
	int cpu_seen;
};

static void *sink_fn(void *arg)
{
	struct sender *s = arg;

	zc_drain(s->rcv);
	return NULL;
}

static void *sender_fn(void *arg)
{
	struct sender *s = arg;
	cpu_set_t set;
	char c;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	__atomic_store_n(&s->tid, zc_gettid(), __ATOMIC_RELEASE);
	/* Blocked, not polling, while the sessions start (see zc_park()). */
	if (read(s->go, &c, 1))
		return NULL;
	s->calls = zc_send_bytes(s->snd, SEND_BYTES);
	s->cpu_seen = sched_getcpu();
	shutdown(s->snd, SHUT_WR);
	if (read(s->done, &c, 1))
		return NULL;
	return NULL;
}

TEST_F_TIMEOUT(life, sessions_64_with_traffic, 180)
{
	static struct sender s[NR_SENDERS];
	uint64_t ctr[NR_SENDERS][__ZCTRACE_CTR_MAX];
	uint32_t ids[NR_SENDERS], state;
	int go[2], done[2], i, ncpu, cpus = 0;
	unsigned long long total = 0;
	socklen_t ti_len = sizeof(struct tcp_info);
	struct timespec t0, t1;
	struct tcp_info ti;

	ASSERT_EQ(0, zc_private_netns());
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < NR_SENDERS; i++) {
		s[i].go = go[0];
		s[i].done = done[0];
		s[i].cpu = i % ncpu;
		ASSERT_EQ(0, zc_tcp_pair(&s[i].snd, &s[i].rcv));
		ASSERT_EQ(0, pthread_create(&s[i].sink, NULL, sink_fn, &s[i]));
		ASSERT_EQ(0, pthread_create(&s[i].th, NULL, sender_fn, &s[i]));
	}
	for (i = 0; i < NR_SENDERS; i++) {
		while (!__atomic_load_n(&s[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		/* Its tid comes before its read(): that must not be counted. */
		ASSERT_EQ(0, zc_wait_sleeping_in_read(getpid(), s[i].tid, go[0]))
			TH_LOG("sender %d", i);
		ASSERT_EQ(0, zc_start(self->fd, s[i].tid, 0, &ids[i]));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(go[1]);
	for (i = 0; i < NR_SENDERS; i++)
		pthread_join(s[i].sink, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (i = 0; i < NR_SENDERS; i++) {
		ASSERT_LT(0, s[i].calls);
		ASSERT_EQ(0, zc_read(self->fd, ids[i], ctr[i], &state));
		EXPECT_EQ(ZCTRACE_STATE_RUNNING, state);
		/* Each session saw its own thread's bytes, no one else's. */
		EXPECT_EQ(SEND_BYTES, ctr[i][ZCTRACE_CTR_COPY_U2K_BYTES]) TH_LOG("sender %d", i);
		EXPECT_EQ(SEND_BYTES, ctr[i][ZCTRACE_CTR_SITE_SOCK_SEND_BYTES]) TH_LOG("sender %d", i);
		/*
		 * What TCP sent again is sent twice, and each skb carries one
		 * set of headers, well under 128 bytes: 64 senders can overrun
		 * loopback's backlog.
		 */
		ASSERT_EQ(0, getsockopt(s[i].snd, IPPROTO_TCP, TCP_INFO, &ti, &ti_len));
		EXPECT_LE(SEND_BYTES, ctr[i][ZCTRACE_CTR_SOFT_TX_BYTES]) TH_LOG("sender %d", i);
		EXPECT_GE(SEND_BYTES + ti.tcpi_bytes_retrans + 128 * ctr[i][ZCTRACE_CTR_XMIT_SKBS],
			  ctr[i][ZCTRACE_CTR_SOFT_TX_BYTES])
			TH_LOG("sender %d, %llu bytes sent again", i,
			       (unsigned long long)ti.tcpi_bytes_retrans);
		/* Its sends and shutdown(); it may have entered read(done) too. */
		EXPECT_LE(s[i].calls + 1, ctr[i][ZCTRACE_CTR_SYSCALLS]) TH_LOG("sender %d", i);
		EXPECT_GE(s[i].calls + 2, ctr[i][ZCTRACE_CTR_SYSCALLS]) TH_LOG("sender %d", i);
		total += ctr[i][ZCTRACE_CTR_COPY_U2K_BYTES];
		cpus |= 1 << s[i].cpu_seen;
	}
	EXPECT_EQ((unsigned long long)NR_SENDERS * SEND_BYTES, total);
	if (ncpu >= 2)
		EXPECT_EQ(3, cpus & 3);

	close(done[1]);
	for (i = 0; i < NR_SENDERS; i++) {
		pthread_join(s[i].th, NULL);
		close(s[i].snd);
		close(s[i].rcv);
	}
	for (i = 0; i < NR_SENDERS; i++) {
		ASSERT_EQ(0, zc_stop(self->fd, ids[i], NULL, &state));
		EXPECT_EQ(ZCTRACE_STATE_EXITED, state);
	}
	TH_LOG("%d sessions on CPU mask %#x: %llu bytes sent over loopback TCP in %.2f s",
	       NR_SENDERS, cpus, total,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* ---- exec ------------------------------------------------------------ */

struct exec_arg {
	int tid_pipe[2];
	int go[2];
};

/* argv[1] of this program run as what a traced thread execs. */
#define EXEC_GETPPID "--exec-getppid"
/* The dynamic loader's and libc's own start: about 30 on Debian's glibc. */
#define EXEC_STARTUP_MAX 100

static void *exec_thread(void *arg)
{
	struct exec_arg *a = arg;
	pid_t tid = zc_gettid();
	char c;

	if (write(a->tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid) ||
	    read(a->go[0], &c, 1) != 1)
		_exit(10);
	execl("/proc/self/exe", "zctrace_lifecycle", EXEC_GETPPID, (char *)NULL);
	_exit(11);
}

/* What exec_thread() execs: NR_GETPPID getppid(), then exit_group(). */
static void exec_getppid(void)
{
	int i;

	for (i = 0; i < NR_GETPPID; i++)
		syscall(SYS_getppid);
	syscall(SYS_exit_group, 0);
}

/*
 * A non-leader thread that execs takes over the leader's pid: the traced
 * thread is still the same task, and when it exits the session must say
 * EXITED, not keep a thread that no longer exists.
 */
TEST_F(life, traced_thread_execs)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct exec_arg a;
	uint32_t id, state = 99;
	pid_t pid, tid;
	pthread_t th;

	ASSERT_EQ(0, pipe(a.tid_pipe));
	ASSERT_EQ(0, pipe(a.go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Should the test fail before "go", EOF ends the child. */
		close(a.go[1]);
		close(a.tid_pipe[0]);
		if (pthread_create(&th, NULL, exec_thread, &a))
			_exit(12);
		pause();
		_exit(13);
	}
	/* A child that dies before writing its tid is then an EOF. */
	close(a.tid_pipe[1]);
	close(a.go[0]);
	ASSERT_EQ(sizeof(tid), read(a.tid_pipe[0], &tid, sizeof(tid)))
		TH_LOG("child ended with %d", zc_wait_child(pid));
	ASSERT_NE(pid, tid);
	ASSERT_EQ(0, zc_start(self->fd, tid, 0, &id));
	ASSERT_EQ(1, write(a.go[1], "g", 1));
	EXPECT_EQ(0, zc_wait_child(pid));

	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_EXITED, state)
		TH_LOG("thread %d exec'd as pid %d and exited, the session still traces it", tid, pid);
	/* Counting went on after the exec: execve, the new image's, exit_group. */
	EXPECT_LE(NR_GETPPID + 2, ctr[ZCTRACE_CTR_SYSCALLS]);
	EXPECT_GE(NR_GETPPID + 2 + EXEC_STARTUP_MAX, ctr[ZCTRACE_CTR_SYSCALLS]);
}

/* ---- STOP, READ, RESET, genl and close() racing ---------------------- */

#define RACE_SESSIONS	4	/* a round's sessions, each on a busy thread */
#define RACE_THREADS	4	/* the threads racing on them */
#define RACE_MS		3000	/* of rounds: a few seconds under TCG too */
#define RACE_MAX_OPS	2000	/* a racer's calls in one round, at most */
#define RACE_TAIL	8	/* its calls once it has seen the round's end */

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define INC(x)		__atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)

enum race_op { OP_STOP, OP_READ, OP_RESET, OP_GET, OP_DUMP, NR_RACE_OPS };
static const char *const race_op_names[] = { "STOP", "READ", "RESET", "GET", "dump" };
/* STOP is rare, so that most calls race with each other before it. */
static const enum race_op race_mix[] = {
	OP_STOP, OP_READ, OP_READ, OP_READ, OP_RESET, OP_RESET, OP_GET, OP_GET, OP_DUMP,
};

struct race_session {
	uint32_t id;
	int stops;		/* STOPs that succeeded */
	bool stopped;		/* set once one of them has returned */
	bool gone;		/* a call was told ENOENT while the file was open */
	/*
	 * RESETs begun and done: a read that saw the two equal before it,
	 * and no new one begun after it, had no RESET in between.
	 */
	unsigned int resets_begun, resets_done;
	pthread_mutex_t lock;
	/* The highest counts a read of this epoch saw, once one did. */
	bool have_floor;
	unsigned int floor_epoch;
	uint64_t floor[__ZCTRACE_CTR_MAX];
	uint64_t final[__ZCTRACE_CTR_MAX];	/* what the STOP returned */
	bool ended;		/* its SESSION_END came */
};

struct race {
	int fd;
	bool closing;		/* the round closes fd while the others race */
	int close_after;	/* the closer's calls before close() */
	bool close_begun, closed;
	struct race_session s[RACE_SESSIONS];
	pthread_barrier_t start;
	pthread_mutex_t lock;
	int failures;
	char why[256];		/* the first failure */
	unsigned long calls[NR_RACE_OPS], enoent, ebadf;
	unsigned long compared;	/* reads held against a floor */
};

struct racer {
	struct race *r;
	struct zc_nl nl;
	unsigned int seed;
	int idx;
	pthread_t th;
};

static void race_fail(struct race *r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->lock);
	if (!r->failures++) {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&r->lock);
}

struct race_mark {
	unsigned int epoch;
	bool clean, have_floor;
	uint64_t floor[__ZCTRACE_CTR_MAX];
};

/* Before a call that reads counts: the epoch, and the floor it must reach. */
static void race_mark(struct race_session *s, struct race_mark *m)
{
	m->epoch = LOAD(s->resets_begun);
	m->clean = m->epoch == LOAD(s->resets_done);
	pthread_mutex_lock(&s->lock);
	m->have_floor = s->have_floor && s->floor_epoch == m->epoch;
	memcpy(m->floor, s->floor, sizeof(m->floor));
	pthread_mutex_unlock(&s->lock);
}

/*
 * After it: with no RESET in between, no count may be below what a read
 * that ended before this one began saw (the module serializes READ,
 * RESET, GET and STOP, and counts only grow).
 */
static void race_counts(struct race *r, struct race_session *s, struct race_mark *m,
			enum race_op op, const uint64_t *v)
{
	int i;

	if (!m->clean || LOAD(s->resets_begun) != m->epoch)
		return;
	if (m->have_floor)
		INC(r->compared);
	for (i = ZCTRACE_CTR_PAD + 1; i < __ZCTRACE_CTR_MAX; i++)
		if (m->have_floor && v[i] < m->floor[i])
			race_fail(r, "session %u: %s counter %d went back from %llu to %llu",
				  s->id, race_op_names[op], i,
				  (unsigned long long)m->floor[i], (unsigned long long)v[i]);
	pthread_mutex_lock(&s->lock);
	if (!s->have_floor || s->floor_epoch < m->epoch) {
		s->have_floor = true;
		s->floor_epoch = m->epoch;
		memcpy(s->floor, v, sizeof(s->floor));
	} else if (s->floor_epoch == m->epoch) {
		for (i = 0; i < __ZCTRACE_CTR_MAX; i++)
			if (v[i] > s->floor[i])
				s->floor[i] = v[i];
	}
	pthread_mutex_unlock(&s->lock);
}

/* A dump lists the anchor (first) and sessions of the round not stopped before it. */
static void race_dump_check(struct race *r, const uint32_t *ids, int n, const bool *gone_before)
{
	int i, j;

	if (n > RACE_SESSIONS + 1)
		race_fail(r, "dump listed %d sessions", n);
	for (i = 1; i < n && i < RACE_SESSIONS + 1; i++) {
		for (j = 0; j < RACE_SESSIONS && r->s[j].id != ids[i]; j++)
			;
		if (j == RACE_SESSIONS)
			race_fail(r, "dump listed session %u, not the round's", ids[i]);
		else if (gone_before[j])
			race_fail(r, "dump listed session %u after its STOP", ids[i]);
	}
}

/* Whether ret is what op may answer then; counts EBADF and ENOENT. */
static void race_answer(struct race *r, enum race_op op, struct race_session *s, int ret,
			bool was_stopped, bool was_closed)
{
	const char *name = race_op_names[op];

	if (op == OP_GET || op == OP_DUMP) {
		/* The socket is not the file: only GET's ENOENT, for a gone session. */
		if (ret && !(op == OP_GET && ret == -ENOENT))
			race_fail(r, "%s %u: %s", name, s->id, strerror(-ret));
		else if (!ret && op == OP_GET && was_stopped)
			race_fail(r, "GET %u found it after its STOP", s->id);
		else if (ret && !LOAD(r->close_begun))
			STORE(s->gone, true);
	} else if (ret == -EBADF) {
		INC(r->ebadf);
		if (!r->closing || !LOAD(r->close_begun))
			race_fail(r, "%s %u: EBADF on a file not closed", name, s->id);
	} else if (was_closed) {
		/* Nothing in this process opens a file while it races. */
		race_fail(r, "%s %u after close(): %s", name, s->id,
			  ret ? strerror(-ret) : "success");
	} else if (ret == -ENOENT) {
		INC(r->enoent);
		/* A call holds the file: only a STOP can have taken the session. */
		STORE(s->gone, true);
	} else if (ret) {
		race_fail(r, "%s %u: %s", name, s->id, strerror(-ret));
	} else if (was_stopped) {
		race_fail(r, "%s %u succeeded after its STOP", name, s->id);
	}
}

/* One call on session s, and what its answer must be. */
static void race_call(struct racer *me, enum race_op op, struct race_session *s)
{
	struct race *r = me->r;
	bool was_stopped = LOAD(s->stopped), was_closed = LOAD(r->closed);
	bool gone_before[RACE_SESSIONS];
	uint64_t v[__ZCTRACE_CTR_MAX];
	uint32_t ids[RACE_SESSIONS + 2], state;
	struct zc_nl_session ns;
	struct race_mark m;
	int ret = 0, j;

	for (j = 0; j < RACE_SESSIONS; j++)
		gone_before[j] = LOAD(r->s[j].stopped);
	race_mark(s, &m);
	switch (op) {
	case OP_STOP:
		ret = zc_stop(r->fd, s->id, v, &state);
		if (!ret) {
			if (INC(s->stops) > 1)
				race_fail(r, "session %u stopped twice", s->id);
			memcpy(s->final, v, sizeof(v));
			STORE(s->stopped, true);
		}
		break;
	case OP_READ:
		ret = zc_read(r->fd, s->id, v, &state);
		break;
	case OP_RESET:
		INC(s->resets_begun);
		ret = zc_reset(r->fd, s->id);
		INC(s->resets_done);
		break;
	case OP_GET:
		ret = zc_nl_get_session(&me->nl, s->id, &ns);
		if (!ret && ns.id != s->id)
			race_fail(r, "GET %u answered with session %u", s->id, ns.id);
		memcpy(v, ns.counters, sizeof(v));
		break;
	case OP_DUMP:
		ret = zc_nl_dump_sessions(&me->nl, ids, ARRAY_SIZE(ids), NULL);
		race_dump_check(r, ids, ret, gone_before);
		ret = ret < 0 ? ret : 0;
		break;
	default:
		return;
	}
	INC(r->calls[op]);
	race_answer(r, op, s, ret, was_stopped, was_closed);
	if (!ret && (op == OP_STOP || op == OP_READ || op == OP_GET))
		race_counts(r, s, &m, op, v);
}

static bool race_over(struct race *r)
{
	int j;

	if (r->closing)
		return LOAD(r->closed);
	for (j = 0; j < RACE_SESSIONS; j++)
		if (!LOAD(r->s[j].stopped))
			return false;
	return true;
}

static void *racer_fn(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;
	int n, tail = RACE_TAIL;

	pthread_barrier_wait(&r->start);
	for (n = 0; n < RACE_MAX_OPS && tail; n++) {
		if (r->closing && me->idx == 0 && n == r->close_after) {
			STORE(r->close_begun, true);
			if (close(r->fd))
				race_fail(r, "close(): %s", strerror(errno));
			STORE(r->closed, true);
		}
		race_call(me, race_mix[rand_r(&me->seed) % ARRAY_SIZE(race_mix)],
			  &r->s[rand_r(&me->seed) % RACE_SESSIONS]);
		if (race_over(r))
			tail--;
	}
	return NULL;
}

/* Traced threads that make system calls all along: counts that move. */
struct busy {
	pthread_t th[RACE_SESSIONS];
	pid_t tids[RACE_SESSIONS];
	bool stop;
};

struct busy_arg {
	struct busy *b;
	int i;
};

static void *busy_fn(void *arg)
{
	struct busy_arg *a = arg;
	struct busy *b = a->b;

	STORE(b->tids[a->i], zc_gettid());
	while (!LOAD(b->stop)) {
		syscall(SYS_getppid);
		usleep(100);
	}
	return NULL;
}

/* After a round: each session has exactly one SESSION_END, with the counts its STOP got. */
static void race_ends(struct __test_metadata *_metadata, struct zc_nl *mc, struct race *r)
{
	struct race_session *s;
	struct zc_nl_session ns;
	int i, j;

	for (i = 0; i < RACE_SESSIONS; i++) {
		ASSERT_EQ(0, zc_nl_recv_session_end(mc, 5000, &ns))
			TH_LOG("SESSION_END %d of %d", i + 1, RACE_SESSIONS);
		for (j = 0; j < RACE_SESSIONS && r->s[j].id != ns.id; j++)
			;
		ASSERT_GT(RACE_SESSIONS, j) TH_LOG("SESSION_END of session %u", ns.id);
		s = &r->s[j];
		ASSERT_FALSE(s->ended) TH_LOG("second SESSION_END of session %u", s->id);
		s->ended = true;
		for (j = ZCTRACE_CTR_PAD + 1; s->stops && j < __ZCTRACE_CTR_MAX; j++)
			EXPECT_EQ(s->final[j], ns.counters[j])
				TH_LOG("session %u counter %d", s->id, j);
	}
	EXPECT_EQ(-EAGAIN, zc_nl_recv_session_end(mc, 0, &ns));
}

/* After a round: who won, and that nothing of it is left. */
static void race_after(struct __test_metadata *_metadata, struct zc_nl *nl, struct race *r,
		       uint32_t anchor)
{
	struct zc_nl_session ns;
	uint32_t ids[RACE_SESSIONS + 2];
	int j;

	for (j = 0; j < RACE_SESSIONS; j++) {
		struct race_session *s = &r->s[j];

		/* Told ENOENT with the file open: a STOP had won. */
		if (r->closing && !s->gone) {
			EXPECT_GE(1, s->stops) TH_LOG("session %u", s->id);
		} else {
			EXPECT_EQ(1, s->stops) TH_LOG("session %u", s->id);
		}
		EXPECT_EQ(-ENOENT, zc_nl_get_session(nl, s->id, &ns)) TH_LOG("session %u", s->id);
		if (!r->closing)
			EXPECT_EQ(-ENOENT, zc_read(r->fd, s->id, NULL, NULL));
	}
	EXPECT_EQ(1, zc_nl_dump_sessions(nl, ids, ARRAY_SIZE(ids), NULL));
	EXPECT_EQ(anchor, ids[0]);
}

/*
 * Rounds of RACE_SESSIONS sessions on one file, with RACE_THREADS threads
 * each calling STOP, READ, RESET, genl GET and dump on random ones of
 * them; in every other round one of them also closes the file midway.
 * Every answer must be success or the errno the ABI gives for that moment:
 * ENOENT once the session is stopped (GET: or its file closed), EBADF once
 * the file is.  One STOP wins per session (at most one in a round that
 * closes), counts never go back between RESETs, each session ends with
 * exactly one SESSION_END (with the winning STOP's counts), and after the
 * round none is left.  A session that traces a parked thread for the whole
 * test keeps the probes attached: no round patches kernel text.
 */
TEST_F_TIMEOUT(life, stop_read_reset_close_race, 60)
{
	unsigned long calls[NR_RACE_OPS] = { 0 }, enoent = 0, ebadf = 0, compared = 0;
	unsigned int seed = time(NULL) ^ getpid();
	struct busy_arg busy_args[RACE_SESSIONS];
	struct racer racers[RACE_THREADS];
	int rounds = 0, closing_stops = 0, i, j;
	struct busy busy = { 0 };
	struct zc_threads park;
	struct timespec t0, t;
	struct zc_nl mc;
	struct race *r;
	uint32_t anchor;

	TH_LOG("seed %u", seed);
	ASSERT_EQ(0, zc_threads_park(&park, 1));
	ASSERT_EQ(0, zc_start(self->fd, park.tids[0], 0, &anchor));
	ASSERT_EQ(0, zc_nl_join_sessions(&mc));
	for (i = 0; i < RACE_SESSIONS; i++) {
		busy_args[i] = (struct busy_arg){ &busy, i };
		ASSERT_EQ(0, pthread_create(&busy.th[i], NULL, busy_fn, &busy_args[i]));
	}
	for (i = 0; i < RACE_SESSIONS; i++)
		while (!LOAD(busy.tids[i]))
			usleep(1000);
	for (i = 0; i < RACE_THREADS; i++) {
		racers[i].idx = i;
		ASSERT_EQ(0, zc_nl_open(&racers[i].nl));
	}
	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		memset(r, 0, sizeof(*r));
		pthread_mutex_init(&r->lock, NULL);
		r->closing = rounds & 1;
		r->close_after = rand_r(&seed) % 32;
		r->fd = zc_open();
		ASSERT_LE(0, r->fd);
		for (j = 0; j < RACE_SESSIONS; j++) {
			pthread_mutex_init(&r->s[j].lock, NULL);
			ASSERT_EQ(0, zc_start(r->fd, busy.tids[j], 0, &r->s[j].id));
			/* Ids only grow: dumps list the anchor first. */
			ASSERT_LT(anchor, r->s[j].id);
		}
		ASSERT_EQ(0, pthread_barrier_init(&r->start, NULL, RACE_THREADS));
		for (i = 0; i < RACE_THREADS; i++) {
			racers[i].r = r;
			racers[i].seed = rand_r(&seed);
			ASSERT_EQ(0, pthread_create(&racers[i].th, NULL, racer_fn, &racers[i]));
		}
		for (i = 0; i < RACE_THREADS; i++)
			ASSERT_EQ(0, pthread_join(racers[i].th, NULL));
		pthread_barrier_destroy(&r->start);

		ASSERT_EQ(0, r->failures)
			TH_LOG("round %d (%s): %d failures, the first: %s", rounds,
			       r->closing ? "closing" : "stopping", r->failures, r->why);
		race_after(_metadata, &self->nl, r, anchor);
		race_ends(_metadata, &mc, r);
		if (!r->closing)
			close(r->fd);
		for (j = 0; j < RACE_SESSIONS; j++)
			closing_stops += r->closing ? r->s[j].stops : 0;
		for (i = 0; i < NR_RACE_OPS; i++)
			calls[i] += r->calls[i];
		enoent += r->enoent;
		ebadf += r->ebadf;
		compared += r->compared;
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < RACE_MS);

	TH_LOG("%d rounds: %lu STOP, %lu READ, %lu RESET, %lu GET, %lu dumps; %lu ENOENT, %lu EBADF; %d STOPs won in closing rounds; %lu reads held against an earlier one",
	       rounds, calls[OP_STOP], calls[OP_READ], calls[OP_RESET], calls[OP_GET],
	       calls[OP_DUMP], enoent, ebadf, closing_stops, compared);
	EXPECT_LE(2, rounds);
	/* The monotonic check was not vacuous. */
	EXPECT_LT(0, compared);

	STORE(busy.stop, true);
	for (i = 0; i < RACE_SESSIONS; i++)
		pthread_join(busy.th[i], NULL);
	for (i = 0; i < RACE_THREADS; i++)
		zc_nl_close(&racers[i].nl);
	zc_nl_close(&mc);
	free(r);
	EXPECT_EQ(0, zc_stop(self->fd, anchor, NULL, NULL));
	zc_threads_release(&park);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], EXEC_GETPPID))
		exec_getppid();
	zc_require_module();
	return test_harness_run(argc, argv);
}
