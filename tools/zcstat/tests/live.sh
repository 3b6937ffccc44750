#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# zcstat against the loaded module (run as root in the test guest), in TAP:
# verify's JSON says what its table says, watch shows counts moving, stat
# counts what run counts, a device with addresses is not taken, a
# session that cannot start ends stat with the reason, output that cannot
# be written is a failure, verify takes a file under 100 bytes, stat exits
# as a shell does with a command it cannot run, and stat -o keeps its
# report apart from the command's output.
# Usage: tests/live.sh [path/to/zcstat]
Z=$(realpath "${1:-$(dirname "$0")/../zcstat}")
work=$(mktemp -d)
session=zclive$$
trap 'tmux kill-session -t $session 2>/dev/null; rm -rf "$work"' EXIT

echo "TAP version 13"
echo "1..9"

# 1. Two verify runs on tmpfs, one as JSON, one as the table: every cell's
#    MATCH/DIFF and measured figure must agree.  Only the copies with SG off
#    vary between runs: a segment TCP sends again is copied again.  Net of
#    what each run says TCP retransmitted, they must agree too.
"$Z" verify --size 4M --json >"$work/v.json" 2>/dev/null
"$Z" verify --size 4M >"$work/v.txt" 2>/dev/null
if python3 - "$work/v.json" "$work/v.txt" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
rows, resent, run = {}, {}, None
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 11 and f[1] in ("on", "off"):
        rows[(f[0], f[1])] = f[2:]
    m = re.match(r"  (\S+), sg (on|off), CPU copies:", line)
    if m:
        run = (m[1], m[2])
    m = re.search(r"retransmitted = (\d+)", line)
    if m and run:
        resent[run] = int(m[1])
bad = 0
for run in doc["runs"]:
    key = (run["mode"], "on" if run["sg"] else "off")
    cols = rows.get(key)
    if cols is None:
        print(f"# no table row for {key}"); bad += 1; continue
    for i, cell in enumerate(("cpu_copies", "dma_copies", "switches")):
        c = run["cells"][cell]
        shown, result = float(cols[3 * i + 1]), cols[3 * i + 2]
        measured = c["measured"]
        varies = cell == "cpu_copies" and key[1] == "off"
        if varies:
            shown -= resent.get(key, 0) / doc["bytes"]
            measured -= run["retrans_bytes"] / doc["bytes"]
        # Each side rounds to 0.01 once, and once more net of retransmits.
        if abs(shown - measured) > (0.015 if varies else 0.005) or \
           (result != c["result"] and not varies):
            print(f"# {key} {cell}: table {cols[3 * i + 1]} {result}, json {c['measured']} {c['result']}"
                  f" (retransmitted: table {resent.get(key, 0)}, json {run['retrans_bytes']})")
            bad += 1
sys.exit(1 if bad or len(rows) != 8 else 0)
PY
then
	echo "ok 1 verify --json agrees with the table"
else
	echo "not ok 1 verify --json agrees with the table"
fi

# 2. watch in a terminal (tmux) while a traced command makes system calls
#    until both screens are taken (a fixed run time can end first on a
#    slow guest): its session appears and its counts differ between two
#    screens a few seconds apart.
# The traced command's row and the total under it, without the clock above.
session_rows() {
	awk '/^ +[0-9]+ +[0-9]+ bash / { print; getline; print }' "$1"
}
tmux new-session -d -s $session -x 120 -y 40 "$Z watch -i 1"
"$Z" stat -- bash -c 'while [ ! -e "$1" ] && ((SECONDS < 120)); do read -r _ </proc/uptime; done' \
	_ "$work/screens-taken" >/dev/null 2>&1 &
traced=$!
# The first screen once the session shows (tmux, watch and stat starting
# can take more than a fixed few seconds on a slow guest), the second
# three refreshes later.
for ((i = 0; i < 60; i++)); do
	sleep 1
	tmux capture-pane -p -t $session >"$work/screen1"
	[ -n "$(session_rows "$work/screen1")" ] && break
done
sleep 3
tmux capture-pane -p -t $session >"$work/screen2"
touch "$work/screens-taken"
wait $traced
tmux send-keys -t $session q
# q ends watch, and with it the session; give it time to.
for ((i = 0; i < 20; i++)); do
	tmux has-session -t $session 2>/dev/null || break
	sleep 0.5
done
session_rows "$work/screen1" >"$work/rows1"
session_rows "$work/screen2" >"$work/rows2"
if [ -s "$work/rows1" ] && [ -s "$work/rows2" ] && ! cmp -s "$work/rows1" "$work/rows2" &&
   ! tmux has-session -t $session 2>/dev/null; then
	echo "ok 2 watch shows the running session's counts moving, and q leaves"
else
	echo "not ok 2 watch shows the running session's counts moving, and q leaves"
	sed 's/^/# /' "$work/screen1" "$work/screen2"
fi

# 3. stat around a command that sends a file counts what run counts for the
#    same transfer.  With --follow it also sees that command make the file
#    and receive it, so compare what only the sending side does: the bytes
#    attached by page reference, exactly, and those carried in fragments,
#    which a retransmitted segment (a stalled vCPU can fire the RTO) carries
#    again.
#    Both transfers must have succeeded: counts that add up do not show
#    that the receiver got every byte.
"$Z" run --mode sendfile --size 4M --json >"$work/run.json" 2>/dev/null
run_rc=$?
"$Z" stat --follow --json -- sh -c "exec '$Z' run --no-trace --mode sendfile --size 4M >/dev/null 2>&1" \
	>"$work/stat.json"
