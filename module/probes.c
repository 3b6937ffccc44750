// SPDX-License-Identifier: GPL-2.0
/*
 * The probes that feed the counters.
 *
 * Nothing is attached while no session exists: the first session attaches
 * every probe, the last one to go detaches them.  A probe that cannot
 * attach on this kernel is recorded with its errno (see GET_PROBE) and the
 * others still count.  Only the scheduler hooks, without which a traced
 * thread could never be found or forgotten, and sys_enter, which ends a
 * copy site, are required.
 *
 * Copies are attributed to the traced thread running on this CPU (see
 * zc_current_task()), transmit-side work to the session of skb->sk.
 *
 * What fires once per page or per socket fragment is entry-only (ftrace_ops,
 * a tracepoint, or a kprobe, optimized into a jump where the kernel lets
 * it: see compat.h).  Return probes, which cost a trampoline and instance
 * bookkeeping, fire once per read or per pipe-full a socket takes, and
 * only for traced threads: an untraced one pays their ftrace-based entry.
 */

#include <linux/bio.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/ptrace.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "compat.h"
#include "zctrace.h"
#include "trace.h"

struct zc_probe {
	const char *name;
	u32 kind;		/* enum zctrace_probe_kind */
	bool required;
	union {
		struct kretprobe krp;	/* plain kprobes use krp.kp */
		struct {
			void *func;
			struct tracepoint *tp;
		} tp;
		struct ftrace_ops ops;
	};
	union {
		struct {
			bool to_iter;
			u8 bytes_arg, iter_arg;
		} copy;
		struct {
			u8 site;
			s8 sk_arg;	/* argument holding the socket, or -1 */
		} site;
		struct {
			u8 site;
			u8 iter_arg;
		} read;
	};
	void *addr;		/* a kprobe's address, once resolved */
	u64 missed;		/* dropped while attached before, see zc_probe_missed() */
	bool filtered;		/* an ftrace_ops' filter, once set */
	unsigned int idx;	/* into zc_hits */
	int err;
	bool attached;
};

/* Saved by a read kretprobe's entry for its return. */
struct zc_read_frame {
	u32 session;		/* the thread's session at entry */
	const struct iov_iter *iter;
	size_t count;		/* what @iter had room for at entry */
};

/* Saved by the splice kretprobe's entry for its return. */
struct zc_splice_frame {
	u32 session;		/* the thread's session at entry */
	u64 copied;		/* the thread's zc_task.copied at entry */
};

static const u8 zc_dir_bytes[] = {
	[ZC_U2K] = ZCTRACE_CTR_COPY_U2K_BYTES,
	[ZC_K2U] = ZCTRACE_CTR_COPY_K2U_BYTES,
	[ZC_K2K] = ZCTRACE_CTR_COPY_K2K_BYTES,
};

static const u8 zc_dir_calls[] = {
	[ZC_U2K] = ZCTRACE_CTR_COPY_U2K_CALLS,
	[ZC_K2U] = ZCTRACE_CTR_COPY_K2U_CALLS,
	[ZC_K2K] = ZCTRACE_CTR_COPY_K2K_CALLS,
};

static const u8 zc_site_bytes[__ZC_SITE_MAX] = {
	[ZC_SITE_OTHER] = ZCTRACE_CTR_SITE_OTHER_BYTES,
	[ZC_SITE_SOCK_SEND] = ZCTRACE_CTR_SITE_SOCK_SEND_BYTES,
	[ZC_SITE_FILE_READ] = ZCTRACE_CTR_SITE_FILE_READ_BYTES,
	[ZC_SITE_PIPE] = ZCTRACE_CTR_SITE_PIPE_BYTES,
	[ZC_SITE_SEGMENT] = ZCTRACE_CTR_SITE_SEGMENT_BYTES,
};

static u64 __percpu *zc_hits;

/* Hits the kprobe layer dropped since the probe was registered last. */
static unsigned long zc_kprobe_nmissed(const struct zc_probe *p)
{
	if (p->kind == ZCTRACE_PROBE_KRETPROBE)
		return p->krp.kp.nmissed + p->krp.nmissed;
	return p->krp.kp.nmissed;
}

/* Since the module was loaded, as the hits are: registering zeroes nmissed. */
static u64 zc_probe_missed(const struct zc_probe *p)
{
	if (!p->attached || (p->kind != ZCTRACE_PROBE_KPROBE &&
			     p->kind != ZCTRACE_PROBE_KRETPROBE))
		return p->missed;
	return p->missed + zc_kprobe_nmissed(p);
}

