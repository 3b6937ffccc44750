// SPDX-License-Identifier: GPL-2.0
/*
 * zcstat watch: every session's counters, per interval and in total, from
 * periodic netlink dumps; the "sessions" multicast group tells which ended
 * in between.  On a terminal the view is redrawn in place and q quits; else
 * plain snapshots are printed.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "genl.h"
#include "zcstat.h"

/* A column sums up to three counters; UNSPEC always reads 0. */
static const struct column {
	const char *title;
	enum zctrace_counter ids[3];
	bool bytes;
} columns[] = {
	{ "syscalls", { ZCTRACE_CTR_SYSCALLS }, false },
	{ "CPU copy", { ZCTRACE_CTR_COPY_U2K_BYTES, ZCTRACE_CTR_COPY_K2U_BYTES,
			ZCTRACE_CTR_COPY_K2K_BYTES }, true },
	{ "disk rd", { ZCTRACE_CTR_DISK_READ_BYTES }, true },
	{ "NIC tx", { ZCTRACE_CTR_NIC_TX_BYTES }, true },
	{ "soft tx", { ZCTRACE_CTR_SOFT_TX_BYTES }, true },
	{ "page ref", { ZCTRACE_CTR_PAGE_REF_BYTES }, true },
};

static uint64_t column_value(const struct column *col, const struct counters *c)
{
	return c->v[col->ids[0]] + c->v[col->ids[1]] + c->v[col->ids[2]];
}

#define MAX_ENDED 5

struct watch {
	struct zgenl req, events;
	bool tty, events_on;
	struct session_list cur, prev;
	struct session_info ended[MAX_ENDED];	/* most recent first */
	size_t nr_ended;
	bool ended_lost;	/* the event socket overflowed: some not listed */
	double interval;
	struct termios saved;
};

static int session_ended(const struct session_info *s, void *arg)
{
	struct watch *w = arg;

	memmove(&w->ended[1], &w->ended[0], sizeof(w->ended) - sizeof(w->ended[0]));
	w->ended[0] = *s;
	if (w->nr_ended < MAX_ENDED)
		w->nr_ended++;
	return 0;
}

/* The previous snapshot of the same session, if it was in the last dump. */
static const struct session_info *previous(const struct watch *w, const struct session_info *s)
{
	for (size_t i = 0; i < w->prev.n; i++)
		if (w->prev.v[i].id == s->id && w->prev.v[i].start_ns == s->start_ns)
			return &w->prev.v[i];
	return NULL;
}

static void print_values(const char *id, const char *pid, const char *what,
			 const struct counters *c, const struct counters *base)
{
	char buf[FMT_LEN];

	printf("%5s %8s %-11.11s", id, pid, what);
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++) {
		uint64_t v = column_value(&columns[i], c);
		uint64_t before = base ? column_value(&columns[i], base) : 0;

		/* A reset (ZCTRACE_IOC_RESET) since: all there is is new. */
		if (v >= before)
			v -= before;
		printf(" %9s", fmt_value(buf, v, columns[i].bytes));
	}
	putchar('\n');
}

/* false when it did not reach standard output: no one is watching. */
static bool render(const struct watch *w)
{
	char stamp[16] = "--:--:--", id[16], pid[16];
	time_t now = time(NULL);
	struct tm *tm = localtime(&now);

	if (tm)
		strftime(stamp, sizeof(stamp), "%H:%M:%S", tm);
	if (w->tty)
		fputs("\033[H\033[2J", stdout);
	printf("zcstat watch %s: %zu session%s, every %.1f s%s\n\n", stamp, w->cur.n,
	       w->cur.n == 1 ? "" : "s", w->interval,
	       w->tty ? "; q or Ctrl-C quits" : "");
	printf("%5s %8s %-11s", "ID", "PID", "COMM");
	for (size_t i = 0; i < ARRAY_SIZE(columns); i++)
		printf(" %9s", columns[i].title);
	putchar('\n');
	for (size_t i = 0; i < w->cur.n; i++) {
		const struct session_info *s = &w->cur.v[i];
		const struct session_info *p = previous(w, s);
		static const struct counters zero;

		snprintf(id, sizeof(id), "%" PRIu32, s->id);
		snprintf(pid, sizeof(pid), "%" PRIu32, s->pid);
		/* A session new since the last dump: all it did is this interval's. */
		print_values(id, pid, s->comm, &s->ctr, p ? &p->ctr : &zero);
		print_values("", "", s->state == ZCTRACE_STATE_EXITED ? "  total, exited"
									: "  total", &s->ctr, NULL);
	}
	if (w->nr_ended || w->ended_lost)
		printf("\nended%s:\n", w->ended_lost ? " (some missed: too many at once)" : "");
	for (size_t i = 0; i < w->nr_ended; i++) {
		snprintf(id, sizeof(id), "%" PRIu32, w->ended[i].id);
		snprintf(pid, sizeof(pid), "%" PRIu32, w->ended[i].pid);
		print_values(id, pid, w->ended[i].comm, &w->ended[i].ctr, NULL);
	}
	if (!w->tty)
		putchar('\n');
	return flush_stdout();
}

