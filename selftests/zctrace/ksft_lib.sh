# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the shell selftests: TAP output with kselftest's exit codes.

ksft_pass=0 ksft_fail=0 ksft_skip=0 ksft_num=0 ksft_failed=0

ksft_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

# ksft_result STATUS NAME: STATUS 0 is ok, 4 is a skip, anything else fails.
ksft_result() {
	ksft_num=$((ksft_num + 1))
	case $1 in
	0) echo "ok $ksft_num $2"; ksft_pass=$((ksft_pass + 1)) ;;
	4) echo "ok $ksft_num $2 # SKIP"; ksft_skip=$((ksft_skip + 1)) ;;
	*) echo "not ok $ksft_num $2"; ksft_fail=$((ksft_fail + 1)) ;;
	esac
}

# The whole program is skipped: plan nothing, say why, exit 4.
ksft_skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4
}

ksft_finish() {
	echo "# Totals: pass:$ksft_pass fail:$ksft_fail xfail:0 xpass:0 skip:$ksft_skip error:0"
	((ksft_fail)) && exit 1
	((ksft_pass == 0 && ksft_skip)) && exit 4
	exit 0
}

# Run "$@" and report it as one test named by its function: it fails if
# it called fail, whatever its last command returned.
ksft_run() {
	local rc
	ksft_failed=0
	"$@"
	rc=$?
	((ksft_failed)) && rc=1
	ksft_result "$rc" "$1"
}

# Say what went wrong on a test's own line and mark the test failed; it
# goes on, so that one run reports every check that fails.
fail() {
	echo "# $*"
	ksft_failed=1
	return 1
}
