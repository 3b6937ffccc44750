#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# insmod and rmmod of zctrace.ko ($ZCTRACE_KO, default: the repo's): the
# device node and the genl family come and go with the module, it taints
# the kernel with O and E only (E where the kernel checks signatures), and
# rmmod is refused while /dev/zctrace is open.  The module is left loaded
# or not, as it was found.
set -u
dir=$(dirname "$(readlink -f "$0")")
. "$dir/ksft_lib.sh"

ko=${ZCTRACE_KO:-$dir/../../zctrace.ko}
[[ $EUID == 0 ]] || ksft_skip_all "must run as root"
[[ -r $ko ]] || ksft_skip_all "no module at $ko: set ZCTRACE_KO"
command -v insmod >/dev/null || ksft_skip_all "no insmod (kmod)"

loaded() {
	[[ -d /sys/module/zctrace ]]
}

was_loaded=0
if loaded; then
	was_loaded=1
	rmmod zctrace 2>/dev/null || ksft_skip_all "zctrace is loaded and in use"
fi
# A state not restored would fail the programs after this one: say so here.
restore() {
	local rc=$?

	exec 3>&-
	if ((was_loaded)) && ! loaded; then
		insmod "$ko" || { echo "# cannot load zctrace again" >&2; rc=1; }
	elif ((!was_loaded)) && loaded; then
		rmmod zctrace || { echo "# cannot unload zctrace again" >&2; rc=1; }
	fi
	exit "$rc"
}
trap restore EXIT

taint_bits() {
	cat /proc/sys/kernel/tainted
}

insmod_creates_node_and_family() {
	local before mode
	before=$(taint_bits)
	insmod "$ko" || fail "insmod $ko failed"
	loaded || fail "no /sys/module/zctrace"
	mode=$(stat -c '%F %a %U:%G' /dev/zctrace 2>&1)
	[[ $mode == "character special file 600 root:root" ]] || fail "/dev/zctrace: $mode"
	if command -v genl >/dev/null; then
		genl ctrl get name zctrace >/dev/null 2>&1 || fail "no genl family"
	fi
	# Out of tree (O, 4096) and unsigned (E, 8192): nothing else may appear.
	local added=$(( $(taint_bits) & ~before ))
	(( (added & ~(4096 | 8192)) == 0 )) || fail "load added taint bits $added"
}

# Out of tree, and unsigned where the kernel checks signatures (it has
# the sig_enforce parameter only then) and the module has none appended.
expected_taint() {
	if [[ -e /sys/module/module/parameters/sig_enforce ]] &&
	   [[ $(tail -c 28 "$ko" | tr -d '\n\0') != "~Module signature appended~" ]]; then
		echo OE
	else
		echo O
	fi
}

module_taint_is_oot_and_unsigned() {
	local t want
	t=$(cat /sys/module/zctrace/taint)
	want=$(expected_taint)
	[[ $t == "$want" ]] || fail "module taint '$t', expected '$want'"
}

second_insmod_refused() {
	local err
	err=$(insmod "$ko" 2>&1) && fail "second insmod succeeded"
	grep -q "File exists" <<<"$err" || fail "second insmod: $err"
}

rmmod_refused_while_open() {
	local err
	exec 3<>/dev/zctrace || fail "cannot open /dev/zctrace"
	err=$(rmmod zctrace 2>&1) && fail "rmmod succeeded with the device open"
	grep -q "in use" <<<"$err" || fail "rmmod: $err"
	loaded || fail "module gone while open"
	[[ $(cat /sys/module/zctrace/refcnt) == 1 ]] || fail "refcnt $(cat /sys/module/zctrace/refcnt)"
	exec 3>&-
}

rmmod_after_close() {
	rmmod zctrace || fail "rmmod failed"
	! loaded || fail "still in /sys/module"
	[[ ! -e /dev/zctrace ]] || fail "/dev/zctrace still there"
	if command -v genl >/dev/null; then
		! genl ctrl get name zctrace >/dev/null 2>&1 || fail "genl family still there"
	fi
}

reload_cycles() {
	local i
	for ((i = 0; i < 5; i++)); do
		insmod "$ko" || fail "insmod #$i failed"
		rmmod zctrace || fail "rmmod #$i failed"
	done
}

ksft_plan 6
ksft_run insmod_creates_node_and_family
ksft_run module_taint_is_oot_and_unsigned
ksft_run second_insmod_refused
ksft_run rmmod_refused_while_open
ksft_run rmmod_after_close
ksft_run reload_cycles
ksft_finish
