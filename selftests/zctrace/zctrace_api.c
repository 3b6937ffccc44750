// SPDX-License-Identifier: GPL-2.0
/*
 * The zctrace ABI as documented in uapi/linux/zctrace.h: version, the
 * session life cycle, the counts of a known workload, and the basic errors.
 * Hostile inputs are in zctrace_hostile.c and zctrace_netlink.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define NR_GETPPID 1000

FIXTURE(api) {
	int fd;
	struct zc_nl nl;
};

FIXTURE_SETUP(api)
{
	self->fd = zc_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", ZC_DEV, strerror(-self->fd));
	ASSERT_EQ(0, zc_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(api)
{
	close(self->fd);
	zc_nl_close(&self->nl);
}

TEST_F(api, version_ioctl)
{
	struct zctrace_version v;

	ASSERT_EQ(0, zc_version(self->fd, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(ZCTRACE_ABI_VERSION, v.abi_version);
	EXPECT_EQ(__ZCTRACE_CTR_MAX, v.nr_counters);
	EXPECT_EQ(0, v.reserved);
}

TEST_F(api, version_genl)
{
	uint32_t abi = 0, nr = 0, version = 0, maxattr = 0;
	uint16_t id = 0;

	ASSERT_EQ(0, zc_nl_version(&self->nl, &abi, &nr));
	EXPECT_EQ(ZCTRACE_ABI_VERSION, abi);
	EXPECT_EQ(__ZCTRACE_CTR_MAX, nr);

	ASSERT_EQ(0, zc_nl_family(&self->nl, ZCTRACE_GENL_NAME, &id, &version,
				  &maxattr, NULL, NULL));
	EXPECT_EQ(self->nl.family, id);
	EXPECT_EQ(ZCTRACE_GENL_VERSION, version);
	EXPECT_EQ(ZCTRACE_A_MAX, maxattr);
	EXPECT_NE(0, self->nl.mcgrp) TH_LOG("no \"%s\" multicast group", ZCTRACE_GENL_MCGRP);
}

TEST_F(api, start_read_stop)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct zctrace_read rd;
	uint32_t id = 0, state = 99, next_id;

	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &id));
	ASSERT_LT(0, id);

	memset(ctr, 0xa5, sizeof(ctr));
	memset(&rd, 0, sizeof(rd));
	rd.size = sizeof(rd);
	rd.id = id;
	rd.nr_counters = __ZCTRACE_CTR_MAX;
	rd.counters = (uintptr_t)ctr;
	ASSERT_EQ(0, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	EXPECT_EQ(__ZCTRACE_CTR_MAX, rd.nr_counters);
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, rd.state);
	EXPECT_EQ(id, rd.id);
	/* Never counted, always zero. */
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_UNSPEC]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_PAD]);

	ASSERT_EQ(0, zc_stop(self->fd, id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, state);
	EXPECT_EQ(-ENOENT, zc_read(self->fd, id, ctr, &state));
	EXPECT_EQ(-ENOENT, zc_stop(self->fd, id, NULL, NULL));
	EXPECT_EQ(-ENOENT, zc_reset(self->fd, id));
	/* A STOP that fails leaves what it was given as it was. */
	memset(ctr, 0xa5, sizeof(ctr));
	rd.nr_counters = __ZCTRACE_CTR_MAX - 1;
	rd.state = 7;
	EXPECT_EQ(-ENOENT, zc_ioctl(self->fd, ZCTRACE_IOC_STOP, &rd));
	EXPECT_EQ(__ZCTRACE_CTR_MAX - 1, rd.nr_counters);
	EXPECT_EQ(7, rd.state);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ctr[ZCTRACE_CTR_SYSCALLS]);
	/* Stopped: the same task can be traced again, under a new id. */
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &next_id));
	EXPECT_NE(id, next_id);
}

/* Session ids are handed out cyclically: a stopped id is not reused at once. */
TEST_F(api, ids_not_reused)
{
	uint32_t a, b;

	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &a));
	ASSERT_EQ(0, zc_stop(self->fd, a, NULL, NULL));
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &b));
	EXPECT_LT(a, b);
}

