// SPDX-License-Identifier: GPL-2.0
/*
 * The accounting engine's acceptance test: send a 16 MiB file in 1 MiB
 * chunks over TCP to a receiver in a network namespace of its own, in each
 * mode, over a veth pair and over the guest's e1000e pair, with
 * scatter-gather on and off, and compare the sender's session with what
 * the kernel must do.
 *
 * The file lives in $ZC_TEST_DIR (a block device in the VM) so that its
 * page cache can be dropped and the disk read counted; elsewhere the disk
 * expectations are skipped.  The NIC variants need $ZC_NIC_IFS="tx rx".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/tcp.h>
#include <linux/zctrace.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sched.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "zctrace_lib.h"

#define FILE_SIZE	(16u << 20)
#define CHUNK		(1u << 20)
#define PORT		5201
#define TX_ADDR		"192.0.2.1"
#define RX_ADDR		"192.0.2.2"
#define TMPFS_MAGIC	0x01021994
/*
 * How long the network may keep the sender waiting, at connect(), at any
 * one send and for the last bytes to arrive, and how long a link may take
 * to come up or back.  The harness SIGKILLs a test at its timeout, and no
 * FIXTURE_TEARDOWN runs then: every wait has to end well before, with the
 * test failing and the teardown undoing it.
 */
#define NET_WAIT_S	30
#define XFER_TIMEOUT_S	120

/*
 * What the kernels bound the counts by.  The headers of every skb the
 * sender hands a device: Ethernet, IPv4 without options and TCP, plus
 * the timestamp option where negotiated (TCPOLEN_TSTAMP_ALIGNED).
 */
#define HDR_LEN		(ETH_HLEN + sizeof(struct iphdr) + sizeof(struct tcphdr))
#define TS_OPT_LEN	12
#define GSO_MAX		65536	/* GSO_LEGACY_MAX_SIZE: veth's and e1000e's limit */
#define MAX_FRAGS	17	/* MAX_SKB_FRAGS of Debian's 6.1 and 6.12 */
#define PAGE_FRAG_MAX	32768	/* SKB_FRAG_PAGE_ORDER: TCP copies into frags of this at most */
#define E1000E_PULL	4	/* bytes e1000e pulls into a TSO skb's head */
#define FAULT_AROUND	65536	/* fault_around_bytes' default: mapped per fault at most */
#define FAULT_SLACK	8	/* code and stack pages first touched while traced */

