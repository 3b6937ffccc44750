// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions over their whole life: traced tasks that fork and exit, a file
 * closed by a process that is SIGKILLed with sessions and a dump open, 64
 * sessions on both CPUs at once with loopback TCP traffic, probes that
 * exist only while a session does, threads followed or not, and a traced
 * thread that execs.
 */

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/mman.h>
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
	int hold[2];

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

	/* Let the orphan go, and wait until it is gone (reaped by init). */
	close(hold[1]);
	for (int i = 0; i < 500; i++) {
		ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
		if (state == ZCTRACE_STATE_EXITED)
			break;
		usleep(10000);
	}
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

static int spawn_thread(struct threads *t, int n, int *go)
{
	const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			  CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;

	t->ctid[n] = 1;
	return clone(getppid_thread, t->stack[n] + THREAD_STACK, flags, go,
		     NULL, NULL, &t->ctid[n]) < 0 ? -1 : 0;
}

/* Before the START: the stacks, and the old thread, blocked on its pipe. */
static int threads_setup(void *arg)
{
	struct threads *t = arg;
	int i;

	if (pipe(t->old_go))
		return 20;
	for (i = 0; i < 2; i++) {
		t->stack[i] = mmap(NULL, THREAD_STACK, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (t->stack[i] == MAP_FAILED)
			return 21;
	}
	return spawn_thread(t, 0, &t->old_go[0]) ? 22 : 0;
}

/*
 * After it: clone the new thread, let the old one go, wait for both.
 * clone, write and exit_group, and a futex wait for each thread that has
 * not exited yet when it looks.
 */
static int threads_work(void *arg)
{
	struct threads *t = arg;
	int i;

	if (spawn_thread(t, 1, NULL))
		return 23;
	syscall(SYS_write, t->old_go[1], "g", 1);
	for (i = 0; i < 2; i++)
		while (__atomic_load_n(&t->ctid[i], __ATOMIC_ACQUIRE))
			syscall(SYS_futex, &t->ctid[i], FUTEX_WAIT, t->ctid[i], NULL);
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

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], EXEC_GETPPID))
		exec_getppid();
	zc_require_module();
	return test_harness_run(argc, argv);
}