static DEFINE_MUTEX(zc_probes_mutex);
static unsigned int zc_probes_users;

static void zc_hit(const struct zc_probe *p)
{
	this_cpu_inc(*(zc_hits + p->idx));
}

static void zc_account_copy(struct zc_session *s, enum zc_dir dir,
			    enum zc_site site, u64 bytes)
{
	zc_count(s, zc_dir_bytes[dir], bytes);
	zc_count(s, zc_dir_calls[dir], 1);
	zc_count(s, zc_site_bytes[site], bytes);
	trace_copy(s->id, dir, site, bytes);
}

/* Only those passed in registers, as zc_ftrace_arg() (see compat.h). */
static unsigned long zc_arg(struct pt_regs *regs, unsigned int n)
{
	return n < NR_REG_ARGUMENTS ? regs_get_kernel_argument(regs, n) : 0;
}

/* A copy of up to @bytes into or out of @i by a routine of the iov_iter API. */
static void zc_copy(struct zc_task *t, const struct zc_probe *p, size_t bytes,
		    const struct iov_iter *i)
{
	enum zc_dir dir;

	/* The routines copy at most what the iterator has room for. */
	bytes = min(bytes, iov_iter_count(i));
	if (!bytes)
		return;
	if (!user_backed_iter(i))
		dir = ZC_K2K;
	else
		dir = p->copy.to_iter ? ZC_K2U : ZC_U2K;
	t->copied += bytes;
	zc_account_copy(t->session, dir, t->site, bytes);
	zc_hit(p);
}

static int zc_copy_pre(struct kprobe *kp, struct pt_regs *regs)
{
	const struct zc_probe *p = container_of(kp, struct zc_probe, krp.kp);
	struct zc_task *t = zc_current_task();

	if (t)
		zc_copy(t, p, zc_arg(regs, p->copy.bytes_arg),
			(const struct iov_iter *)zc_arg(regs, p->copy.iter_arg));
	return 0;
}

/*
 * skb_copy_datagram_iter(skb, offset, to, len): a socket's data, to a
 * reader.  Hooked rather than the simple_copy_to_iter() it calls per
 * fragment, which the compiler may inline there; TCP and AF_UNIX call it
 * from other files, so it is never inlined into them.  len is an int.
 */
static void zc_datagram_copy_ftrace(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	const struct zc_probe *p = container_of(ops, struct zc_probe, ops);
	struct zc_task *t = zc_current_task();
	int len;

	if (!t)
		return;
	len = zc_ftrace_arg(fregs, 3);
	if (len > 0)
		zc_copy(t, p, len, (const struct iov_iter *)zc_ftrace_arg(fregs, 2));
}

/*
 * Received skbs hold their socket too: queued ones (tcp_collapse() copies
 * them), and from early demux until TCP takes the socket, those a pull of
 * headers held in page fragments or a netfilter match may copy from.
 * sock_edemux also marks what a request or timewait socket sends, which
 * no session tracks.
 */
static bool zc_skb_received(const struct sk_buff *skb)
{
	return skb->destructor == sock_rfree || skb->destructor == sock_edemux ||
	       skb->destructor == sock_pfree;
}

/*
 * skb_copy_bits(skb, offset, to, len) and its checksumming twin, through
 * ftrace rather than a kprobe: segmentation runs in softirq, which can
 * interrupt any kprobe handler, and a kprobe hit while another one runs on
 * the same CPU is dropped.  ftrace's recursion guard is per context instead.
 */
static void zc_skb_copy_ftrace(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	const struct zc_probe *p = container_of(ops, struct zc_probe, ops);
	const struct sk_buff *skb = (const struct sk_buff *)zc_ftrace_arg(fregs, 0);
	int len = zc_ftrace_arg(fregs, 3);
	struct zc_session *s;

	if (len <= 0 || zc_skb_received(skb))
		return;
	s = zc_socket_session(skb->sk);
	if (!s)
		return;
	zc_account_copy(s, ZC_K2K, ZC_SITE_SEGMENT, len);
	zc_hit(p);
}

/*
 * Entry of a function whose copies belong to one site.  The site holds
 * until the thread enters another one or its next system call (see
 * zc_tp_sys_enter()): none of them returns to code that copies before
 * the system call ends, and hooking their returns would cost a return
 * trampoline per call.
 */
