/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions differ for zctrace.  Each choice is
 * made by testing for the feature itself, never by version number.
 */
#ifndef _ZCTRACE_COMPAT_H
#define _ZCTRACE_COMPAT_H

/* ZC_HAVE_* come from the header checks in Kbuild. */

#include <linux/preempt.h>

#ifndef ZC_HAVE_DO_TCP_SENDPAGES
/*
 * 6.5 removed ->sendpage: sendfile and splice reach TCP through
 * splice_to_socket() -> tcp_sendmsg_locked(MSG_SPLICE_PAGES), which hands
 * the pipe's pages to skb_splice_from_iter(skb, iter, maxsize) by reference.
 */
#define ZC_PAGE_ATTACH_SYMBOL	"skb_splice_from_iter"
#define ZC_PAGE_ATTACH_SK_ARG	(-1)	/* the socket is tracked by tcp_sendmsg_locked */
#else
/* sendfile and splice call ->sendpage: do_tcp_sendpages(sk, page, ...). */
#define ZC_PAGE_ATTACH_SYMBOL	"do_tcp_sendpages"
#define ZC_PAGE_ATTACH_SK_ARG	0
#endif

#ifdef ZC_HAVE_CSUM_AND_COPY_FROM_ITER
#define ZC_CSUM_COPY_FROM_ITER_SYMBOL	"csum_and_copy_from_iter"
#else
/* 6.7 moved it to net/core as csum_and_copy_from_iter_full(), same arguments. */
#define ZC_CSUM_COPY_FROM_ITER_SYMBOL	"csum_and_copy_from_iter_full"
#endif

/*
 * in_task() as the probed code saw it.  A kprobe that is neither on ftrace
 * nor optimized into a jump traps with int3, whose handler runs as an NMI
 * (nmi_enter() adds NMI_OFFSET + HARDIRQ_OFFSET).  Since 6.4, x86 inlines
 * user copies (rep movsb and its exception-table entry) into the iov_iter
 * routines, and kprobes never optimizes a function holding such an entry:
 * on 6.12 their probes trap, on 6.1 they trap only until optimized.  No
 * probed function runs in a real NMI, so one NMI level is the trap's own.
 */
static inline bool zc_probed_in_task(void)
{
	unsigned int pc = preempt_count();

	if (in_nmi())
		pc -= NMI_OFFSET + HARDIRQ_OFFSET;
	return !(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET));
}

#endif /* _ZCTRACE_COMPAT_H */
