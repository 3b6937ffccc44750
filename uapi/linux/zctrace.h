/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * zctrace: count, from inside the kernel, the copies and device transfers
 * made while a task sends file data to a socket.
 *
 * Two interfaces share this header:
 *  - /dev/zctrace ioctls create, read, reset and stop tracing sessions.  A
 *    session belongs to the open file that started it and is freed when
 *    it is stopped or the last descriptor of that file is closed.
 *  - the generic netlink family ZCTRACE_GENL_NAME lists sessions and probes.
 *
 * Every ioctl argument starts with a __u32 size that the caller sets to
 * sizeof() of the structure it was built with.  The command numbers encode
 * that size as well, so a caller built for another layout gets -ENOTTY; a
 * size field that disagrees with the module's is refused with -EINVAL.
 * Either way nothing is misread.  Reserved fields must be zero and unknown
 * flags are rejected with -EINVAL; fields marked "out" are ignored on input.
 */
#ifndef _UAPI_LINUX_ZCTRACE_H
#define _UAPI_LINUX_ZCTRACE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ZCTRACE_ABI_VERSION	1
#define ZCTRACE_DEVICE_NAME	"zctrace"

/*
 * Counters, one list for both interfaces: a value is the index into the
 * array filled by ZCTRACE_IOC_READ and the attribute type inside the
 * ZCTRACE_SESSION_A_COUNTERS nest.  Slots UNSPEC and PAD are never counted
 * (always zero in the array).  New counters are only ever appended.
 */
enum zctrace_counter {
	ZCTRACE_CTR_UNSPEC,
	ZCTRACE_CTR_PAD,

	/*
	 * CPU copies by direction: bytes, and calls to a copy routine (a
	 * page-cache or pipe read counts as one, and only when the thread
	 * entered it traced).
	 */
	ZCTRACE_CTR_COPY_U2K_BYTES,
	ZCTRACE_CTR_COPY_U2K_CALLS,
	ZCTRACE_CTR_COPY_K2U_BYTES,
	ZCTRACE_CTR_COPY_K2U_CALLS,
	ZCTRACE_CTR_COPY_K2K_BYTES,
	ZCTRACE_CTR_COPY_K2K_CALLS,

	/* The same CPU copy bytes again, by the site that made them. */
	ZCTRACE_CTR_SITE_SOCK_SEND_BYTES,
	ZCTRACE_CTR_SITE_FILE_READ_BYTES,
	ZCTRACE_CTR_SITE_PIPE_BYTES,
	ZCTRACE_CTR_SITE_SEGMENT_BYTES,	/* GSO segmentation, linearisation */
	ZCTRACE_CTR_SITE_OTHER_BYTES,

	/* Device transfers ("DMA copies"). */
	ZCTRACE_CTR_DISK_READ_BYTES,	/* data read bios submitted (to the page cache) */
	ZCTRACE_CTR_DISK_READ_REQS,
	ZCTRACE_CTR_NIC_TX_BYTES,	/* skbs handed to a hardware device */
	ZCTRACE_CTR_SOFT_TX_BYTES,	/* skbs handed to lo, veth, ... */

	/* Gather: what the transmitting device was handed. */
	ZCTRACE_CTR_XMIT_SKBS,
	ZCTRACE_CTR_XMIT_DESCRIPTORS,	/* 1 + nr_frags per skb */
	ZCTRACE_CTR_XMIT_FRAG_BYTES,
	ZCTRACE_CTR_PAGE_REF_BYTES,	/* page-cache bytes attached by reference */

	/* User/kernel switches. */
	ZCTRACE_CTR_SYSCALLS,		/* each is two mode switches */
	ZCTRACE_CTR_CONTEXT_SWITCHES,
	ZCTRACE_CTR_MINOR_FAULTS,
	ZCTRACE_CTR_MAJOR_FAULTS,

	__ZCTRACE_CTR_MAX
};
#define ZCTRACE_CTR_MAX (__ZCTRACE_CTR_MAX - 1)

/* ZCTRACE_IOC_VERSION */
struct zctrace_version {
	__u32 size;
	__u32 abi_version;	/* out: ZCTRACE_ABI_VERSION */
	__u32 nr_counters;	/* out: __ZCTRACE_CTR_MAX of the module */
	__u32 reserved;
};

/*
 * Trace the target's other threads, and the threads, children and kernel
 * workers (io_uring's, vhost's) it creates from now on.
 */
#define ZCTRACE_START_FOLLOW	(1U << 0)
#define ZCTRACE_START_FLAGS	ZCTRACE_START_FOLLOW

/* ZCTRACE_IOC_START */
struct zctrace_start {
	__u32 size;
	__u32 flags;		/* ZCTRACE_START_* */
	__s32 pid;		/* thread to trace; 0 for the calling thread */
	__u32 id;		/* out: session id, > 0 */
	__u64 reserved[2];
};

/*
 * ZCTRACE_IOC_READ and ZCTRACE_IOC_STOP.  counters points to an array of
 * nr_counters __u64 which is filled with min(nr_counters, module's count)
 * values; nr_counters is then set to the module's count.  STOP returns the
 * final counts (nr_counters and counters may be 0 to discard them) and
 * frees the session.
 */
