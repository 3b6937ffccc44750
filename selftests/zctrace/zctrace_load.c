// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading zctrace.ko ($ZCTRACE_KO, else the repo's): unload
 * is refused while a file is open, the module taints the kernel with O and
 * E only (module_load.sh tells when E is due), and 50 load/unload cycles
 * with sessions on threads that send loopback TCP traffic all along leave
 * slab usage where it was and no kprobe behind.  The module is left loaded or not, as it was found.
 */

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define NR_CYCLES	50
#define NR_PARKED	16	/* sessions per cycle on idle threads */
#define NR_TRAFFIC	2	/* sender/sink pairs, each sender traced */
#define SEND_BYTES	16384	/* what a sender sends at a time */
/*
 * Slab bytes may differ this much between before and after the cycles.
 * Every slab cache is shrunk before both measurements, so what is left is
 * objects really in use: trial runs moved by -40..+30 KiB (sockets, skbs
 * and kernfs nodes of the module come and go).  A leak of 140 bytes per
 * session (a zc_session or a zc_task each is more) over the
 * NR_CYCLES * (NR_PARKED + NR_TRAFFIC + 1) sessions exceeds it.
 */
#define SLAB_TOLERANCE	(128 * 1024)

#define TAINT_O		(1L << 12)	/* out-of-tree module */
#define TAINT_E		(1L << 13)	/* unsigned module */

static const char *ko;
static int was_loaded;

static bool loaded(void)
{
	return !access("/sys/module/" ZC_MODNAME, F_OK);
}

/* Back to how the program found it. */
static void restore(void)
{
	if (was_loaded && !loaded())
		zc_mod_load(ko);
	else if (!was_loaded && loaded())
		zc_mod_unload();
}

FIXTURE(load) {
	int fd;
};

FIXTURE_SETUP(load)
{
	self->fd = -1;
	if (!loaded())
		ASSERT_EQ(0, zc_mod_load(ko));
}

FIXTURE_TEARDOWN(load)
{
	if (self->fd >= 0)
		close(self->fd);
	restore();
}

TEST_F(load, unload_refused_while_open)
{
	char taint[16] = "";
	long before;
	uint32_t id;
	FILE *f;

	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &id));
	/* delete_module() says EWOULDBLOCK; rmmod prints "in use". */
	EXPECT_EQ(-EWOULDBLOCK, zc_mod_unload());
	EXPECT_TRUE(loaded());
	EXPECT_EQ(0, zc_read(self->fd, id, NULL, NULL));

	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, zc_mod_unload());
	EXPECT_FALSE(loaded());
	EXPECT_EQ(-ENOENT, zc_open());
	EXPECT_EQ(-ENOENT, zc_mod_unload());

	before = zc_tainted();
	ASSERT_EQ(0, zc_mod_load(ko));
	EXPECT_EQ(-EEXIST, zc_mod_load(ko));
	/*
	 * Out of tree, unsigned where the kernel checks signatures (see
	 * module_load.sh), and nothing else, here or globally.
	 */
	f = fopen("/sys/module/" ZC_MODNAME "/taint", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(taint, sizeof(taint), f));
	fclose(f);
	taint[strcspn(taint, "\n")] = '\0';
	EXPECT_TRUE(!strcmp(taint, "O") || !strcmp(taint, "OE"))
		TH_LOG("module taint '%s'", taint);
	EXPECT_EQ(0, (zc_tainted() & ~before) & ~(TAINT_O | TAINT_E))
		TH_LOG("tainted %#lx before loading, %#lx after", before, zc_tainted());
	self->fd = zc_open();
	EXPECT_LE(0, self->fd);
}

/* Shrink every slab cache so that only objects in use are counted. */
static void slab_settle(void)
{
	glob_t g;
	size_t i;

	if (!glob("/sys/kernel/slab/*/shrink", 0, NULL, &g)) {
		for (i = 0; i < g.gl_pathc; i++) {
			int fd = open(g.gl_pathv[i], O_WRONLY | O_CLOEXEC);

			if (fd >= 0) {
				if (write(fd, "1", 1) != 1)
					break;
				close(fd);
			}
		}
		globfree(&g);
	}
}

/*
 * Senders that pause on request, blocked on a condition variable: no
 * syscall may be made while the probes are attached or detached.  With
 * syscalls streaming in on the other CPU, switching the sys_enter
 * tracepoint on or off wedges a TCG guest of Debian's 6.1 in an int3 loop
 * at syscall_trace_enter, zctrace loaded or not (echo 1/0 into
 * events/raw_syscalls/sys_enter/enable under load does it too).
 */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int pause_req, nr_paused, stop;

