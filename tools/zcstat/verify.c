// SPDX-License-Identifier: GPL-2.0
/*
 * zcstat verify: every mode with scatter-gather on and off, set beside the
 * textbook table.  A DIFF against the table is not a failure (the table
 * simplifies); a count that contradicts what this kernel is known to do,
 * as listed in expectations[], is.
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "run.h"
#include "zcstat.h"

/* The document's table, for sending N bytes of a file over TCP. */
static const struct doc_row {
	const char *label;
	unsigned int cpu, dma, switches;
} doc[] = {
	{ "read + write", 2, 2, 4 },
	{ "mmap + write", 1, 2, 4 },
	{ "sendfile (NIC without SG)", 1, 2, 2 },
	{ "sendfile + DMA gather (NIC with SG)", 0, 2, 2 },
	{ "splice (file -> pipe -> socket)", 0, 2, 2 },
};

/* The row a run is held against, by mode and [sg off, sg on]. */
static const struct doc_row *const doc_of[NR_MODES][2] = {
	[MODE_READ_WRITE] = { &doc[0], &doc[0] },
	[MODE_MMAP_WRITE] = { &doc[1], &doc[1] },
	[MODE_SENDFILE] = { &doc[2], &doc[3] },
	[MODE_SPLICE] = { &doc[4], &doc[4] },
};

enum quantity { Q_U2K, Q_K2U, Q_CPU, Q_SEGMENT, Q_PAGE_REF, Q_TX, Q_DISK, Q_SYSCALLS };
enum relation { EQ_N, EQ_N_RETRANS, AT_LEAST_N, ZERO, UNDER_1PCT_N, EQ_ISSUED };

#define M(m) (1u << (m))
#define ALL_MODES (M(NR_MODES) - 1)
#define ZERO_COPY (M(MODE_SENDFILE) | M(MODE_SPLICE))
enum { SG_OFF, SG_ON, SG_ANY };

/* What this kernel (6.1 and later) is known to do; N is the file size. */
static const struct expectation {
	unsigned int modes;
	int sg;
	bool cold_cache;	/* only when the page cache was dropped */
	enum quantity q;
	enum relation rel;
	const char *why;
} expectations[] = {
	{ M(MODE_READ_WRITE), SG_ANY, false, Q_K2U, EQ_N,
	  "read() copies the page cache into the buffer" },
	{ M(MODE_READ_WRITE), SG_ANY, false, Q_U2K, EQ_N,
	  "write() copies the buffer into the socket" },
	{ M(MODE_MMAP_WRITE), SG_ANY, false, Q_K2U, ZERO,
	  "no read(): nothing is copied to user space" },
	{ M(MODE_MMAP_WRITE), SG_ANY, false, Q_U2K, EQ_N,
	  "write() copies from the mapping into the socket" },
	{ ZERO_COPY, SG_ON, false, Q_CPU, UNDER_1PCT_N,
	  "with SG the payload pages are attached, not copied" },
	{ ZERO_COPY, SG_ANY, false, Q_PAGE_REF, EQ_N,
	  "every page-cache byte is attached to an skb by reference" },
	{ ALL_MODES, SG_OFF, false, Q_SEGMENT, EQ_N_RETRANS,
	  "without SG, GSO copies every segment out of the frags, each time it is sent" },
	{ ALL_MODES, SG_ANY, false, Q_TX, AT_LEAST_N,
	  "every byte goes out through the sender's device" },
	{ ALL_MODES, SG_ANY, true, Q_DISK, AT_LEAST_N,
	  "a dropped page cache is read back from the disk" },
	{ ALL_MODES, SG_ANY, false, Q_SYSCALLS, EQ_ISSUED,
	  "one count per system call zcstat made while traced" },
};

static const char *const quantity_names[] = {
	[Q_U2K] = "u2k bytes", [Q_K2U] = "k2u bytes", [Q_CPU] = "CPU copy bytes",
	[Q_SEGMENT] = "segment bytes", [Q_PAGE_REF] = "page_ref_bytes",
	[Q_TX] = "nic_tx + soft_tx", [Q_DISK] = "disk_read", [Q_SYSCALLS] = "syscalls",
};

