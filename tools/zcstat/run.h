/* SPDX-License-Identifier: GPL-2.0 */
/* What run and verify share: their options and their setup. */
#ifndef ZCSTAT_RUN_H
#define ZCSTAT_RUN_H

#include "transfer.h"

struct run_opts {
	bool has_mode;
	enum xfer_mode mode;
	uint64_t size, chunk;		/* size 0: the default, or all of --file */
	const char *file, *iface, *peer;
	bool no_sg, no_trace, json;
};

/* verify takes neither --mode, --no-sg nor --no-trace.  0, or the exit status. */
int run_parse(const char *cmd, bool verify, int argc, char **argv, struct run_opts *o);

struct run_ctx {
	int zcfd;
	struct xfer_file file;
	struct link_env env;
};

/* Device, file and link; prints what failed and returns 1. */
int run_setup(const char *cmd, const struct run_opts *o, struct run_ctx *c);
/*
 * 0, or 1 when some of it could not be undone (said on stderr): the exit
 * status once the results are out, if they gave none of their own.
 */
int run_teardown(struct run_ctx *c);

#endif
