// SPDX-License-Identifier: GPL-2.0
/*
 * zcstat: the userspace side of zctrace, which counts from inside the
 * kernel the copies a file-to-socket transfer really makes.
 */

#include <stdio.h>
#include <string.h>

#include "zcstat.h"

/* The transfer options run and verify share. */
#define TRANSFER_OPTIONS \
	"  --size N           bytes to send (default 16M, or all of an existing --file)\n" \
	"  --chunk N          bytes per call (default 1M, at most 64M)\n" \
	"  --file PATH        the file to send; if PATH is a directory or does not\n" \
	"                     exist, one is made there for the run (default: a\n" \
	"                     temporary file in $TMPDIR or /tmp)\n" \
	"  --iface DEV --peer-iface DEV2\n" \
	"                     send from DEV to DEV2 (two NICs on one wire), both\n" \
	"                     moved into namespaces for the run, so they must have\n" \
	"                     no IP addresses (default: veth)\n" \
	"  --json             one JSON document (Documentation/zctrace.rst)\n"
#define NEEDS_ROOT "Needs root: the link is made in network namespaces of its own.\n"

static const struct command commands[] = {
	{ "status", cmd_status, "",
	  "is the module loaded: ABI, counters, sessions, probes", "" },
	{ "list", cmd_list, "[--json]",
	  "every session with its counters",
	  "  --json             one JSON document (Documentation/zctrace.rst)\n" },
	{ "run", cmd_run,
	  "--mode MODE [--size N] [--chunk N] [--file PATH]\n"
	  "            [--iface DEV --peer-iface DEV2] [--no-sg] [--no-trace] [--json]",
	  "send a file over TCP one way (read-write, mmap-write,\n"
	  "sendfile, splice) and count the copies it made",
	  "  --mode MODE        read-write, mmap-write, sendfile or splice\n"
	  TRANSFER_OPTIONS
	  "  --no-sg            scatter-gather off on the sender's device for the run\n"
	  "  --no-trace         no session, no module needed: the transfer alone, for\n"
	  "                     timing it (the counts stay 0)\n"
	  NEEDS_ROOT },
	{ "verify", cmd_verify,
	  "[--size N] [--chunk N] [--file PATH]\n"
	  "            [--iface DEV --peer-iface DEV2] [--json]",
	  "run every mode with scatter-gather on and off and hold the\n"
	  "counts against the textbook table",
	  TRANSFER_OPTIONS
	  NEEDS_ROOT
	  "Exit status 3: a count contradicts what this kernel is known to do.\n" },
	{ "stat", cmd_stat, "[--follow] [--json] [-o FILE] -- CMD [ARGS...] | -p PID",
	  "count what a command (or a running thread) does",
	  "  --follow           also its other threads, children and io_uring workers\n"
	  "  -p, --pid PID      attach to a running thread until ^C or its exit\n"
	  "  --json             one JSON document (Documentation/zctrace.rst)\n"
	  "  -o, --output FILE  the report to FILE, apart from the command's output\n"
	  "Exits with the command's status.\n" },
	{ "watch", cmd_watch, "[-i SECONDS]",
	  "live view of every session (the default command)",
	  "  -i, --interval S   seconds between refreshes (default 1; 0.1 to 3600)\n"
	  "On a terminal, q or ^C quits; else plain snapshots are printed.\n" },
};

static void print_command(const struct command *c)
{
	const char *h = c->help;

	printf("  zcstat %s%s%s\n", c->name, *c->args ? " " : "", c->args);
	/* Indent each line of the help under the command. */
	while (*h) {
		size_t n = strcspn(h, "\n");

		printf("      %.*s\n", (int)n, h);
		h += n + (h[n] == '\n');
	}
}

static int usage(void)
{
	printf("usage: zcstat [--version | --help] [COMMAND [ARGS...]]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		print_command(&commands[i]);
	printf("\nSizes take a K, M or G suffix (KiB units). Exit status: 0 fine, 1 runtime\n"
	       "failure, 2 bad usage, 3 verify found a count this kernel cannot give,\n"
	       "128 + N run or verify stopped by signal N (130: ^C); stat exits with the\n"
	       "command's status.\n");
	return 0;
}

static bool is_help(const char *s)
{
	return !strcmp(s, "-h") || !strcmp(s, "--help");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

int command_help(const char *name)
{
	const struct command *c = find_command(name);

	/* Only ever called with a name from commands[]. */
	if (!c)
		return fail("no help for '%s'", name);
	printf("usage:\n");
	print_command(c);
	printf("%s%s", *c->details ? "\n" : "", c->details);
	return 0;
}

static int run_command(int argc, char **argv)
{
	static char watch[] = "watch";
	static char *watch_argv[] = { watch, NULL };
	const struct command *c;
	bool help = false;

	if (argc < 2)
		return cmd_watch(1, watch_argv);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return print_version();
	/* zcstat --help [COMMAND], or help [COMMAND] */
	if (is_help(argv[1]) || !strcmp(argv[1], "help")) {
		if (argc == 2)
			return usage();
		help = true;
		argc--;
		argv++;
	}
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "zcstat: %s '%s' (see zcstat --help)\n",
			*argv[1] == '-' ? "unknown option" : "no command", argv[1]);
		return EXIT_USAGE;
	}
	/* The command's own --help is among its options (next_opt()). */
	return help ? command_help(c->name) : c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	return close_stdout(run_command(argc, argv));
}