static const char *const relation_names[] = {
	[EQ_N] = "== N", [EQ_N_RETRANS] = "== N + retransmitted", [AT_LEAST_N] = ">= N", [ZERO] = "== 0",
	[UNDER_1PCT_N] = "< N/100", [EQ_ISSUED] = "== issued",
};

static uint64_t quantity(const struct xfer_result *r, enum quantity q)
{
	const uint64_t *v = r->ctr.v;

	switch (q) {
	case Q_U2K: return v[ZCTRACE_CTR_COPY_U2K_BYTES];
	case Q_K2U: return v[ZCTRACE_CTR_COPY_K2U_BYTES];
	case Q_CPU: return counters_cpu_copy_bytes(&r->ctr);
	case Q_SEGMENT: return v[ZCTRACE_CTR_SITE_SEGMENT_BYTES];
	case Q_PAGE_REF: return v[ZCTRACE_CTR_PAGE_REF_BYTES];
	case Q_TX: return v[ZCTRACE_CTR_NIC_TX_BYTES] + v[ZCTRACE_CTR_SOFT_TX_BYTES];
	case Q_DISK: return v[ZCTRACE_CTR_DISK_READ_BYTES];
	case Q_SYSCALLS: return v[ZCTRACE_CTR_SYSCALLS];
	}
	return 0;
}

static bool holds(const struct xfer_result *r, enum relation rel, uint64_t x)
{
	switch (rel) {
	case EQ_N: return x == r->bytes;
	case EQ_N_RETRANS: return x == r->bytes + r->retrans_bytes;
	case AT_LEAST_N: return x >= r->bytes;
	case ZERO: return !x;
	/* 100 x < N, without overflow; x < N / 100 fails x = 0 when N < 100. */
	case UNDER_1PCT_N: return x <= (r->bytes - 1) / 100;
	case EQ_ISSUED: return x == r->syscalls_issued;
	}
	return false;
}

static bool applies(const struct expectation *e, const struct xfer_result *r)
{
	return (e->modes & M(r->mode)) && (e->sg == SG_ANY || e->sg == r->sg) &&
	       (!e->cold_cache || !r->cached_pages);
}

enum { CELL_CPU, CELL_DMA, CELL_SWITCHES, NR_CELLS };

static const char *const cell_keys[NR_CELLS] = { "cpu_copies", "dma_copies", "switches" };
static const char *const cell_names[NR_CELLS] = { "CPU copies", "DMA copies", "switches" };

struct cell {
	unsigned int expected;
	double measured;
	bool match;
	char reason[256];
};

struct verdict {
	const struct xfer_result *r;
	const struct doc_row *row;
	double syscalls_per_chunk;
	struct cell cells[NR_CELLS];
	unsigned int failed;		/* expectations that do not hold */
};

static double round2(double v)
{
	return round(v * 100) / 100;
}

static double per_n(const struct xfer_result *r, uint64_t bytes)
{
	return (double)bytes / r->bytes;
}

