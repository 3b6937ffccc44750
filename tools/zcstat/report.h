/* SPDX-License-Identifier: GPL-2.0 */
/* A transfer's record, for humans and as JSON: run and verify share it. */
#ifndef ZCSTAT_REPORT_H
#define ZCSTAT_REPORT_H

#include "output.h"
#include "transfer.h"

/* CPU-copied bytes per byte sent, rounded to 2 decimals. */
double report_cpu_copies(const struct xfer_result *r);
void report_print(const struct xfer_result *r);
/* The record's members, into the JSON object being written. */
void report_json(struct json *j, const struct xfer_result *r);

#endif
