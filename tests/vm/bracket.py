#!/usr/bin/env python3
"""Hold a telkit figure between two readings of the same counter by a peer.

The guest tests compare what bpfwatch and progstats report against the
scheduler's own printouts and the guest's bpftool.  Neither side reads at the
same instant, so each figure is checked against the peer's reading just
before and just after it, placed by causality alone (no tolerance):

- A telkit record's ts_ns is taken after the reads it reports, and the reads
  of tick k happen after record k-1 was written.
- A printout line stamped s (tests/helpers/tsline) was read before s; the
  scheduler's next reading of the same counter comes after s (it prints,
  flushes, sleeps, reads again).

printout: for every bpfwatch sample k (value v, neighbours k-1, k+1) taken
  between the scheduler's first and last printout, the last
  printout stamped at or before ts[k-1] must be <= v, and the printout after
  the first one stamped at or after ts[k] must be >= v.
bpftool:  for every program in a bpftool snapshot taken between stamps T0 and
  T1, progstats' last record at or before T0 must be <= bpftool's figure and
  the record of the sample after the first one at or after T1 must be >=.
Both fail when fewer than --min samples could be bracketed or when the
counter never moved (a check that cannot fail is no check).
"""
import argparse
import bisect
import json
import re
import sys


def records(path, rtype):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r.get("type") == rtype:
                out.append(r)
    return out


def printouts(path, regex, cumsum):
    rx = re.compile(regex)
    stamps, values, acc = [], [], 0
    with open(path) as f:
        for line in f:
            ts, _, text = line.rstrip("\n").partition(" ")
            m = rx.search(text)
            if not m:
                continue
            v = int(next(g for g in m.groups() if g is not None))
            acc = acc + v if cumsum else v
            stamps.append(int(ts))
            values.append(acc)
    return stamps, values


def check_printout(a):
    stamps, values = printouts(a.printout, a.regex, a.cumsum)
    # only samples inside this scheduler's printouts: a watch that outlives
    # the scheduler reads its successor's map outside them
    lo_ts, hi_ts = (stamps[0], stamps[-1]) if stamps else (0, 0)
    samples = [(r["ts_ns"], r[a.key]) for r in records(a.samples, "sample")
               if a.key in r and lo_ts <= r["ts_ns"] <= hi_ts]
    checked, moved, bad = 0, False, []
    for k in range(1, len(samples) - 1):
        t_prev, (t_k, v) = samples[k - 1][0], samples[k]
        i = bisect.bisect_right(stamps, t_prev) - 1
        j = bisect.bisect_left(stamps, t_k) + 1
        if i < 0 or j >= len(stamps):
            continue
        checked += 1
        moved = moved or values[j] > values[i]
        if not values[i] <= v <= values[j]:
            bad.append(f"{a.key}={v} at {t_k}: printouts {values[i]} (at {stamps[i]}) .. "
                       f"{values[j]} (at {stamps[j]})")
    return report(a, checked, moved, bad, f"{len(samples)} samples, {len(stamps)} printouts")


def check_bpftool(a):
    with open(a.stamps) as f:
        t0, t1 = (int(l.split()[0]) for l in f.read().split("\n")[:2])
    with open(a.bpftool) as f:
        progs = {p["id"]: p for p in json.load(f) if p.get("type") == a.prog_type}
    recs = records(a.samples, "sample")
    seqs = sorted({r["seq"] for r in recs})
    first_seq_ts = {}
    for r in recs:
        first_seq_ts.setdefault(r["seq"], r["ts_ns"])
    checked, moved, bad = 0, False, []
    for pid, p in progs.items():
        mine = sorted((r for r in recs if r["id"] == pid), key=lambda r: r["seq"])
        before = [r for r in mine if r["ts_ns"] <= t0]
        later = [s for s in seqs if first_seq_ts[s] >= t1]
        if not before or not later:
            continue
        after = [r for r in mine if r["seq"] > later[0]]
        if not after:
            continue
        lo, hi = before[-1], after[0]
        for mine_f, peer_f in (("cnt", "run_cnt"), ("nsecs", "run_time_ns")):
            peer = p.get(peer_f, 0)
            checked += 1
            moved = moved or hi[mine_f] > lo[mine_f]
            if not lo[mine_f] <= peer <= hi[mine_f]:
                bad.append(f"{p.get('name')} (id {pid}) {peer_f}={peer}: progstats "
                           f"{lo[mine_f]} (seq {lo['seq']}) .. {hi[mine_f]} (seq {hi['seq']})")
            if mine_f == "cnt" and lo["name"] != hi["name"]:
                bad.append(f"id {pid}: name changed between samples")
    return report(a, checked, moved, bad, f"{len(progs)} {a.prog_type} programs in bpftool")


def report(a, checked, moved, bad, what):
    for b in bad:
        print("bracket: " + b, file=sys.stderr)
    if checked < a.min:
        print(f"bracket: only {checked} figures could be bracketed ({what}); need {a.min}",
              file=sys.stderr)
        return 1
    if not moved:
        print(f"bracket: the counter never moved over {checked} figures ({what})", file=sys.stderr)
        return 1
    print(f"bracket: {checked} figures held between peer readings ({what})")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("printout")
    p.add_argument("--printout", required=True, help="tsline-stamped scheduler output")
    p.add_argument("--regex", required=True, help="groups: the counter's value (first that matched)")
    p.add_argument("--cumsum", action="store_true", help="the printout shows deltas")
    p.add_argument("--samples", required=True, help="bpfwatch -j output")
    p.add_argument("--key", required=True, help="bpfwatch metric key")
    p.add_argument("--min", type=int, default=3)
    b = sub.add_parser("bpftool")
    b.add_argument("--stamps", required=True, help="two tsline stamps: before, after")
    b.add_argument("--bpftool", required=True, help="bpftool -j prog show output")
    b.add_argument("--samples", required=True, help="progstats -j output")
    b.add_argument("--prog-type", default="struct_ops")
    b.add_argument("--min", type=int, default=4)
    a = ap.parse_args()
    return check_printout(a) if a.mode == "printout" else check_bpftool(a)


if __name__ == "__main__":
    sys.exit(main())
