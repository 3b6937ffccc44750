// SPDX-License-Identifier: GPL-2.0
/*
 * The transfer engine.  The session covers the sending thread from the
 * first call of the mode's loop to the STOP ioctl, after shutdown() and
 * the receiver's count, so transmit-side work done on behalf of our socket
 * is all in.  We count the system calls we make in that window ourselves:
 * the module's count must agree, and verify subtracts the fixed ones.
 * Progress is drawn by another thread, which the session does not trace.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <linux/tcp.h>

#include "transfer.h"
#include "zcdev.h"
#include "zcstat.h"

struct progress {
	pthread_t thread;
	atomic_uint_fast64_t sent;
	atomic_bool stop;
	uint64_t total;
	char label[64];
};

/* The sender's state; sys counts every system call made while traced. */
struct xfer {
	int file, sock, pipe[2];
	uint64_t size, chunk, sys;
	char *buf;
	void *map;
	struct progress *prog;
};

static void advance(struct xfer *x, uint64_t n)
{
	atomic_fetch_add_explicit(&x->prog->sent, n, memory_order_relaxed);
}

static int write_all(struct xfer *x, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(x->sock, p, len);

		x->sys++;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
		advance(x, n);
	}
	return 0;
}

static uint64_t chunk_at(const struct xfer *x, uint64_t off)
{
	return x->size - off < x->chunk ? x->size - off : x->chunk;
}

/*
 * Ends of input, not errors: positive, so that no errno (the receiver's
 * EPIPE above all) can pass for one.
 */
enum { FILE_SHRANK = 1, AT_EOF };

/* A short read means the file shrank under us. */
static int short_or_error(ssize_t n)
{
	return n < 0 ? -errno : FILE_SHRANK;
}

static int send_read_write(struct xfer *x)
{
	for (uint64_t off = 0; off < x->size && !interrupted;) {
		ssize_t n = read(x->file, x->buf, chunk_at(x, off));
		int err;

		x->sys++;
		if (n <= 0)
			return short_or_error(n);
		err = write_all(x, x->buf, n);
		if (err)
			return err;
		off += n;
	}
	return interrupted ? -EINTR : 0;
}

static int send_mmap_write(struct xfer *x)
{
	x->map = mmap(NULL, x->size, PROT_READ, MAP_SHARED, x->file, 0);
	x->sys++;
	if (x->map == MAP_FAILED) {
		x->map = NULL;
		return -errno;
	}
	for (uint64_t off = 0; off < x->size && !interrupted; off += chunk_at(x, off)) {
		int err = write_all(x, (const char *)x->map + off, chunk_at(x, off));

		if (err)
			return err;
	}
	return interrupted ? -EINTR : 0;
}

static int send_sendfile(struct xfer *x)
{
	off_t off = 0;

	while ((uint64_t)off < x->size && !interrupted) {
		ssize_t n = sendfile(x->sock, x->file, &off, chunk_at(x, off));

		x->sys++;
		if (n <= 0)
			return short_or_error(n);
		advance(x, n);
	}
	return interrupted ? -EINTR : 0;
}

static int send_splice(struct xfer *x)
{
	loff_t off = 0;

	while ((uint64_t)off < x->size && !interrupted) {
		ssize_t n = splice(x->file, &off, x->pipe[1], NULL, chunk_at(x, off),
				   SPLICE_F_MOVE);

		x->sys++;
		if (n <= 0)
			return short_or_error(n);
		while (n > 0) {
			ssize_t m = splice(x->pipe[0], NULL, x->sock, NULL, n, SPLICE_F_MOVE);

			x->sys++;
			if (m <= 0)
				return short_or_error(m);
			n -= m;
			advance(x, m);
		}
	}
	return interrupted ? -EINTR : 0;
}

static const struct mode_desc {
	const char *name;
	int (*send)(struct xfer *x);
	const char *calls;
} modes[NR_MODES] = {
	[MODE_READ_WRITE] = { "read-write", send_read_write,
			      "read() and write() each chunk" },
	[MODE_MMAP_WRITE] = { "mmap-write", send_mmap_write,
			      "the file is mmap()ed once, then write() each chunk" },
	[MODE_SENDFILE] = { "sendfile", send_sendfile, "sendfile() each chunk" },
	[MODE_SPLICE] = { "splice", send_splice,
			  "2 splice() each chunk: file->pipe, pipe->socket" },
};

const char *xfer_mode_name(enum xfer_mode m)
{
	return modes[m].name;
}

const char *xfer_mode_calls(enum xfer_mode m)
{
	return modes[m].calls;
}

