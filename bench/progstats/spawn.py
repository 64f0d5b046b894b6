#!/usr/bin/env python3
"""Time commands run as processes, interleaved round by round.

    spawn.py REPS CMD1 [CMD2 ...]     (each CMD one shell-quoted string)

Each round runs every command once (stdout to /dev/null, stderr kept) with
posix_spawn and wait4: the wall time from spawn to reap, and the child's CPU
(user + system from its rusage).  Prints one line per command:
    median_wall_ns median_cpu_ns min_wall_ns CMD
A failing command stops the run (exit 1).
"""
import os
import shlex
import statistics
import sys
import time


def run(argv, devnull):
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 1)]
    t0 = time.monotonic_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic_ns() - t0
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status):
        sys.exit(f"spawn.py: {' '.join(argv)}: exit status {status}")
    return wall, int((ru.ru_utime + ru.ru_stime) * 1e9)


def main():
    reps = int(sys.argv[1])
    cmds = [shlex.split(c) for c in sys.argv[2:]]
    devnull = os.open(os.devnull, os.O_WRONLY)
    wall = [[] for _ in cmds]
    cpu = [[] for _ in cmds]
    for _ in range(reps):
        for i, argv in enumerate(cmds):
            w, c = run(argv, devnull)
            wall[i].append(w)
            cpu[i].append(c)
    for i, argv in enumerate(cmds):
        print(int(statistics.median(wall[i])), int(statistics.median(cpu[i])), min(wall[i]),
              ' '.join(argv))


main()
