/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where kernel versions differ for zctrace.  Each choice is
 * made by testing for the feature itself, never by version number.
 */
#ifndef _ZCTRACE_COMPAT_H
#define _ZCTRACE_COMPAT_H

/* ZC_HAVE_* come from the header checks in Kbuild. */

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

#endif /* _ZCTRACE_COMPAT_H */