int xfer_mode_parse(const char *s, enum xfer_mode *m)
{
	for (int i = 0; i < NR_MODES; i++)
		if (!strcmp(s, modes[i].name)) {
			*m = i;
			return 0;
		}
	return -EINVAL;
}

/*
 * Non-zero bytes: no hole, nothing a filesystem could compress away.  A
 * write to a file is not interrupted by a signal: look at ^C each MiB.
 */
static int fill_file(int fd, uint64_t size)
{
	static char buf[1 << 20];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 'A' + i % 61;
	for (uint64_t off = 0; off < size && !interrupted;) {
		size_t len = size - off < sizeof(buf) ? size - off : sizeof(buf);
		ssize_t n = write(fd, buf, len);

		if (n < 0)
			return -errno;
		off += n;
	}
	return interrupted ? -EINTR : 0;
}

/* Create path (a template when temp) and fill it; it is removed on close. */
static int make_file(struct xfer_file *f, const char *path, bool temp, uint64_t size)
{
	int err;

	snprintf(f->path, sizeof(f->path), temp ? "%s/zcstat.XXXXXX" : "%s", path);
	f->fd = temp ? mkostemp(f->path, O_CLOEXEC) :
		       open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return fail("cannot create %s: %s", f->path, strerror(errno));
	f->temp = true;
	f->size = size ? size : DEFAULT_SIZE;
	err = fill_file(f->fd, f->size);
	if (err == -EINTR)
		return fail("interrupted");
	if (err)
		return fail("cannot write %s: %s", f->path, strerror(-err));
	return 0;
}

int xfer_file_open(struct xfer_file *f, const char *path, uint64_t size)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	*f = (struct xfer_file){ .fd = -1 };
	if (!path)
		return make_file(f, tmp && *tmp ? tmp : "/tmp", true, size);
	if (stat(path, &st))
		return errno == ENOENT ? make_file(f, path, false, size) :
					 fail("%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return make_file(f, path, true, size);
	if (!S_ISREG(st.st_mode))
		return fail("%s: not a regular file or a directory", path);
	if (size > (uint64_t)st.st_size || !st.st_size)
		return fail("%s: has %jd bytes, fewer than the %" PRIu64 " to send",
			    path, (intmax_t)st.st_size, size ? size : 1);
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->size = size ? size : (uint64_t)st.st_size;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return fail("%s: %s", path, strerror(errno));
	return 0;
}

void xfer_file_close(struct xfer_file *f)
{
	if (f->temp)
		unlink(f->path);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Write the file back and drop it from the page cache; count what stayed. */
static void drop_cache(const struct xfer_file *f, struct xfer_result *r)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *vec;
	struct statfs sfs;
	void *map;

	r->file_pages = (f->size + pg - 1) / pg;
	r->cached_pages = r->file_pages;
	/*
	 * A tmpfs file lives in the page cache: there is nothing to drop, and
	 * mincore() would walk every page of it for nothing.
	 */
	if (!fstatfs(f->fd, &sfs) && sfs.f_type == TMPFS_MAGIC)
		return;
	fdatasync(f->fd);
	posix_fadvise(f->fd, 0, f->size, POSIX_FADV_DONTNEED);
	vec = malloc(r->file_pages);
	map = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);
	if (vec && map != MAP_FAILED && !mincore(map, f->size, vec)) {
		r->cached_pages = 0;
		for (uint64_t i = 0; i < r->file_pages; i++)
			r->cached_pages += vec[i] & 1;
	}
	if (map != MAP_FAILED)
		munmap(map, f->size);
	free(vec);
}

const char *xfer_cache_note(const struct xfer_result *r, char *buf, size_t len)
{
	if (r->cached_pages == r->file_pages)
		snprintf(buf, len, "page cache of %s could not be dropped (tmpfs?): disk reads will be 0",
			 r->file);
	else if (r->cached_pages)
		snprintf(buf, len, "page cache of %s only partly dropped: %" PRIu64 " of %" PRIu64 " pages still cached",
			 r->file, r->cached_pages, r->file_pages);
	else
		return NULL;
	return buf;
}

/* Read exactly len bytes: 0, or -errno, or AT_EOF. */
static int read_full(int fd, void *p, size_t len)
{
	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return n ? -errno : AT_EOF;
		p = (char *)p + n;
		len -= n;
	}
	return 0;
}

struct receiver {
	pid_t pid;
	int report;		/* the child writes its port, then the byte count */
	uint16_t port;
};

