// SPDX-License-Identifier: GPL-2.0
/* A transfer's record, for humans and as JSON: run and verify share it. */

#include <inttypes.h>
#include <math.h>

#include "report.h"
#include "zcstat.h"

double report_cpu_copies(const struct xfer_result *r)
{
	return round(100.0 * counters_cpu_copy_bytes(&r->ctr) / r->bytes) / 100;
}

void report_print(const struct xfer_result *r)
{
	char a[FMT_LEN], b[FMT_LEN];

	printf("%s: %s (%" PRIu64 " B) in %" PRIu64 " chunks of %s\n",
	       xfer_mode_name(r->mode), fmt_bytes(a, r->bytes), r->bytes, r->chunks,
	       fmt_bytes(b, r->chunk));
	printf("  iface %s (%s), scatter-gather %s, kernel %s\n", r->iface, r->driver,
	       r->sg ? "on" : "off", kernel_release());
	printf("  file %s, page cache %s\n", r->file,
	       !r->cached_pages ? "dropped" : "not dropped");
	printf("  received %" PRIu64 " B in %.2f s (%s/s), %" PRIu64 " B sent again by TCP\n",
	       r->received, r->seconds, fmt_bytes(a, r->seconds > 0 ? r->bytes / r->seconds : 0),
	       r->retrans_bytes);
	counters_print(&r->ctr);
	printf("CPU copies: %.2f x N (N = %" PRIu64 " B)\n", report_cpu_copies(r), r->bytes);
}

void report_json(struct json *j, const struct xfer_result *r)
{
	json_str(j, "mode", xfer_mode_name(r->mode));
	json_u64(j, "bytes", r->bytes);
	json_u64(j, "chunk", r->chunk);
	json_u64(j, "chunks", r->chunks);
	json_u64(j, "received", r->received);
	json_u64(j, "retrans_bytes", r->retrans_bytes);
	json_str(j, "file", r->file);
	json_bool(j, "page_cache_dropped", !r->cached_pages);
	json_u64(j, "cached_pages", r->cached_pages);
	json_bool(j, "sg", r->sg);
	json_str(j, "iface", r->iface);
	json_str(j, "driver", r->driver);
	json_str(j, "kernel", kernel_release());
	json_fixed2(j, "seconds", r->seconds);
	json_u64(j, "syscalls_issued", r->syscalls_issued);
	counters_json(j, &r->ctr);
	json_fixed2(j, "cpu_copies_per_byte", report_cpu_copies(r));
}