stat_rc=$?
if ((run_rc == 0 && stat_rc == 0)) && python3 - "$work/run.json" "$work/stat.json" <<'PY'
import json, sys
stat_doc = json.load(open(sys.argv[2]))
run, stat = json.load(open(sys.argv[1]))["gather"], stat_doc["gather"]
sent = 4 << 20
bad = [k for k in ("page_ref_bytes",) if run[k] != sent or stat[k] != sent]
if stat_doc["exit_status"] != 0:
    print(f"# the command under stat exited {stat_doc['exit_status']}")
    bad.append("exit_status")
bad += [k for k in ("frag_bytes",) if run[k] < sent or stat[k] < sent]
for k in bad:
    print(f"# {k}: run {run[k]}, stat {stat[k]}, sent {sent}")
sys.exit(1 if bad else 0)
PY
then
	echo "ok 3 stat -- CMD counts the transfer as run does"
else
	echo "not ok 3 stat -- CMD counts the transfer as run does"
	echo "# run exited $run_rc, stat $stat_rc"
fi

# 4. A device of the user's that holds addresses is refused, not moved into
#    a namespace (which would delete them), and keeps them.
ip link add zclive0 type dummy && ip link add zclive1 type dummy &&
	ip addr add 198.51.100.1/24 dev zclive0
out=$("$Z" run --mode sendfile --size 1M --iface zclive0 --peer-iface zclive1 2>&1)
status=$?
if [ $status = 1 ] && [[ $out == *"zclive0 has IP addresses"* ]] &&
   ip -o addr show dev zclive0 | grep -q 198.51.100.1/24; then
	echo "ok 4 run refuses a device that has addresses"
else
	echo "not ok 4 run refuses a device that has addresses"
	echo "# exit $status: $out"
fi
ip link del zclive0 2>/dev/null
ip link del zclive1 2>/dev/null

# 5. A command already traced (by the outer stat's --follow) cannot get a
#    session of its own: the inner stat says so and exits 1, and its child,
#    which never got the go, does not keep it waiting.
out=$(timeout 60 "$Z" stat --follow -- "$Z" stat -- true 2>&1 >/dev/null)
status=$?
if [ $status = 1 ] && [[ $out == *"traced by another session already"* ]]; then
	echo "ok 5 stat -- CMD says why a session could not start"
else
	echo "not ok 5 stat -- CMD says why a session could not start"
	echo "# exit $status: $out"
fi

# 6. Output that cannot be written is a failure: list says why and exits 1,
#    and watch, which would otherwise redraw into a full disk for ever, stops.
want="zcstat: standard output: No space left on device"
list_out=$(timeout 20 "$Z" list --json 2>&1 >/dev/full)
list_rc=$?
watch_out=$(timeout 20 "$Z" watch -i 0.1 2>&1 >/dev/full)
watch_rc=$?
if ((list_rc == 1 && watch_rc == 1)) && [[ $list_out == "$want" && $watch_out == "$want" ]]; then
	echo "ok 6 output that cannot be written fails list and stops watch"
else
	echo "not ok 6 output that cannot be written fails list and stops watch"
	echo "# list exit $list_rc: $list_out"
	echo "# watch exit $watch_rc: $watch_out"
fi

# 7. verify of a file under 100 bytes: "CPU copy bytes < N/100" must hold
#    for none copied, which N/100 rounded down to 0 did not allow.
out=$("$Z" verify --size 64 2>&1)
status=$?
if [ $status = 0 ]; then
	echo "ok 7 verify --size 64 finds no contradiction"
else
	echo "not ok 7 verify --size 64 finds no contradiction"
	echo "# exit $status:"
	printf '%s\n' "$out" | sed 's/^/# /'
fi

# 8. stat -- CMD with a CMD that cannot be run exits as a shell would: 127
#    when it is not found, 126 when it is found but cannot be run.
missing=$("$Z" stat -- "$work/missing" 2>&1 >/dev/null)
missing_rc=$?
touch "$work/plain"
plain=$("$Z" stat -- "$work/plain" 2>&1 >/dev/null)
plain_rc=$?
if ((missing_rc == 127 && plain_rc == 126)) &&
   [[ $missing == "zcstat: cannot run $work/missing: No such file or directory" &&
      $plain == "zcstat: cannot run $work/plain: Permission denied" ]]; then
	echo "ok 8 stat exits 127 for a command not found, 126 for one it cannot run"
else
	echo "not ok 8 stat exits 127 for a command not found, 126 for one it cannot run"
	echo "# exit $missing_rc: $missing"
	echo "# exit $plain_rc: $plain"
fi

# 9. stat -o FILE: the command alone writes to standard output, the report
#    goes to FILE; a FILE that cannot be written stops stat before CMD.
out=$("$Z" stat --json -o "$work/report.json" -- sh -c 'echo from-cmd' 2>/dev/null)
status=$?
bad=$("$Z" stat -o "$work/no/such/dir" -- touch "$work/ran" 2>&1)
bad_status=$?
if [ $status = 0 ] && [ "$out" = from-cmd ] && [ $bad_status = 1 ] && [ ! -e "$work/ran" ] &&
   [ "$bad" = "zcstat: $work/no/such/dir: No such file or directory" ] &&
   python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
sys.exit(d["command"] != ["sh", "-c", "echo from-cmd"] or d["exit_status"] != 0)' "$work/report.json"; then
	echo "ok 9 stat -o FILE keeps the report apart from the command's output"
else
	echo "not ok 9 stat -o FILE keeps the report apart from the command's output"
	echo "# exit $status, stdout '$out'; with a bad FILE exit $bad_status: $bad"
	sed 's/^/# /' "$work/report.json"
fi
