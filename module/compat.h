/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions differ for zctrace.  Each choice is
 * made by testing for the feature itself, never by version number.
 */
#ifndef _ZCTRACE_COMPAT_H
#define _ZCTRACE_COMPAT_H

/* ZC_HAVE_* come from the header checks in Kbuild. */

/*
 * The probes take spinlocks and allocate with preemption off, and tell
 * softirq work by preempt_count(): none of which holds on PREEMPT_RT.
 */
#ifdef CONFIG_PREEMPT_RT
#error "zctrace does not support PREEMPT_RT kernels"
#endif

#include <linux/ftrace.h>
#include <linux/preempt.h>
#include <linux/ptrace.h>
#include <linux/uio.h>

/*
 * A socket's ->splice_write, which sendfile and splice end in.  6.5 removed
 * ->sendpage and with it generic_splice_sendpage(); splice_to_socket()
 * took its place, with the same arguments.
 */
#ifdef ZC_HAVE_GENERIC_SPLICE_SENDPAGE
#define ZC_SPLICE_TO_SOCKET_SYMBOL	"generic_splice_sendpage"
#else
#define ZC_SPLICE_TO_SOCKET_SYMBOL	"splice_to_socket"
#endif

#ifdef ZC_HAVE_CSUM_AND_COPY_FROM_ITER
#define ZC_CSUM_COPY_FROM_ITER_SYMBOL	"csum_and_copy_from_iter"
#else
/* 6.7 moved it to net/core as csum_and_copy_from_iter_full(), same arguments. */
#define ZC_CSUM_COPY_FROM_ITER_SYMBOL	"csum_and_copy_from_iter_full"
#endif

/*
 * Before 6.4, splicing a file into a pipe read it through an ITER_PIPE
 * iterator, which takes references to the page-cache pages instead of
 * copying them.
 */
static inline bool zc_iter_takes_page_refs(const struct iov_iter *i)
{
#ifdef ZC_HAVE_ITER_PIPE
	return iov_iter_is_pipe(i);
#else
	return false;
#endif
}

/*
 * Argument @n of a function an ftrace_ops without SAVE_REGS is called for.
 * Only those passed in registers: bounding @n leaves out the stack walk,
 * and with it a stack frame in every handler.
 */
static inline unsigned long zc_ftrace_arg(struct ftrace_regs *fregs, unsigned int n)
{
	if (n >= NR_REG_ARGUMENTS)
		return 0;
#ifdef ZC_HAVE_FTRACE_REGS_GET_ARGUMENT
	return ftrace_regs_get_argument(fregs, n);
#else
	/* Before the accessors, x86's ftrace_regs was a pt_regs with the arguments. */
	return regs_get_kernel_argument(&fregs->regs, n);
#endif
}

/*
 * in_task() as the probed code saw it.  A kprobe that is neither on ftrace
 * nor optimized into a jump traps with int3, whose handler runs as an NMI
 * (nmi_enter() adds NMI_OFFSET + HARDIRQ_OFFSET).  Since 6.4, x86 inlines
 * user copies, with exception-table entries, into the iov_iter routines,
 * and kprobes never optimizes a probe in a function that fixups jump into:
 * there those probes always trap.  On 6.1 every kprobe traps until the
 * optimizer gets to it.  No probed function runs in a real NMI, so one NMI
 * level is the trap's own.
 */
static inline bool zc_probed_in_task(void)
{
	unsigned int pc = preempt_count();

	if (in_nmi())
		pc -= NMI_OFFSET + HARDIRQ_OFFSET;
	return !(pc & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET));
}

#endif /* _ZCTRACE_COMPAT_H */
