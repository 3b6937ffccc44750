// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input to every /dev/zctrace ioctl: bad pointers, sizes, reserved
 * bits, flags, pids and session ids, each answered by the exact errno that
 * uapi/linux/zctrace.h and module/device.c promise, with no session harmed
 * or leaked on the way.  Built again as zctrace_hostile_32, so that the
 * same input also comes through the compat path (compat_ptr_ioctl()).
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define MAX_SESSIONS 256	/* ZC_MAX_SESSIONS in module/session.c */

/* The five ioctls, the size of their argument and its reserved bytes. */
static const struct zc_cmd {
	const char *name;
	unsigned long cmd;
	uint32_t size;
	/* [off, off + len) must be zero on input */
	struct { uint32_t off, len; } rsv[2];
} cmds[] = {
	{ "VERSION", ZCTRACE_IOC_VERSION, sizeof(struct zctrace_version),
	  { { offsetof(struct zctrace_version, reserved), 4 } } },
	{ "START", ZCTRACE_IOC_START, sizeof(struct zctrace_start),
	  { { offsetof(struct zctrace_start, reserved), 16 } } },
	{ "READ", ZCTRACE_IOC_READ, sizeof(struct zctrace_read),
	  { { offsetof(struct zctrace_read, reserved), 16 } } },
	{ "STOP", ZCTRACE_IOC_STOP, sizeof(struct zctrace_read),
	  { { offsetof(struct zctrace_read, reserved), 16 } } },
	{ "RESET", ZCTRACE_IOC_RESET, sizeof(struct zctrace_reset),
	  { { offsetof(struct zctrace_reset, reserved), 8 } } },
};

FIXTURE(hostile) {
	int fd;
	uint32_t id;		/* a live session of fd, on this process */
	char *edge;		/* two pages, the second one inaccessible */
	long psz;
};

FIXTURE_SETUP(hostile)
{
	self->psz = sysconf(_SC_PAGESIZE);
	self->fd = zc_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, zc_start(self->fd, 0, 0, &self->id));
	self->edge = mmap(NULL, 2 * self->psz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->edge);
	ASSERT_EQ(0, mprotect(self->edge + self->psz, self->psz, PROT_NONE));
}

FIXTURE_TEARDOWN(hostile)
{
	close(self->fd);
}

/* A valid argument for c, naming the fixture's session where one is needed. */
static void valid_arg(const struct zc_cmd *c, uint32_t id, void *buf)
{
	memset(buf, 0, c->size);
	*(uint32_t *)buf = c->size;
	if (c->cmd == ZCTRACE_IOC_READ || c->cmd == ZCTRACE_IOC_STOP)
		((struct zctrace_read *)buf)->id = id;
	else if (c->cmd == ZCTRACE_IOC_RESET)
		((struct zctrace_reset *)buf)->id = id;
	else if (c->cmd == ZCTRACE_IOC_START)
		((struct zctrace_start *)buf)->pid = INT_MAX;	/* never starts */
}

TEST_F(hostile, bad_arg_pointers_efault)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		const struct zc_cmd *c = &cmds[i];
		/* The size is readable, the rest of the struct is not. */
		char *straddle = self->edge + self->psz - sizeof(uint32_t);
		void *bad[] = {
			NULL, zc_noaccess_page(), ZC_KERNEL_VOIDP,
			(void *)-1UL, straddle,
		};

		*(uint32_t *)straddle = c->size;
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			void *arg = bad[j];

			EXPECT_EQ(-EFAULT, zc_ioctl(self->fd, c->cmd, arg))
				TH_LOG("%s arg %p", c->name, arg);
		}
	}
	EXPECT_EQ(0, zc_read(self->fd, self->id, NULL, NULL));
}

