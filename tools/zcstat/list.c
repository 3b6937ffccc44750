// SPDX-License-Identifier: GPL-2.0
/* zcstat list: every session with its counters, from a netlink dump. */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "genl.h"
#include "zcstat.h"

static void list_one(const struct session_info *s, struct json *j, bool first)
{
	bool follow = s->flags & ZCTRACE_START_FOLLOW;

	if (!j) {
		printf("%ssession %" PRIu32 ": pid %" PRIu32 " (%s), %s%s, uid %" PRIu32 "\n",
		       first ? "" : "\n", s->id, s->pid, s->comm,
		       session_state_name(s->state), follow ? ", follow" : "", s->owner_uid);
		counters_print(&s->ctr);
		return;
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
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		OPTIONS_END
	};
	struct session_list sl = { 0 };
	struct json j, *jp = NULL;
	struct zgenl g;
	int c, bad = 0, err;

	while ((c = next_opt("list", argc, argv, ":h", opts, &bad)) != -1)
		jp = &j;
	if (bad)
		return bad;
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'", argv[optind]);

	err = zgenl_open(&g);
	if (err)
		return module_error("generic netlink", -err, NULL);
	/* The whole dump first: a failure must not leave half a document. */
	err = zgenl_sessions(&g, session_list_add, &sl);
	zgenl_close(&g);
	if (err) {
		free(sl.v);
		return module_error("generic netlink zctrace", -err, g.ext);
	}
	if (jp) {
		json_init(&j, stdout);
		json_open(&j, NULL, '{');
		json_open(&j, "sessions", '[');
	} else if (!sl.n) {
		printf("no sessions\n");
	}
	for (size_t i = 0; i < sl.n; i++)
		list_one(&sl.v[i], jp, !i);
	if (jp) {
		json_close(&j, ']');
		json_close(&j, '}');
		json_finish(&j);
	}
	free(sl.v);
	return 0;
}