/*
 * The receiver child: accept one connection, drain it to EOF, tell the
 * total.  It is not traced, and it shares the CPUs with the sender, so it
 * discards what arrives inside the kernel (MSG_TRUNC: TCP drops the bytes
 * without copying them out) and asks for far more than a chunk at once.
 */
static void __attribute__((noreturn)) receive(int ns, int report, pid_t parent)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	uint64_t total = 0;
	ssize_t n;
	int ls, c;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* A parent that died before the prctl() sent no signal. */
	if (getppid() != parent)
		_exit(1);
	inet_pton(AF_INET, RX_ADDR, &sa.sin_addr);
	if (setns(ns, CLONE_NEWNET) ||
	    (ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &salen)) {
		warn("receiver: cannot listen on %s: %s", RX_ADDR, strerror(errno));
		_exit(1);
	}
	if (write(report, &sa.sin_port, sizeof(sa.sin_port)) != sizeof(sa.sin_port))
		_exit(1);
	c = accept(ls, NULL, NULL);
	if (c < 0) {
		warn("receiver: accept: %s", strerror(errno));
		_exit(1);
	}
	/* tcp(7): MSG_TRUNC discards the data, so there is no buffer to pass. */
	while ((n = recv(c, NULL, 1 << 30, MSG_TRUNC)) > 0)
		total += n;
	if (n < 0) {
		warn("receiver: recv: %s", strerror(errno));
		_exit(1);
	}
	_exit(write(report, &total, sizeof(total)) == sizeof(total) ? 0 : 1);
}

static int receiver_start(const struct link_env *e, struct receiver *rc)
{
	pid_t parent = getpid();
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return fail("pipe: %s", strerror(errno));
	rc->pid = fork();
	if (rc->pid < 0) {
		close(p[0]);
		close(p[1]);
		return fail("fork: %s", strerror(errno));
	}
	if (!rc->pid) {
		close(p[0]);
		receive(e->rx.ns, p[1], parent);
	}
	close(p[1]);
	rc->report = p[0];
	if (read_full(rc->report, &rc->port, sizeof(rc->port)))
		return fail(interrupted ? "interrupted" : "the receiver did not start");
	return 0;
}

