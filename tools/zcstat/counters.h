/* SPDX-License-Identifier: GPL-2.0 */
/* The zctrace counters: names, units and JSON keys, from one table. */
#ifndef ZCSTAT_COUNTERS_H
#define ZCSTAT_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/zctrace.h>

#include "output.h"

/* Indexed by enum zctrace_counter, as the ioctls and the netlink nest are. */
struct counters {
	uint64_t v[__ZCTRACE_CTR_MAX];
};

/* Every counter as an aligned table, under group headings. */
void counters_print(const struct counters *c);
/* Every counter as members of the JSON object being written. */
void counters_json(struct json *j, const struct counters *c);

/* u2k + k2u + k2k: all the bytes the CPU copied. */
uint64_t counters_cpu_copy_bytes(const struct counters *c);

#endif
