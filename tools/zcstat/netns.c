// SPDX-License-Identifier: GPL-2.0
/*
 * Both namespaces are anonymous: only our fds and the receiver child hold
 * them.  If zcstat dies hard, the kernel destroys them, and with them our
 * veth pair.  A user's physical NIC moved in goes to the initial namespace
 * (as devN if its name is taken there), which is not ours when zcstat runs
 * in another; a user's virtual device (a veth) is destroyed with them.
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/ethtool.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <netlink/attr.h>
#include <netlink/socket.h>

#include "netns.h"
#include "nl.h"
#include "zcstat.h"

#define PREFIX_LEN 24
#define CARRIER_WAIT_S 20	/* an emulated NIC negotiates slowly under TCG */

static int ifreq_ioctl(int io, const char *name, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(io, req, ifr) ? -errno : 0;
}

static int ifindex(int io, const char *name)
{
	struct ifreq ifr = { 0 };
	int err = ifreq_ioctl(io, name, SIOCGIFINDEX, &ifr);

	return err ? err : ifr.ifr_ifindex;
}

static int if_flags(int io, const char *name)
{
	struct ifreq ifr = { 0 };
	int err = ifreq_ioctl(io, name, SIOCGIFFLAGS, &ifr);

	return err ? err : (unsigned short)ifr.ifr_flags;
}

static int if_up(int io, const char *name)
{
	struct ifreq ifr = { 0 };
	int flags = if_flags(io, name);

	if (flags < 0)
		return flags;
	ifr.ifr_flags = flags | IFF_UP;
	return ifreq_ioctl(io, name, SIOCSIFFLAGS, &ifr);
}

static int ethtool(int io, const char *name, void *cmd)
{
	struct ifreq ifr = { .ifr_data = cmd };

	return ifreq_ioctl(io, name, SIOCETHTOOL, &ifr);
}

