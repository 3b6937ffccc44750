// SPDX-License-Identifier: GPL-2.0
/*
 * zcstat status and --version: is the module there, and in what state;
 * and what an error of its interfaces means.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "genl.h"
#include "zcdev.h"
#include "zcstat.h"

struct module_version {
	uint32_t abi, nr_counters;
};

/*
 * The module's version, through netlink or else the device: 0, -ENOENT
 * when it is not loaded, -EPERM/-EACCES when we may not ask.
 */
static int module_version(struct module_version *v)
{
	struct zgenl g;
	int err, fd;

	err = zgenl_open(&g);
	if (!err) {
		err = zgenl_version(&g, &v->abi, &v->nr_counters);
		zgenl_close(&g);
		if (!err)
			return 0;
	}
	/* Netlink needs CAP_NET_ADMIN, the device CAP_PERFMON: either will do. */
	fd = zcdev_open();
	if (fd < 0)
		return fd == -ENOENT ? err : fd;
	err = zcdev_version(fd, &v->abi, &v->nr_counters);
	close(fd);
	return err;
}

int module_error(const char *what, int err, const char *ext)
{
	struct module_version v;
	char abi[16] = "unknown";

	switch (err) {
	case ENOENT:
		return fail("zctrace module is not loaded (modprobe zctrace / insmod zctrace.ko)");
	case EPERM:
	case EACCES:
		return fail("%s: permission denied (zctrace needs root: CAP_PERFMON for /dev/zctrace, CAP_NET_ADMIN for netlink)",
			    what);
	case ENOTTY:	/* an ioctl of a layout the module does not know */
	case EBADMSG:	/* a netlink reply zcstat cannot parse */
		/* The version is asked for in a way no ABI change alters. */
		if (!module_version(&v)) {
			if (v.abi == ZCTRACE_ABI_VERSION)
				break;
			snprintf(abi, sizeof(abi), "%" PRIu32, v.abi);
		}
		return fail("%s: the zctrace module speaks another ABI (module ABI %s, zcstat %d): use a zcstat built for it",
			    what, abi, ZCTRACE_ABI_VERSION);
	}
	return fail_errno(err, ext, "%s", what);
}

int print_version(void)
{
	struct module_version v;
	int err = module_version(&v);

	printf("zcstat %s (built for zctrace ABI %d)\n", ZCSTAT_VERSION, ZCTRACE_ABI_VERSION);
	if (!err)
		printf("zctrace module: ABI %" PRIu32 ", %" PRIu32 " counters\n",
		       v.abi, v.nr_counters);
	else if (err == -ENOENT)
		printf("zctrace module: not loaded\n");
	else
		printf("zctrace module: loaded, version unknown (%s)\n", strerror(-err));
	return 0;
}

static void print_status(const struct session_list *sl, const struct probe_list *pl,
			 uint32_t abi, uint32_t nr)
{
	size_t attached = 0;

	printf("zctrace module: loaded, ABI %" PRIu32 "%s, %" PRIu32 " counters%s\n", abi,
	       abi == ZCTRACE_ABI_VERSION ? "" : " (zcstat speaks another: update it)",
	       nr, nr > __ZCTRACE_CTR_MAX ? " (zcstat shows the ones it knows)" : "");
	printf("sessions: %zu\n", sl->n);
	for (size_t i = 0; i < sl->n; i++) {
		const struct session_info *s = &sl->v[i];

		printf("  %-6" PRIu32 " pid %-8" PRIu32 " %-16s %-8s uid %" PRIu32 "%s\n",
		       s->id, s->pid, s->comm, session_state_name(s->state), s->owner_uid,
		       s->flags & ZCTRACE_START_FOLLOW ? " follow" : "");
	}
	for (size_t i = 0; i < pl->n; i++)
		attached += pl->v[i].attached;
	printf("probes: %zu of %zu attached%s\n", attached, pl->n,
	       sl->n ? "" : " (they attach with the first session)");
	for (size_t i = 0; i < pl->n; i++) {
		const struct probe_info *p = &pl->v[i];
		char state[64];

		if (p->err)
			snprintf(state, sizeof(state), "failed: %s", strerror(p->err));
		else
			snprintf(state, sizeof(state), "%s", p->attached ? "attached" : "detached");
		printf("  %-28s %-10s %12" PRIu64 " hits  %s", p->name,
		       probe_kind_name(p->kind), p->hits, state);
		if (p->missed)
			printf(", %" PRIu64 " missed", p->missed);
		putchar('\n');
	}
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		OPTIONS_END
	};
	struct session_list sl = { 0 };
	struct probe_list pl = { 0 };
	uint32_t abi, nr;
	struct zgenl g;
	int bad = 0, err;

	/* It takes no option but --help, which next_opt() handles. */
	while (next_opt("status", argc, argv, ":h", opts, &bad) != -1)
		;
	if (bad)
		return bad;
	if (optind < argc)
		return usage_error("status", "unexpected argument '%s'", argv[optind]);
	err = zgenl_open(&g);
	if (err == -ENOENT && !access(ZCDEV_PATH, F_OK))
		return fail("%s exists but the zctrace netlink family does not: reload the module",
			    ZCDEV_PATH);
	if (err)
		return module_error("generic netlink", -err, NULL);
	err = zgenl_version(&g, &abi, &nr);
	if (!err)
		err = zgenl_sessions(&g, session_list_add, &sl);
	if (!err)
		err = zgenl_probes(&g, probe_list_add, &pl);
	zgenl_close(&g);
	if (!err)
		print_status(&sl, &pl, abi, nr);
	free(sl.v);
	free(pl.v);
	return err ? module_error("generic netlink zctrace", -err, g.ext) : 0;
}
