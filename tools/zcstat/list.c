// SPDX-License-Identifier: GPL-2.0
/* zcstat list: every session with its counters, from a netlink dump. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "genl.h"
#include "zcstat.h"

struct list_out {
	struct json *j;		/* NULL: for humans */
	unsigned int n;
};

static int list_one(const struct session_info *s, void *arg)
{
	struct list_out *out = arg;
	struct json *j = out->j;
	bool follow = s->flags & ZCTRACE_START_FOLLOW;

	out->n++;
	if (!j) {
		printf("%ssession %" PRIu32 ": pid %" PRIu32 " (%s), %s%s, uid %" PRIu32 "\n",
		       out->n > 1 ? "\n" : "", s->id, s->pid, s->comm,
		       session_state_name(s->state), follow ? ", follow" : "", s->owner_uid);
		counters_print(&s->ctr);
		return 0;
	}
	json_open(j, NULL, '{');
	json_u64(j, "id", s->id);
	json_u64(j, "pid", s->pid);
	json_str(j, "comm", s->comm);
	json_str(j, "state", session_state_name(s->state));
	json_bool(j, "follow", follow);
	json_u64(j, "flags", s->flags);
	json_u64(j, "owner_uid", s->owner_uid);
	json_u64(j, "start_ns", s->start_ns);
	counters_json(j, &s->ctr);
	json_close(j, '}');
	return 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	struct list_out out = { 0 };
	struct json j;
	struct zgenl g;
	int c, bad = 0, err;

	while ((c = next_opt("list", argc, argv, ":j", opts, &bad)) != -1)
		out.j = &j;
	if (bad)
		return bad;
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'", argv[optind]);

	err = zgenl_open(&g);
	if (err)
		return module_error("generic netlink", -err);
	if (out.j) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "sessions", '[');
	}
	err = zgenl_sessions(&g, 0, list_one, &out);
	zgenl_close(&g);
	if (err)
		return module_error("generic netlink zctrace", -err);
	if (out.j) {
		json_close(&j, ']');
		json_close(&j, '}');
		json_finish(&j);
	} else if (!out.n) {
		printf("no sessions\n");
	}
	return 0;
}
