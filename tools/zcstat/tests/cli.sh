#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# zcstat's command line without the module: usage errors exit 2 with one
# line, and with the module absent every command that needs it says so in
# one line and exits 1.  Usage: tests/cli.sh [path/to/zcstat]
Z=${1:-$(dirname "$0")/../zcstat}
failed=0

# expect STATUS LINES PATTERN -- ARGS...: exit status, stderr line count, grep -E on stderr.
expect() {
	want=$1 lines=$2 pattern=$3
	shift 4
	err=$("$Z" "$@" 2>&1 >/dev/null)
	got=$?
	n=$(printf '%s\n' "$err" | grep -c .)
	if [ "$got" != "$want" ] || [ "$n" != "$lines" ] ||
	   ! printf '%s\n' "$err" | grep -Eq -- "$pattern"; then
		echo "FAIL zcstat $*: exit $got (want $want), $n stderr lines (want $lines): $err"
		failed=$((failed + 1))
	else
		echo "ok   zcstat $*"
	fi
}

expect 2 1 "no command 'bogus'" -- bogus
expect 2 1 "--mode MODE is needed" -- run
expect 2 1 "no mode 'zerocopy'" -- run --mode zerocopy
expect 2 1 "bad size '16X'" -- run --mode sendfile --size 16X
expect 2 1 "bad chunk '0'" -- run --mode sendfile --chunk 0
expect 2 1 "at most 64 MiB" -- run --mode sendfile --chunk 65M
expect 2 1 "go together" -- run --mode sendfile --iface eth0
expect 2 1 "must differ" -- verify --iface eth0 --peer-iface eth0
expect 2 1 "unknown option '--frobnicate'" -- verify --frobnicate
expect 2 1 "verify runs every mode" -- verify --mode sendfile
expect 2 1 "needs a value" -- run --mode
expect 2 1 "option '--json' takes no value" -- run --mode sendfile --json=1
expect 2 1 "either -p PID or" -- stat
expect 2 1 "either -p PID or" -- stat -p 1 -- true
expect 2 1 "bad pid 'x'" -- stat -p x
expect 2 1 "bad interval" -- watch -i 0
expect 2 1 "unexpected argument" -- list extra
expect 0 0 "^$" -- --version
expect 0 0 "^$" -- --help
expect 0 0 "^$" -- run --help

if [ ! -e /dev/zctrace ] && ! grep -qw zctrace /proc/modules 2>/dev/null; then
	for cmd in status list "list --json" "run --mode sendfile" verify "stat -- true" \
		   "stat -p 1" watch ""; do
		# shellcheck disable=SC2086 # the words are the arguments
		expect 1 1 "^zcstat: zctrace module is not loaded \(modprobe zctrace / insmod zctrace.ko\)$" -- $cmd
	done
else
	echo "skip the module-absent checks: zctrace is loaded"
fi

[ "$failed" = 0 ] && echo "cli: all passed" || echo "cli: $failed failed"
[ "$failed" = 0 ]