TEST_F(hostile, wrong_size_einval)
{
	static const uint32_t deltas[] = { 1, 4, 8 };
	uint8_t buf[8192];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		const struct zc_cmd *c = &cmds[i];
		uint32_t sizes[3 + 2 * ARRAY_SIZE(deltas)] = { 0, 4096, UINT32_MAX };

		for (j = 0; j < ARRAY_SIZE(deltas); j++) {
			sizes[3 + 2 * j] = c->size - deltas[j];
			sizes[4 + 2 * j] = c->size + deltas[j];
		}
		for (j = 0; j < ARRAY_SIZE(sizes); j++) {
			uint32_t size = sizes[j];

			valid_arg(c, self->id, buf);
			*(uint32_t *)buf = size;
			EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, c->cmd, buf))
				TH_LOG("%s size %u", c->name, size);
		}
	}
	EXPECT_EQ(0, zc_read(self->fd, self->id, NULL, NULL));
}

/* Every byte of every reserved field, with its lowest and highest bit. */
TEST_F(hostile, reserved_bytes_einval)
{
	uint8_t buf[64];
	unsigned int i, r, b, checked = 0;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		const struct zc_cmd *c = &cmds[i];

		for (r = 0; r < ARRAY_SIZE(c->rsv); r++) {
			for (b = 0; b < c->rsv[r].len; b++) {
				uint32_t off = c->rsv[r].off + b;

				valid_arg(c, self->id, buf);
				buf[off] = 0x01;
				EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, c->cmd, buf))
					TH_LOG("%s byte %u", c->name, off);
				buf[off] = 0x80;
				EXPECT_EQ(-EINVAL, zc_ioctl(self->fd, c->cmd, buf))
					TH_LOG("%s byte %u", c->name, off);
				checked++;
			}
		}
	}
	TH_LOG("%u reserved bytes checked", checked);
	/* None of it stopped or reset the session. */
	EXPECT_EQ(0, zc_read(self->fd, self->id, NULL, NULL));
}

/* Output fields are not reserved: a READ can be issued again as it came back. */
TEST_F(hostile, out_fields_ignored)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	struct zctrace_read r = {
		.size = sizeof(r), .id = self->id, .nr_counters = __ZCTRACE_CTR_MAX,
		.state = UINT32_MAX, .counters = (uintptr_t)ctr,
	};

	EXPECT_EQ(0, zc_ioctl(self->fd, ZCTRACE_IOC_READ, &r));
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, r.state);
	r.state = UINT32_MAX;
	EXPECT_EQ(0, zc_ioctl(self->fd, ZCTRACE_IOC_STOP, &r));
	EXPECT_EQ(ZCTRACE_STATE_RUNNING, r.state);
}

TEST_F(hostile, unknown_start_flags_einval)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		uint32_t flags = 1U << bit;

		if (flags & ZCTRACE_START_FLAGS)
			continue;
		EXPECT_EQ(-EINVAL, zc_start(self->fd, 0, flags, NULL))
			TH_LOG("flags %#x", flags);
		EXPECT_EQ(-EINVAL, zc_start(self->fd, 0, flags | ZCTRACE_START_FOLLOW, NULL))
			TH_LOG("flags %#x", flags | ZCTRACE_START_FOLLOW);
	}
}