enum mode { READ_WRITE, MMAP_WRITE, SENDFILE, SPLICE };
enum path { VETH, NIC };

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* 0 once the shell condition cond holds, polled for up to NET_WAIT_S. */
#define WAIT_FOR(cond, ...)						\
	sh("for i in $(seq %d); do " cond " && exit 0; sleep 0.1; done; exit 1", \
	   NET_WAIT_S * 10, ##__VA_ARGS__)

FIXTURE(xfer) {
	char tx[IFNAMSIZ], rx[IFNAMSIZ];
	char path[256];
	bool on_disk;
	long block_size;
	/*
	 * Set once the setup got through: 6.1's kselftest_harness.h still
	 * runs the test body after a SKIP() in the setup.
	 */
	bool ready;
	/* What xfer_prepare() got done, for the teardown to undo. */
	bool veth_added, rx_moved, tx_moved;
	/* report: the receiver's 'n', 'r' and byte count, see receive(). */
	int file, sock, zc, report;
	pid_t receiver;
	/* The test in the sender's namespace (NIC), and the initial one's. */
	pid_t sender;
	int init_ns;
};

FIXTURE_VARIANT(xfer) {
	enum mode mode;
	enum path path;
	bool sg;
};

#define XFER_VARIANT(name, m, p, s) \
	FIXTURE_VARIANT_ADD(xfer, name) { .mode = m, .path = p, .sg = s }

XFER_VARIANT(read_write_veth, READ_WRITE, VETH, true);
XFER_VARIANT(read_write_veth_nosg, READ_WRITE, VETH, false);
XFER_VARIANT(mmap_write_veth, MMAP_WRITE, VETH, true);
XFER_VARIANT(mmap_write_veth_nosg, MMAP_WRITE, VETH, false);
XFER_VARIANT(sendfile_veth, SENDFILE, VETH, true);
XFER_VARIANT(sendfile_veth_nosg, SENDFILE, VETH, false);
XFER_VARIANT(splice_veth, SPLICE, VETH, true);
XFER_VARIANT(splice_veth_nosg, SPLICE, VETH, false);
XFER_VARIANT(read_write_nic, READ_WRITE, NIC, true);
XFER_VARIANT(read_write_nic_nosg, READ_WRITE, NIC, false);
XFER_VARIANT(mmap_write_nic, MMAP_WRITE, NIC, true);
XFER_VARIANT(mmap_write_nic_nosg, MMAP_WRITE, NIC, false);
XFER_VARIANT(sendfile_nic, SENDFILE, NIC, true);
XFER_VARIANT(sendfile_nic_nosg, SENDFILE, NIC, false);
XFER_VARIANT(splice_nic, SPLICE, NIC, true);
XFER_VARIANT(splice_nic_nosg, SPLICE, NIC, false);

/*
 * The receiver, in a network namespace of its own: the namespace goes
 * when the receiver dies, and with it the veth pair, while a NIC moved
 * into it returns to the initial one.  So nothing stays there even when
 * the harness SIGKILLs the test at its timeout and no teardown runs.
 * Over the NIC pair the sender has one too: see sender_netns().
 *
 * Reports 'n' once its namespace exists, waits for the parent to put rx
 * there, configures it, listens and reports 'r', then accepts once,
 * drains and reports the byte count.  Its exit status names the step
 * that failed.
 */
static void receive(const char *rx, int report, int go)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	char *buf = malloc(CHUNK), c;
	unsigned long long total = 0;
	int ls, conn;
	ssize_t n;

	if (!buf || unshare(CLONE_NEWNET) || write(report, "n", 1) != 1)
		_exit(1);
	if (read(go, &c, 1) != 1 ||
	    sh("ip addr add %s/24 dev %s && ip link set %s up", RX_ADDR, rx, rx))
		_exit(2);
	inet_pton(AF_INET, RX_ADDR, &sa.sin_addr);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1) ||
	    write(report, "r", 1) != 1)
		_exit(3);
	conn = accept(ls, NULL, NULL);
	if (conn < 0)
		_exit(4);
	while ((n = read(conn, buf, CHUNK)) > 0)
		total += n;
	if (n < 0 || write(report, &total, sizeof(total)) != sizeof(total))
		_exit(5);
	_exit(0);
}

static void make_file(struct __test_metadata *_metadata, FIXTURE_DATA(xfer) *self)
{
	const char *dir = getenv("ZC_TEST_DIR") ?: "/tmp";
	char *buf = malloc(CHUNK);
	struct statfs sfs;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	memset(buf, 0x5a, CHUNK);
	snprintf(self->path, sizeof(self->path), "%s/zc-acct-%d", dir, getpid());
	self->file = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->file);
	/* Used through the descriptor only: a killed test leaves no file behind. */
	ASSERT_EQ(0, unlink(self->path));
	for (i = 0; i < FILE_SIZE / CHUNK; i++)
		ASSERT_EQ(CHUNK, write(self->file, buf, CHUNK));
	free(buf);
	/* Written back and evicted, so the transfer has to read the disk. */
	ASSERT_EQ(0, fdatasync(self->file));
	ASSERT_EQ(0, posix_fadvise(self->file, 0, 0, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, fstatfs(self->file, &sfs));
	self->on_disk = sfs.f_type != TMPFS_MAGIC;
	self->block_size = sfs.f_bsize;
}

/*
 * Only what may SKIP, or fail with nothing to undo: the rest is
 * xfer_prepare()'s.  main() has skipped already without root or
 * without ZC_DEV; any other error opening it is a failure.
 */