/* A short array gets the first values only; nr_counters tells the real count. */
TEST_F(api, read_short_array)
{
	uint64_t ctr[4] = { 1, 2, 3, 0x5a5a5a5a5a5a5a5aULL };
	struct zctrace_read rd = { .size = sizeof(rd) };
	uint64_t big[__ZCTRACE_CTR_MAX + 8];

	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &rd.id));
	rd.nr_counters = 3;
	rd.counters = (uintptr_t)ctr;
	ASSERT_EQ(0, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	EXPECT_EQ(__ZCTRACE_CTR_MAX, rd.nr_counters);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_UNSPEC]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_PAD]);
	EXPECT_EQ(0x5a5a5a5a5a5a5a5aULL, ctr[3]);

	/* No array at all: only the count and the state. */
	rd.nr_counters = 0;
	rd.counters = 0;
	ASSERT_EQ(0, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	EXPECT_EQ(__ZCTRACE_CTR_MAX, rd.nr_counters);
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, rd.state);

	/* Larger than the module's: only __ZCTRACE_CTR_MAX values are written. */
	memset(big, 0xee, sizeof(big));
	rd.nr_counters = __ZCTRACE_CTR_MAX + 8;
	rd.counters = (uintptr_t)big;
	rd.state = 0;
	ASSERT_EQ(0, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	EXPECT_EQ(__ZCTRACE_CTR_MAX, rd.nr_counters);
	EXPECT_EQ(0, big[ZCTRACE_CTR_UNSPEC]);
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeULL, big[__ZCTRACE_CTR_MAX]);
}

static int work_getppid(void *arg)
{
	int i;

	for (i = 0; i < NR_GETPPID; i++)
		syscall(SYS_getppid);
	syscall(SYS_exit_group, 0);
	return 0;
}

/*
 * A child blocked before the session starts makes exactly NR_GETPPID
 * getppid() and one exit_group() once started: SYSCALLS is exact, the
 * state turns EXITED and the counts stay readable.
 */
TEST_F(api, counts_known_syscalls)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX], again[__ZCTRACE_CTR_MAX];
	struct zc_worker w;
	uint32_t id, state;

	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, work_getppid, NULL));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, 0, &id));
	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, state);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_SYSCALLS]);
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));

	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_EXITED, state);
	EXPECT_EQ(NR_GETPPID + 1, ctr[ZCTRACE_CTR_SYSCALLS]);
	/*
	 * Nothing: a read counts when the thread enters it traced, and the
	 * child was already in its read of the go byte (counts_pipe_read).
	 */
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_K2U_BYTES]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_K2U_CALLS]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_U2K_BYTES]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_SOFT_TX_BYTES]);
	TH_LOG("exited child: %llu syscalls, %llu context switches, %llu minor faults",
	       (unsigned long long)ctr[ZCTRACE_CTR_SYSCALLS],
	       (unsigned long long)ctr[ZCTRACE_CTR_CONTEXT_SWITCHES],
	       (unsigned long long)ctr[ZCTRACE_CTR_MINOR_FAULTS]);

	/* Nothing moves once every traced task is gone. */
	usleep(10000);
	ASSERT_EQ(0, zc_stop(self->fd, id, again, &state));
	EXPECT_EQ(ZCTRACE_STATE_EXITED, state);
	EXPECT_EQ(0, memcmp(ctr, again, sizeof(ctr)));
}

#define SOCK_BYTES 3000

static int work_recv(void *arg)
{
	char buf[SOCK_BYTES];
	size_t got = 0;
	ssize_t n;

	while (got < SOCK_BYTES) {
		n = recv(*(int *)arg, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			return 1;
		got += n;
	}
	return 0;
}

#define PIPE_BYTES 3000
#define PIPE_READ 1000

static int work_read_pipe(void *arg)
{
	char buf[PIPE_READ];
	int i;

	for (i = 0; i < PIPE_BYTES / PIPE_READ; i++)
		if (read(*(int *)arg, buf, sizeof(buf)) != sizeof(buf))
			return 1;
	return 0;
}

/*
 * A pipe read is counted once per read, at the PIPE site, whatever it
 * copies: K2U counts exactly the bytes of the reads the thread entered
 * traced, the go byte's not among them.
 */
TEST_F(api, counts_pipe_read)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	char payload[PIPE_BYTES] = { 0 };
	struct zc_worker w;
	uint32_t id;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(PIPE_BYTES, write(p[1], payload, sizeof(payload)));
	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, work_read_pipe, &p[0]));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, 0, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));
	ASSERT_EQ(0, zc_stop(self->fd, id, ctr, NULL));
	EXPECT_EQ(PIPE_BYTES, ctr[ZCTRACE_CTR_COPY_K2U_BYTES]);
	EXPECT_EQ(PIPE_BYTES / PIPE_READ, ctr[ZCTRACE_CTR_COPY_K2U_CALLS]);
	EXPECT_EQ(PIPE_BYTES, ctr[ZCTRACE_CTR_SITE_PIPE_BYTES]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_U2K_BYTES]);
	close(p[0]);
	close(p[1]);
}