struct zctrace_read {
	__u32 size;
	__u32 id;
	__u32 nr_counters;
	__u32 state;		/* out: ZCTRACE_STATE_* */
	__u64 counters;		/* user pointer to __u64[nr_counters] */
	__u64 reserved[2];
};

enum zctrace_state {
	ZCTRACE_STATE_RUNNING,
	ZCTRACE_STATE_EXITED,	/* every traced task has exited */
};

/* ZCTRACE_IOC_RESET */
struct zctrace_reset {
	__u32 size;
	__u32 id;
	__u64 reserved;
};

#define ZCTRACE_IOC_MAGIC	0xBA
#define ZCTRACE_IOC_VERSION	_IOWR(ZCTRACE_IOC_MAGIC, 0, struct zctrace_version)
#define ZCTRACE_IOC_START	_IOWR(ZCTRACE_IOC_MAGIC, 1, struct zctrace_start)
#define ZCTRACE_IOC_READ	_IOWR(ZCTRACE_IOC_MAGIC, 2, struct zctrace_read)
#define ZCTRACE_IOC_STOP	_IOWR(ZCTRACE_IOC_MAGIC, 3, struct zctrace_read)
#define ZCTRACE_IOC_RESET	_IOW(ZCTRACE_IOC_MAGIC, 4, struct zctrace_reset)

/* Generic netlink */
#define ZCTRACE_GENL_NAME	"zctrace"
#define ZCTRACE_GENL_VERSION	1
#define ZCTRACE_GENL_MCGRP	"sessions"

enum zctrace_cmd {
	ZCTRACE_CMD_UNSPEC,
	ZCTRACE_CMD_GET_VERSION,	/* doit: ZCTRACE_A_ABI_VERSION, _NR_COUNTERS */
	ZCTRACE_CMD_GET_SESSION,	/* doit with ZCTRACE_A_SESSION_ID, or dump */
	ZCTRACE_CMD_GET_PROBE,		/* dump: one ZCTRACE_A_PROBE each */
	ZCTRACE_CMD_SESSION_END,	/* multicast: a session was stopped */
	__ZCTRACE_CMD_MAX
};
#define ZCTRACE_CMD_MAX (__ZCTRACE_CMD_MAX - 1)

enum zctrace_attr {
	ZCTRACE_A_UNSPEC,
	ZCTRACE_A_PAD,
	ZCTRACE_A_ABI_VERSION,		/* u32 */
	ZCTRACE_A_NR_COUNTERS,		/* u32 */
	ZCTRACE_A_SESSION_ID,		/* u32: selects one session */
	ZCTRACE_A_SESSION,		/* nest: ZCTRACE_SESSION_A_* */
	ZCTRACE_A_PROBE,		/* nest: ZCTRACE_PROBE_A_* */
	__ZCTRACE_A_MAX
};
#define ZCTRACE_A_MAX (__ZCTRACE_A_MAX - 1)

enum zctrace_session_attr {
	ZCTRACE_SESSION_A_UNSPEC,
	ZCTRACE_SESSION_A_PAD,
	ZCTRACE_SESSION_A_ID,		/* u32 */
	ZCTRACE_SESSION_A_PID,		/* u32: the thread the session was started on */
	ZCTRACE_SESSION_A_FLAGS,	/* u32: ZCTRACE_START_* */
	ZCTRACE_SESSION_A_STATE,	/* u32: ZCTRACE_STATE_* */
	ZCTRACE_SESSION_A_OWNER_UID,	/* u32: uid of the process that started it */
	ZCTRACE_SESSION_A_COMM,		/* string */
	ZCTRACE_SESSION_A_START_NS,	/* u64: CLOCK_MONOTONIC */
	ZCTRACE_SESSION_A_COUNTERS,	/* nest: enum zctrace_counter -> u64 */
	__ZCTRACE_SESSION_A_MAX
};
#define ZCTRACE_SESSION_A_MAX (__ZCTRACE_SESSION_A_MAX - 1)

enum zctrace_probe_kind {
	ZCTRACE_PROBE_KPROBE,
	ZCTRACE_PROBE_KRETPROBE,
	ZCTRACE_PROBE_TRACEPOINT,
	ZCTRACE_PROBE_FTRACE,		/* an ftrace_ops on one function */
};

enum zctrace_probe_attr {
	ZCTRACE_PROBE_A_UNSPEC,
	ZCTRACE_PROBE_A_PAD,
	ZCTRACE_PROBE_A_NAME,		/* string: symbol or tracepoint name */
	ZCTRACE_PROBE_A_KIND,		/* u32: ZCTRACE_PROBE_* */
	/* u32: positive errno of the last attach; 0 on success, or if none was tried */
	ZCTRACE_PROBE_A_ERRNO,
	ZCTRACE_PROBE_A_ATTACHED,	/* flag: attached right now */
	ZCTRACE_PROBE_A_HITS,		/* u64: events attributed to a session */
	ZCTRACE_PROBE_A_MISSED,		/* u64: hits the kprobe layer dropped */
	__ZCTRACE_PROBE_A_MAX
};
#define ZCTRACE_PROBE_A_MAX (__ZCTRACE_PROBE_A_MAX - 1)

#endif /* _UAPI_LINUX_ZCTRACE_H */