static void receiver_end(struct receiver *rc, bool kill_it)
{
	if (rc->pid > 0) {
		if (kill_it)
			kill(rc->pid, SIGKILL);
		/* ^C may come again meanwhile: reap it all the same. */
		while (waitpid(rc->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (rc->report >= 0)
		close(rc->report);
}

static int connect_rx(const struct link_env *e, const struct receiver *rc)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = rc->port };
	int s = link_tx_socket(e, SOCK_STREAM);

	inet_pton(AF_INET, RX_ADDR, &sa.sin_addr);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		fail("cannot connect to %s over %s: %s", RX_ADDR, e->tx.dev,
		     strerror(s < 0 ? -s : errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	return s;
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	double t0 = now_seconds();
	bool shown = false;

	while (!atomic_load(&p->stop)) {
		uint64_t sent = atomic_load(&p->sent);
		double dt = now_seconds() - t0;
		char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];

		usleep(200 * 1000);
		/* Quick runs would only flicker. */
		if (dt < 0.5)
			continue;
		fprintf(stderr, "\r%s: %s of %s, %s/s\033[K", p->label, fmt_bytes(a, sent),
			fmt_bytes(b, p->total), fmt_bytes(c, sent / dt));
		shown = true;
	}
	if (shown)
		fputs("\r\033[K", stderr);
	return NULL;
}

/* Set up what the mode's loop needs, before the session starts. */
static int prepare(struct xfer *x, enum xfer_mode mode)
{
	int size;

	if (lseek(x->file, 0, SEEK_SET) < 0)
		return fail("lseek: %s", strerror(errno));
	if (mode == MODE_READ_WRITE) {
		x->buf = malloc(x->chunk);
		if (!x->buf)
			return fail("out of memory for a %" PRIu64 "-byte buffer", x->chunk);
		/* Fault it in now: only the file's faults should count. */
		memset(x->buf, 0, x->chunk);
	}
	if (mode == MODE_SPLICE) {
		if (pipe2(x->pipe, O_CLOEXEC))
			return fail("pipe: %s", strerror(errno));
		/* A whole chunk fits, so each chunk is exactly two splices. */
		size = fcntl(x->pipe[1], F_SETPIPE_SZ, (int)x->chunk);
		if (size < 0 || (uint64_t)size < x->chunk)
			warn("the pipe holds less than a chunk: more than 2 splices per chunk");
	}
	return 0;
}

/*
 * Bytes TCP sent again: each went through the device, and without SG
 * through GSO's copy, once more.  Read after STOP, as the reply is a copy.
 */
static int retransmitted(int sock, uint64_t *bytes)
{
	struct tcp_info ti = { 0 };
	socklen_t len = sizeof(ti);

	if (getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	*bytes = ti.tcpi_bytes_retrans;
	return 0;
}

/*
 * The traced window: START, the mode's loop, shutdown, waiting for the
 * receiver's count, STOP.  The count is read after STOP: reading it is a
 * copy that is not the transfer's.  The clock is read outside too, as
 * without a vDSO clock (e.g. under TCG) it is a system call.
 */
static int traced(struct xfer *x, enum xfer_mode mode, int zcfd,
		  struct receiver *rc, struct xfer_result *r)
{
	struct pollfd done = { .fd = rc->report, .events = POLLIN };
	double t0 = now_seconds();
	uint32_t id = 0;
	int err, stop_err = 0;

	err = zcfd >= 0 ? zcdev_start(zcfd, 0, 0, &id) : 0;
	if (err)
		return module_error("start a session", -err, NULL);
	err = modes[mode].send(x);
	r->syscalls_loop = x->sys;
	if (!err) {
		err = shutdown(x->sock, SHUT_WR) ? -errno : 0;
		x->sys++;
	}
	while (!err) {
		x->sys++;
		if (poll(&done, 1, -1) == 1)
			break;
		err = errno == EINTR && !interrupted ? 0 : -errno;
	}
	x->sys++;	/* the STOP itself enters the kernel traced */
	if (zcfd >= 0)
		stop_err = zcdev_stop(zcfd, id, &r->ctr);
	r->seconds = now_seconds() - t0;
	if (!err)
		err = retransmitted(x->sock, &r->retrans_bytes);
	r->syscalls_issued = x->sys;
	if (!err)
		err = read_full(rc->report, &r->received, sizeof(r->received));

	if (err == -EINTR || interrupted)
		return fail("interrupted");
	if (err == FILE_SHRANK)
		return fail("%s: %s shrank during the transfer", modes[mode].name, r->file);
	if (err == AT_EOF)
		return fail("%s: the receiver gave no count", modes[mode].name);
	if (err)
		return fail("%s: %s", modes[mode].name, strerror(-err));
	if (stop_err)
		return module_error("stop the session", -stop_err, NULL);
	if (r->received != r->bytes)
		return fail("%s: the receiver got %" PRIu64 " bytes of %" PRIu64,
			    modes[mode].name, r->received, r->bytes);
	return 0;
}

int xfer_run(struct link_env *e, int zcfd, const struct xfer_file *f,
	     enum xfer_mode mode, uint64_t chunk, bool sg, bool progress,
	     struct xfer_result *r)
{
	struct progress prog = { .total = f->size };
	struct xfer x = { .file = f->fd, .sock = -1, .pipe = { -1, -1 },
			  .size = f->size, .chunk = chunk, .prog = &prog };
	struct receiver rc = { .pid = -1, .report = -1 };
	bool threaded = false;
	int ret = -1;

	*r = (struct xfer_result){
		.mode = mode, .bytes = f->size, .chunk = chunk,
		.chunks = (f->size + chunk - 1) / chunk, .sg = sg,
		.file = f->path, .iface = e->tx.dev, .driver = e->driver,
	};
	/* A receiver gone early must fail a write, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (link_set_sg(e, sg))
		return -1;
	drop_cache(f, r);
	if (receiver_start(e, &rc) || (x.sock = connect_rx(e, &rc)) < 0 ||
	    prepare(&x, mode))
		goto out;
	if (progress) {
		sigset_t stop, old;

		snprintf(prog.label, sizeof(prog.label), "%s, sg %s", modes[mode].name,
			 sg ? "on" : "off");
		/* The thread inherits them blocked: ^C's EINTR must come to the sender. */
		stop_signal_set(&stop);
		pthread_sigmask(SIG_BLOCK, &stop, &old);
		threaded = !pthread_create(&prog.thread, NULL, progress_main, &prog);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	ret = traced(&x, mode, zcfd, &rc, r);
	if (threaded) {
		atomic_store(&prog.stop, true);
		pthread_join(prog.thread, NULL);
	}
out:
	receiver_end(&rc, ret);
	if (x.map)
		munmap(x.map, x.size);
	free(x.buf);
	for (int i = 0; i < 2; i++)
		if (x.pipe[i] >= 0)
			close(x.pipe[i]);
	if (x.sock >= 0)
		close(x.sock);
	return ret;
}