/*
 * What a traced thread receives from a socket is copied out to it by the
 * CPU: K2U counts exactly the bytes it read (the socket's copies count as
 * they are made, not per read).
 */
static void expect_socket_read_counted(struct __test_metadata *_metadata,
				       int zc_fd, int snd, int rcv)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	char payload[SOCK_BYTES] = { 0 };
	struct zc_worker w;
	uint32_t id;

	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, work_recv, &rcv));
	ASSERT_EQ(SOCK_BYTES, send(snd, payload, sizeof(payload), 0));
	ASSERT_EQ(0, zc_start(zc_fd, w.pid, 0, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));
	ASSERT_EQ(0, zc_stop(zc_fd, id, ctr, NULL));
	EXPECT_EQ(SOCK_BYTES, ctr[ZCTRACE_CTR_COPY_K2U_BYTES]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_U2K_BYTES]);
}

TEST_F(api, counts_unix_socket_read)
{
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	expect_socket_read_counted(_metadata, self->fd, sv[0], sv[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST_F(api, counts_tcp_socket_read)
{
	int snd, rcv;

	ASSERT_EQ(0, zc_private_netns());
	ASSERT_EQ(0, zc_tcp_pair(&snd, &rcv));
	expect_socket_read_counted(_metadata, self->fd, snd, rcv);
	close(snd);
	close(rcv);
}

#define DM_DISK_BYTES (4 << 20)
#define DM_READ_BYTES (1 << 20)

static int work_read_direct(void *path)
{
	void *buf;
	int fd, ret = 1;

	if (posix_memalign(&buf, 4096, DM_READ_BYTES))
		return 1;
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd >= 0 && read(fd, buf, DM_READ_BYTES) == DM_READ_BYTES)
		ret = 0;
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/*
 * Since 6.4, splicing an O_DIRECT file reads it into the pipe's pages
 * through a kernel (bvec) iterator: a bio the block layer flags as
 * BIO_CLONED, though it is no stacking driver's clone.
 */
static int work_splice_direct(void *path)
{
	ssize_t n, r, left = DM_READ_BYTES;
	char buf[65536];
	int fd, p[2];

	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || pipe(p))
		return 1;
	while (left > 0) {
		n = splice(fd, NULL, p[1], NULL, left, 0);
		if (n <= 0)
			break;
		left -= n;
		for (; n > 0; n -= r) {
			r = read(p[0], buf, n < (ssize_t)sizeof(buf) ? n : sizeof(buf));
			if (r <= 0)
				return 1;
		}
	}
	close(p[0]);
	close(p[1]);
	close(fd);
	return left != 0;
}

/* A loop device over a tmpfs file, and a dm-linear device over that. */
FIXTURE(dm) {
	int fd;
	char file[64], loop[32], dm[32], node[48];
	bool have_loop, have_dm;
};

FIXTURE_VARIANT(dm) {
	int (*work)(void *path);
	uint64_t k2u;		/* what the reader copies out of a pipe */
};

FIXTURE_VARIANT_ADD(dm, read) { .work = work_read_direct, .k2u = 0 };
FIXTURE_VARIANT_ADD(dm, splice) { .work = work_splice_direct, .k2u = DM_READ_BYTES };

FIXTURE_SETUP(dm)
{
	self->fd = zc_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", ZC_DEV, strerror(-self->fd));
}

FIXTURE_TEARDOWN(dm)
{
	char cmd[128];

	if (self->have_dm) {
		snprintf(cmd, sizeof(cmd), "dmsetup remove %s", self->dm);
		if (system(cmd))
			TH_LOG("%s failed", cmd);
		/* Without udev, nothing else removes the node mknodes made. */
		unlink(self->node);
	}
	if (self->have_loop) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", self->loop);
		if (system(cmd))
			TH_LOG("%s failed", cmd);
	}
	if (self->file[0])
		unlink(self->file);
	close(self->fd);
}

/*
 * A read through device-mapper is one transfer from the disk, though dm
 * submits a clone of the bio to the device below: DISK_READ_BYTES counts
 * exactly what was read, by read() or by splice() into a pipe, and the
 * reader copies it out of the pipe once.
 */
TEST_F(dm, disk_read_counted_once)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	char cmd[192];
	struct zc_worker w;
	uint32_t id;
	FILE *out;
	int fd;

	/* Both are modules on most distributions' kernels. */
	if (system("{ modprobe loop; modprobe dm_mod; command -v losetup &&"
		   " dmsetup version; } >/dev/null 2>&1"))
		SKIP(return, "no losetup, dmsetup or device-mapper");
	snprintf(self->file, sizeof(self->file), "/tmp/zctrace-dm-%d", getpid());
	fd = open(self->file, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, DM_DISK_BYTES));
	close(fd);

	snprintf(cmd, sizeof(cmd), "losetup --find --show %s", self->file);
	out = popen(cmd, "r");
	ASSERT_NE(NULL, out);
	self->have_loop = fscanf(out, "%31s", self->loop) == 1;
	pclose(out);
	if (!self->have_loop)
		SKIP(return, "no loop device");

	snprintf(self->dm, sizeof(self->dm), "zctrace-%d", getpid());
	snprintf(cmd, sizeof(cmd), "dmsetup create %s --table '0 %d linear %s 0'",
		 self->dm, DM_DISK_BYTES / 512, self->loop);
	ASSERT_EQ(0, system(cmd));
	self->have_dm = true;
	/* The node, where no udev makes it. */
	snprintf(cmd, sizeof(cmd), "dmsetup mknodes %s", self->dm);
	ASSERT_EQ(0, system(cmd));
	snprintf(self->node, sizeof(self->node), "/dev/mapper/%s", self->dm);

	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, variant->work, self->node));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, 0, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));
	ASSERT_EQ(0, zc_stop(self->fd, id, ctr, NULL));
	EXPECT_EQ(DM_READ_BYTES, ctr[ZCTRACE_CTR_DISK_READ_BYTES]);
	EXPECT_EQ(variant->k2u, ctr[ZCTRACE_CTR_COPY_K2U_BYTES]);
}