static void zc_site_ftrace(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	const struct zc_probe *p = container_of(ops, struct zc_probe, ops);
	struct zc_task *t = zc_current_task();

	if (!t)
		return;
	if (p->site.sk_arg >= 0)
		zc_socket_track(t, (struct sock *)zc_ftrace_arg(fregs, p->site.sk_arg));
	t->site = p->site.site;
	zc_hit(p);
}

/*
 * A ->read_iter that copies the page cache, or a pipe's pages, into the
 * iterator a page at a time.  The routine it copies with is notrace, and a
 * kprobe there would cost every thread on the machine a hit per page; what
 * the read copied is what the iterator advanced by, counted at its return.
 * Page references (splice into a pipe, see compat.h) and a discarding
 * iterator copy nothing.
 */
static int zc_read_enter(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct zc_probe *p = container_of(get_kretprobe(ri), struct zc_probe, krp);
	struct zc_read_frame *f = (struct zc_read_frame *)ri->data;
	struct zc_task *t = zc_current_task();
	const struct iov_iter *i;

	if (!t)
		return 1;
	i = (const struct iov_iter *)zc_arg(regs, p->read.iter_arg);
	if (zc_iter_takes_page_refs(i) || iov_iter_is_discard(i))
		return 1;
	f->session = t->session->id;
	f->iter = i;
	f->count = iov_iter_count(i);
	return 0;
}

static int zc_read_leave(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct zc_probe *p = container_of(get_kretprobe(ri), struct zc_probe, krp);
	const struct zc_read_frame *f = (const struct zc_read_frame *)ri->data;
	struct zc_task *t = zc_current_task();
	size_t left = iov_iter_count(f->iter);
	size_t bytes;

	/* Its session may have been stopped, and another started, meanwhile. */
	if (!t || t->session->id != f->session || left >= f->count)
		return 0;
	bytes = f->count - left;
	t->copied += bytes;
	zc_account_copy(t->session, user_backed_iter(f->iter) ? ZC_K2U : ZC_K2K,
			p->read.site, bytes);
	zc_hit(p);
	return 0;
}

/*
 * A socket's ->splice_write(pipe, out, ppos, len, flags), for sendfile and
 * splice.  What it returns went to the socket either by a CPU copy (when
 * the route cannot gather, the socket copies what it is handed) or by page
 * reference; the copies it made are counted by the copy probes, so the
 * rest was attached by reference.  Returning non-zero from the entry
 * skips the return handler, so only traced threads hold an instance.
 */
static int zc_splice_enter(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct zc_splice_frame *f = (struct zc_splice_frame *)ri->data;
	struct zc_task *t = zc_current_task();
	struct socket *sock;

	if (!t)
		return 1;
	sock = sock_from_file((struct file *)zc_arg(regs, 1));
	if (sock && sock->sk)
		zc_socket_track(t, sock->sk);
	f->session = t->session->id;
	f->copied = t->copied;
	return 0;
}

static int zc_splice_leave(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	const struct zc_splice_frame *f = (const struct zc_splice_frame *)ri->data;
	struct zc_task *t = zc_current_task();
	long sent = regs_return_value(regs);
	u64 copied;

	/* Its session may have been stopped, and another started, meanwhile. */
	if (!t || t->session->id != f->session || sent <= 0)
		return 0;
	copied = t->copied - f->copied;
	if (copied >= sent)
		return 0;
	zc_count(t->session, ZCTRACE_CTR_PAGE_REF_BYTES, sent - copied);
	trace_page_attach(t->session->id, sent - copied);
	zc_hit(container_of(get_kretprobe(ri), struct zc_probe, krp));
	return 0;
}

static void zc_tp_sched_switch(void *data, bool preempt, struct task_struct *prev,
			       struct task_struct *next, unsigned int prev_state)
{
	zc_task_switch(next);
}

/*
 * Every new task, from inside copy_process(): unlike sched_process_fork,
 * which only kernel_clone() fires, it also tells of the io_uring workers
 * and vhost tasks a thread makes, which create_io_thread() and
 * vhost_task_create() make without kernel_clone().
 */
static void zc_tp_newtask(void *data, struct task_struct *task,
			  unsigned long clone_flags)
{
	zc_task_fork(current, task);
}

static void zc_tp_exit(void *data, struct task_struct *task)
{
	zc_task_exit(task);
}

