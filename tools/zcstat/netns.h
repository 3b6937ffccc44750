/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The link a transfer goes over: the sender's device and the receiver's,
 * each in a network namespace of its own with 192.0.2.1/24 and
 * 192.0.2.2/24 (TEST-NET-1) on them, so that nothing in the caller's
 * namespace changes or clashes.  Either a veth pair made for the run or
 * two devices given by the user (e.g. two NICs on one wire), moved there
 * for the run and moved back, up or down as they were, on teardown.  A
 * device with IP addresses or a master (a bridge or bond port) is refused:
 * leaving its namespace deletes the addresses and detaches it.
 */
#ifndef ZCSTAT_NETNS_H
#define ZCSTAT_NETNS_H

#include <net/if.h>
#include <stdbool.h>

#define TX_ADDR "192.0.2.1"
#define RX_ADDR "192.0.2.2"

/* One end: its namespace, and rtnetlink and ioctl sockets in there. */
struct link_end {
	int ns;
	struct nl_sock *rt;
	int io;
	char dev[IFNAMSIZ];
	bool moved, was_up;	/* a user's device, and its state at home */
};

struct link_env {
	int home_ns;
	struct nl_sock *rt_home;
	int io_home;
	struct link_end tx, rx;
	char driver[32];	/* the sender's, e.g. veth or e1000e */
	bool veth;		/* tx and rx are our own veth pair */
	int sg0;		/* tx's scatter-gather before us, -1: untouched */
};

/* iface NULL: a veth pair.  Print what failed and return -1. */
int link_env_setup(struct link_env *e, const char *iface, const char *peer);
/* Undo it all, saying what could not be undone; returns how many steps. */
int link_env_teardown(struct link_env *e);

/* Scatter-gather on the sender's device; restored by teardown. */
int link_set_sg(struct link_env *e, bool on);

/* A socket of type in the sender's namespace, or -errno. */
int link_tx_socket(const struct link_env *e, int type);

#endif