/* Traces the calling thread through NR_GETPPID getppid()s and a READ. */
static void trace_self_getppids(struct __test_metadata *_metadata, int fd,
				uint32_t *id, uint64_t *ctr)
{
	uint32_t state;
	int i;

	ASSERT_EQ(0, zc_start(fd, 0, 0, id));
	for (i = 0; i < NR_GETPPID; i++)
		syscall(SYS_getppid);
	ASSERT_EQ(0, zc_read(fd, *id, ctr, &state));
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, state);
}

/*
 * Tracing oneself counts from the START on: the calling thread is running,
 * so the module cannot wait for the scheduler to notice it.
 */
TEST_F(api, start_self_counts_at_once)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	uint32_t id;

	trace_self_getppids(_metadata, self->fd, &id, ctr);
	/* The getppid()s and the READ itself. */
	EXPECT_EQ(NR_GETPPID + 1, ctr[ZCTRACE_CTR_SYSCALLS]);
}

TEST_F(api, reset)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	uint32_t id, state;

	trace_self_getppids(_metadata, self->fd, &id, ctr);
	ASSERT_EQ(NR_GETPPID + 1, ctr[ZCTRACE_CTR_SYSCALLS]);
	ASSERT_EQ(0, zc_reset(self->fd, id));
	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	/* Only the READ after the RESET. */
	EXPECT_EQ(1, ctr[ZCTRACE_CTR_SYSCALLS]);
	EXPECT_EQ(0, ctr[ZCTRACE_CTR_COPY_U2K_BYTES]);
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, state);
}

