#!/usr/bin/env python3
"""promcheck: a strict reader of the Prometheus text format 0.0.4, stricter
than `promtool check metrics` (which accepts a repeated series and a family
split in two).  An exposition passes when:
  - it is not empty and ends with a newline;
  - every line is "# HELP name text", "# TYPE name gauge|counter", another
    comment, a blank line, or a sample  name{label="value",...} number;
  - each family has one HELP and one TYPE, before its first sample, and its
    samples are contiguous; no series (name + labels) appears twice;
  - counters end in _total and nothing else does;
  - telkit_build_info is there.

Usage:
  promcheck.py FILE...            check each file (or - for stdin)
  promcheck.py --split FILE       FILE holds several expositions, each
                                  starting at "# HELP telkit_build_info": check each
  promcheck.py --loop PATH PID    read PATH again and again while PID lives;
                                  every read must pass; prints "reads=N distinct=M"
Exit 0 when all pass, 1 with one line naming the first problem.
"""
import os
import re
import sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)$' % (NAME, LABEL, LABEL))
META = re.compile(r'^# (HELP|TYPE) (%s)(?: (.*))?$' % NAME)


def check(text):
    """None when @text is a strict exposition, else the first problem."""
    if not text:
        return "empty"
    if not text.endswith("\n"):
        return "no final newline (torn?)"
    help_, type_, done, series = {}, {}, set(), set()
    current = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if not line:
            continue
        m = META.match(line)
        if m:
            kind, name, rest = m.groups()
            seen = help_ if kind == "HELP" else type_
            if name in seen:
                return "line %d: second %s for %s" % (n, kind, name)
            if name in done or name == current:
                return "line %d: %s for %s after its samples" % (n, kind, name)
            if kind == "TYPE" and rest not in ("gauge", "counter"):
                return "line %d: type %r" % (n, rest)
            if not rest and kind == "HELP":
                return "line %d: empty HELP for %s" % (n, name)
            seen[name] = rest
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            return "line %d: not a sample: %r" % (n, line)
        name, labels, value = m.groups()
        try:
            float(value)
        except ValueError:
            return "line %d: value %r" % (n, value)
        if name != current:
            if name in done:
                return "line %d: family %s split in two" % (n, name)
            if current:
                done.add(current)
            current = name
            if name not in help_ or name not in type_:
                return "line %d: %s has no HELP or TYPE before its samples" % (n, name)
            if (type_[name] == "counter") != name.endswith("_total"):
                return "line %d: %s %s and _total disagree" % (n, type_[name], name)
        key = (name, labels or "")
        if key in series:
            return "line %d: series %s%s twice" % (n, name, labels or "")
        series.add(key)
    if "telkit_build_info" not in type_:
        return "no telkit_build_info"
    return None


def split(text):
    parts, cur = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("# HELP telkit_build_info ") and cur:
            parts.append("".join(cur))
            cur = []
        cur.append(line)
    if cur:
        parts.append("".join(cur))
    return parts


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def main(argv):
    if len(argv) == 4 and argv[1] == "--loop":
        path, pid, reads, distinct = argv[2], int(argv[3]), 0, set()
        while alive(pid):
            try:
                with open(path) as f:
                    text = f.read()
            except FileNotFoundError:
                continue
            reads += 1
            why = check(text)
            if why:
                print("read %d of %s: %s" % (reads, path, why))
                return 1
            distinct.add(hash(text))
        print("reads=%d distinct=%d" % (reads, len(distinct)))
        return 0
    if len(argv) == 3 and argv[1] == "--split":
        with open(argv[2]) as f:
            parts = split(f.read())
        for i, p in enumerate(parts, 1):
            why = check(p)
            if why:
                print("%s exposition %d: %s" % (argv[2], i, why))
                return 1
        print("expositions=%d" % len(parts))
        return 0
    for path in argv[1:]:
        text = sys.stdin.read() if path == "-" else open(path).read()
        why = check(text)
        if why:
            print("%s: %s" % (path, why))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
