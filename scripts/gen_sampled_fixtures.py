#!/usr/bin/env python3
"""Writes tests/fixtures/sampled/: sampled profiles of one workload before and after a known
change (`work` does 3x the arithmetic after; `steady` is unchanged).

- py-spy raw folded stacks and speedscope JSON, written by the real py-spy (`pip install
  py-spy` into a throwaway venv; it samples as root here): `pyspy_{before,after}.txt`,
  `pyspy_{before,after}.speedscope.json` (a separate run each).
- viztracer's JSON (one event per call) and pyinstrument's speedscope (evented) output, by the
  real tools in the same venv: `viztracer_{before,after}.json`,
  `pyinstrument_{before,after}.speedscope.json`, and pyinstrument's session files,
  `pyinstrument_{before,after}.pyisession`.
- CPython 3.15's `profiling.sampling` `--collapsed` and `--pstats` files. No 3.15 interpreter
  can be installed here, so they are written from the py-spy stacks by code that follows the
  collectors line by line (Lib/profiling/sampling/stack_collector.py,
  CollapsedStackCollector.export; pstats_collector.py, PstatsCollector._process_frames,
  create_stats, _dump_stats): `sampling_{before,after}.collapsed`, `sampling_{before,after}.pstats`.

Usage: python3 scripts/gen_sampled_fixtures.py [PY_SPY]  (default: py-spy on PATH; viztracer
and pyinstrument are taken from the same directory)
Tests never run this; the files are committed.
"""
import collections
import marshal
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "sampled")
RATE = 250  # Hz: py-spy --rate; 4000 us between samples
INTERVAL_US = 1_000_000 // RATE

WORKLOAD = '''
import sys
FACTOR = int(sys.argv[1])

def inner(n):
    s = 0
    for i in range(n):
        s += i * i
    return s

def work():
    return inner(60_000 * FACTOR)

def steady():
    return inner(60_000)

def main():
    for _ in range(150):
        work()
        steady()

main()
'''


def record(py_spy, factor, path, fmt="raw"):
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "workload.py")
        with open(script, "w") as f:
            f.write(WORKLOAD)
        subprocess.run(
            [py_spy, "record", "--rate", str(RATE), "-f", fmt, "-o", path, "--",
             sys.executable, script, str(factor)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # py-spy writes the script's temporary path: make the fixture independent of it.
        text = open(path).read().replace(script, "workload.py")
        if fmt == "speedscope":
            # The file's JSON escapes nothing in these paths; keep it compact but readable.
            text = text.replace(d + "/", "")
        with open(path, "w") as f:
            f.write(text)


def trace(tool_bin, factor, path, kind):
    """viztracer's JSON, or pyinstrument's speedscope (evented) file, of the workload."""
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "workload.py")
        with open(script, "w") as f:
            f.write(WORKLOAD)
        if kind == "viztracer":
            cmd = [tool_bin, "--quiet", "--ignore_c_function", "-o", path, script, str(factor)]
        else:
            cmd = [tool_bin, "-r", kind, "-o", path, script, str(factor)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d)
        text = open(path).read().replace(script, "workload.py").replace(d + "/", "")
        with open(path, "w") as f:
            f.write(text)


def pyspy_stacks(path):
    """(frames root first as (file, line, func), count) from py-spy raw output."""
    stacks = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        frames = []
        for part in filter(None, stack.split(";")):
            name, _, inner = part[:-1].rpartition(" (")
            file, _, lineno = inner.rpartition(":")
            frames.append((file, int(lineno), name))
        stacks.append((frames, int(count)))
    return stacks


def write_collapsed(stacks, path, thread_id=4242):
    # CollapsedStackCollector: the counter is keyed by (call_tree, thread_id), root first.
    counter = collections.Counter()
    for frames, count in stacks:
        if frames:  # StackTraceCollector.collect skips empty stacks
            counter[(tuple(frames), thread_id)] += count
    lines = []
    for (call_tree, tid), count in counter.items():
        parts = [f"tid:{tid}"]
        for file, line, func in call_tree:
            if file == "~" and line == 0:
                part = func
            else:
                part = f"{os.path.basename(file)}:{func}:{line}"
            parts.append(part)
        lines.append((";".join(parts), count))
    lines.sort(key=lambda x: (-x[1], x[0]))
    with open(path, "w", encoding="utf-8") as f:
        for stack, count in lines:
            f.write(f"{stack} {count}\n")


def write_pstats(stacks, path):
    # PstatsCollector: frames arrive leaf first; weight = samples of that stack.
    result = collections.defaultdict(lambda: dict(direct_calls=0, cumulative_calls=0))
    callers = collections.defaultdict(lambda: collections.defaultdict(int))
    for root_first, weight in stacks:
        frames = list(reversed(root_first))
        if not frames:
            continue
        seen = set()
        for location in frames:
            if location not in seen:
                seen.add(location)
                result[location]["cumulative_calls"] += weight
        result[frames[0]]["direct_calls"] += weight
        for i in range(1, len(frames)):
            callers[frames[i - 1]][frames[i]] += weight
    interval = INTERVAL_US / 1_000_000
    stats = {}
    for fname, c in result.items():
        stats[fname] = (
            c["direct_calls"],
            c["cumulative_calls"],
            c["direct_calls"] * interval,
            c["cumulative_calls"] * interval,
            dict(callers.get(fname, {})),
        )
    stats[("__sampled__",)] = True
    with open(path, "wb") as f:
        marshal.dump(stats, f)


def main():
    py_spy = sys.argv[1] if len(sys.argv) > 1 else "py-spy"
    os.makedirs(OUT, exist_ok=True)
    for side, factor in (("before", 1), ("after", 3)):
        raw = os.path.join(OUT, f"pyspy_{side}.txt")
        record(py_spy, factor, raw)
        stacks = pyspy_stacks(raw)
        write_collapsed(stacks, os.path.join(OUT, f"sampling_{side}.collapsed"))
        write_pstats(stacks, os.path.join(OUT, f"sampling_{side}.pstats"))
        record(py_spy, factor, os.path.join(OUT, f"pyspy_{side}.speedscope.json"), "speedscope")
        bindir = os.path.dirname(py_spy)
        trace(os.path.join(bindir, "viztracer"), factor, os.path.join(OUT, f"viztracer_{side}.json"), "viztracer")
        trace(os.path.join(bindir, "pyinstrument"), factor,
              os.path.join(OUT, f"pyinstrument_{side}.speedscope.json"), "speedscope")
        trace(os.path.join(bindir, "pyinstrument"), factor,
              os.path.join(OUT, f"pyinstrument_{side}.pyisession"), "pyisession")
        print(side, sum(c for _, c in stacks), "samples")


if __name__ == "__main__":
    main()