/* GET_SESSION says what the ioctls say. */
TEST_F(api, genl_get_session)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct zc_nl_session s;
	struct zc_worker w;
	char comm[16] = "";
	uint32_t id, state;
	int i;

	ASSERT_EQ(0, prctl(PR_GET_NAME, comm));
	ASSERT_EQ(0, zc_start(self->fd, 0, ZCTRACE_START_FOLLOW, &id));
	ASSERT_EQ(0, zc_nl_get_session(&self->nl, id, &s));
	EXPECT_EQ(id, s.id);
	EXPECT_EQ(getpid(), s.pid);
	EXPECT_EQ(ZCTRACE_START_FOLLOW, s.flags);
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, s.state);
	EXPECT_EQ(0, s.owner_uid);
	EXPECT_STREQ(comm, s.comm);
	/* Every counter but UNSPEC and PAD. */
	EXPECT_EQ(__ZCTRACE_CTR_MAX - 2, s.nr_counters);

	/* Once nothing is traced, both interfaces give the same numbers. */
	ASSERT_EQ(0, zc_stop(self->fd, id, NULL, NULL));
	ASSERT_EQ(-ENOENT, zc_nl_get_session(&self->nl, id, &s));

	ASSERT_EQ(0, zc_worker_spawn(&w, NULL, work_getppid, NULL));
	ASSERT_EQ(0, zc_start(self->fd, w.pid, 0, &id));
	ASSERT_EQ(0, zc_worker_go(&w));
	ASSERT_EQ(0, zc_worker_wait(&w));
	ASSERT_EQ(0, zc_read(self->fd, id, ctr, &state));
	ASSERT_EQ(0, zc_nl_get_session(&self->nl, id, &s));
	EXPECT_EQ(ZCTRACE_STATE_EXITED, s.state);
	for (i = ZCTRACE_CTR_PAD + 1; i < __ZCTRACE_CTR_MAX; i++)
		EXPECT_EQ(ctr[i], s.counters[i]) TH_LOG("counter %d", i);
}

TEST_F(api, unknown_ioctl_enotty)
{
	char buf[256] = { 0 };
	unsigned long cmds[] = {
		_IO(ZCTRACE_IOC_MAGIC, 5),
		_IOWR(ZCTRACE_IOC_MAGIC, 0xff, struct zctrace_read),
		_IO(ZCTRACE_IOC_MAGIC, 0),	/* VERSION without its size */
		_IOWR(ZCTRACE_IOC_MAGIC, 1, uint64_t),	/* START, wrong size */
		_IOW(ZCTRACE_IOC_MAGIC, 2, struct zctrace_read), /* READ, wrong dir */
		_IOWR(ZCTRACE_IOC_MAGIC + 1, 1, struct zctrace_start),
		FIONREAD,
		0,
	};
	unsigned int i;

	*(uint32_t *)buf = sizeof(struct zctrace_read);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		unsigned long cmd = cmds[i];

		EXPECT_EQ(-ENOTTY, zc_ioctl(self->fd, cmd, buf))
			TH_LOG("cmd %#lx", cmd);
	}
}

TEST_F(api, bad_pointer_efault)
{
	struct zctrace_version v = { .size = sizeof(v) };
	struct zctrace_version *ro = zc_readonly_copy(&v, sizeof(v));
	void *bad[] = { NULL, zc_noaccess_page(), ZC_KERNEL_VOIDP };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		void *arg = bad[i];

		EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, ZCTRACE_IOC_VERSION, arg))
			TH_LOG("arg %p", arg);
	}
	/* Readable but not writable: the answer cannot be stored. */
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, ZCTRACE_IOC_VERSION, ro));
}

/*
 * A counters field with bits the caller's pointers cannot have: from a
 * 32-bit caller, an address above 4 GiB, which the compat path must not
 * take for the truncated pointer.
 */
TEST_F(api, counters_beyond_caller_efault)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct zctrace_read rd = {
		.size = sizeof(rd), .nr_counters = __ZCTRACE_CTR_MAX,
		.counters = (uintptr_t)ctr | ZC_BEYOND_CALLER,
	};

	memset(ctr, 0xa5, sizeof(ctr));
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &rd.id));
	EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ctr[ZCTRACE_CTR_SYSCALLS]);
	EXPECT_EQ(0, zc_stop(self->fd, rd.id, NULL, NULL));
}

TEST_F(api, bad_size_reserved_flags_einval)
{
	struct zctrace_version v = { .size = sizeof(v) - 1 };
	struct zctrace_start st = { .size = sizeof(st) };
	struct zctrace_read rd = { .size = sizeof(rd) };
	struct zctrace_reset rs = { .size = sizeof(rs) + 8 };

	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_VERSION, &v));
	v.size = sizeof(v);
	v.reserved = 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_VERSION, &v));

	st.flags = ZCTRACE_START_FOLLOW << 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_START, &st));
	st.flags = 0;
	st.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_START, &st));
	st.reserved[1] = 0;
	st.size = 0;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_START, &st));

	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &rd.id));
	rd.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	rd.reserved[0] = 0;
	rd.nr_counters = 1;	/* with no array */
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &rd));
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_STOP, &rd));

	rs.id = rd.id;
	EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, ZCTRACE_IOC_RESET, &rs));
	/* None of it hurt the session. */
	EXPECT_EQ(0, zc_read(self->fd, rd.id, NULL, NULL));
}

ZC_HARNESS_MAIN