static struct nl_msg *link_msg(int type, int flags, int index)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (msg && nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/*
 * Send a request built by the caller (put_failed: it ran short of room)
 * and hand each reply to parse, which may be NULL.  ext: as nl_transact().
 */
static int rt_send(struct nl_sock *sk, struct nl_msg *msg, bool put_failed,
		   int (*parse)(struct nl_msg *msg, void *arg), void *arg, char *ext)
{
	if (!msg)
		return -ENOMEM;
	if (put_failed) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	return nl_transact(sk, msg, parse, arg, ext);
}

static int rt_veth_add(struct nl_sock *sk, const char *a, const char *b, int rx_ns,
		       char *ext)
{
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg = link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info = NULL, *data = NULL, *p = NULL;
	bool bad;

	/* IFLA_LINKINFO { KIND "veth", DATA { PEER { ifinfomsg, NAME, NS } } } */
	bad = msg && (nla_put_string(msg, IFLA_IFNAME, a) < 0 ||
		      !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
		      nla_put_string(msg, IFLA_INFO_KIND, "veth") < 0 ||
		      !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
		      !(p = nla_nest_start(msg, VETH_INFO_PEER)) ||
		      nlmsg_append(msg, &peer, sizeof(peer), NLMSG_ALIGNTO) < 0 ||
		      nla_put_string(msg, IFLA_IFNAME, b) < 0 ||
		      nla_put_u32(msg, IFLA_NET_NS_FD, rx_ns) < 0);
	if (msg && !bad) {
		nla_nest_end(msg, p);
		nla_nest_end(msg, data);
		nla_nest_end(msg, info);
	}
	return rt_send(sk, msg, bad, NULL, NULL, ext);
}

static int rt_link_del(struct nl_sock *sk, int index, char *ext)
{
	return rt_send(sk, link_msg(RTM_DELLINK, 0, index), false, NULL, NULL, ext);
}

static int rt_link_move(struct nl_sock *sk, int index, int ns, char *ext)
{
	struct nl_msg *msg = link_msg(RTM_NEWLINK, 0, index);

	return rt_send(sk, msg, msg && nla_put_u32(msg, IFLA_NET_NS_FD, ns) < 0, NULL, NULL, ext);
}

static int rt_addr_add(struct nl_sock *sk, int index, const char *addr, char *ext)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = PREFIX_LEN,
		.ifa_index = index,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct in_addr in;
	bool bad;

	inet_pton(AF_INET, addr, &in);
	bad = msg && (nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
		      nla_put(msg, IFA_LOCAL, sizeof(in), &in) < 0 ||
		      nla_put(msg, IFA_ADDRESS, sizeof(in), &in) < 0);
	return rt_send(sk, msg, bad, NULL, NULL, ext);
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* A step of teardown: 1 when it failed, for the exit status.  ext: may be NULL. */
static int undo(int err, const char *ext, const char *what, const char *dev)
{
	return err ? fail_errno(-err, ext, "cleanup: cannot %s %s", what, dev) : 0;
}

static int ns_fd(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* The rtnetlink and ioctl sockets of the namespace we are in. */
static int open_sockets(struct nl_sock **rt, int *io)
{
	int err;

	*rt = nl_open(NETLINK_ROUTE, &err);
	if (!*rt)
		return err;
	*io = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return *io < 0 ? -errno : 0;
}

/* A new namespace for one end; this thread stays where it was. */
static int make_ns(struct link_env *e, struct link_end *end)
{
	int err;

	if (unshare(CLONE_NEWNET))
		return fail("cannot create a network namespace: %s", strerror(errno));
	end->ns = ns_fd();
	err = end->ns < 0 ? end->ns : open_sockets(&end->rt, &end->io);
	if (setns(e->home_ns, CLONE_NEWNET))
		return fail("cannot return to our network namespace: %s", strerror(errno));
	if (err)
		return fail("new network namespace: %s", strerror(-err));
	return 0;
}

int link_tx_socket(const struct link_env *e, int type)
{
	int s, err = 0;

	if (setns(e->tx.ns, CLONE_NEWNET))
		return -errno;
	s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		err = -errno;
	if (setns(e->home_ns, CLONE_NEWNET)) {
		err = -errno;
		if (s >= 0)
			close(s);
	}
	return err ? err : s;
}

static int make_veth(struct link_env *e)
{
	char ext[NL_EXT_LEN] = "";
	unsigned int r;
	int err;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = getpid() ^ time(NULL);
	snprintf(e->tx.dev, sizeof(e->tx.dev), "zc%06xa", r & 0xffffff);
	snprintf(e->rx.dev, sizeof(e->rx.dev), "zc%06xb", r & 0xffffff);
	err = rt_veth_add(e->tx.rt, e->tx.dev, e->rx.dev, e->rx.ns, ext);
	if (err)
		return fail_errno(-err, ext, "cannot create veth pair %s/%s", e->tx.dev, e->rx.dev);
	e->veth = true;
	return 0;
}

/* What a user's device is part of, which leaving this namespace would undo. */
struct ties {
	int index;
	bool addresses;
	int master;		/* its bridge, bond..., 0: none */
};

/* IPv6 link-local addresses come back by themselves when it is up again. */
static int parse_addr(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const struct ifaddrmsg *ifa = nlmsg_data(nlh);
	struct ties *t = arg;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlmsg_datalen(nlh) < (int)sizeof(*ifa))
		return -EBADMSG;
	if ((int)ifa->ifa_index == t->index &&
	    (ifa->ifa_family == AF_INET ||
	     (ifa->ifa_family == AF_INET6 && ifa->ifa_scope != RT_SCOPE_LINK)))
		t->addresses = true;
	return 0;
}

static int parse_link(struct nl_msg *msg, void *arg)
{
	static const struct nla_policy policy[IFLA_MAX + 1] = {
		[IFLA_MASTER] = { .type = NLA_U32 },
	};
	struct nlattr *tb[IFLA_MAX + 1];
	struct ties *t = arg;

	if (nlmsg_hdr(msg)->nlmsg_type != RTM_NEWLINK ||
	    nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, policy) < 0)
		return -EBADMSG;
	if (tb[IFLA_MASTER])
		t->master = nla_get_u32(tb[IFLA_MASTER]);
	return 0;
}

/* Fill in t for the device t->index of our namespace.  ext: as nl_transact(). */
static int get_ties(struct link_env *e, struct ties *t, char *ext)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
	bool bad = msg && nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0;
	int err;

	err = rt_send(e->rt_home, msg, bad, parse_addr, t, ext);
	if (!err)
		err = rt_send(e->rt_home, link_msg(RTM_GETLINK, 0, t->index), false, parse_link, t,
			      ext);
	return err;
}

/*
 * Move a user's device from home into end's namespace, by its index from
 * here on.  One that has addresses or a master is refused: they would not
 * come back with it.
 */
static int move_in(struct link_env *e, struct link_end *end, const char *dev)
{
	struct ties t = { 0 };
	char master[IF_NAMESIZE], ext[NL_EXT_LEN] = "";
	int flags, err;

	snprintf(end->dev, sizeof(end->dev), "%s", dev);
	flags = if_flags(e->io_home, dev);
	t.index = ifindex(e->io_home, dev);
	if (flags < 0 || t.index < 0)
		return fail("%s: %s", dev, strerror(flags < 0 ? -flags : -t.index));
	err = get_ties(e, &t, ext);
	if (err)
		return fail_errno(-err, ext, "cannot read the addresses and master of %s", dev);
	if (t.addresses)
		return fail("%s has IP addresses, which moving it into a namespace would delete: "
			    "give zcstat devices it can have to itself", dev);
	if (t.master)
		return fail("%s is a port of %s, which moving it into a namespace would detach it from: "
			    "give zcstat devices it can have to itself", dev,
			    if_indextoname(t.master, master) ? master : "another device");
	err = rt_link_move(e->rt_home, t.index, end->ns, ext);
	if (err)
		return fail_errno(-err, ext, "cannot move %s into a network namespace", dev);
	end->was_up = flags & IFF_UP;
	end->moved = true;
	return 0;
}

