/* SPDX-License-Identifier: GPL-2.0 */
/* The zctrace generic netlink family: version, sessions, probes, events. */
#ifndef ZCSTAT_GENL_H
#define ZCSTAT_GENL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "nl.h"

struct session_info {
	uint32_t id, pid, flags, state, owner_uid;
	char comm[32];
	uint64_t start_ns;
	struct counters ctr;
};

struct zgenl {
	struct nl_sock *sk;
	int family;
	char ext[NL_EXT_LEN];	/* the kernel's words on the last error */
	/* Set by zgenl_subscribe(). */
	int (*on_end)(const struct session_info *s, void *arg);
	void *on_end_arg;
};

struct probe_info {
	char name[512];		/* KSYM_NAME_LEN; a longer one is cut */
	uint32_t kind, err;
	bool attached;
	uint64_t hits;
	uint64_t missed;	/* hits the kprobe layer dropped */
};

/* 0, -ENOENT when the family is not registered (module not loaded), -errno. */
int zgenl_open(struct zgenl *g);
void zgenl_close(struct zgenl *g);

int zgenl_version(struct zgenl *g, uint32_t *abi, uint32_t *nr_counters);
/* Every session, by a dump; cb returns < 0 to stop with that error. */
int zgenl_sessions(struct zgenl *g,
		   int (*cb)(const struct session_info *s, void *arg), void *arg);
int zgenl_probes(struct zgenl *g,
		 int (*cb)(const struct probe_info *p, void *arg), void *arg);

/*
 * Join the "sessions" multicast group on g, a socket kept for it alone;
 * zgenl_events() then hands each waiting SESSION_END to cb, without
 * blocking.  zgenl_fd() is what to poll.
 */
int zgenl_subscribe(struct zgenl *g,
		    int (*cb)(const struct session_info *s, void *arg), void *arg);
int zgenl_events(struct zgenl *g);
int zgenl_fd(const struct zgenl *g);

/* Dump callbacks that collect into a growing array (free v when done). */
struct session_list {
	struct session_info *v;
	size_t n;
};
struct probe_list {
	struct probe_info *v;
	size_t n;
};
int session_list_add(const struct session_info *s, void *list);
int probe_list_add(const struct probe_info *p, void *list);

const char *probe_kind_name(uint32_t kind);
const char *session_state_name(uint32_t state);

#endif
