/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the zctrace selftests: the /dev/zctrace ioctls, a raw
 * generic netlink client (raw, so that tests can also send malformed
 * messages), privilege changes, loopback traffic and module handling.
 *
 * Functions return 0 (or a count) on success and -errno on failure, so that
 * tests compare exact error values.
 */
#ifndef ZCTRACE_LIB_H
#define ZCTRACE_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/zctrace.h>

#include "kselftest.h"

#define ZC_DEV		"/dev/" ZCTRACE_DEVICE_NAME
#define ZC_MODNAME	"zctrace"
#define ZC_NOBODY	65534	/* uid and gid of the unprivileged tests */
#define ZC_OTHER_UID	65533	/* another unprivileged user */

/* An address in the kernel's text on x86_64: never accessible to users. */
#define ZC_KERNEL_PTR	0xffffffff81000000ULL
/*
 * The same as a pointer.  A 32-bit program cannot name a kernel address
 * in one (compat_ptr() zero-extends it): its top page, where nothing is
 * mapped, is as far as it gets.
 */
#if UINTPTR_MAX == UINT32_MAX
#define ZC_KERNEL_VOIDP	((void *)0xfffff000UL)
#else
#define ZC_KERNEL_VOIDP	((void *)ZC_KERNEL_PTR)
#endif
/*
 * A bit no pointer of the caller has, for the __u64 counters field: from a
 * 32-bit program an address above 4 GiB, which the compat path must not
 * take for the truncated pointer; from a 64-bit one, above 47 bits.
 */
#define ZC_BEYOND_CALLER (UINTPTR_MAX == UINT32_MAX ? 1ULL << 32 : 1ULL << 47)

/*
 * Every program exits with KSFT_SKIP before running anything when the
 * module is not loaded or the caller is not root.
 */
void zc_require_module(void);
#define ZC_HARNESS_MAIN						\
	int main(int argc, char **argv)				\
	{							\
		zc_require_module();				\
		return test_harness_run(argc, argv);		\
	}

/* ---- /dev/zctrace ---------------------------------------------------- */

int zc_open(void);
int zc_ioctl(int fd, unsigned long cmd, void *arg);
int zc_version(int fd, struct zctrace_version *v);
int zc_start(int fd, pid_t pid, uint32_t flags, uint32_t *id);
/* counters: NULL, or room for __ZCTRACE_CTR_MAX values. */
int zc_read(int fd, uint32_t id, uint64_t *counters, uint32_t *state);
int zc_stop(int fd, uint32_t id, uint64_t *counters, uint32_t *state);
int zc_reset(int fd, uint32_t id);
pid_t zc_gettid(void);

/* A page that faults on any access. */
void *zc_noaccess_page(void);
/* A read-only page starting with a copy of src. */
void *zc_readonly_copy(const void *src, size_t len);

/* ---- generic netlink ------------------------------------------------- */

#define ZC_MSG_MAX 65536

struct zc_msg {
	size_t len;
	union {
		struct nlmsghdr nlh;
		char buf[ZC_MSG_MAX];
	};
};

struct zc_nl {
	int fd;
	uint16_t family;	/* 0 when zctrace is not registered */
	uint32_t mcgrp;		/* id of the "sessions" group */
	uint32_t seq;
	int rcvbuf;		/* bytes asked per recv(), sets the dump part size */
	char *buf;		/* ZC_MSG_MAX bytes for replies */
};

/* Open a NETLINK_GENERIC socket and resolve the zctrace family. */
int zc_nl_open(struct zc_nl *nl);
void zc_nl_close(struct zc_nl *nl);
/* Look a family up with the controller: id, version, maxattr, group. */
int zc_nl_family(struct zc_nl *nl, const char *name, uint16_t *id,
		 uint32_t *version, uint32_t *maxattr,
		 const char *grp_name, uint32_t *grp_id);

/* Messages are big: allocate them (free() them). */
struct zc_msg *zc_msg_new(void);
void zc_msg_init(struct zc_msg *m, uint16_t type, uint16_t flags, uint8_t cmd);
/* Append an attribute; returns its offset in the message. */
size_t zc_msg_put(struct zc_msg *m, uint16_t type, const void *data, size_t len);
size_t zc_msg_put_u32(struct zc_msg *m, uint16_t type, uint32_t v);
size_t zc_msg_nest_start(struct zc_msg *m, uint16_t type);
void zc_msg_nest_end(struct zc_msg *m, size_t off);
/* Append raw bytes without touching nlmsg_len (for malformed messages). */
void zc_msg_raw(struct zc_msg *m, const void *data, size_t len);

int zc_nl_send(struct zc_nl *nl, struct zc_msg *m);
int zc_nl_send_raw(struct zc_nl *nl, const void *buf, size_t len);
/* One datagram; -EAGAIN after timeout_ms without one. */
ssize_t zc_nl_recv(struct zc_nl *nl, void *buf, size_t len, int timeout_ms);

/* Called for each generic netlink reply with its attributes. */
typedef int (*zc_nl_cb)(const struct genlmsghdr *g, const struct nlattr *attrs,
			int len, void *arg);
/*
 * Send m (NLM_F_ACK is added to non-dump requests) and read until its ack,
 * error or NLMSG_DONE; returns the kernel's errno (negative) or 0.
 * parts counts the datagrams that carried replies, when not NULL.
 */
int zc_nl_request(struct zc_nl *nl, struct zc_msg *m, zc_nl_cb cb, void *arg,
		  int *parts);
/* Read replies of a request already sent, as zc_nl_request does. */
int zc_nl_replies(struct zc_nl *nl, zc_nl_cb cb, void *arg, int *parts);