static void cpu_reason(const struct xfer_result *r, struct cell *c)
{
	static const struct { enum zctrace_counter id; const char *name; } sites[] = {
		{ ZCTRACE_CTR_SITE_SOCK_SEND_BYTES, "sock_send" },
		{ ZCTRACE_CTR_SITE_FILE_READ_BYTES, "file_read" },
		{ ZCTRACE_CTR_SITE_PIPE_BYTES, "pipe" },
		{ ZCTRACE_CTR_SITE_SEGMENT_BYTES, "segment" },
		{ ZCTRACE_CTR_SITE_OTHER_BYTES, "other" },
	};
	const uint64_t *v = r->ctr.v;
	uint64_t seg = v[ZCTRACE_CTR_SITE_SEGMENT_BYTES];
	size_t n;

	if (!counters_cpu_copy_bytes(&r->ctr)) {
		snprintf(c->reason, sizeof(c->reason), "no CPU copy counted");
		return;
	}
	if (!r->sg && seg && round2(c->measured - per_n(r, seg)) == c->expected) {
		n = snprintf(c->reason, sizeof(c->reason),
			     "SG off: +%.2f copy in GSO segmentation (k2k segment bytes = %" PRIu64 ")",
			     per_n(r, seg), seg);
	} else {
		n = snprintf(c->reason, sizeof(c->reason), "copies per byte by site:");
		for (size_t i = 0; i < ARRAY_SIZE(sites) && n < sizeof(c->reason); i++)
			if (v[sites[i].id])
				n += snprintf(c->reason + n, sizeof(c->reason) - n, " %s %.2f",
					      sites[i].name, per_n(r, v[sites[i].id]));
	}
	/* Without SG, each segment sent again is segmented, so copied, again. */
	if (!r->sg && r->retrans_bytes && n < sizeof(c->reason))
		snprintf(c->reason + n, sizeof(c->reason) - n,
			 "; %.2f of it for bytes TCP sent again (retransmitted = %" PRIu64 ")",
			 per_n(r, r->retrans_bytes), r->retrans_bytes);
}

static void dma_reason(const struct xfer_result *r, struct cell *c)
{
	const uint64_t *v = r->ctr.v;
	const char *nic = NULL;
	char soft[128];

	if (!v[ZCTRACE_CTR_NIC_TX_BYTES] && v[ZCTRACE_CTR_SOFT_TX_BYTES]) {
		snprintf(soft, sizeof(soft),
			 "NIC side is %s: software handoff, no DMA (soft_tx = %" PRIu64 ")",
			 r->driver, v[ZCTRACE_CTR_SOFT_TX_BYTES]);
		nic = soft;
	} else if (!v[ZCTRACE_CTR_NIC_TX_BYTES]) {
		nic = "nothing counted at the device (nic_tx = soft_tx = 0)";
	}
	snprintf(c->reason, sizeof(c->reason), "%s%s%s",
		 v[ZCTRACE_CTR_DISK_READ_BYTES] ? "" :
		 r->cached_pages ? "disk side served from the page cache (not dropped)" :
				   "disk_read = 0 although the page cache was dropped",
		 !v[ZCTRACE_CTR_DISK_READ_BYTES] && nic ? "; " : "", nic ? nic : "");
}

static void judge(const struct xfer_result *r, struct verdict *vd)
{
	const uint64_t *v = r->ctr.v;
	uint64_t fixed = r->syscalls_issued - r->syscalls_loop;
	uint64_t loop = v[ZCTRACE_CTR_SYSCALLS] > fixed ? v[ZCTRACE_CTR_SYSCALLS] - fixed : 0;
	struct cell *c = vd->cells;

	vd->r = r;
	vd->row = doc_of[r->mode][r->sg];
	/* shutdown(), reading the count and STOP are ours, not the mode's. */
	vd->syscalls_per_chunk = round2((double)loop / r->chunks);

	c[CELL_CPU].expected = vd->row->cpu;
	c[CELL_CPU].measured = report_cpu_copies(r);
	c[CELL_DMA].expected = vd->row->dma;
	c[CELL_DMA].measured = !!v[ZCTRACE_CTR_DISK_READ_BYTES] + !!v[ZCTRACE_CTR_NIC_TX_BYTES];
	c[CELL_SWITCHES].expected = vd->row->switches;
	c[CELL_SWITCHES].measured = 2 * vd->syscalls_per_chunk;
	for (int i = 0; i < NR_CELLS; i++)
		c[i].match = c[i].measured == c[i].expected;

	if (!c[CELL_CPU].match)
		cpu_reason(r, &c[CELL_CPU]);
	if (!c[CELL_DMA].match)
		dma_reason(r, &c[CELL_DMA]);
	if (!c[CELL_SWITCHES].match)
		snprintf(c[CELL_SWITCHES].reason, sizeof(c[CELL_SWITCHES].reason),
			 "%.2f syscalls per chunk: %s", vd->syscalls_per_chunk,
			 xfer_mode_calls(r->mode));

	vd->failed = 0;
	for (size_t i = 0; i < ARRAY_SIZE(expectations); i++) {
		const struct expectation *e = &expectations[i];

		vd->failed += applies(e, r) && !holds(r, e->rel, quantity(r, e->q));
	}
}