/*
 * Put a user's device back home, as it was: 0, or 1 when it could not be.
 * Not back, its name at home may be another device's: leave that alone.
 */
static int move_out(struct link_env *e, struct link_end *end)
{
	int index = ifindex(end->io, end->dev);
	char ext[NL_EXT_LEN] = "";

	if (undo(index < 0 ? index : rt_link_move(end->rt, index, e->home_ns, ext), ext,
		 "move back", end->dev))
		return 1;
	return end->was_up ? undo(if_up(e->io_home, end->dev), NULL, "bring up", end->dev) : 0;
}

static int configure(struct link_end *end, const char *addr)
{
	char ext[NL_EXT_LEN] = "";
	int index = ifindex(end->io, end->dev);
	int err = index < 0 ? index : rt_addr_add(end->rt, index, addr, ext);

	if (err)
		return fail_errno(-err, ext, "cannot add %s/%d to %s", addr, PREFIX_LEN, end->dev);
	err = if_up(end->io, end->dev);
	if (err)
		return fail("cannot bring %s up: %s", end->dev, strerror(-err));
	return 0;
}

static int wait_running(struct link_env *e)
{
	for (int i = 0; i < CARRIER_WAIT_S * 10 && !interrupted; i++) {
		int tx = if_flags(e->tx.io, e->tx.dev), rx = if_flags(e->rx.io, e->rx.dev);

		if (tx >= 0 && rx >= 0 && (tx & rx & IFF_RUNNING))
			return 0;
		usleep(100 * 1000);
	}
	if (interrupted)
		return fail("interrupted");
	return fail("%s/%s: no carrier after %d s", e->tx.dev, e->rx.dev, CARRIER_WAIT_S);
}

int link_env_setup(struct link_env *e, const char *iface, const char *peer)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	int err;

	*e = (struct link_env){ .home_ns = -1, .io_home = -1, .sg0 = -1,
				.tx = { .ns = -1, .io = -1 }, .rx = { .ns = -1, .io = -1 } };
	e->home_ns = ns_fd();
	if (e->home_ns < 0)
		return fail("cannot open our network namespace: %s", strerror(-e->home_ns));
	err = open_sockets(&e->rt_home, &e->io_home);
	if (err)
		return fail("rtnetlink: %s", strerror(-err));
	if (make_ns(e, &e->tx) || make_ns(e, &e->rx))
		return -1;
	if (iface ? move_in(e, &e->tx, iface) || move_in(e, &e->rx, peer) : make_veth(e))
		return -1;
	if (configure(&e->tx, TX_ADDR) || configure(&e->rx, RX_ADDR))
		return -1;
	if (ethtool(e->tx.io, e->tx.dev, &info))
		snprintf(e->driver, sizeof(e->driver), "unknown");
	else
		snprintf(e->driver, sizeof(e->driver), "%s", info.driver);
	return wait_running(e);
}

int link_set_sg(struct link_env *e, bool on)
{
	struct ethtool_value get = { .cmd = ETHTOOL_GSG };
	struct ethtool_value set = { .cmd = ETHTOOL_SSG, .data = on };
	int err;

	err = ethtool(e->tx.io, e->tx.dev, &get);
	if (err)
		return fail("%s: cannot read scatter-gather state: %s", e->tx.dev, strerror(-err));
	if (!get.data == !on)
		return 0;
	if (e->sg0 < 0)
		e->sg0 = get.data;
	err = ethtool(e->tx.io, e->tx.dev, &set);
	if (!err)
		err = ethtool(e->tx.io, e->tx.dev, &get);
	if (err || !get.data != !on)
		return fail("%s: cannot turn scatter-gather %s%s%s", e->tx.dev,
			    on ? "on" : "off", err ? ": " : " (fixed feature)",
			    err ? strerror(-err) : "");
	return 0;
}

static void close_end(struct link_end *end)
{
	nl_socket_free(end->rt);
	close_fd(end->io);
	close_fd(end->ns);
}

int link_env_teardown(struct link_env *e)
{
	int failed = 0;

	if (e->sg0 >= 0)
		failed += !!link_set_sg(e, e->sg0);
	if (e->veth) {
		int index = ifindex(e->tx.io, e->tx.dev);
		char ext[NL_EXT_LEN] = "";

		/* Its peer goes with it. */
		failed += undo(index < 0 ? index : rt_link_del(e->tx.rt, index, ext), ext,
			       "delete", e->tx.dev);
	}
	if (e->tx.moved)
		failed += move_out(e, &e->tx);
	if (e->rx.moved)
		failed += move_out(e, &e->rx);
	close_end(&e->tx);
	close_end(&e->rx);
	nl_socket_free(e->rt_home);
	close_fd(e->io_home);
	close_fd(e->home_ns);
	return failed;
}
