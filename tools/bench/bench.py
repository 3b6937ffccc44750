#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The guest side of `make bench` (tools/bench/run boots the guest).

Times `zcstat run` for every mode and chunk four ways: zctrace not loaded,
loaded with no session, loaded with another process's session, and with a
session on the sender, the ways interleaved rep by rep; then iperf3 (plain, -Z and -F) on the same kind
of veth path.  In each way but "idle" it also times dd loops whose probe
hits are known, for what one hit costs a thread that is traced and one
that is not.  Writes bench-raw.json (the runs, as soon as they are done),
then bench.json, bench.dat and bench.txt (the tables) to --out.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ZCSTAT = os.path.join(REPO, "tools", "zcstat", "zcstat")
KPROBES = "/sys/kernel/debug/kprobes/list"
# Functions some ftrace_ops is attached to (kprobes on ftrace included).
FTRACED = "/sys/kernel/debug/tracing/enabled_functions"
MODES = ["read-write", "mmap-write", "sendfile", "splice"]
# "others": another process's session holds every probe attached and the
# timed run is not traced, so it pays only what a session costs everyone.
WAYS = ["none", "idle", "others", "session"]
# iperf3 writes a buffer, -Z sendfile()s it, -F reads a file and writes it
# (read-write's work).
PEERS = ["iperf3", "iperf3 -Z", "iperf3 -F"]
MIB = 1 << 20
# The peers' link, addressed like zcstat's own veth pair.
TX_NS, RX_NS = "zcbench-tx", "zcbench-rx"
TX_ADDR, RX_ADDR = "192.0.2.1", "192.0.2.2"
# The per-hit workloads: dd loops of COUNT blocks (None: as many as the
# bench's file holds), each making two system calls a block and, after the
# first, one copy of a kind.  A 4K block is one page, copied by one call of
# the copy routine.  {file} is the bench's file, {scratch} one as big to
# overwrite, so that no page is allocated while timed.
PER_HIT = [
    ("syscalls", ["if=/dev/zero", "of=/dev/null", "bs=1"], 50000),
    ("page reads", ["if={file}", "of=/dev/null", "bs=4K"], None),
    ("page writes", ["if=/dev/zero", "of={scratch}", "bs=4K", "conv=notrunc"], None),
]
SYSCALL_PROBE = "sys_enter"
SCHED_FEATURES = "/sys/kernel/debug/sched/features"
# Lets deferred work of a way switch (RCU callbacks, freed memory) finish
# before anything is timed.
SETTLE_S = 0.3
# How long the probes may take to attach, or iperf3's server to listen,
# before the bench gives up on them (each takes a few seconds at most).
WAIT_S = 30