static const char *run_name(const struct xfer_result *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s, sg %s", xfer_mode_name(r->mode), r->sg ? "on" : "off");
	return buf;
}

static void print_table(const struct verdict *vds, size_t n)
{
	printf("%-17s%-21s%-21s%s\n", "", "CPU copies", "DMA copies", "switches/chunk");
	printf("%-12s%-5s%-21s%-21s%s\n", "mode", "sg", "doc  measured", "doc  measured",
	       "doc  measured");
	for (size_t k = 0; k < n; k++) {
		printf("%-12s%-5s", xfer_mode_name(vds[k].r->mode), vds[k].r->sg ? "on" : "off");
		for (int i = 0; i < NR_CELLS; i++) {
			const struct cell *c = &vds[k].cells[i];

			/* DMA copies are whole devices; the others are ratios. */
			printf("%-5u%-9.*f%-*s", c->expected, i == CELL_DMA ? 0 : 2, c->measured,
			       i + 1 < NR_CELLS ? 7 : 0, c->match ? "MATCH" : "DIFF");
		}
		putchar('\n');
	}
}

/* Each DIFF's reason under its run and cell, a line per "; " part. */
static void print_reasons(const struct verdict *vds, size_t n)
{
	char name[64];

	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < NR_CELLS; i++) {
			const char *part = vds[k].cells[i].reason;

			if (vds[k].cells[i].match)
				continue;
			printf("  %s, %s:\n", run_name(vds[k].r, name, sizeof(name)), cell_names[i]);
			while (*part) {
				size_t len = strcspn(part, ";");

				printf("      %.*s\n", (int)len, part);
				part += len + strspn(part + len, "; ");
			}
		}
}

/* Print the expectations that failed; returns how many. */
static unsigned int print_contradictions(const struct verdict *vds, size_t n)
{
	unsigned int failed = 0;
	char name[64];

	for (size_t k = 0; k < n; k++) {
		const struct xfer_result *r = vds[k].r;

		for (size_t i = 0; i < ARRAY_SIZE(expectations); i++) {
			const struct expectation *e = &expectations[i];
			uint64_t x = quantity(r, e->q);

			if (!applies(e, r) || holds(r, e->rel, x))
				continue;
			printf("CONTRADICTION %s: %s = %" PRIu64 ", expected %s (N = %" PRIu64
			       ", retransmitted = %" PRIu64 ", issued = %" PRIu64 "): %s\n",
			       run_name(r, name, sizeof(name)), quantity_names[e->q], x,
			       relation_names[e->rel], r->bytes, r->retrans_bytes,
			       r->syscalls_issued, e->why);
			failed++;
		}
	}
	return failed;
}