TEST_F(hostile, bad_pids)
{
	static const pid_t negative[] = { -1, -2, INT_MIN, INT_MIN + 1 };
	unsigned int i;
	siginfo_t si;
	pid_t pid;
	long pid_max;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(negative); i++)
		EXPECT_EQ(-EINVAL, zc_start(self->fd, negative[i], 0, NULL));
	EXPECT_EQ(-ESRCH, zc_start(self->fd, INT_MAX, 0, NULL));

	f = fopen("/proc/sys/kernel/pid_max", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%ld", &pid_max));
	fclose(f);
	EXPECT_EQ(-ESRCH, zc_start(self->fd, pid_max, 0, NULL));

	/* A reaped child's pid. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(-ESRCH, zc_start(self->fd, pid, 0, NULL));
	EXPECT_EQ(-ESRCH, zc_start(self->fd, pid, ZCTRACE_START_FOLLOW, NULL));

	/* A zombie: its task still exists, but it has exited. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(-ESRCH, zc_start(self->fd, pid, 0, NULL));
	EXPECT_EQ(-ESRCH, zc_start(self->fd, pid, ZCTRACE_START_FOLLOW, NULL));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
}

TEST_F(hostile, double_start_ebusy)
{
	struct zc_threads other;
	uint32_t id = 0;
	int fd2;

	/* The fixture already traces this thread. */
	EXPECT_EQ(-EBUSY, zc_start(self->fd, 0, 0, NULL));
	EXPECT_EQ(-EBUSY, zc_start(self->fd, zc_gettid(), 0, NULL));
	EXPECT_EQ(-EBUSY, zc_start(self->fd, 0, ZCTRACE_START_FOLLOW, NULL));
	fd2 = zc_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EBUSY, zc_start(fd2, getpid(), 0, NULL));

	/*
	 * FOLLOW hashes the target, then its threads: one already traced makes
	 * the whole start fail, and undoes what it had hashed.
	 */
	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	ASSERT_EQ(0, zc_threads_park(&other, 1));
	ASSERT_EQ(0, zc_start(fd2, other.tids[0], 0, &id));
	EXPECT_EQ(-EBUSY, zc_start(self->fd, 0, ZCTRACE_START_FOLLOW, NULL));
	EXPECT_EQ(0, zc_start(self->fd, 0, 0, &self->id));
	EXPECT_EQ(0, zc_read(fd2, id, NULL, NULL));
	close(fd2);
	zc_threads_release(&other);
}

TEST_F(hostile, unknown_ids_enoent)
{
	static const uint32_t ids[] = { 0, 1, 0x7fffffff, 0x80000000, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		uint32_t id = ids[i];

		if (id == self->id)
			continue;
		EXPECT_EQ(-ENOENT, zc_read(self->fd, id, NULL, NULL)) TH_LOG("id %u", id);
		EXPECT_EQ(-ENOENT, zc_reset(self->fd, id)) TH_LOG("id %u", id);
		EXPECT_EQ(-ENOENT, zc_stop(self->fd, id, NULL, NULL)) TH_LOG("id %u", id);
	}
	/* Stopped twice. */
	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	EXPECT_EQ(-ENOENT, zc_stop(self->fd, self->id, NULL, NULL));
}

TEST_F(hostile, other_fd_session_enoent)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	int fd2 = zc_open(), dup_fd;
	pid_t pid;

	ASSERT_LE(0, fd2);
	EXPECT_EQ(-ENOENT, zc_read(fd2, self->id, ctr, NULL));
	EXPECT_EQ(-ENOENT, zc_reset(fd2, self->id));
	EXPECT_EQ(-ENOENT, zc_stop(fd2, self->id, ctr, NULL));
	close(fd2);

	/* A session belongs to the open file, so dup() and fork() share it. */
	dup_fd = dup(self->fd);
	ASSERT_LE(0, dup_fd);
	EXPECT_EQ(0, zc_read(dup_fd, self->id, ctr, NULL));
	close(dup_fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(-zc_read(self->fd, self->id, NULL, NULL));
	EXPECT_EQ(0, zc_wait_child(pid));
	EXPECT_EQ(0, zc_read(self->fd, self->id, ctr, NULL));
}

static int read_with(int fd, unsigned long cmd, uint32_t id, uint32_t nr, uint64_t ptr)
{
	struct zctrace_read rd = {
		.size = sizeof(rd), .id = id, .nr_counters = nr, .counters = ptr,
	};

	return zc_ioctl(fd, cmd, &rd);
}

