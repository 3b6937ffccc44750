// SPDX-License-Identifier: GPL-2.0
/* zcstat run: one transfer, and the setup verify shares with it. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "zcdev.h"
#include "zcstat.h"

static int size_opt(const char *cmd, const char *opt, const char *arg, uint64_t *v)
{
	if (parse_size(arg, v))
		return usage_error(cmd, "bad %s '%s': use N, NK, NM or NG", opt, arg);
	return 0;
}

/*
 * A name the kernel cannot hold would name no device by netlink, but the
 * SIOC* ioctls cut it to IFNAMSIZ - 1 characters: another device.
 */
static int iface_opt(const char *cmd, const char *opt, const char *name)
{
	if (name && (!*name || strlen(name) >= IFNAMSIZ))
		return usage_error(cmd, "bad %s '%s': a device name of 1 to %d characters",
				   opt, name, IFNAMSIZ - 1);
	return 0;
}

int run_parse(const char *cmd, bool verify, int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "iface", required_argument, NULL, 'i' },
		{ "peer-iface", required_argument, NULL, 'p' },
		{ "no-sg", no_argument, NULL, 'n' },
		{ "no-trace", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		OPTIONS_END
	};
	int c, bad = 0;

	*o = (struct run_opts){ .chunk = DEFAULT_CHUNK };
	while ((c = next_opt(cmd, argc, argv, ":h", opts, &bad)) != -1) {
		switch (c) {
		case 'm':
			if (verify)
				return usage_error(cmd, "--mode: verify runs every mode");
			if (xfer_mode_parse(optarg, &o->mode))
				return usage_error(cmd, "no mode '%s': read-write, mmap-write, sendfile or splice",
						   optarg);
			o->has_mode = true;
			break;
		case 's':
			bad = size_opt(cmd, "size", optarg, &o->size);
			break;
		case 'c':
			bad = size_opt(cmd, "chunk", optarg, &o->chunk);
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'p':
			o->peer = optarg;
			break;
		case 'n':
			if (verify)
				return usage_error(cmd, "--no-sg: verify runs with SG on and off");
			o->no_sg = true;
			break;
		case 't':
			if (verify)
				return usage_error(cmd, "--no-trace: verify needs the counts");
			o->no_trace = true;
			break;
		case 'j':
			o->json = true;
			break;
		}
		if (bad)
			return bad;
	}
	if (bad)
		return bad;
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!verify && !o->has_mode)
		return usage_error(cmd, "--mode MODE is needed: read-write, mmap-write, sendfile or splice");
	if (o->chunk > MAX_CHUNK)
		return usage_error(cmd, "--chunk is at most %llu MiB", MAX_CHUNK >> 20);
	bad = iface_opt(cmd, "iface", o->iface);
	if (!bad)
		bad = iface_opt(cmd, "peer-iface", o->peer);
	if (bad)
		return bad;
	if (!o->iface != !o->peer)
		return usage_error(cmd, "--iface and --peer-iface go together");
	if (o->iface && !strcmp(o->iface, o->peer))
		return usage_error(cmd, "--iface and --peer-iface must differ");
	return 0;
}

int run_setup(const char *cmd, const struct run_opts *o, struct run_ctx *c)
{
	*c = (struct run_ctx){ .zcfd = -1, .file.fd = -1, .env.home_ns = -1 };
	if (!o->no_trace) {
		c->zcfd = zcdev_open();
		if (c->zcfd == -EACCES || c->zcfd == -EPERM)
			return fail("%s needs root (network namespace, veth, %s)", cmd, ZCDEV_PATH);
		if (c->zcfd < 0)
			return module_error(ZCDEV_PATH, -c->zcfd, NULL);
	}
	catch_signals();
	if (xfer_file_open(&c->file, o->file, o->size))
		return 1;
	return link_env_setup(&c->env, o->iface, o->peer) ? 1 : 0;
}

int run_teardown(struct run_ctx *c)
{
	int failed = c->env.home_ns >= 0 ? link_env_teardown(&c->env) : 0;

	xfer_file_close(&c->file);
	if (c->zcfd >= 0)
		close(c->zcfd);
	return failed ? 1 : 0;
}

int cmd_run(int argc, char **argv)
{
	struct xfer_result r;
	struct run_opts o;
	struct run_ctx c;
	char note[PATH_MAX + 128];
	int ret, cleanup;

	ret = run_parse("run", false, argc, argv, &o);
	if (ret)
		return ret;
	ret = run_setup("run", &o, &c);
	if (!ret)
		ret = xfer_run(&c.env, c.zcfd, &c.file, o.mode, o.chunk, !o.no_sg,
			       fancy_terminal(STDERR_FILENO), &r) ? 1 : 0;
	cleanup = run_teardown(&c);
	if (ret)
		return signal_status(ret);
	if (xfer_cache_note(&r, note, sizeof(note)))
		warn("%s", note);
	if (o.json) {
		struct json j;

		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		report_json(&j, &r);
		json_close(&j, '}');
		json_finish(&j);
	} else {
		report_print(&r);
	}
	return cleanup;
}
