// SPDX-License-Identifier: GPL-2.0
/*
 * zcstat stat: like perf stat.  The child waits on a pipe until its
 * session has started, so everything from its execve() on is counted.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "counters.h"
#include "zcdev.h"
#include "zcstat.h"

struct stat_run {
	char **argv;		/* the command, or NULL with -p */
	pid_t pid;
	bool follow, json;
	const char *output;	/* -o FILE, or NULL: standard output */
	int out;		/* FILE open, else -1 */
	int status;		/* exit status to return: the command's */
	double seconds;
	struct counters ctr;
};

static void print_stat(const struct stat_run *s)
{
	struct json j;

	if (!s->json) {
		printf("zcstat stat:");
		for (char **a = s->argv; a && *a; a++)
			printf(" %s", *a);
		printf("%spid %d%s, %.2f s", s->argv ? " (" : " ", s->pid,
		       s->follow ? ", follow" : "", s->seconds);
		if (s->argv)
			printf(", exit status %d)", s->status);
		putchar('\n');
		counters_print(&s->ctr);
		return;
	}
	json_init(&j, stdout);
	json_open(&j, NULL, '{');
	if (s->argv) {
		json_open(&j, "command", '[');
		for (char **a = s->argv; *a; a++)
			json_str(&j, NULL, *a);
		json_close(&j, ']');
		json_i64(&j, "exit_status", s->status);
	}
	json_i64(&j, "pid", s->pid);
	json_bool(&j, "follow", s->follow);
	json_fixed2(&j, "seconds", s->seconds);
	json_str(&j, "kernel", kernel_release());
	counters_json(&j, &s->ctr);
	json_close(&j, '}');
	json_finish(&j);
}

/* Stop the session and print what it counted: 0, or 1. */
static int finish(int fd, uint32_t id, double t0, struct stat_run *s)
{
	int err;

	s->seconds = now_seconds() - t0;
	err = zcdev_stop(fd, id, &s->ctr);
	if (err)
		return module_error("stop the session", -err, NULL);
	/* The command, which had our standard output, is gone by now. */
	if (s->out >= 0 && dup2(s->out, STDOUT_FILENO) < 0)
		return fail("%s: %s", s->output, strerror(errno));
	print_stat(s);
	return 0;
}

/* What START's errno means for s's thread: 1. */
static int start_error(const struct stat_run *s, int err)
{
	pid_t pid = s->pid;

	switch (err) {
	case ESRCH:
		/* With -- CMD, pid is our child, which nothing should have ended. */
		if (s->argv)
			return fail("%s ended before its session started (pid %d)", s->argv[0], pid);
		return fail("no process %d", pid);
	case EACCES:
		return fail("not allowed to trace %d: that needs its uid, or CAP_SYS_PTRACE", pid);
	case EBUSY:
		return fail("%d is traced by another session already", pid);
	case EOPNOTSUPP:
		return fail("this kernel lacks a hook zctrace needs (the kernel log names it)");
	default:
		return module_error("start a session", err, NULL);
	}
}

/*
 * The child: wait for the go, then become the command.  It closes the
 * parent's ends first, so that the parent's going away is an EOF here.
 */
static void __attribute__((noreturn)) child(char **argv, const int go[2],
					    const int report[2])
{
	char c;
	int err;

	close(go[1]);
	close(report[0]);
	if (read(go[0], &c, 1) != 1)
		_exit(127);	/* the parent could not start the session */
	execvp(argv[0], argv);
	err = errno;
	if (write(report[1], &err, sizeof(err)) != sizeof(err))
		_exit(126);
	_exit(127);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int stat_command(int fd, struct stat_run *s)
{
	int go[2], report[2], err, exec_err;
	uint32_t id;
	double t0;

	if (pipe2(go, O_CLOEXEC))
		return fail("pipe: %s", strerror(errno));
	if (pipe2(report, O_CLOEXEC)) {
		err = fail("pipe: %s", strerror(errno));
		goto err_go;
	}
	s->pid = fork();
	if (s->pid < 0) {
		err = fail("fork: %s", strerror(errno));
		close(report[0]);
		close(report[1]);
		goto err_go;
	}
	if (!s->pid)
		child(s->argv, go, report);
	close(go[0]);
	close(report[1]);
	/* Like time(1): ^C is for the command; we still print. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	/* A child already gone must fail the go's write(), not kill us unheard. */
	signal(SIGPIPE, SIG_IGN);

	err = zcdev_start(fd, s->pid, s->follow ? ZCTRACE_START_FOLLOW : 0, &id);
	/* One byte is the go; EOF without it makes the child give up. */
	if (!err && write(go[1], "g", 1) != 1)
		warn("the command did not wait for its session: %s", strerror(errno));
	close(go[1]);
	if (err) {
		wait_status(s->pid);
		err = start_error(s, -err);
		goto out;
	}
	t0 = now_seconds();
	if (read(report[0], &exec_err, sizeof(exec_err)) == sizeof(exec_err)) {
		wait_status(s->pid);
		zcdev_stop(fd, id, NULL);
		fail("cannot run %s: %s", s->argv[0], strerror(exec_err));
		/* As a shell: not found, or found but not runnable. */
		err = exec_err == ENOENT || exec_err == ENOTDIR ? 127 : 126;
		goto out;
	}
	s->status = wait_status(s->pid);
	err = finish(fd, id, t0, s) ? 1 : s->status;
out:
	close(report[0]);
	return err;

err_go:
	close(go[0]);
	close(go[1]);
	return err;
}

/* -p: until ^C, or until every traced thread has exited. */
static int stat_pid(int fd, struct stat_run *s)
{
	struct timespec tick = { .tv_sec = 1 };
	uint32_t id, state = ZCTRACE_STATE_RUNNING;
	sigset_t stop;
	double t0;
	int err;

	stop_signal_set(&stop);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	err = zcdev_start(fd, s->pid, s->follow ? ZCTRACE_START_FOLLOW : 0, &id);
	if (err)
		return start_error(s, -err);
	t0 = now_seconds();
	while (state == ZCTRACE_STATE_RUNNING && sigtimedwait(&stop, NULL, &tick) < 0)
		if (zcdev_read(fd, id, NULL, &state))
			break;
	return finish(fd, id, t0, s);
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		OPTIONS_END
	};
	struct stat_run s = { .out = -1 };
	unsigned long pid = 0;
	int c, bad = 0, fd, ret;

	/* "+": the command's own options are not ours. */
	while ((c = next_opt("stat", argc, argv, "+:p:o:h", opts, &bad)) != -1) {
		if (c == 'F')
			s.follow = true;
		else if (c == 'j')
			s.json = true;
		else if (c == 'o')
			s.output = optarg;
		else if (parse_uint(optarg, INT32_MAX, &pid) || !pid)
			return usage_error("stat", "bad pid '%s'", optarg);
	}
	if (bad)
		return bad;
	if (!pid == (optind == argc))
		return usage_error("stat", "give either -p PID or -- CMD [ARGS...]");
	s.pid = pid;
	s.argv = pid ? NULL : argv + optind;

	fd = zcdev_open();
	if (fd < 0)
		return module_error(ZCDEV_PATH, -fd, NULL);
	/* Now, so that a file that cannot be written stops us before the command. */
	if (s.output) {
		s.out = open(s.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (s.out < 0) {
			close(fd);
			return fail("%s: %s", s.output, strerror(errno));
		}
	}
	ret = pid ? stat_pid(fd, &s) : stat_command(fd, &s);
	close(fd);
	if (s.out >= 0)
		close(s.out);
	return ret;
}