static void zc_tp_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct zc_task *t;

	/*
	 * Where syscall tracepoints may fault (after 6.12), their probes run
	 * preemptible; t is ours, and kept by retiring's grace periods, only
	 * with preemption off.
	 */
	preempt_disable_notrace();
	t = zc_current_task();
	if (t) {
		t->site = ZC_SITE_OTHER;
		zc_count(t->session, ZCTRACE_CTR_SYSCALLS, 1);
		zc_hit(data);
	}
	preempt_enable_notrace();
}

/* Reads the traced thread submits: readahead fills the page cache by DMA. */
static void zc_tp_bio_queue(void *data, struct bio *bio)
{
	struct zc_task *t = zc_current_task();
	u32 bytes = bio->bi_iter.bi_size;

	/*
	 * Metadata (inode tables, extent blocks) is not file data.  A
	 * stacking driver (dm, md) submits its clones of a bio counted
	 * already from its ->submit_bio, while current->bio_list collects
	 * them.  BIO_CLONED would not tell them apart: direct I/O into a
	 * kernel iterator (an O_DIRECT file spliced, io_uring's fixed
	 * buffers) and btrfs's split bios carry it too.
	 */
	if (!t || bio_op(bio) != REQ_OP_READ || (bio->bi_opf & REQ_META) ||
	    current->bio_list)
		return;
	zc_count(t->session, ZCTRACE_CTR_DISK_READ_BYTES, bytes);
	zc_count(t->session, ZCTRACE_CTR_DISK_READ_REQS, 1);
	trace_device_xfer(t->session->id, ZCTRACE_CTR_DISK_READ_BYTES, bytes);
	zc_hit(data);
}

/*
 * Out of line: the tracepoint fires for every packet the machine sends,
 * and the others' should be turned away without saving a register.
 */
static noinline void zc_xmit(const struct zc_probe *p, struct zc_session *s,
			     const struct sk_buff *skb, const struct net_device *dev)
{
	unsigned int nr_frags = skb_shinfo(skb)->nr_frags;
	enum zctrace_counter xfer;
	bool hw;

	/* Hardware sits on a bus; lo, veth and friends have no parent device. */
	hw = dev->dev.parent;
	xfer = hw ? ZCTRACE_CTR_NIC_TX_BYTES : ZCTRACE_CTR_SOFT_TX_BYTES;

	zc_count(s, xfer, skb->len);
	zc_count(s, ZCTRACE_CTR_XMIT_SKBS, 1);
	zc_count(s, ZCTRACE_CTR_XMIT_DESCRIPTORS, 1 + nr_frags);
	zc_count(s, ZCTRACE_CTR_XMIT_FRAG_BYTES, skb->data_len);
	trace_xmit(s->id, dev, skb->len, skb->data_len, nr_frags, hw);
	trace_device_xfer(s->id, xfer, skb->len);
	zc_hit(p);
}

static void zc_tp_xmit(void *data, const struct sk_buff *skb,
		       const struct net_device *dev)
{
	struct zc_session *s = zc_socket_session(skb->sk);

	if (s)
		zc_xmit(data, s, skb, dev);
}

#define ZC_TRACEPOINT(tp_name, handler, req)				\
	{ .name = tp_name, .kind = ZCTRACE_PROBE_TRACEPOINT,		\
	  .required = req, .tp.func = handler }

#define ZC_COPY_KPROBE(sym, to, bytes_n, iter_n)			\
	{ .name = sym, .kind = ZCTRACE_PROBE_KPROBE,			\
	  .krp.kp.pre_handler = zc_copy_pre,				\
	  .copy = { .to_iter = to, .bytes_arg = bytes_n, .iter_arg = iter_n } }

#define ZC_FTRACE(sym, handler, ...)					\
	{ .name = sym, .kind = ZCTRACE_PROBE_FTRACE,			\
	  .ops = { .func = handler, .flags = FTRACE_OPS_FL_RECURSION },	\
	  __VA_ARGS__ }

#define ZC_SITE_FTRACE(sym, where, sk_n)				\
	ZC_FTRACE(sym, zc_site_ftrace, .site = { .site = where, .sk_arg = sk_n })

/*
 * Traced threads hold an instance from entry to return: one blocked in a
 * pipe_read() holds it all the while.  A hit finding none left is missed.
 */
#define ZC_KRETPROBE_INSTANCES 256

#define ZC_KRETPROBE(sym, enter, leave, frame, ...)			\
	{ .name = sym, .kind = ZCTRACE_PROBE_KRETPROBE,			\
	  .krp = { .entry_handler = enter, .handler = leave,		\
		   .data_size = sizeof(frame),				\
		   .maxactive = ZC_KRETPROBE_INSTANCES },		\
	  __VA_ARGS__ }

