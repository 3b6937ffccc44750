#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The "zctrace" generic netlink family as iproute2's genl sees it: its
# version, its three commands and its "sessions" multicast group, in the
# initial network namespace only.
set -u
dir=$(dirname "$(readlink -f "$0")")
. "$dir/ksft_lib.sh"

[[ $EUID == 0 ]] || ksft_skip_all "must run as root"
[[ -e /dev/zctrace ]] || ksft_skip_all "zctrace.ko is not loaded"
command -v genl >/dev/null || ksft_skip_all "no genl (iproute2)"

ns=zctrace-$RANDOM-$$
cleanup() {
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT

ksft_plan 6
out=$(genl ctrl get name zctrace 2>&1)
grep -v '^$' <<<"$out" | sed 's/^/# /'

family_listed() {
	grep -q '^Name: zctrace$' <<<"$out" || fail "no 'Name: zctrace'"
}

family_version() {
	grep -Eq 'Version: 0x0*1\b' <<<"$out" || fail "version is not 1"
}

# GET_VERSION, GET_SESSION and GET_PROBE; SESSION_END is only multicast.
family_commands() {
	local cmds
	cmds=$(grep -Eo 'ID-0x[0-9a-f]+' <<<"$(sed -n '/commands supported/,/multicast groups/p' <<<"$out")" |
		grep -v '^$' | sort | tr '\n' ' ')
	[[ $cmds == "ID-0x1 ID-0x2 ID-0x3 " ]] || fail "commands are '$cmds'"
}

family_group() {
	grep -Eq 'name: sessions\b' <<<"$out" || fail "no 'sessions' multicast group"
}

# Listed by the dump of all families too.
family_in_dump() {
	genl ctrl list | grep -q '^Name: zctrace$' || fail "not in 'genl ctrl list'"
}

family_not_in_other_netns() {
	ip netns add "$ns" || return 4
	# Every namespace has the controller: a failing genl proves nothing.
	ip netns exec "$ns" genl ctrl get name nlctrl >/dev/null ||
		fail "genl cannot query the controller in netns $ns"
	if ip netns exec "$ns" genl ctrl get name zctrace >/dev/null 2>&1; then
		fail "family visible from netns $ns"
	fi
}

ksft_run family_listed
ksft_run family_version
ksft_run family_commands
ksft_run family_group
ksft_run family_in_dump
ksft_run family_not_in_other_netns
ksft_finish