static void json_checks(struct json *j, const struct xfer_result *r)
{
	json_open(j, "checks", '[');
	for (size_t i = 0; i < ARRAY_SIZE(expectations); i++) {
		const struct expectation *e = &expectations[i];
		uint64_t x = quantity(r, e->q);

		if (!applies(e, r))
			continue;
		json_open(j, NULL, '{');
		json_str(j, "quantity", quantity_names[e->q]);
		json_str(j, "expected", relation_names[e->rel]);
		json_u64(j, "value", x);
		json_bool(j, "ok", holds(r, e->rel, x));
		json_str(j, "why", e->why);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void json_run(struct json *j, const struct verdict *vd)
{
	json_open(j, NULL, '{');
	report_json(j, vd->r);
	json_fixed2(j, "syscalls_per_chunk", vd->syscalls_per_chunk);
	json_open(j, "expected", '{');
	json_str(j, "row", vd->row->label);
	for (int i = 0; i < NR_CELLS; i++)
		json_u64(j, cell_keys[i], vd->cells[i].expected);
	json_close(j, '}');
	json_open(j, "cells", '{');
	for (int i = 0; i < NR_CELLS; i++) {
		const struct cell *c = &vd->cells[i];

		json_open(j, cell_keys[i], '{');
		json_fixed2(j, "measured", c->measured);
		json_str(j, "result", c->match ? "MATCH" : "DIFF");
		json_str(j, "reason", c->match ? NULL : c->reason);
		json_close(j, '}');
	}
	json_close(j, '}');
	json_checks(j, vd->r);
	json_close(j, '}');
}

static unsigned int count_diffs(const struct verdict *vds, size_t n)
{
	unsigned int diffs = 0;

	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < NR_CELLS; i++)
			diffs += !vds[k].cells[i].match;
	return diffs;
}

static unsigned int count_failed(const struct verdict *vds, size_t n)
{
	unsigned int failed = 0;

	for (size_t k = 0; k < n; k++)
		failed += vds[k].failed;
	return failed;
}

static void print_json(const struct verdict *vds, size_t n)
{
	struct json j;

	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	json_str(&j, "kernel", kernel_release());
	json_u64(&j, "bytes", vds[0].r->bytes);
	json_u64(&j, "chunk", vds[0].r->chunk);
	json_str(&j, "iface", vds[0].r->iface);
	json_str(&j, "driver", vds[0].r->driver);
	json_open(&j, "runs", '[');
	for (size_t k = 0; k < n; k++)
		json_run(&j, &vds[k]);
	json_close(&j, ']');
	json_u64(&j, "diff_cells", count_diffs(vds, n));
	json_u64(&j, "contradictions", count_failed(vds, n));
	json_close(&j, '}');
	json_finish(&j);
}

static void print_human(const struct verdict *vds, size_t n)
{
	const struct xfer_result *r = vds[0].r;
	char a[FMT_LEN], b[FMT_LEN];
	unsigned int diffs = count_diffs(vds, n), failed;

	printf("zcstat verify: %s in %s chunks over %s (%s), kernel %s\n\n",
	       fmt_bytes(a, r->bytes), fmt_bytes(b, r->chunk), r->iface, r->driver,
	       kernel_release());
	print_table(vds, n);
	if (diffs) {
		printf("\nwhy the DIFFs (the table is a simplification):\n");
		print_reasons(vds, n);
	}
	putchar('\n');
	failed = print_contradictions(vds, n);
	printf("verify: %zu runs, %u DIFF cells, %u contradiction%s of what this kernel does\n",
	       n, diffs, failed, failed == 1 ? "" : "s");
}

int cmd_verify(int argc, char **argv)
{
	struct xfer_result results[NR_MODES * 2];
	struct verdict vds[NR_MODES * 2];
	struct run_opts o;
	struct run_ctx c;
	char note[PATH_MAX + 128];
	size_t n = 0;
	int ret, cleanup;

	ret = run_parse("verify", true, argc, argv, &o);
	if (ret)
		return ret;
	ret = run_setup("verify", &o, &c);
	for (int m = 0; m < NR_MODES && !ret; m++)
		for (int sg = 1; sg >= 0 && !ret; sg--)
			ret = xfer_run(&c.env, c.zcfd, &c.file, m, o.chunk, sg,
				       fancy_terminal(STDERR_FILENO), &results[n++]) ? 1 : 0;
	cleanup = run_teardown(&c);
	if (ret)
		return signal_status(ret);

	if (xfer_cache_note(&results[0], note, sizeof(note)))
		warn("%s", note);
	for (size_t k = 0; k < n; k++)
		judge(&results[k], &vds[k]);
	if (o.json)
		print_json(vds, n);
	else
		print_human(vds, n);
	return count_failed(vds, n) ? EXIT_CONTRADICTION : cleanup;
}