TEST_F(hostile, bad_counters_pointer)
{
	uint64_t ctr[__ZCTRACE_CTR_MAX];
	static uint64_t big[4096];
	uint64_t zero[__ZCTRACE_CTR_MAX] = { 0 };
	uint64_t ro = (uintptr_t)zc_readonly_copy(zero, sizeof(zero));
	uint64_t straddle = (uintptr_t)self->edge + self->psz - 8;
	/* access_ok() rejects what ends above the user address space. */
	uint64_t top = 0x00007ffffffff000ULL;
	const struct { const char *what; uint32_t nr; uint64_t ptr; int err; } cases[] = {
		{ "NULL", 1, 0, -EINVAL },
		{ "NULL, huge nr", UINT32_MAX, 0, -EINVAL },
		{ "no access", __ZCTRACE_CTR_MAX, (uintptr_t)zc_noaccess_page(), -EFAULT },
		{ "kernel", __ZCTRACE_CTR_MAX, ZC_KERNEL_PTR, -EFAULT },
		{ "kernel, one", 1, ZC_KERNEL_PTR, -EFAULT },
		{ "all ones", 1, UINT64_MAX, -EFAULT },
		{ "read-only", __ZCTRACE_CTR_MAX, ro, -EFAULT },
		{ "crossing into no access", __ZCTRACE_CTR_MAX, straddle, -EFAULT },
		{ "beyond user space", UINT32_MAX, top, -EFAULT },
		/* from a 32-bit caller: above 4 GiB, not truncated into ctr */
		{ "beyond the caller's pointers", __ZCTRACE_CTR_MAX,
		  (uintptr_t)ctr | ZC_BEYOND_CALLER, -EFAULT },
		/* nr only bounds the copy: room for more than the module has is fine */
		{ "longer array", 4096, (uintptr_t)big, 0 },
		/* only the first counter fits before the inaccessible page: nr 1 is fine */
		{ "one before no access", 1, straddle, 0 },
	};
	unsigned int i;

	ASSERT_NE(0, ro);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *what = cases[i].what;

		EXPECT_EQ(cases[i].err, read_with(self->fd, ZCTRACE_IOC_READ, self->id,
						  cases[i].nr, cases[i].ptr))
			TH_LOG("READ counters %s", what);
	}
	EXPECT_EQ(0, zc_read(self->fd, self->id, ctr, NULL));
}

/* STOP refuses a kernel buffer before it frees anything. */
TEST_F(hostile, stop_kernel_buffer_keeps_session)
{
	EXPECT_EQ(-EFAULT, read_with(self->fd, ZCTRACE_IOC_STOP, self->id,
				     __ZCTRACE_CTR_MAX, ZC_KERNEL_PTR));
	EXPECT_EQ(0, zc_read(self->fd, self->id, NULL, NULL));
}

/*
 * A STOP that fails must not have stopped: the caller, told EFAULT, still
 * owns the session and would try again (module/device.c checks the buffer
 * "before a STOP destroys what it would receive").
 */
TEST_F(hostile, stop_unwritable_buffer_keeps_session)
{
	uint64_t zero[__ZCTRACE_CTR_MAX] = { 0 };
	const struct { const char *what; uint64_t ptr; } bufs[] = {
		{ "no-access", (uintptr_t)zc_noaccess_page() },
		{ "read-only", (uintptr_t)zc_readonly_copy(zero, sizeof(zero)) },
		/* writable once truncated to 32 bits: the compat path must not */
		{ "beyond the caller's pointers", (uintptr_t)zero | ZC_BEYOND_CALLER },
	};
	unsigned int i;

	ASSERT_NE(0, bufs[0].ptr);
	ASSERT_NE(0, bufs[1].ptr);
	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	for (i = 0; i < ARRAY_SIZE(bufs); i++) {
		const char *what = bufs[i].what;
		uint32_t id;

		ASSERT_EQ(0, zc_start(self->fd, 0, 0, &id));
		EXPECT_EQ(-EFAULT, read_with(self->fd, ZCTRACE_IOC_STOP, id,
					     __ZCTRACE_CTR_MAX, bufs[i].ptr));
		EXPECT_EQ(0, zc_read(self->fd, id, NULL, NULL))
			TH_LOG("STOP into a %s array failed with EFAULT but freed the session", what);
		EXPECT_EQ(0, zc_stop(self->fd, id, NULL, NULL));
	}
}