const struct nlattr *zc_attr_find(const struct nlattr *attrs, int len, int type);
uint32_t zc_attr_u32(const struct nlattr *a);
uint64_t zc_attr_u64(const struct nlattr *a);

/* A session as GET_SESSION and SESSION_END report it. */
struct zc_nl_session {
	uint32_t id, pid, flags, state, owner_uid;
	char comm[16];
	uint64_t start_ns;
	uint64_t counters[__ZCTRACE_CTR_MAX];
	int nr_counters;	/* attributes found in the counters nest */
};

struct zc_nl_probe {
	char name[128];
	uint32_t kind, err;
	bool attached;
	uint64_t hits;
};

int zc_nl_parse_session(const struct nlattr *attrs, int len, struct zc_nl_session *s);
int zc_nl_version(struct zc_nl *nl, uint32_t *abi, uint32_t *nr_counters);
int zc_nl_get_session(struct zc_nl *nl, uint32_t id, struct zc_nl_session *s);
/* Open a socket that listens to the "sessions" group. */
int zc_nl_join_sessions(struct zc_nl *mc);
/* The next SESSION_END on it: -EAGAIN after timeout_ms, -EBADMSG if not one. */
int zc_nl_recv_session_end(struct zc_nl *mc, int timeout_ms, struct zc_nl_session *s);
/* A zc_nl_cb that collects session ids; nr counts past max too. */
struct zc_id_list {
	uint32_t *ids;
	int nr, max;
};
int zc_ids_cb(const struct genlmsghdr *g, const struct nlattr *attrs, int len,
	      void *arg);
/* Ids of every session, in dump order; returns how many (at most max). */
int zc_nl_dump_sessions(struct zc_nl *nl, uint32_t *ids, int max, int *parts);
int zc_nl_dump_probes(struct zc_nl *nl, struct zc_nl_probe *p, int max);

/* ---- privileges ------------------------------------------------------ */

#define ZC_CAP(c)	(1ULL << (c))

/*
 * Become uid/gid with no supplementary groups and exactly the capabilities
 * in caps (effective and permitted).  The process is left dumpable so that
 * tasks of the same user may trace it.
 */
int zc_become(uid_t uid, gid_t gid, uint64_t caps);

/* ---- processes ------------------------------------------------------- */

/* Reap the child pid: its exit status, 128+sig when killed, or -errno. */
int zc_wait_child(pid_t pid);
/* Run fn in a child and return its status as zc_wait_child() does. */
int zc_run_child(int (*fn)(void *), void *arg);

/*
 * A child that runs setup(arg) (dropping privileges, say), then blocks in
 * a read() until zc_worker_go() and runs work(arg): a task the parent can
 * start sessions on before it does anything countable.  zc_worker_spawn()
 * returns once the child sleeps in that read(), whose entry is then
 * behind it; blocking also makes sure it is switched in again before it
 * works.
 */
struct zc_worker {
	pid_t pid;
	int go;		/* write end of the pipe the child waits on */
};
int zc_worker_spawn(struct zc_worker *w, int (*setup)(void *),
		    int (*work)(void *), void *arg);
/*
 * Wait until thread tid of process pid sleeps in read(fd, ...), as
 * /proc/PID/task/TID/syscall shows it.  That it said so before it got
 * there is not enough: preempted on the way, it is switched in again after
 * a START and its read() is counted.  0, -ETIMEDOUT, or -errno.
 */
int zc_wait_sleeping_in_read(pid_t pid, pid_t tid, int fd);
int zc_worker_go(struct zc_worker *w);
/*
 * Exit status as zc_run_child() returns it.  A worker never told to go
 * only sees EOF once no other child holds its pipe: kill those instead.
 */
int zc_worker_wait(struct zc_worker *w);
void zc_worker_kill(struct zc_worker *w);

/* Threads that only sleep: distinct tasks to start sessions on. */
struct zc_threads {
	int nr;
	pid_t *tids;
	pthread_t *th;
	int pipe[2];	/* they block reading it until it is closed */
};
int zc_threads_park(struct zc_threads *t, int nr);
void zc_threads_release(struct zc_threads *t);

/* ---- traffic --------------------------------------------------------- */

/*
 * Move the calling process to a network namespace of its own with lo up:
 * traffic stays off the host's (or guest's) interfaces, and works even
 * where the initial namespace's lo is down.
 */
int zc_private_netns(void);
/* A connected loopback TCP pair. */
int zc_tcp_pair(int *snd, int *rcv);
/* Send exactly len bytes of a user buffer; returns the send() calls made. */
long zc_send_bytes(int fd, size_t len);
/* Read and discard until EOF; returns the bytes read. */
long zc_drain(int fd);

/* ---- the module ------------------------------------------------------ */

/* The .ko to load: $ZCTRACE_KO, else the repo's zctrace.ko; NULL if none. */
const char *zc_ko_path(void);
int zc_mod_load(const char *path);
int zc_mod_unload(void);
/* /sys/module/zctrace/refcnt, or -errno. */
long zc_mod_refcnt(void);
/* /proc/sys/kernel/tainted */
long zc_tainted(void);

/* Lines of /sys/kernel/debug/kprobes/list naming one of the symbols. */
int zc_kprobes_listed(const char *const *syms, int nr);
/* Names of the module's kprobes and kretprobes, from GET_PROBE. */
int zc_probe_symbols(struct zc_nl *nl, char (*names)[128], int max);

/* A field of /proc/meminfo, in kB. */
long zc_meminfo(const char *field);
/* Bytes held by active slab objects, from /proc/slabinfo. */
long long zc_slab_bytes(void);

#endif /* ZCTRACE_LIB_H */