/* Wait out one interval; false when it is time to leave. */
static bool wait_interval(struct watch *w)
{
	double end = now_seconds() + w->interval;

	while (!interrupted) {
		struct pollfd pfd[2] = {
			{ .fd = w->tty ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = w->events_on ? zgenl_fd(&w->events) : -1, .events = POLLIN },
		};
		double left = end - now_seconds();
		char c;

		if (left <= 0)
			return true;
		if (poll(pfd, 2, (int)ceil(left * 1000)) < 0)
			continue;	/* EINTR: the loop looks at interrupted */
		if ((pfd[0].revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1 &&
		    (c == 'q' || c == 'Q'))
			return false;
		/* An overflow shows as POLLERR; reading reports and clears it. */
		if ((pfd[1].revents & (POLLIN | POLLERR)) && zgenl_events(&w->events))
			w->ended_lost = true;
	}
	return false;
}

static void raw_terminal(struct watch *w)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &w->saved)) {
		w->tty = false;
		return;
	}
	t = w->saved;
	/* Keys one by one, unechoed; ISIG stays so ^C still interrupts. */
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
	fputs("\033[?25l", stdout);	/* no cursor blinking over the table */
}

static void restore_terminal(struct watch *w)
{
	tcsetattr(STDIN_FILENO, TCSANOW, &w->saved);
	fputs("\033[?25h", stdout);
	flush_stdout();
}

static int parse_interval(int argc, char **argv, double *interval)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		OPTIONS_END
	};
	int c, bad = 0;
	char *end;

	*interval = 1.0;
	while ((c = next_opt("watch", argc, argv, ":i:h", opts, &bad)) != -1) {
		*interval = strtod(optarg, &end);
		if (*end || end == optarg || !(*interval >= 0.1 && *interval <= 3600))
			return usage_error("watch", "bad interval '%s': 0.1 to 3600 seconds", optarg);
	}
	if (bad)
		return bad;
	if (optind < argc)
		return usage_error("watch", "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	struct watch w = { 0 };
	int err;

	err = parse_interval(argc, argv, &w.interval);
	if (err)
		return err;
	err = zgenl_open(&w.req);
	if (err)
		return module_error("generic netlink", -err, NULL);
	/* Without events, ended sessions just drop out of the dumps. */
	w.events_on = !zgenl_open(&w.events);
	if (w.events_on && zgenl_subscribe(&w.events, session_ended, &w)) {
		zgenl_close(&w.events);
		w.events_on = false;
	}
	catch_signals();
	w.tty = fancy_terminal(STDOUT_FILENO) && isatty(STDIN_FILENO);
	if (w.tty)
		raw_terminal(&w);

	do {
		struct session_list t = w.prev;

		w.prev = w.cur;
		w.cur = (struct session_list){ .v = t.v };
		err = zgenl_sessions(&w.req, session_list_add, &w.cur);
		/* main() says why the output failed. */
		if (err || !render(&w))
			break;
	} while (wait_interval(&w));

	if (w.tty)
		restore_terminal(&w);
	free(w.cur.v);
	free(w.prev.v);
	zgenl_close(&w.req);
	if (w.events_on)
		zgenl_close(&w.events);
	return err ? module_error("generic netlink zctrace", -err, w.req.ext) : 0;
}