#define ZC_READ_KRETPROBE(sym, where, iter_n)				\
	ZC_KRETPROBE(sym, zc_read_enter, zc_read_leave, struct zc_read_frame, \
		     .read = { .site = where, .iter_arg = iter_n })

static struct zc_probe zc_probes[] = {
	/* Required: they publish and retire the traced threads. */
	ZC_TRACEPOINT("sched_switch", zc_tp_sched_switch, true),
	ZC_TRACEPOINT("task_newtask", zc_tp_newtask, true),
	ZC_TRACEPOINT("sched_process_exit", zc_tp_exit, true),
	/* Required: it ends the copy site of the previous system call. */
	ZC_TRACEPOINT("sys_enter", zc_tp_sys_enter, true),

	ZC_TRACEPOINT("block_bio_queue", zc_tp_bio_queue, false),
	ZC_TRACEPOINT("net_dev_start_xmit", zc_tp_xmit, false),

	/* (iocb, iter[, already_read]) */
	ZC_READ_KRETPROBE("filemap_read", ZC_SITE_FILE_READ, 1),
	ZC_READ_KRETPROBE("shmem_file_read_iter", ZC_SITE_FILE_READ, 1),
	ZC_READ_KRETPROBE("pipe_read", ZC_SITE_PIPE, 1),
	ZC_FTRACE("skb_copy_datagram_iter", zc_datagram_copy_ftrace,
		  .copy = { .to_iter = true }),
	/* (addr, bytes, iter) */
	ZC_COPY_KPROBE("_copy_from_iter", false, 1, 2),
	ZC_COPY_KPROBE("_copy_from_iter_nocache", false, 1, 2),
	/* (page, offset, bytes, iter) */
	ZC_COPY_KPROBE("copy_page_from_iter_atomic", false, 2, 3),
	/* (addr, bytes, csum, iter) */
	ZC_COPY_KPROBE(ZC_CSUM_COPY_FROM_ITER_SYMBOL, false, 1, 3),
	ZC_COPY_KPROBE("csum_and_copy_to_iter", true, 1, 3),

	ZC_FTRACE("skb_copy_bits", zc_skb_copy_ftrace),
	ZC_FTRACE("skb_copy_and_csum_bits", zc_skb_copy_ftrace),

	ZC_SITE_FTRACE("tcp_sendmsg_locked", ZC_SITE_SOCK_SEND, 0),
	ZC_SITE_FTRACE("pipe_write", ZC_SITE_PIPE, -1),

	ZC_KRETPROBE(ZC_SPLICE_TO_SOCKET_SYMBOL, zc_splice_enter, zc_splice_leave,
		     struct zc_splice_frame),
};

/*
 * The filter is set at the first attach and stays until unload: matching
 * a name symbolizes every ftrace record, and 6.1 cannot reuse an ops
 * whose filter was freed.
 */
static int zc_ftrace_attach(struct zc_probe *p)
{
	char *pattern;
	int ret;

	if (!p->filtered) {
		/* ftrace_set_filter() may edit the pattern it is given. */
		pattern = kstrdup(p->name, GFP_KERNEL);
		if (!pattern)
			return -ENOMEM;
		ret = ftrace_set_filter(&p->ops, pattern, strlen(pattern), 1);
		kfree(pattern);
		if (ret)
			return ret;
		p->filtered = true;
	}
	return register_ftrace_function(&p->ops);
}

/*
 * Resolving a symbol_name walks kallsyms, which dominates an attach: do it
 * at the first one and hand register_kprobe() the address afterwards.
 */
static int zc_kprobe_attach(struct zc_probe *p)
{
	struct kprobe *kp = &p->krp.kp;
	int ret;

	kp->addr = p->addr;
	kp->symbol_name = p->addr ? NULL : p->name;
	kp->flags = 0;
	if (p->kind == ZCTRACE_PROBE_KPROBE)
		ret = register_kprobe(kp);
	else
		ret = register_kretprobe(&p->krp);
	if (!ret)
		p->addr = kp->addr;
	return ret;
}

static int zc_probe_attach(struct zc_probe *p)
{
	switch (p->kind) {
	case ZCTRACE_PROBE_FTRACE:
		return zc_ftrace_attach(p);
	case ZCTRACE_PROBE_TRACEPOINT:
		if (!p->tp.tp)
			return -ENOENT;
		return tracepoint_probe_register(p->tp.tp, p->tp.func, p);
	default:
		return zc_kprobe_attach(p);
	}
}

