/* SPDX-License-Identifier: GPL-2.0 */
/* What every zcstat command shares: exit codes, messages, option parsing. */
#ifndef ZCSTAT_H
#define ZCSTAT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXIT_USAGE		2	/* bad command line */
#define EXIT_CONTRADICTION	3	/* verify: a count this kernel cannot give */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A subcommand: argv[0] is its name. Returns the process exit status. */
struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *args;
	const char *help;
	const char *details;	/* its options, for CMD --help */
};

int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* "zcstat: ..." on stderr; returns 1 so callers can `return fail(...)`. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * fail() with ": strerror(err)" after the message (err > 0), and then the
 * kernel's own words on it in parentheses, when ext holds some.
 */
int fail_errno(int err, const char *ext, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A bad command line for cmd: one line, and EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * fflush(stdout): false once any output has failed to reach it (a full
 * disk, a closed pipe).  close_stdout() at exit makes that a failure,
 * whatever the command made of it: returns status, or 1 with the reason.
 */
bool flush_stdout(void);
int close_stdout(int status);

/*
 * The one-line message for an error of the zctrace interfaces: module not
 * loaded (ENOENT), permission (EPERM, EACCES), else what + strerror and
 * the kernel's words on it (ext: from netlink, may be NULL).  Returns 1.
 */
int module_error(const char *what, int err, const char *ext);

/* Print the usage and options of command name; returns 0. */
int command_help(const char *name);

/*
 * getopt_long() over argv with our own one-line messages, see util.c.
 * -h and --help, which every command takes (its longopts must end with
 * OPTIONS_END, its shortopts hold 'h'), print its help and exit.
 */
#define OPTIONS_END { "help", no_argument, NULL, 'h' }, { 0 }
struct option;
int next_opt(const char *cmd, int argc, char **argv, const char *shortopts,
	     const struct option *longopts, int *bad);

/* N with an optional K, M or G (powers of 1024) suffix; > 0, <= INT64_MAX. */
int parse_size(const char *s, uint64_t *out);
int parse_uint(const char *s, unsigned long max, unsigned long *out);

/* Set to SIGINT, SIGTERM or SIGHUP once catch_signals() is in force. */
extern volatile sig_atomic_t interrupted;
/* Catch them without SA_RESTART, so a blocked call returns EINTR. */
void catch_signals(void);
/* Those three, as a set. */
void stop_signal_set(sigset_t *set);
/*
 * A failure's exit status after one of them: 128 + its number, as a shell
 * gives for a command it killed (130 for ^C); else status.
 */
int signal_status(int status);

/* Grow *base to hold element n (realloc); NULL when out of memory. */
void *array_slot(void **base, size_t n, size_t size);

/* Print "zcstat VERSION" and what is known of the module. */
int print_version(void);

/* A terminal that takes cursor movement (not TERM=dumb). */
bool fancy_terminal(int fd);

const char *kernel_release(void);
double now_seconds(void);

#endif