def sh(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * units[s[-1]] if s[-1] in units else int(s)


def size_name(n):
    for unit, div in (("M", MIB), ("K", 1 << 10)):
        if n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


class Proc:
    """A child whose rusage we keep (Popen reaps without reporting it)."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self):
        """Its stdout, and the CPU seconds of it and of the children it
        waited for (zcstat's receiver)."""
        out, err = self.p.stdout.read(), self.p.stderr.read()
        _, status, ru = os.wait4(self.p.pid, 0)
        self.p.returncode = os.waitstatus_to_exitcode(status)
        self.p.stdout.close()
        self.p.stderr.close()
        if self.p.returncode:
            sys.exit(f"bench: {' '.join(self.cmd)} failed ({self.p.returncode}): {err.strip()}")
        return out, ru.ru_utime + ru.ru_stime

    def exited(self):
        """Whether it has exited, left unreaped for finish()."""
        return os.waitid(os.P_PID, self.p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def read(path):
    with open(path) as f:
        return f.read()


def probe_status():
    """zcstat status: {probe: (kind, hits, state)}."""
    out = sh(ZCSTAT, "status")
    return {m[1]: (m[2], int(m[3]), m[4])
            for m in re.finditer(r"^\s+(\S+)\s+(\S+)\s+(\d+) hits\s+(\S+)", out, re.M)}


def hits():
    return {name: n for name, (_, n, _) in probe_status().items()}


def module_loaded():
    return os.path.isdir("/sys/module/zctrace")


class Ways:
    """Puts the machine into one of WAYS.  In "others" and "session" the
    probes are held attached by a session on a sleeping process, so the
    timed session pays for its hits, not for the first session's attach
    (timed apart)."""

    def __init__(self, module):
        self.module = module
        self.holder = None
        # No session since the last insmod: the next one's attach also
        # resolves kprobe names and sets the ftrace_ops' filters.
        self.first_after_load = False

    def release(self):
        if self.holder:
            os.killpg(self.holder.pid, signal.SIGKILL)
            self.holder.wait()
            self.holder = None

    def enter(self, way):
        self.release()
        if way == "none" and module_loaded():
            sh("rmmod", "zctrace")
        if way != "none" and not module_loaded():
            sh("insmod", self.module)
            self.first_after_load = True
        if way in ("others", "session"):
            self.holder = subprocess.Popen([ZCSTAT, "stat", "--", "sleep", "infinity"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True)
            self.first_after_load = False
            settle_kprobes(self.holder)
        time.sleep(SETTLE_S)

    @staticmethod
    def idle_check():
        """What is hooked while the module idles: should be nothing."""
        return {"kprobes": len(read(KPROBES).splitlines()),
                "ftrace_functions": len(read(FTRACED).splitlines()),
                "probes_attached": sum(st == "attached" for _, _, st in probe_status().values())}


def settle_kprobes(holder):
    """Wait for the holder's session to have attached every probe it can,
    then for the kprobe optimizer: until the kprobe list stops changing."""
    deadline = time.monotonic() + WAIT_S
    while detached := [p for p, (_, _, st) in probe_status().items() if st == "detached"]:
        if holder.poll() is not None:
            sys.exit("bench: the session holding the probes (zcstat stat -- sleep infinity)"
                     f" exited ({holder.returncode}) before attaching them")
        if time.monotonic() > deadline:
            sys.exit(f"bench: probes still detached {WAIT_S} s into a session:"
                     f" {' '.join(detached)}")
        time.sleep(0.1)
    prev = None
    while True:
        cur = read(KPROBES)
        if cur == prev:
            return
        prev = cur
        time.sleep(1)


def mechanisms():
    """How each of the module's probes is hooked in, while a session runs:
    kprobes' [FTRACE] / [OPTIMIZED] markers, else int3; ftrace_ops by
    enabled_functions; tracepoints as the module reports them."""
    marks = {}
    for line in read(KPROBES).splitlines():
        f = line.split()
        kind = {"k": "kprobe", "r": "kretprobe"}[f[1]]
        how = "ftrace" if "[FTRACE]" in line else "jump (optimized)" if "[OPTIMIZED]" in line else "int3"
        marks[f[2].split("+")[0]] = f"{kind}, {how}"
    ftraced = {line.split()[0] for line in read(FTRACED).splitlines()}
    out = {}
    for name, (kind, _, _) in probe_status().items():
        if name in marks:
            out[name] = marks[name]
        elif kind == "tracepoint":
            out[name] = "tracepoint"
        else:
            out[name] = "ftrace_ops" if name in ftraced else "not attached"
    return out


def zcstat_run(args, way, mode, size, chunk):
    cmd = [ZCSTAT, "run", "--mode", mode, "--size", str(size), "--chunk", str(chunk),
           "--file", args.file, "--json"]
    if way != "session":
        cmd.append("--no-trace")
    out, cpu = Proc(cmd).finish()
    return {"cpu": cpu, "wall": json.loads(out)["seconds"]}


class Peer:
    """iperf3 over a veth pair between two namespaces, as zcstat makes it."""

    def __init__(self):
        sh("ip", "netns", "add", TX_NS)
        sh("ip", "netns", "add", RX_NS)
        sh("ip", "link", "add", "zcbench-a", "netns", TX_NS, "type", "veth",
           "peer", "zcbench-b", "netns", RX_NS)
        for ns, dev, addr in ((TX_NS, "zcbench-a", TX_ADDR), (RX_NS, "zcbench-b", RX_ADDR)):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")

    def run(self, flags, size, chunk):
        server = Proc(["ip", "netns", "exec", RX_NS, "iperf3", "-s", "-1", "-B", RX_ADDR])
        deadline = time.monotonic() + WAIT_S
        while ":5201 " not in sh("ip", "netns", "exec", RX_NS, "ss", "-Hltn"):
            if server.exited():
                server.finish()  # exits, with its error, if it failed
                sys.exit("bench: the iperf3 server exited before listening")
            if time.monotonic() > deadline:
                sys.exit(f"bench: the iperf3 server is not listening after {WAIT_S} s")
            time.sleep(0.05)
        # -i 0: no interval reports, which would be work zcstat does not do.
        out, cpu = Proc(["ip", "netns", "exec", TX_NS, "iperf3", "-c", RX_ADDR, "-J", "-i", "0",
                         "-n", str(size), "-l", str(chunk)] + flags).finish()
        cpu += server.finish()[1]
        end = json.loads(out)["end"]
        if end["sum_sent"]["bytes"] < size:
            sys.exit(f"bench: iperf3 sent {end['sum_sent']['bytes']} of {size} bytes")
        # The receiver's rate: the sender's clock stops at its last write,
        # a socket buffer short of the end (zcstat waits for its receiver).
        # A one-chunk test may end before the receiver reports anything.
        got = end["sum_received"]
        return {"cpu": cpu, "wall": got["seconds"] * size / got["bytes"] if got["bytes"] else None}

    def close(self):
        sh("ip", "netns", "del", TX_NS)
        sh("ip", "netns", "del", RX_NS)


def per_hit_runs(args, way, rep):
    """Each PER_HIT workload at one block and at COUNT, under a session of
    its own in the "session" way, with the probe hits that session got."""
    runs = []
    for name, operands, count in PER_HIT:
        for blocks in (1, count or os.path.getsize(args.file) // 4096):
            cmd = ["dd", *(o.format(file=args.file, scratch=args.scratch) for o in operands),
                   f"count={blocks}"]
            if way == "session":
                cmd = [ZCSTAT, "stat", "--"] + cmd
            before = hits() if way == "session" else None
            r = {"workload": name, "way": way, "rep": rep, "blocks": blocks,
                 "cpu": Proc(cmd).finish()[1]}
            if before is not None:
                after = hits()
                r["hits"] = {p: after[p] - before[p] for p in after if after[p] > before[p]}
            runs.append(r)
    return runs


def cost_of(cmd):
    """CPU and wall seconds of running cmd."""
    t0 = time.monotonic()
    cpu = Proc(cmd).finish()[1]
    return cpu, time.monotonic() - t0


def steady_scheduler():
    """With one CPU, EEVDF (6.6 on) places the receiver it wakes by its lag,
    and where that lets it preempt the sender varies from run to run: on
    6.12, 64K sendfile runs scattered by 16%, and 1.6 times as much CPU
    went to the same transfer, as with PLACE_LAG off.  Turn it off where
    there is one (CFS has none); returns the features it set."""
    try:
        features = read(SCHED_FEATURES).split()
    except OSError:
        return []
    if "PLACE_LAG" not in features:
        return []
    with open(SCHED_FEATURES, "w") as f:
        f.write("NO_PLACE_LAG")
    return ["NO_PLACE_LAG"]


def measure(args):
    """Every run, raw.  Each rep visits the ways in a rotated order, and
    in each way first times a one-chunk run: what a run costs besides its
    transfer, subtracted in summarize()."""
    ways = Ways(args.module)
    peer = Peer()
    doc = {"runs": [], "per_hit_runs": [], "idle_checks": [], "attach_detach": []}
    configs = [(m, c) for c in args.chunks for m in MODES]
    peers = dict(zip(PEERS, ([], ["-Z"], ["-F", args.file])))

    def fixed(tool, way, rep, for_chunk, size, timed):
        doc["runs"].append(dict(timed(), rep=rep, tool=tool, way=way, mode="fixed",
                                chunk=for_chunk, size=size))

    # Each transfer and loop once, untimed: the first ones after boot run
    # slower, and the first writes over the scratch file too.
    for mode, chunk in configs:
        zcstat_run(args, "none", mode, args.size_of[chunk] // 4, chunk)
    per_hit_runs(args, "none", None)
    for rep in range(args.reps):
        order = WAYS[rep % len(WAYS):] + WAYS[:rep % len(WAYS)]
        for way in order:
            ways.enter(way)
            if way == "idle":
                doc["idle_checks"].append(dict(Ways.idle_check(), rep=rep))
            if way == "session" and "probes_in_session" not in doc:
                doc["probes_in_session"] = mechanisms()
            zcstat_run(args, way, "sendfile", 4096, 4096)  # warms up after the switch
            # zcstat's costs besides the transfer do not depend on the chunk.
            fixed("zcstat", way, rep, "any", 4096,
                  lambda: zcstat_run(args, way, "sendfile", 4096, 4096))
            for mode, chunk in configs:
                size = args.size_of[chunk]
                before = hits() if way == "session" else None
                r = zcstat_run(args, way, mode, size, chunk)
                if before is not None:
                    after = hits()
                    r["hits"] = {p: after[p] - before[p] for p in after if after[p] > before[p]}
                doc["runs"].append(dict(r, rep=rep, tool="zcstat", way=way, mode=mode,
                                        chunk=chunk, size=size))
            if way != "idle":
                doc["per_hit_runs"] += per_hit_runs(args, way, rep)
            if way != "none":
                continue
            for tool, flags in peers.items():
                for chunk in args.chunks:
                    # iperf3 fills a chunk of random bytes before it starts.
                    fixed(tool, way, rep, chunk, chunk, lambda: peer.run(flags, chunk, chunk))
                    r = peer.run(flags, args.size_of[chunk], chunk)
                    doc["runs"].append(dict(r, rep=rep, tool=tool, way=way, mode=tool,
                                            chunk=chunk, size=args.size_of[chunk]))
        # The first session's attach + detach: a session with none before
        # it, less the same with the probes already held.  Whether it is
        # also the first since the module was loaded depends on where the
        # rep's rotation left the module.
        ways.enter("idle")
        first = ways.first_after_load
        alone = cost_of([ZCSTAT, "stat", "--", "true"])
        ways.enter("session")
        held = cost_of([ZCSTAT, "stat", "--", "true"])
        doc["attach_detach"].append({"cpu": alone[0] - held[0], "wall": alone[1] - held[1],
                                     "rep": rep, "first_after_load": first})
        print(f"bench: rep {rep + 1} of {args.reps} done", file=sys.stderr, flush=True)
    ways.release()
    peer.close()
    return doc


def spread(xs):
    """Of the xs that are not None (None if none are): median, min, max,
    and min-max and IQR as % of the median's size (None if it is 0)."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    med = statistics.median(xs)
    q = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else [med] * 3

    def pct(d):
        return 100 * d / abs(med) if med else None

    return {"median": med, "min": min(xs), "max": max(xs),
            "range_pct": pct(max(xs) - min(xs)), "iqr_pct": pct(q[2] - q[0])}


def over(a, b):
    """a / b, or None where a time is missing: zcstat's wall clock ticks in
    centiseconds (0 for a short run), iperf3's receiver may report none."""
    return a / b if a and b else None


def summarize(runs, ns_per_unit):
    """Per tool, way, mode and chunk: throughput from the transfer's CPU
    time (the run's CPU less its rep's one-chunk run of the same tool and
    way) and from the tool's own wall clock; the ratios to the same rep's
    run without the module; the cost of each hit the session counted,
    over what the same run costs while another process is traced."""
    fixed = {(r["tool"], r["way"], r["rep"], r["chunk"]): r["cpu"]
             for r in runs if r["mode"] == "fixed"}
    cells = {}
    for r in runs:
        if r["mode"] != "fixed":
            key = (r["tool"], r["way"], r["rep"])
            r["xfer_cpu"] = r["cpu"] - fixed.get(key + (r["chunk"],), fixed.get(key + ("any",)))
            cells.setdefault((r["tool"], r["mode"], r["chunk"], r["way"]), {})[r["rep"]] = r

    def order(key):
        tool, mode, chunk, way = key
        return (tool != "zcstat", chunk, MODES.index(mode) if mode in MODES else 0, tool,
                WAYS.index(way))

    table = []
    for key in sorted(cells, key=order):
        tool, mode, chunk, way = key
        reps = cells[key]
        size = next(iter(reps.values()))["size"]
        row = {"tool": tool, "mode": mode, "chunk": chunk, "way": way, "size": size,
               "cpu_mibps": spread([over(size / MIB, r["xfer_cpu"]) for r in reps.values()]),
               "wall_mibps": spread([over(size / MIB, r["wall"]) for r in reps.values()])}
        if way != "none":
            # Paired by rep: runs made next to each other.
            none = cells[(tool, mode, chunk, "none")]
            row["cpu_ratio"] = spread([over(none[i]["xfer_cpu"], r["xfer_cpu"])
                                       for i, r in reps.items()])
            row["wall_ratio"] = spread([over(none[i]["wall"], r["wall"]) for i, r in reps.items()])
        if way == "session":
            # What tracing this thread adds to what the probes cost everyone.
            others = cells[(tool, mode, chunk, "others")]
            row["hits"] = statistics.median(sum(r["hits"].values()) for r in reps.values())
            row["ns_per_hit"] = spread([1e9 * (r["xfer_cpu"] - others[i]["xfer_cpu"]) /
                                        sum(r["hits"].values()) for i, r in reps.items()])
            if ns_per_unit:
                row["insns_per_hit"] = row["ns_per_hit"]["median"] / ns_per_unit
        table.append(row)
    return table


def per_hit_costs(runs, kinds, ns_per_unit):
    """What one hit costs a thread that is not traced ("others") and one
    that is ("session"), over the same loop without the module: for the
    syscall loop per sys_enter hit, for the others per hit of their copy
    probe once their system calls' share is taken out.  A workload's work
    is its COUNT-block run less its one-block run, of the same way and rep;
    its hits are the session's, which every thread's loop fires alike."""
    work, hit_counts = {}, {}
    for r in runs:
        key = (r["workload"], r["way"], r["rep"])
        work[key] = work.get(key, 0) + (r["cpu"] if r["blocks"] > 1 else -r["cpu"])
        if "hits" in r:
            sign = 1 if r["blocks"] > 1 else -1
            counts = hit_counts.setdefault((r["workload"], r["rep"]), {})
            for p, n in r["hits"].items():
                counts[p] = counts.get(p, 0) + sign * n
    unit = ns_per_unit or 1
    out = []
    for way in ("others", "session"):
        per_syscall = {}
        for name, _, _ in PER_HIT:
            costs, probes = [], {}
            for (w, rep), counts in sorted(hit_counts.items()):
                if w != name:
                    continue
                extra = 1e9 * (work[(name, way, rep)] - work[(name, "none", rep)])
                syscalls = counts.get(SYSCALL_PROBE, 0)
                if name == PER_HIT[0][0]:
                    per_syscall[rep] = extra / syscalls
                    costs.append(per_syscall[rep] / unit)
                    probes = {SYSCALL_PROBE: syscalls}
                    continue
                probes = {p: n for p, n in counts.items() if p != SYSCALL_PROBE and n > 0}
                copies = sum(probes.values())
                if not copies:
                    sys.exit(f"bench: {name} hit no copy probe")
                costs.append((extra - per_syscall[rep] * syscalls) / copies / unit)
            out.append({"workload": name, "way": way, "probes": probes,
                        "kinds": {p: kinds.get(p, "?") for p in probes},
                        "per_hit": spread(costs)})
    return out


def fig(v, width, prec):
    """A figure of a table, "-" where there is none."""
    return f"{'-':>{width}}" if v is None else f"{v:{width}.{prec}f}"


def figs(s, width, prec, *pcts):
    """A spread's median and the percentages named, "-" where there are none."""
    return " ".join([fig(s and s["median"], width, prec)] + [fig(s and s[p], 5, 1) for p in pcts])


def attach_detach(samples):
    """Attach + detach, apart for the first session since the module was
    loaded, which also resolves kprobe names through kallsyms and sets the
    ftrace_ops' filters by name."""
    out = {}
    for name, first in (("warm", False), ("first_after_load", True)):
        xs = [a for a in samples if a["first_after_load"] == first]
        out[f"attach_detach_{name}"] = {"samples": len(xs), "cpu": spread([a["cpu"] for a in xs]),
                                        "wall": spread([a["wall"] for a in xs])}
    return out


def print_per_hit(rows, unit, f):
    """Medians, with the larger of the two ways' IQR as % of the median."""
    print(f"\n{'workload':<12} {'probe':<28} {'kind':<24} {'hits':>7}"
          f" {'untraced':>9} {'traced':>9} {'iqr%':>5}  ({unit} per hit)", file=f)
    by = {(r["workload"], r["way"]): r for r in rows}
    for name, _, _ in PER_HIT:
        o, s = by[(name, "others")], by[(name, "session")]
        iqrs = [r["per_hit"]["iqr_pct"] for r in (o, s) if r["per_hit"]["iqr_pct"] is not None]
        for p, n in s["probes"].items():
            print(f"{name:<12} {p:<28} {s['kinds'][p]:<24} {n:7d}"
                  f" {o['per_hit']['median']:9.0f} {s['per_hit']['median']:9.0f}"
                  f" {fig(max(iqrs, default=None), 5, 1)}", file=f)


def print_table(table, f):
    """Medians; ± is min-max as % of the median; ratios also with their IQR."""
    per_hit = "insn/hit" if any("insns_per_hit" in r for r in table) else "ns/hit"
    print(f"{'mode':<11} {'chunk':>5} {'way':<8} {'MiB/s cpu':>9} {'±%':>5}"
          f" {'MiB/s wall':>10} {'±%':>5} {'/none cpu':>9} {'±%':>5} {'iqr%':>5}"
          f" {'/none wall':>10} {'±%':>5} {per_hit:>8}", file=f)
    for r in table:
        line = (f"{r['mode']:<11} {size_name(r['chunk']):>5} {r['way']:<8}"
                f" {figs(r['cpu_mibps'], 9, 1, 'range_pct')}"
                f" {figs(r['wall_mibps'], 10, 1, 'range_pct')}")
        if "cpu_ratio" in r:
            line += (f" {figs(r['cpu_ratio'], 9, 3, 'range_pct', 'iqr_pct')}"
                     f" {figs(r['wall_ratio'], 10, 3, 'range_pct')}")
        if "ns_per_hit" in r:
            line += f" {r.get('insns_per_hit', r['ns_per_hit']['median']):8.0f}"
        print(line, file=f)


def print_attach_detach(ad, f):
    """Medians; ± is min-max as % of the median."""
    print(f"\n{'attach+detach':<16} {'samples':>7} {'cpu s':>7} {'±%':>5}"
          f" {'wall s':>7} {'±%':>5}", file=f)
    for name in ("warm", "first_after_load"):
        s = ad[f"attach_detach_{name}"]
        print(f"{name.replace('_', ' '):<16} {s['samples']:7d} {figs(s['cpu'], 7, 3, 'range_pct')}"
              f" {figs(s['wall'], 7, 3, 'range_pct')}", file=f)


def write_dat(table, path):
    """For tools/bench/plot.gp: a block per chunk size, a line per mode
    (then the peers) with the median CPU-time throughput of each way."""
    blocks = []
    for chunk in sorted({r["chunk"] for r in table}):
        lines = [f"# chunk {size_name(chunk)}: label {' '.join(WAYS)}, MiB/s"]
        for mode in MODES + PEERS:
            cell = {r["way"]: r["cpu_mibps"]["median"] for r in table
                    if r["mode"] == mode and r["chunk"] == chunk and r["cpu_mibps"]}
            lines.append(f'"{mode}" ' + " ".join(f"{cell[w]:.1f}" if w in cell else "-"
                                                  for w in WAYS))
        blocks.append("\n".join(lines))
    with open(path, "w") as f:
        f.write("\n\n\n".join(blocks) + "\n")


def rounded(v):
    """Floats to 5 significant digits: the rest is noise, and bytes."""
    if isinstance(v, float):
        return float(f"{v:.5g}")
    if isinstance(v, dict):
        return {k: rounded(x) for k, x in v.items()}
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return v


def write_json(doc, f):
    """One line per member, and per element of a list member."""
    members = []
    for k, v in doc.items():
        if isinstance(v, list):
            v = "[\n" + ",\n".join("  " + json.dumps(x) for x in v) + "\n ]"
        else:
            v = json.dumps(v)
        members.append(f" {json.dumps(k)}: {v}")
    f.write("{\n" + ",\n".join(members) + "\n}\n")


def module_for(rel):
    """make modules' build/<release>/zctrace.ko, which make bench has just
    built, else make module's zctrace.ko if it is for this kernel (as
    tools/vm/guest-check picks)."""
    for ko in (os.path.join(REPO, "build", rel, "zctrace.ko"), os.path.join(REPO, "zctrace.ko")):
        if os.path.exists(ko) and sh("modinfo", "-F", "vermagic", ko).split()[0] == rel:
            return ko
    sys.exit(f"bench: no zctrace.ko for {rel} (make modules)")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--chunks", default="4K,64K,1M")
    ap.add_argument("--sizes", default="16M,64M,64M", help="bytes per run, one per chunk")
    ap.add_argument("--out", default=os.environ.get("ZC_OUT", "."))
    ap.add_argument("--keep-sched", action="store_true",
                    help="leave the scheduler's features as they are")
    args = ap.parse_args()
    args.chunks = [parse_size(c) for c in args.chunks.split(",")]
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    if len(sizes) != len(args.chunks):
        ap.error(f"--sizes has {len(sizes)} sizes for {len(args.chunks)} chunks")
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    args.size_of = dict(zip(args.chunks, sizes))
    rel = os.uname().release
    args.module = module_for(rel)
    # On tmpfs: no disk in the timings, and zcstat cannot drop its cache.
    args.file = "/tmp/zcbench.dat"
    args.scratch = "/tmp/zcbench.scratch"
    block = bytes(range(256)) * 4096
    for path in (args.file, args.scratch):
        with open(path, "wb") as f:
            for _ in range(max(args.size_of.values()) // len(block)):
                f.write(block)
    shift = os.environ.get("ZC_BENCH_ICOUNT_SHIFT")
    ns_per_unit = 2 ** int(shift) if shift else None

    sched_set = [] if args.keep_sched else steady_scheduler()
    t0 = time.monotonic()
    try:
        raw = measure(args)
    finally:
        for feature in sched_set:
            with open(SCHED_FEATURES, "w") as f:
                f.write(feature.removeprefix("NO_"))
    about = {
        "kernel": rel,
        # Which build was measured: others may rebuild the tree meanwhile.
        "commit": subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                 capture_output=True, text=True).stdout.strip() or "unknown",
        "module_srcversion": sh("modinfo", "-F", "srcversion", args.module).strip(),
        "clock": f"icount shift={shift}: {ns_per_unit} ns per guest instruction"
                 if shift else "host (TCG)",
        "cpus": os.cpu_count(),
        "sched_features_set": sched_set,
        "reps": args.reps,
        "guest_seconds": time.monotonic() - t0,
    }
    # Before anything that may fail on them, so that the runs outlive it.
    with open(os.path.join(args.out, "bench-raw.json"), "w") as f:
        write_json(rounded({**about, **raw}), f)
    ad = attach_detach(raw["attach_detach"])
    table = summarize(raw["runs"], ns_per_unit)
    per_hit = per_hit_costs(raw["per_hit_runs"], raw["probes_in_session"], ns_per_unit)
    unit = "insns" if ns_per_unit else "ns"
    doc = {**about, **ad, **raw, "summary": table, "per_hit": {"unit": unit, "costs": per_hit}}
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        write_json(rounded(doc), f)
    write_dat(table, os.path.join(args.out, "bench.dat"))

    def report(f):
        if sched_set:
            print(f"scheduler features set for the runs: {' '.join(sched_set)}\n", file=f)
        print_table(table, f)
        print_per_hit(per_hit, unit, f)
        print_attach_detach(ad, f)

    with open(os.path.join(args.out, "bench.txt"), "w") as f:
        report(f)
    report(sys.stdout)


if __name__ == "__main__":
    main()
