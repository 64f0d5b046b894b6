#!/usr/bin/env python3
"""Two progstats builds against each other and bpftool, interleaved round by round.

    ab.py REPS BIN_DIR...      (root; programs already loaded, e.g.
                                tests/helpers/progstats_load -s -b 1000)

Each round runs `bpftool prog show -j`, then for each BIN_DIR's progstats
`-j -i 100us -c 1`, `-j -i 100us -c 201`, `--once -j` and `--once -j --top 1`
(posix_spawn + wait4, stdout /dev/null; CPU = the child's user + system).
Prints per BIN_DIR the medians over the rounds of: one sample of a running
progstats (-c 201 minus -c 1 of the same round, / 200), --once -j, and the
records of all but one program (--once -j minus --top 1 of the same round),
with the ratios to bpftool's median CPU.  The same machine, the same
programs, the same minutes for every build: a before/after pair to quote
on a shared machine (bench/README.md).
"""
import os
import statistics
import sys

CMDS = [("c1", ["-j", "-i", "100us", "-c", "1"]), ("c201", ["-j", "-i", "100us", "-c", "201"]),
        ("once", ["--once", "-j"]), ("top1", ["--once", "-j", "--top", "1"])]


def cpu_ms(argv, devnull):
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, ru = os.wait4(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status):
        sys.exit(f"ab.py: {' '.join(argv)}: exit status {status}")
    return (ru.ru_utime + ru.ru_stime) * 1e3


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: ab.py REPS BIN_DIR...")
    reps, bins = int(sys.argv[1]), sys.argv[2:]
    devnull = os.open(os.devnull, os.O_WRONLY)
    bpftool, res = [], {}
    for _ in range(reps):
        bpftool.append(cpu_ms(["bpftool", "prog", "show", "-j"], devnull))
        for b in bins:
            for name, args in CMDS:
                res.setdefault((b, name), []).append(cpu_ms([os.path.join(b, "progstats")] + args, devnull))
    med = statistics.median
    bt = med(bpftool)
    print(f"bpftool prog show -j: {bt:.2f} ms CPU (median of {reps} rounds)")
    for b in bins:
        r = {name: res[(b, name)] for name, _ in CMDS}
        sample = med([(x - y) / 200 for x, y in zip(r["c201"], r["c1"])])
        once = med(r["once"])
        recs = med([x - y for x, y in zip(r["once"], r["top1"])])
        print(f"{b}: one sample of a running progstats -j {sample:.3f} ms ({bt / sample:.1f}x); "
              f"--once -j {once:.2f} ms ({bt / once:.1f}x); its records but one {recs:.2f} ms")


main()
