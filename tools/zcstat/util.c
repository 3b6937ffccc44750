// SPDX-License-Identifier: GPL-2.0
/* Messages, option and size parsing, signals: shared by every command. */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "zcstat.h"

volatile sig_atomic_t interrupted;

/* Why output first failed to reach standard output, 0: it has not. */
static int stdout_errno;

/* err > 0: ": strerror(err)" after it, then the kernel's words (ext) if any. */
static void vmessage(int err, const char *ext, const char *fmt, va_list ap)
{
	fputs("zcstat: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	if (err && ext && *ext)
		fprintf(stderr, " (%s)", ext);
	fputc('\n', stderr);
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(0, NULL, fmt, ap);
	va_end(ap);
	return 1;
}

int fail_errno(int err, const char *ext, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(err, ext, fmt, ap);
	va_end(ap);
	return 1;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(0, NULL, fmt, ap);
	va_end(ap);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zcstat %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see zcstat %s --help)\n", cmd);
	return EXIT_USAGE;
}

bool flush_stdout(void)
{
	if (fflush(stdout) && !stdout_errno)
		stdout_errno = errno;
	return !ferror(stdout);
}

int close_stdout(int status)
{
	if (flush_stdout())
		return status;
	/* A write inside printf() failed, and its errno is gone. */
	fail("standard output: %s", stdout_errno ? strerror(stdout_errno) : "a write failed");
	return 1;
}

int next_opt(const char *cmd, int argc, char **argv, const char *shortopts,
	     const struct option *longopts, int *bad)
{
	const char *word;
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	word = argv[optind - 1];
	/*
	 * A long option is quoted as given, up to any "=value": getopt_long()
	 * puts its val (a letter no short option may have) in optopt when it
	 * was given a value it does not take, else 0.
	 */
	if (c == '?' && !strncmp(word, "--", 2))
		*bad = usage_error(cmd, optopt ? "option '%.*s' takes no value" :
				   "unknown option '%.*s'", (int)strcspn(word, "="), word);
	else if (c == '?')
		*bad = usage_error(cmd, "unknown option '-%c'", optopt);
	else if (c == ':')
		*bad = usage_error(cmd, "option '%s' needs a value", word);
	/* Nothing is set up yet: as GNU tools do, leave from here. */
	else if (c == 'h')
		exit(close_stdout(command_help(cmd)));
	else
		return c;
	return -1;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	}
	/* A file's size is an off_t: beyond it, counts derived from it wrap. */
	if (*end || !v || v > ((unsigned long long)INT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void on_signal(int sig)
{
	interrupted = sig;
}

static const int stop_sigs[] = { SIGINT, SIGTERM, SIGHUP };

void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(stop_sigs); i++)
		sigaction(stop_sigs[i], &sa, NULL);
}

void stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(stop_sigs); i++)
		sigaddset(set, stop_sigs[i]);
}

int signal_status(int status)
{
	return status && interrupted ? 128 + interrupted : status;
}

void *array_slot(void **base, size_t n, size_t size)
{
	char *p = realloc(*base, (n + 1) * size);

	if (!p)
		return NULL;
	*base = p;
	return p + n * size;
}

bool fancy_terminal(int fd)
{
	const char *term = getenv("TERM");

	return isatty(fd) && term && *term && strcmp(term, "dumb");
}

const char *kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		return "unknown";
	return u.release;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