struct traffic {
	pthread_t snd_th, rcv_th;
	int snd, rcv;
	pid_t tid;
};

static void *traffic_sink(void *arg)
{
	zc_drain(((struct traffic *)arg)->rcv);
	return NULL;
}

static void *traffic_send(void *arg)
{
	struct traffic *t = arg;

	__atomic_store_n(&t->tid, zc_gettid(), __ATOMIC_RELEASE);
	for (;;) {
		pthread_mutex_lock(&lock);
		if (pause_req && !stop) {
			nr_paused++;
			pthread_cond_broadcast(&cond);
			while (pause_req && !stop)
				pthread_cond_wait(&cond, &lock);
			nr_paused--;
		}
		pthread_mutex_unlock(&lock);
		if (stop || zc_send_bytes(t->snd, SEND_BYTES) < 0)
			break;
		/* Steady traffic, not a CPU hog that would slow every cycle. */
		usleep(1000);
	}
	shutdown(t->snd, SHUT_WR);
	return NULL;
}

static void traffic_pause(int nr)
{
	pthread_mutex_lock(&lock);
	pause_req = 1;
	while (nr_paused < nr)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

static void traffic_resume(void)
{
	pthread_mutex_lock(&lock);
	pause_req = 0;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

/* Quiesce the traffic and every cache, then count slab bytes. */
static long long settled_slab(int nr)
{
	long long bytes;

	traffic_pause(nr);
	usleep(200000);	/* the last segments and RCU callbacks */
	slab_settle();
	bytes = zc_slab_bytes();
	traffic_resume();
	return bytes;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

TEST_F_TIMEOUT(load, cycles_under_traffic, 280)
{
	static char names[64][128];
	const char *syms[64];
	struct traffic t[NR_TRAFFIC];
	struct zc_threads parked;
	long long slab0 = 0, slab1;
	long meminfo0 = 0, meminfo1, percpu0 = 0, percpu1;
	int nr_syms = 0, cycle, i, sessions = 0, nr_cycles = NR_CYCLES;
	unsigned long long copied = 0;
	struct zc_nl nl;
	double t0, t1;

	/* Without these the kprobe check could only fail, the slab check only pass. */
	if (zc_kprobes_listed(NULL, 0) < 0)
		SKIP(return, "no /sys/kernel/debug/kprobes/list");
	if (zc_slab_bytes() < 0)
		SKIP(return, "no /proc/slabinfo");
	if (getenv("ZCTRACE_CYCLES"))
		nr_cycles = atoi(getenv("ZCTRACE_CYCLES"));
	/* The family is in the initial netns only: ask before leaving it. */
	ASSERT_EQ(0, zc_nl_open(&nl));
	nr_syms = zc_probe_symbols(&nl, names, 64);
	zc_nl_close(&nl);
	ASSERT_LT(0, nr_syms);
	for (i = 0; i < nr_syms; i++)
		syms[i] = names[i];

	ASSERT_EQ(0, zc_private_netns());
	ASSERT_EQ(0, zc_threads_park(&parked, NR_PARKED));
	for (i = 0; i < NR_TRAFFIC; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		ASSERT_EQ(0, zc_tcp_pair(&t[i].snd, &t[i].rcv));
		ASSERT_EQ(0, pthread_create(&t[i].rcv_th, NULL, traffic_sink, &t[i]));
		ASSERT_EQ(0, pthread_create(&t[i].snd_th, NULL, traffic_send, &t[i]));
		while (!__atomic_load_n(&t[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
	}

	/* Cycle 0 warms up what the first load allocates for good. */
	t0 = now();
	for (cycle = 0; cycle <= nr_cycles; cycle++) {
		uint32_t ids[NR_PARKED + NR_TRAFFIC + 1];
		uint64_t ctr[__ZCTRACE_CTR_MAX];
		int fd;

		double ts[5];

		ts[0] = now();
		if (!loaded())
			ASSERT_EQ(0, zc_mod_load(ko)) TH_LOG("cycle %d", cycle);
		ts[1] = now();
		/* Traffic flows across load and unload, and while traced. */
		traffic_pause(NR_TRAFFIC);
		fd = zc_open();
		ASSERT_LE(0, fd);
		for (i = 0; i < NR_TRAFFIC; i++)
			ASSERT_EQ(0, zc_start(fd, t[i].tid, 0, &ids[i]));
		for (i = 0; i < NR_PARKED; i++)
			ASSERT_EQ(0, zc_start(fd, parked.tids[i], 0, &ids[NR_TRAFFIC + i]));
		ASSERT_EQ(0, zc_start(fd, 0, 0, &ids[NR_TRAFFIC + NR_PARKED]));
		sessions += NR_PARKED + NR_TRAFFIC + 1;
		traffic_resume();
		ts[2] = now();
		usleep(20000);
		/*
		 * Every copy is counted once by direction and once by site.
		 * Paused, so that no copy is half counted while we read.
		 */
		traffic_pause(NR_TRAFFIC);
		for (i = 0; i < NR_TRAFFIC; i++) {
			ASSERT_EQ(0, zc_read(fd, ids[i], ctr, NULL));
			EXPECT_EQ(ctr[ZCTRACE_CTR_COPY_U2K_BYTES] +
				  ctr[ZCTRACE_CTR_COPY_K2U_BYTES] +
				  ctr[ZCTRACE_CTR_COPY_K2K_BYTES],
				  ctr[ZCTRACE_CTR_SITE_SOCK_SEND_BYTES] +
				  ctr[ZCTRACE_CTR_SITE_FILE_READ_BYTES] +
				  ctr[ZCTRACE_CTR_SITE_PIPE_BYTES] +
				  ctr[ZCTRACE_CTR_SITE_SEGMENT_BYTES] +
				  ctr[ZCTRACE_CTR_SITE_OTHER_BYTES]) TH_LOG("cycle %d", cycle);
			/* A sender copies whole sends only: it pauses between them. */
			EXPECT_EQ(ctr[ZCTRACE_CTR_COPY_U2K_BYTES],
				  ctr[ZCTRACE_CTR_SITE_SOCK_SEND_BYTES]) TH_LOG("cycle %d", cycle);
			EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_U2K_BYTES] % SEND_BYTES)
				TH_LOG("cycle %d", cycle);
			copied += ctr[ZCTRACE_CTR_COPY_U2K_BYTES];
		}
		/* Odd cycles stop the busy sessions; closing ends the rest. */
		if (cycle & 1)
			for (i = 0; i < NR_TRAFFIC; i++)
				ASSERT_EQ(0, zc_stop(fd, ids[i], NULL, NULL));
		close(fd);
		traffic_resume();
		ts[3] = now();
		ASSERT_EQ(0, zc_mod_unload()) TH_LOG("cycle %d", cycle);
		ts[4] = now();
		if (cycle < 3)
			TH_LOG("load %.3f start %.3f stop %.3f unload %.3f", ts[1] - ts[0],
			       ts[2] - ts[1], ts[3] - ts[2], ts[4] - ts[3]);
		ASSERT_EQ(0, zc_kprobes_listed(syms, nr_syms)) TH_LOG("cycle %d", cycle);
		if (!cycle) {
			slab0 = settled_slab(NR_TRAFFIC);
			meminfo0 = zc_meminfo("Slab");
			percpu0 = zc_meminfo("Percpu");
		}
	}
	t1 = now();
	slab1 = settled_slab(NR_TRAFFIC);
	meminfo1 = zc_meminfo("Slab");
	percpu1 = zc_meminfo("Percpu");

	pthread_mutex_lock(&lock);
	stop = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < NR_TRAFFIC; i++) {
		pthread_join(t[i].snd_th, NULL);
		pthread_join(t[i].rcv_th, NULL);
	}
	zc_threads_release(&parked);

	TH_LOG("%d load/unload cycles, %d sessions, in %.1f s (%.2f s a cycle)",
	       nr_cycles, sessions - (NR_PARKED + NR_TRAFFIC + 1), t1 - t0,
	       (t1 - t0) / (nr_cycles + 1));
	TH_LOG("%llu bytes sent by the traced senders while traced", copied);
	EXPECT_LT(0, copied);
	TH_LOG("slab objects in use: %lld -> %lld bytes (%+lld, tolerance %d)",
	       slab0, slab1, slab1 - slab0, SLAB_TOLERANCE);
	TH_LOG("meminfo Slab: %ld -> %ld kB, Percpu: %ld -> %ld kB",
	       meminfo0, meminfo1, percpu0, percpu1);
	EXPECT_GE(SLAB_TOLERANCE, slab1 - slab0);
	EXPECT_EQ(0, zc_kprobes_listed(syms, nr_syms));
}

int main(int argc, char **argv)
{
	if (geteuid()) {
		ksft_print_header();
		ksft_exit_skip("must run as root\n");
	}
	ko = zc_ko_path();
	if (!ko) {
		ksft_print_header();
		ksft_exit_skip("no zctrace.ko: set ZCTRACE_KO\n");
	}
	was_loaded = loaded();
	setvbuf(stdout, NULL, _IOLBF, 0);
	return test_harness_run(argc, argv);
}