/* START whose id cannot be written back: EFAULT, and no session is made. */
TEST_F(hostile, start_readonly_arg)
{
	struct zctrace_start st = { .size = sizeof(st) };
	void *ro;
	uint32_t id;
	int fd2;

	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	ro = zc_readonly_copy(&st, sizeof(st));
	ASSERT_NE(NULL, ro);
	fd2 = zc_open();
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EFAULT, zc_ioctl(fd2, ZCTRACE_IOC_START, ro));
	/* Refused before the session was made: the thread is not traced. */
	EXPECT_EQ(0, zc_start(fd2, 0, 0, &id));
	EXPECT_EQ(0, zc_stop(fd2, id, NULL, NULL));
	close(fd2);
}

/* Neither read(), write() nor mmap(): the device only has ioctls. */
TEST_F(hostile, no_read_write_mmap)
{
	char buf[64] = { 0 };

	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->psz, PROT_READ, MAP_SHARED, self->fd, 0));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(0, zc_read(self->fd, self->id, NULL, NULL));
}

/* At most 256 sessions at once, counted over every open file. */
TEST_F_TIMEOUT(hostile, session_limit_enospc, 120)
{
	uint32_t ids[MAX_SESSIONS + 1], listed[MAX_SESSIONS + 8];
	struct zc_threads t;
	struct zc_nl nl;
	int fd2, i, n;

	/* Only this test's sessions may exist. */
	ASSERT_EQ(0, zc_stop(self->fd, self->id, NULL, NULL));
	ASSERT_EQ(0, zc_nl_open(&nl));
	n = zc_nl_dump_sessions(&nl, listed, ARRAY_SIZE(listed), NULL);
	ASSERT_EQ(0, n) TH_LOG("%d sessions of others exist", n);
	ASSERT_EQ(0, zc_threads_park(&t, MAX_SESSIONS + 1));

	/* Half on each of two files: the limit is global. */
	fd2 = zc_open();
	ASSERT_LE(0, fd2);
	for (i = 0; i < MAX_SESSIONS; i++)
		ASSERT_EQ(0, zc_start(i & 1 ? fd2 : self->fd, t.tids[i], 0, &ids[i]))
			TH_LOG("session %d", i);
	EXPECT_EQ(-ENOSPC, zc_start(self->fd, t.tids[MAX_SESSIONS], 0, NULL));
	EXPECT_EQ(-ENOSPC, zc_start(fd2, t.tids[MAX_SESSIONS], 0, NULL));
	n = zc_nl_dump_sessions(&nl, listed, ARRAY_SIZE(listed), NULL);
	EXPECT_EQ(MAX_SESSIONS, n);

	/* One slot freed, one more fits. */
	ASSERT_EQ(0, zc_stop(fd2, ids[1], NULL, NULL));
	EXPECT_EQ(0, zc_start(self->fd, t.tids[MAX_SESSIONS], 0, NULL));
	EXPECT_EQ(-ENOSPC, zc_start(self->fd, t.tids[1], 0, NULL));

	/* Closing a file frees all of its sessions at once. */
	close(fd2);
	n = zc_nl_dump_sessions(&nl, listed, ARRAY_SIZE(listed), NULL);
	EXPECT_EQ(MAX_SESSIONS / 2 + 1, n);
	TH_LOG("%d sessions started, limit %d enforced", MAX_SESSIONS + 1, MAX_SESSIONS);

	zc_threads_release(&t);
	zc_nl_close(&nl);
}

ZC_HARNESS_MAIN