FIXTURE_SETUP(xfer)
{
	self->sock = -1;
	if (sh("command -v ip >/dev/null && command -v ethtool >/dev/null"))
		SKIP(return, "needs ip (iproute2) and ethtool");
	self->zc = zc_open();
	ASSERT_LE(0, self->zc) TH_LOG(ZC_DEV ": %s", strerror(-self->zc));
	if (variant->path == NIC) {
		const char *ifs = getenv("ZC_NIC_IFS");

		if (!ifs || sscanf(ifs, "%15s %15s", self->tx, self->rx) != 2)
			SKIP(return, "no NIC pair (ZC_NIC_IFS)");
	} else {
		srand(getpid());
		snprintf(self->tx, sizeof(self->tx), "zca%08x", rand());
		snprintf(self->rx, sizeof(self->rx), "zcb%08x", rand());
	}
	self->ready = true;
}

/*
 * Move the test, the sender, to a network namespace of its own, and tx
 * into it: tx then comes back to the initial namespace, without the
 * address the test gives it, as soon as the test leaves the namespace and
 * closes its socket, or dies (a SIGKILL at the harness's timeout too).
 * The socket must hold no reference to it for longer (SO_LINGER 0).
 */
static void sender_netns(struct __test_metadata *_metadata, FIXTURE_DATA(xfer) *self)
{
	int own_ns, moved;

	self->init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->init_ns);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	self->sender = getpid();
	own_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, own_ns);
	/* ip takes a namespace by path; the move is made from the initial one. */
	ASSERT_EQ(0, setns(self->init_ns, CLONE_NEWNET));
	self->tx_moved = true;
	moved = sh("ip link set %s netns /proc/%d/fd/%d", self->tx, getpid(), own_ns);
	ASSERT_EQ(0, setns(own_ns, CLONE_NEWNET));
	close(own_ns);
	ASSERT_EQ(0, moved);
}

/*
 * The file, the receiver, the links and the connection.  Made by the
 * test, not by FIXTURE_SETUP: after a failed ASSERT in the setup,
 * kselftest_harness.h runs no FIXTURE_TEARDOWN and all of it would be
 * left behind.  Each step is recorded for the teardown as it is done.
 */
