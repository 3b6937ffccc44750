#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's own tracepoints (zctrace:*) as perf and trace-cmd see them
# through tracefs: they exist, and during one transfer the bytes their
# events carry add up to what was sent.
set -u
dir=$(dirname "$(readlink -f "$0")")
. "$dir/ksft_lib.sh"

zcstat=${ZCSTAT:-$dir/../../tools/zcstat/zcstat}
tracefs=/sys/kernel/tracing
[[ $EUID == 0 ]] || ksft_skip_all "must run as root"
[[ -e /dev/zctrace ]] || ksft_skip_all "zctrace.ko is not loaded"
[[ -d $tracefs/events ]] || ksft_skip_all "tracefs is not mounted"
[[ -x $zcstat ]] || ksft_skip_all "no zcstat at $zcstat (set ZCSTAT)"

size=$((1 << 20))
# A buffer of our own: the global one, and whatever else traces into it,
# are left alone.
inst=$tracefs/instances/zctrace-$RANDOM-$$
cleanup() {
	rmdir "$inst" 2>/dev/null
}
trap cleanup EXIT
mkdir "$inst" || ksft_skip_all "cannot make a tracefs instance"

# trace MODE: sets t to the zctrace events of one transfer of $size bytes;
# fails if the transfer did (sums that add up do not show it arrived).
trace() {
	local rc=0
	echo >"$inst/trace"
	echo 1 >"$inst/events/zctrace/enable"
	"$zcstat" run --mode "$1" --size "$size" --chunk 64K >/dev/null 2>&1 || rc=$?
	echo 0 >"$inst/events/zctrace/enable"
	t=$(cat "$inst/trace")
	((rc == 0)) || fail "zcstat run --mode $1 exited $rc"
}

# sum EVENT FILTER: bytes= of the EVENT lines that match FILTER.
sum() {
	grep -E " $1: .*$2" | grep -o 'bytes=[0-9]*' | cut -d= -f2 |
		awk '{ s += $1 } END { print s + 0 }'
}

events_exist() {
	local e
	for e in copy device_xfer xmit page_attach; do
		[[ -d $inst/events/zctrace/$e ]] || fail "no zctrace:$e"
	done
}

read_write_copies() {
	local t k2u u2k
	trace read-write
	k2u=$(sum copy 'dir=k2u' <<<"$t")
	u2k=$(sum copy 'dir=u2k' <<<"$t")
	[[ $k2u == "$size" && $u2k == "$size" ]] || fail "k2u $k2u u2k $u2k, sent $size"
}

sendfile_attaches_pages() {
	local t attached copied
	trace sendfile
	attached=$(sum page_attach '' <<<"$t")
	copied=$(sum copy 'dir=(u2k|k2u)' <<<"$t")
	[[ $attached == "$size" && $copied == 0 ]] ||
		fail "attached $attached, copied $copied, sent $size"
	grep -q ' xmit: .*descriptors=' <<<"$t" || fail "no xmit event"
}

ksft_plan 3
ksft_run events_exist
ksft_run read_write_copies
ksft_run sendfile_attaches_pages
ksft_finish
