#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# zcstat's command line without the module: usage errors exit 2 with one
# line, and with the module absent every command that needs it says so in
# one line and exits 1.  Usage: tests/cli.sh [path/to/zcstat]
Z=${1:-$(dirname "$0")/../zcstat}
failed=0
out=/dev/null	# where expect sends stdout

result() {
	if [ "$1" = ok ]; then
		echo "ok   zcstat $2"
	else
		echo "FAIL zcstat $2: $1"
		failed=$((failed + 1))
	fi
}

# expect STATUS STDERR -- ARGS...: the exit status and the whole of stderr.
expect() {
	want=$1 want_err=$2
	shift 3
	err=$("$Z" "$@" 2>&1 >"$out")
	got=$?
	if [ "$got" = "$want" ] && [ "$err" = "$want_err" ]; then
		result ok "$*"
	else
		result "exit $got (want $want), stderr '$err' (want '$want_err')" "$*"
	fi
}

# help_of CMD -- ARGS...: ARGS print what `zcstat help CMD` does, and exit 0.
help_of() {
	want=$("$Z" help "$1")
	shift 2
	got=$("$Z" "$@" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
		result ok "$*"
	else
		result "exit $rc (want 0), output '$got' (want '$want')" "$*"
	fi
}

# The line a usage error of command $1 ends with.
usage() {
	echo "zcstat $1: $2 (see zcstat $1 --help)"
}

modes="read-write, mmap-write, sendfile or splice"
expect 2 "zcstat: no command 'bogus' (see zcstat --help)" -- bogus
expect 2 "zcstat: unknown option '-x' (see zcstat --help)" -- -x
expect 2 "zcstat: no command 'bogus' (see zcstat --help)" -- help bogus
expect 2 "$(usage run "--mode MODE is needed: $modes")" -- run
expect 2 "$(usage run "no mode 'zerocopy': $modes")" -- run --mode zerocopy
expect 2 "$(usage run "bad size '16X': use N, NK, NM or NG")" -- run --mode sendfile --size 16X
expect 2 "$(usage run "bad chunk '0': use N, NK, NM or NG")" -- run --mode sendfile --chunk 0
expect 2 "$(usage run "bad size '8589934592G': use N, NK, NM or NG")" -- run --mode sendfile --size 8589934592G
expect 2 "$(usage verify "bad size '9223372036854775808': use N, NK, NM or NG")" \
	-- verify --size 9223372036854775808
expect 2 "$(usage run "--chunk is at most 64 MiB")" -- run --mode sendfile --chunk 65M
expect 2 "$(usage run "--iface and --peer-iface go together")" -- run --mode sendfile --iface eth0
expect 2 "$(usage verify "--iface and --peer-iface must differ")" -- verify --iface eth0 --peer-iface eth0
# A longer name would reach the ioctls cut short: another device's name.
expect 2 "$(usage run "bad iface 'abcdefghijklmnoXYZ': a device name of 1 to 15 characters")" \
	-- run --mode sendfile --iface abcdefghijklmnoXYZ --peer-iface p0
expect 2 "$(usage verify "bad peer-iface 'abcdefghijklmnop': a device name of 1 to 15 characters")" \
	-- verify --iface p0 --peer-iface abcdefghijklmnop
expect 2 "$(usage run "bad iface '': a device name of 1 to 15 characters")" \
	-- run --mode sendfile --iface '' --peer-iface p0
expect 2 "$(usage verify "unknown option '--frobnicate'")" -- verify --frobnicate
expect 2 "$(usage verify "--mode: verify runs every mode")" -- verify --mode sendfile
expect 2 "$(usage run "option '--mode' needs a value")" -- run --mode
expect 2 "$(usage run "option '--json' takes no value")" -- run --mode sendfile --json=1
# An abbreviated long option is quoted as given, not by its letter.
expect 2 "$(usage run "option '--no-t' takes no value")" -- run --mode sendfile --no-t=1
expect 2 "$(usage run "unknown option '--frob'")" -- run --mode sendfile --frob=2
expect 2 "$(usage stat "give either -p PID or -- CMD [ARGS...]")" -- stat
expect 2 "$(usage stat "give either -p PID or -- CMD [ARGS...]")" -- stat -p 1 -- true
expect 2 "$(usage stat "bad pid 'x'")" -- stat -p x
expect 2 "$(usage stat "option '-o' needs a value")" -- stat -o
expect 2 "$(usage watch "bad interval '0': 0.1 to 3600 seconds")" -- watch -i 0
expect 2 "$(usage list "unexpected argument 'extra'")" -- list extra
expect 0 "" -- --version
expect 0 "" -- --help
expect 0 "" -- run --help
# Only the short options the help shows: -i is watch's, -p stat's.
expect 2 "$(usage run "unknown option '-m'")" -- run -m sendfile
expect 2 "$(usage verify "unknown option '-i'")" -- verify -i eth0 -p eth1
expect 2 "$(usage stat "unknown option '-F'")" -- stat -F -- true
expect 2 "$(usage list "unknown option '-j'")" -- list -j
expect 2 "$(usage status "unexpected argument 'extra'")" -- status extra
expect 2 "$(usage status "unknown option '-x'")" -- status -x
# --help anywhere among a command's options, as its first argument, or
# after help; not after stat's "--", where it is the command's.
status_help="usage:
  zcstat status
      is the module loaded: ABI, counters, sessions, probes"
if [ "$("$Z" help status)" = "$status_help" ]; then
	result ok "help status"
else
	result "output '$("$Z" help status)' (want '$status_help')" "help status"
fi
help_of status -- status --help
help_of list -- list --json --help
help_of list -- --help list
help_of run -- run --mode sendfile --size 1M --help
help_of verify -- verify --iface a0 -h
help_of stat -- stat --follow --help
help_of watch -- watch -i 2 --help
help_of status -- status extra --help
# Output lost to a full disk is a failure, not a silent 0.
out=/dev/full
expect 1 "zcstat: standard output: No space left on device" -- --help
expect 1 "zcstat: standard output: No space left on device" -- --version
expect 1 "zcstat: standard output: No space left on device" -- verify --help
out=/dev/null

if [ ! -e /dev/zctrace ] && ! grep -qw zctrace /proc/modules 2>/dev/null; then
	for cmd in status list "list --json" "run --mode sendfile" verify "stat -- true" \
		   "stat -p 1" watch ""; do
		# shellcheck disable=SC2086 # the words are the arguments
		expect 1 "zcstat: zctrace module is not loaded (modprobe zctrace / insmod zctrace.ko)" \
			-- $cmd
	done
else
	echo "skip the module-absent checks: zctrace is loaded"
fi

[ "$failed" = 0 ] && echo "cli: all passed" || echo "cli: $failed failed"
[ "$failed" = 0 ]
