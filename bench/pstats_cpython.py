#!/usr/bin/env python3
"""Times CPython's pstats on the same work as benches/engine.rs: load, and
load + sort_stats('cumulative') + print_stats() into a buffer. Best of N runs.

    python3 bench/pstats_cpython.py FILE...
"""
import io
import os
import pstats
import sys
import time


def best(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


print("CPython %s pstats" % sys.version.split()[0])
for path in sys.argv[1:]:
    runs = 5 if os.path.getsize(path) > 5_000_000 else 15
    load = best(lambda: pstats.Stats(path), runs)

    def full():
        s = pstats.Stats(path, stream=io.StringIO())
        s.sort_stats("cumulative").print_stats()

    full_t = best(full, runs)
    print("%-28s load %8.2f ms   load+sort+print %8.2f ms" % (os.path.basename(path), load * 1e3, full_t * 1e3))
