/* SPDX-License-Identifier: GPL-2.0 */
/* Request/reply over a libnl socket, with the kernel's own errno. */
#ifndef ZCSTAT_NL_H
#define ZCSTAT_NL_H

#include <netlink/msg.h>
#include <netlink/netlink.h>

/* libnl's NLE_* code as the closest errno (libnl keeps only its own). */
int nl_errno(int nlerr);

/* Room for the kernel's own words on an error (its extended ack). */
#define NL_EXT_LEN 256

/*
 * An allocated socket connected to protocol, or NULL with *err = -errno.
 * It asks for extended acks: an error may come with the kernel's words.
 */
struct nl_sock *nl_open(int protocol, int *err);

/*
 * Send msg (always freed) and read replies until the kernel's ack, its
 * error or the end of a dump.  Every data message goes to parse (may be
 * NULL); a negative return from parse stops with that value.  ext, when
 * not NULL, gets what the kernel said about its error ("" if nothing).
 * Returns 0 or -errno.  After an error, the rest of a dump may still be
 * queued on sk, and would pass for the next request's reply: close sk.
 */
int nl_transact(struct nl_sock *sk, struct nl_msg *msg,
		int (*parse)(struct nl_msg *msg, void *arg), void *arg,
		char ext[NL_EXT_LEN]);

#endif