/* Batched, so that detaching costs a few grace periods, not one a probe. */
static void zc_probes_detach(void)
{
	struct kretprobe *krps[ARRAY_SIZE(zc_probes)];
	struct kprobe *kps[ARRAY_SIZE(zc_probes)];
	unsigned int nr_kps = 0, nr_krps = 0, i;

	for (i = 0; i < ARRAY_SIZE(zc_probes); i++) {
		struct zc_probe *p = &zc_probes[i];

		if (!p->attached)
			continue;
		p->attached = false;
		switch (p->kind) {
		case ZCTRACE_PROBE_TRACEPOINT:
			tracepoint_probe_unregister(p->tp.tp, p->tp.func, p);
			break;
		case ZCTRACE_PROBE_FTRACE:
			unregister_ftrace_function(&p->ops);
			break;
		case ZCTRACE_PROBE_KPROBE:
			kps[nr_kps++] = &p->krp.kp;
			break;
		default:
			krps[nr_krps++] = &p->krp;
		}
	}
	if (nr_kps)
		unregister_kprobes(kps, nr_kps);
	if (nr_krps)
		unregister_kretprobes(krps, nr_krps);
	for (i = 0; i < nr_kps; i++) {
		struct zc_probe *p = container_of(kps[i], struct zc_probe, krp.kp);

		p->missed += zc_kprobe_nmissed(p);
	}
	for (i = 0; i < nr_krps; i++) {
		struct zc_probe *p = container_of(krps[i], struct zc_probe, krp);

		p->missed += zc_kprobe_nmissed(p);
	}
	tracepoint_synchronize_unregister();
}

static int zc_probes_attach(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zc_probes); i++) {
		struct zc_probe *p = &zc_probes[i];

		p->err = zc_probe_attach(p);
		p->attached = !p->err;
		if (p->err && p->required) {
			pr_err("cannot attach %s: %d\n", p->name, p->err);
			zc_probes_detach();
			/* Passed on, ENOENT or EINVAL would blame the caller. */
			return p->err == -ENOMEM ? -ENOMEM : -EOPNOTSUPP;
		}
		if (p->err)
			pr_notice("%s not attached (%d): its counts stay 0\n",
				  p->name, p->err);
	}
	return 0;
}

int zc_probes_get(void)
{
	int ret = 0;

	mutex_lock(&zc_probes_mutex);
	if (!zc_probes_users)
		ret = zc_probes_attach();
	if (!ret)
		zc_probes_users++;
	mutex_unlock(&zc_probes_mutex);
	return ret;
}

void zc_probes_put(void)
{
	mutex_lock(&zc_probes_mutex);
	if (!--zc_probes_users)
		zc_probes_detach();
	mutex_unlock(&zc_probes_mutex);
}

int zc_probe_info(unsigned int idx, struct zc_probe_info *info)
{
	const struct zc_probe *p;
	int cpu;

	if (idx >= ARRAY_SIZE(zc_probes))
		return -ENOENT;
	p = &zc_probes[idx];

	mutex_lock(&zc_probes_mutex);
	info->name = p->name;
	info->kind = p->kind;
	info->err = p->err;
	info->attached = p->attached;
	info->missed = zc_probe_missed(p);
	info->hits = 0;
	for_each_possible_cpu(cpu)
		info->hits += *per_cpu_ptr(zc_hits + idx, cpu);
	mutex_unlock(&zc_probes_mutex);
	return 0;
}

static void zc_find_tracepoint(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zc_probes); i++) {
		struct zc_probe *p = &zc_probes[i];

		if (p->kind == ZCTRACE_PROBE_TRACEPOINT && !strcmp(tp->name, p->name))
			p->tp.tp = tp;
	}
}

int zc_probes_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zc_probes); i++)
		zc_probes[i].idx = i;
	zc_hits = __alloc_percpu(sizeof(u64) * ARRAY_SIZE(zc_probes),
				 __alignof__(u64));
	if (!zc_hits)
		return -ENOMEM;
	/* Most of these tracepoints are not exported: find them by name. */
	for_each_kernel_tracepoint(zc_find_tracepoint, NULL);
	return 0;
}

void zc_probes_uninit(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(zc_probes); i++)
		if (zc_probes[i].kind == ZCTRACE_PROBE_FTRACE)
			ftrace_free_filter(&zc_probes[i].ops);
	free_percpu(zc_hits);
}