static void xfer_prepare(struct __test_metadata *_metadata, FIXTURE_DATA(xfer) *self,
			 const FIXTURE_VARIANT(xfer) *variant)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval tv = { .tv_sec = NET_WAIT_S };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int report[2], go[2];
	pid_t pid;
	char c;

	make_file(_metadata, self);
	/*
	 * The namespace of an earlier variant gives it back once cleaned up,
	 * which is asynchronous, or later still when that variant was killed.
	 */
	if (variant->path == NIC) {
		ASSERT_EQ(0, WAIT_FOR("ip link show %s >/dev/null 2>&1", self->rx));
		ASSERT_EQ(0, WAIT_FOR("ip link show %s >/dev/null 2>&1", self->tx));
	}

	ASSERT_EQ(0, pipe(report));
	ASSERT_EQ(0, pipe(go));
	/* Not fork() straight into *self*: where it is shared, the child's 0 may land last. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(report[0]);
		close(go[1]);
		receive(self->rx, report[1], go[0]);
	}
	self->receiver = pid;
	close(report[1]);
	close(go[0]);
	self->report = report[0];
	ASSERT_EQ(1, read(self->report, &c, 1));
	ASSERT_EQ('n', c);

	if (variant->path == NIC) {
		ASSERT_EQ(0, sh("ip link set %s netns %d", self->rx, pid));
		self->rx_moved = true;
		sender_netns(_metadata, self);
	} else {
		ASSERT_EQ(0, sh("ip link add %s type veth peer name %s netns %d",
				self->tx, self->rx, pid));
		self->veth_added = true;
	}
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	/* A veth end made here, or a NIC just moved here: no address yet. */
	ASSERT_EQ(0, sh("ip addr add %s/24 dev %s && ip link set %s up",
			TX_ADDR, self->tx, self->tx));
	ASSERT_EQ(0, sh("ethtool -K %s sg %s >/dev/null 2>&1", self->tx,
			variant->sg ? "on" : "off"));
	ASSERT_EQ(1, read(self->report, &c, 1));
	ASSERT_EQ('r', c);
	/* A NIC's link comes up asynchronously. */
	ASSERT_EQ(0, WAIT_FOR("ip link show %s | grep -q LOWER_UP", self->tx));

	inet_pton(AF_INET, RX_ADDR, &sa.sin_addr);
	self->sock = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, self->sock);
	/* Bounds connect() and every send, whatever the mode. */
	ASSERT_EQ(0, setsockopt(self->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	/* Closed, gone at once, not left sending to a receiver that is gone. */
	ASSERT_EQ(0, setsockopt(self->sock, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, connect(self->sock, (struct sockaddr *)&sa, sizeof(sa)));
}

/*
 * 6.12's harness runs the test in a grandchild, where a failed ASSERT skips
 * FIXTURE_TEARDOWN when built with -O2 (the longjmp() clobbers its fork()
 * result).  FIXTURE_TEARDOWN_PARENT, where the harness has it, runs in the
 * parent, with *self* shared: the test's descriptors are not open there,
 * and they close with the test anyway.
 */
#ifdef FIXTURE_TEARDOWN_PARENT
FIXTURE_TEARDOWN_PARENT(xfer)
#else
FIXTURE_TEARDOWN(xfer)
#endif
{
	int status;

	/* Gone, it takes its namespace with it: see receive(). */
	if (self->receiver > 0) {
		kill(self->receiver, SIGKILL);
		if (waitpid(self->receiver, &status, 0) == self->receiver &&
		    WIFEXITED(status) && WEXITSTATUS(status))
			TH_LOG("the receiver failed at step %d", WEXITSTATUS(status));
	}
	/* Its peer goes with it, now rather than with the namespace, if not gone yet. */
	if (self->veth_added)
		sh("ip link del %s 2>/dev/null", self->tx);
	/* The sender's namespace goes once nothing holds it: see sender_netns(). */
	if (self->tx_moved) {
		if (getpid() == self->sender) {
			close(self->sock);
			self->sock = -1;
			setns(self->init_ns, CLONE_NEWNET);
		}
		if (WAIT_FOR("ip link show %s >/dev/null 2>&1", self->tx))
			TH_LOG("%s did not come back from the sender's namespace", self->tx);
		sh("ethtool -K %s sg on >/dev/null 2>&1", self->tx);
	}
	/* Back for what runs next (zcstat verify uses the pair too). */
	if (self->rx_moved && WAIT_FOR("ip link show %s >/dev/null 2>&1", self->rx))
		TH_LOG("%s did not come back from the receiver's namespace", self->rx);
}

/* One chunk; returns the number of syscalls it took, or -1. */
static int send_chunk(FIXTURE_DATA(xfer) *self, enum mode mode, char *buf,
		      const char *map, int pipefd[2], off_t *off)
{
	ssize_t in, n;
	int calls = 0;


	switch (mode) {
	case READ_WRITE:
		if (read(self->file, buf, CHUNK) != CHUNK ||
		    write(self->sock, buf, CHUNK) != CHUNK)
			return -1;
		return 2;
	case MMAP_WRITE:
		return write(self->sock, map + *off, CHUNK) == CHUNK ? (*off += CHUNK, 1) : -1;
	case SENDFILE:
		return sendfile(self->sock, self->file, off, CHUNK) == CHUNK ? 1 : -1;
	case SPLICE:
		/* A pipe holds 64 KiB by default: the chunk takes several rounds. */
		for (size_t left = CHUNK; left; left -= in) {
			in = splice(self->file, NULL, pipefd[1], NULL, left, 0);
			calls++;
			if (in <= 0)
				return -1;
			for (ssize_t queued = in; queued; queued -= n) {
				n = splice(pipefd[0], NULL, self->sock, NULL, queued, 0);
				calls++;
				if (n <= 0)
					return -1;
			}
		}
		return calls;
	}
	return -1;
}

/* As __u64, which prints as %llu. */
#define CTR(name) ((__u64)v[ZCTRACE_CTR_##name])

/* The session's final counts v against what the kernel must have done. */
static void check_counts(struct __test_metadata *_metadata, FIXTURE_DATA(xfer) *self,
			 const FIXTURE_VARIANT(xfer) *variant, const uint64_t *v,
			 const struct tcp_info *ti, int syscalls)
{
	bool zerocopy = variant->mode == SENDFILE || variant->mode == SPLICE;
	__u64 payload = FILE_SIZE, retrans = ti->tcpi_bytes_retrans;
	__u64 mss = ti->tcpi_snd_mss, psz = sysconf(_SC_PAGESIZE);
	__u64 skbs = CTR(XMIT_SKBS), descs = CTR(XMIT_DESCRIPTORS);
	__u64 k2k = CTR(COPY_K2K_BYTES), k2k_calls = CTR(COPY_K2K_CALLS);
	__u64 faults = CTR(MINOR_FAULTS) + CTR(MAJOR_FAULTS);
	__u64 hdr, tx, data;

	TH_LOG("bytes/calls u2k %llu/%llu k2u %llu/%llu k2k %llu/%llu; sites send %llu read %llu pipe %llu segment %llu other %llu",
	       CTR(COPY_U2K_BYTES), CTR(COPY_U2K_CALLS), CTR(COPY_K2U_BYTES),
	       CTR(COPY_K2U_CALLS), k2k, k2k_calls, CTR(SITE_SOCK_SEND_BYTES),
	       CTR(SITE_FILE_READ_BYTES), CTR(SITE_PIPE_BYTES),
	       CTR(SITE_SEGMENT_BYTES), CTR(SITE_OTHER_BYTES));
	TH_LOG("page_ref %llu disk %llu/%llu nic %llu soft %llu skbs %llu descs %llu frag %llu faults %llu+%llu syscalls %llu retrans %llu mss %llu",
	       CTR(PAGE_REF_BYTES), CTR(DISK_READ_BYTES), CTR(DISK_READ_REQS),
	       CTR(NIC_TX_BYTES), CTR(SOFT_TX_BYTES), skbs, descs,
	       CTR(XMIT_FRAG_BYTES), CTR(MINOR_FAULTS), CTR(MAJOR_FAULTS),
	       CTR(SYSCALLS), retrans, mss);

	EXPECT_EQ(syscalls, CTR(SYSCALLS));

	/* Every copy is counted once by direction and once by site. */
	EXPECT_EQ(CTR(COPY_U2K_BYTES) + CTR(COPY_K2U_BYTES) + k2k,
		  CTR(SITE_SOCK_SEND_BYTES) + CTR(SITE_FILE_READ_BYTES) +
		  CTR(SITE_PIPE_BYTES) + CTR(SITE_SEGMENT_BYTES) + CTR(SITE_OTHER_BYTES));
	/*
	 * Copies are made by tcp_sendmsg(), a page-cache read or, those
	 * from kernel to kernel, the transmit path; splice() moves pipe
	 * buffers by reference, never through pipe_read() or pipe_write().
	 */
	EXPECT_EQ(0, CTR(SITE_PIPE_BYTES));
	EXPECT_EQ(0, CTR(SITE_OTHER_BYTES));
	EXPECT_EQ(k2k, CTR(SITE_SEGMENT_BYTES));
	/* A call copies a byte at least; TCP copies into one page frag at a time. */
	EXPECT_GE(CTR(COPY_U2K_BYTES), CTR(COPY_U2K_CALLS));
	EXPECT_GE(CTR(COPY_K2U_BYTES), CTR(COPY_K2U_CALLS));
	EXPECT_GE(k2k, k2k_calls);
	EXPECT_GE(CTR(COPY_U2K_CALLS) * PAGE_FRAG_MAX, CTR(COPY_U2K_BYTES));

	switch (variant->mode) {
	case READ_WRITE:
		EXPECT_EQ(payload, CTR(COPY_U2K_BYTES));
		EXPECT_EQ(payload, CTR(SITE_SOCK_SEND_BYTES));
		EXPECT_EQ(payload, CTR(COPY_K2U_BYTES));
		EXPECT_EQ(payload, CTR(SITE_FILE_READ_BYTES));
		/* A page-cache read is one call, however many pages it copies. */
		EXPECT_EQ(FILE_SIZE / CHUNK, CTR(COPY_K2U_CALLS));
		EXPECT_EQ(0, CTR(PAGE_REF_BYTES));
		break;
	case MMAP_WRITE:
		EXPECT_EQ(payload, CTR(COPY_U2K_BYTES));
		EXPECT_EQ(payload, CTR(SITE_SOCK_SEND_BYTES));
		EXPECT_EQ(0, CTR(COPY_K2U_BYTES));
		EXPECT_EQ(0, CTR(SITE_FILE_READ_BYTES));
		EXPECT_EQ(0, CTR(PAGE_REF_BYTES));
		break;
	case SENDFILE:
	case SPLICE:
		/* Page-cache pages go to the socket by reference. */
		EXPECT_EQ(0, CTR(COPY_U2K_BYTES) + CTR(COPY_K2U_BYTES));
		EXPECT_EQ(payload, CTR(PAGE_REF_BYTES));
		break;
	}

	/*
	 * The mapping is read once through, and a fault maps 64 KiB at
	 * most, never a page twice.  Otherwise only code or stack pages
	 * first touched while traced may fault.
	 */
	if (variant->mode == MMAP_WRITE) {
		EXPECT_LE(FILE_SIZE / FAULT_AROUND, faults);
		EXPECT_GE(FILE_SIZE / psz + FAULT_SLACK, faults);
	} else {
		EXPECT_GE(FAULT_SLACK, faults);
	}

	if (self->on_disk) {
		EXPECT_EQ(payload, CTR(DISK_READ_BYTES));
		/*
		 * A bio reads a block at least, and one readahead at most:
		 * the request (1 MiB at most here) or read_ahead_kb (128 KiB
		 * by default), whichever is more.
		 */
		EXPECT_LE(FILE_SIZE / CHUNK, CTR(DISK_READ_REQS));
		EXPECT_GE(FILE_SIZE / self->block_size, CTR(DISK_READ_REQS));
	} else {
		TH_LOG("%s is on tmpfs: no disk read to check", self->path);
	}

	/*
	 * Each payload byte reached the device once, or again for each
	 * retransmission (tcpi_bytes_retrans also counts those dropped on
	 * the way).  The sender's headers hold no SACK blocks: it receives
	 * no data.
	 */
	hdr = HDR_LEN + (ti->tcpi_options & TCPI_OPT_TIMESTAMPS ? TS_OPT_LEN : 0);
	if (variant->path == VETH) {
		tx = CTR(SOFT_TX_BYTES);
		EXPECT_EQ(0, CTR(NIC_TX_BYTES));
	} else {
		tx = CTR(NIC_TX_BYTES);
		EXPECT_EQ(0, CTR(SOFT_TX_BYTES));
	}
	ASSERT_LE(skbs * hdr, tx);
	data = tx - skbs * hdr;
	EXPECT_LE(payload, data);
	EXPECT_GE(payload + retrans, data);

	ASSERT_LE(skbs, descs);
	if (variant->sg) {
		/* TCP holds all payload in page frags, and a GSO skb 64 KiB at most. */
		EXPECT_EQ(data, CTR(XMIT_FRAG_BYTES));
		EXPECT_LE((payload + GSO_MAX - 1) / GSO_MAX, skbs);
		/* A frag lies within one page frag, or one page-cache page. */
		EXPECT_GE(skbs * MAX_FRAGS, descs - skbs);
		EXPECT_LE(data, (descs - skbs) * (zerocopy ? psz : PAGE_FRAG_MAX));
	} else {
		/* GSO hands the device linear skbs of an MSS at most. */
		EXPECT_EQ(0, CTR(XMIT_FRAG_BYTES));
		EXPECT_EQ(skbs, descs);
		EXPECT_LE(data, skbs * mss);
	}

	/* What the transmit path copies. */
	if (!variant->sg) {
		/*
		 * TCP builds paged skbs in every mode; GSO copies each into
		 * linear segments, one call a segment, as it does again for
		 * every retransmission.
		 */
		EXPECT_EQ(data, k2k);
		EXPECT_LE(k2k, k2k_calls * mss);
		EXPECT_GE(skbs, k2k_calls);
	} else if (variant->path == VETH) {
		EXPECT_EQ(0, k2k);
	} else {
		/*
		 * e1000e pulls 4 bytes of a TSO skb's frags into its head
		 * (82571 erratum), after the skb was counted.  The other
		 * skbs hold an MSS at most.
		 */
		EXPECT_EQ(E1000E_PULL * k2k_calls, k2k);
		EXPECT_GE(skbs, k2k_calls);
		EXPECT_GE(k2k_calls * GSO_MAX + (skbs - k2k_calls) * mss, data);
	}
}

#undef CTR

TEST_F_TIMEOUT(xfer, counts, XFER_TIMEOUT_S)
{
	struct pollfd done = { .events = POLLIN };
	unsigned long long received = 0;
	uint64_t v[__ZCTRACE_CTR_MAX];
	int pipefd[2], syscalls = 0, n;
	uint32_t id;
	char *buf, *map = NULL;
	__u64 payload = FILE_SIZE;
	struct tcp_info ti = { 0 };
	socklen_t len = sizeof(ti);
	off_t off = 0;
	unsigned int i;

	if (!self->ready)
		return;
	xfer_prepare(_metadata, self, variant);
	buf = malloc(CHUNK);
	ASSERT_NE(NULL, buf);
	/*
	 * Faulted in untraced, so that reading into it takes no fault (not
	 * with zeroes, which the compiler may turn into a calloc()).
	 */
	memset(buf, 0x5a, CHUNK);
	ASSERT_EQ(0, pipe(pipefd));
	if (variant->mode == MMAP_WRITE) {
		map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, self->file, 0);
		ASSERT_NE(MAP_FAILED, map);
	}
	ASSERT_EQ(0, lseek(self->file, 0, SEEK_SET));

	ASSERT_EQ(0, zc_start(self->zc, 0, 0, &id));
	for (i = 0; i < FILE_SIZE / CHUNK; i++) {
		n = send_chunk(self, variant->mode, buf, map, pipefd, &off);
		ASSERT_LT(0, n);
		syscalls += n;
	}
	/*
	 * Transmission is complete once the receiver has everything; poll
	 * for its answer, which copies nothing, and read it after the STOP.
	 */
	ASSERT_EQ(0, shutdown(self->sock, SHUT_WR));
	done.fd = self->report;
	ASSERT_EQ(1, poll(&done, 1, NET_WAIT_S * 1000));
	syscalls += 3;	/* shutdown, poll and the STOP below */
	ASSERT_EQ(0, zc_stop(self->zc, id, v, NULL));
	ASSERT_EQ(sizeof(received), read(self->report, &received, sizeof(received)));
	ASSERT_EQ(payload, received);
	ASSERT_EQ(0, getsockopt(self->sock, IPPROTO_TCP, TCP_INFO, &ti, &len));

	check_counts(_metadata, self, variant, v, &ti, syscalls);

	if (map)
		munmap(map, FILE_SIZE);
	free(buf);
}

ZC_HARNESS_MAIN
