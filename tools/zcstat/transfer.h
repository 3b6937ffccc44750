/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transfer engine of run and verify: send a file over TCP to a
 * receiver in its own network namespace, one of four ways, with a zctrace
 * session on the sending thread for exactly the transfer.
 */
#ifndef ZCSTAT_TRANSFER_H
#define ZCSTAT_TRANSFER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "counters.h"
#include "netns.h"

enum xfer_mode {
	MODE_READ_WRITE,
	MODE_MMAP_WRITE,
	MODE_SENDFILE,
	MODE_SPLICE,
	NR_MODES
};

const char *xfer_mode_name(enum xfer_mode m);
/* The system calls a mode makes, in words. */
const char *xfer_mode_calls(enum xfer_mode m);
int xfer_mode_parse(const char *s, enum xfer_mode *m);

#define DEFAULT_SIZE (16ULL << 20)
#define DEFAULT_CHUNK (1ULL << 20)
#define MAX_CHUNK (64ULL << 20)

struct xfer_file {
	char path[PATH_MAX];
	int fd;
	uint64_t size;
	bool temp;		/* we made it: removed on close */
};

/*
 * path NULL or a directory: a temporary file of size bytes there ($TMPDIR
 * or /tmp by default); a path that does not exist: created with size
 * bytes.  Both are removed on close.  An existing regular file: its first
 * size bytes (size 0: all).  Prints what failed and returns -1.
 */
int xfer_file_open(struct xfer_file *f, const char *path, uint64_t size);
void xfer_file_close(struct xfer_file *f);

struct xfer_result {
	enum xfer_mode mode;
	uint64_t bytes, chunk, chunks, received;
	uint64_t file_pages, cached_pages;	/* page cache before the transfer */
	uint64_t syscalls_issued;		/* by us while the session ran */
	uint64_t syscalls_loop;			/* of which by the mode's loop */
	uint64_t retrans_bytes;			/* TCP_INFO tcpi_bytes_retrans */
	bool sg;
	const char *file, *iface, *driver;
	double seconds;
	struct counters ctr;
};

/*
 * One transfer of f over e.  zcfd: an open /dev/zctrace, or -1 for no
 * session (the counts stay 0).  progress: show bytes and rate on stderr
 * while it runs.  Prints what failed and returns -1.
 */
int xfer_run(struct link_env *e, int zcfd, const struct xfer_file *f,
	     enum xfer_mode mode, uint64_t chunk, bool sg, bool progress,
	     struct xfer_result *r);

/* The one-line note when f's page cache could not be dropped, or NULL. */
const char *xfer_cache_note(const struct xfer_result *r, char *buf, size_t len);

#endif
