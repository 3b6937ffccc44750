// SPDX-License-Identifier: GPL-2.0
/* The zctrace counters: names, units and JSON keys, from one table. */

#include <inttypes.h>
#include <string.h>

#include "counters.h"

struct group {
	const char *key;
	const char *label;
};

static const struct group cpu_bytes = { "cpu_copy_bytes", "CPU copies, bytes by direction" };
static const struct group cpu_calls = { "cpu_copy_calls", "CPU copies, calls by direction" };
static const struct group sites = { "copy_sites", "CPU copies, bytes by site" };
static const struct group device = { "device_bytes", "device transfers (DMA), bytes" };
static const struct group requests = { "device_requests", "device transfers, requests" };
static const struct group gather = { "gather", "gather: what the device was handed" };
static const struct group faults = { "page_faults", "page faults" };

static const struct desc {
	enum zctrace_counter id;
	const struct group *group;
	const char *key;
	const char *label;
	bool bytes;
} table[] = {
	{ ZCTRACE_CTR_SYSCALLS, NULL, "syscalls", "syscalls", false },
	{ ZCTRACE_CTR_CONTEXT_SWITCHES, NULL, "context_switches", "context switches", false },
	{ ZCTRACE_CTR_COPY_U2K_BYTES, &cpu_bytes, "user_to_kernel", "user -> kernel", true },
	{ ZCTRACE_CTR_COPY_K2U_BYTES, &cpu_bytes, "kernel_to_user", "kernel -> user", true },
	{ ZCTRACE_CTR_COPY_K2K_BYTES, &cpu_bytes, "kernel_to_kernel", "kernel -> kernel", true },
	{ ZCTRACE_CTR_COPY_U2K_CALLS, &cpu_calls, "user_to_kernel", "user -> kernel", false },
	{ ZCTRACE_CTR_COPY_K2U_CALLS, &cpu_calls, "kernel_to_user", "kernel -> user", false },
	{ ZCTRACE_CTR_COPY_K2K_CALLS, &cpu_calls, "kernel_to_kernel", "kernel -> kernel", false },
	{ ZCTRACE_CTR_SITE_SOCK_SEND_BYTES, &sites, "sock_send", "socket send", true },
	{ ZCTRACE_CTR_SITE_FILE_READ_BYTES, &sites, "file_read", "file read", true },
	{ ZCTRACE_CTR_SITE_PIPE_BYTES, &sites, "pipe", "pipe", true },
	{ ZCTRACE_CTR_SITE_SEGMENT_BYTES, &sites, "segment", "GSO segmentation", true },
	{ ZCTRACE_CTR_SITE_OTHER_BYTES, &sites, "other", "other", true },
	{ ZCTRACE_CTR_DISK_READ_BYTES, &device, "disk_read", "disk -> page cache", true },
	{ ZCTRACE_CTR_NIC_TX_BYTES, &device, "nic_tx", "hardware NIC transmit", true },
	{ ZCTRACE_CTR_SOFT_TX_BYTES, &device, "soft_tx", "software device (no DMA)", true },
	{ ZCTRACE_CTR_DISK_READ_REQS, &requests, "disk_read", "disk read requests", false },
	{ ZCTRACE_CTR_XMIT_SKBS, &gather, "skbs", "skbs", false },
	{ ZCTRACE_CTR_XMIT_DESCRIPTORS, &gather, "descriptors", "descriptors (1 + frags)", false },
	{ ZCTRACE_CTR_XMIT_FRAG_BYTES, &gather, "frag_bytes", "bytes in frags", true },
	{ ZCTRACE_CTR_PAGE_REF_BYTES, &gather, "page_ref_bytes", "page cache by reference", true },
	{ ZCTRACE_CTR_MINOR_FAULTS, &faults, "minor", "minor", false },
	{ ZCTRACE_CTR_MAJOR_FAULTS, &faults, "major", "major", false },
};

/* One value to show, in display order, for the human and JSON walkers. */
struct counter_item {
	const char *group;		/* JSON object it is in, NULL: top level */
	const char *group_label;
	const char *key;
	const char *label;
	bool bytes;
	uint64_t value;
};

/* Hand every counter to fn in table order, with the mode switches derived. */
static void counters_walk(const struct counters *c,
		   void (*fn)(const struct counter_item *it, void *arg), void *arg)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct desc *d = &table[i];
		struct counter_item it = {
			.group = d->group ? d->group->key : NULL,
			.group_label = d->group ? d->group->label : NULL,
			.key = d->key,
			.label = d->label,
			.bytes = d->bytes,
			.value = c->v[d->id],
		};

		fn(&it, arg);
		/* Each syscall enters and leaves the kernel: two mode switches. */
		if (d->id == ZCTRACE_CTR_SYSCALLS) {
			it.key = "mode_switches";
			it.label = "user/kernel mode switches";
			it.value *= 2;
			fn(&it, arg);
		}
	}
}

/* Walkers remember the group they are in to open and close headings. */
struct walk_state {
	struct json *j;
	const char *group;
};

static void print_item(const struct counter_item *it, void *arg)
{
	struct walk_state *w = arg;
	char val[FMT_LEN], exact[FMT_LEN + 2] = "";

	if (it->group != w->group && it->group)
		printf("%s\n", it->group_label);
	w->group = it->group;
	if (it->bytes && it->value >= 1024)
		snprintf(exact, sizeof(exact), "(%" PRIu64 ")", it->value);
	table_row(it->group ? 4 : 2, it->label, fmt_value(val, it->value, it->bytes), exact);
}

void counters_print(const struct counters *c)
{
	struct walk_state w = { 0 };

	counters_walk(c, print_item, &w);
}

static void json_item(const struct counter_item *it, void *arg)
{
	struct walk_state *w = arg;

	if (it->group != w->group) {
		if (w->group)
			json_close(w->j, '}');
		if (it->group)
			json_open(w->j, it->group, '{');
	}
	w->group = it->group;
	json_u64(w->j, it->key, it->value);
}

void counters_json(struct json *j, const struct counters *c)
{
	struct walk_state w = { .j = j };

	counters_walk(c, json_item, &w);
	if (w.group)
		json_close(j, '}');
}

uint64_t counters_cpu_copy_bytes(const struct counters *c)
{
	return c->v[ZCTRACE_CTR_COPY_U2K_BYTES] + c->v[ZCTRACE_CTR_COPY_K2U_BYTES] +
	       c->v[ZCTRACE_CTR_COPY_K2K_BYTES];
}
