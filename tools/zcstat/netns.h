/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The link a transfer goes over: the sender's device here, the receiver's
 * in a network namespace of its own, 192.0.2.1/24 and 192.0.2.2/24
 * (TEST-NET-1) on them.  Either a veth pair made for the run or two
 * devices given by the user (e.g. two NICs on one wire), the second moved
 * into the receiver's namespace.  Everything is put back on teardown.
 */
#ifndef ZCSTAT_NETNS_H
#define ZCSTAT_NETNS_H

#include <net/if.h>
#include <stdbool.h>

#define TX_ADDR "192.0.2.1"
#define RX_ADDR "192.0.2.2"

struct link_env {
	int home_ns, rx_ns;		/* network namespace fds */
	struct nl_sock *rt_home, *rt_rx;	/* rtnetlink in each */
	int io_home, io_rx;		/* AF_INET sockets for ioctls in each */
	char tx[IFNAMSIZ], rx[IFNAMSIZ];
	char driver[32];		/* the sender's, e.g. veth or e1000e */
	bool veth;			/* tx and rx are our own veth pair */
	bool tx_used, tx_addr_added, tx_was_up;
	bool rx_moved, rx_was_up;
	int sg0;			/* tx's scatter-gather before us, -1: untouched */
};

/* iface NULL: a veth pair.  Print what failed and return -1. */
int link_env_setup(struct link_env *e, const char *iface, const char *peer);
void link_env_teardown(struct link_env *e);

/* Scatter-gather on the sender's device; restored by teardown. */
int link_set_sg(struct link_env *e, bool on);

#endif
