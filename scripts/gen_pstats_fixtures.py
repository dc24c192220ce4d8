#!/usr/bin/env python3
"""Regenerate the pstats oracle fixtures in tests/fixtures/pstats/.

Step 1 (dumps): profiles tests/fixtures/pstats/workload.py (and a unicode/long-path
workload) with cProfile under every CPython that pyenv has (2.7, 3.6-3.13), with the
pure-Python `profile` module under several versions (its key holds a code object whose
layout changed in 3.8 and 3.11), with yappi and pyinstrument (installed into a throwaway
venv), and merges some with Stats.add + dump_stats. Real-world dumps come from
../shared/fixtures (see LICENSES.md there).

Step 2 (expected): runs CPython 3.11's pstats on every dump for many sort keys,
restrictions and the three print methods, with TZ=UTC and every dump's mtime set to
MTIME, and writes the text to expected/ plus a manifest cases.json that the Rust test
tests/pstats_oracle.rs replays through `profdiff stats`.

Run from the repository root:  python3 scripts/gen_pstats_fixtures.py [--dumps] [--expected]
(no flag: both). Needs pyenv's interpreters for --dumps; --expected needs only python3.11.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "pstats")
DUMPS = os.path.join(FIX, "dumps")
EXPECTED = os.path.join(FIX, "expected")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "fixtures")
MTIME = 1700000000  # Tue Nov 14 22:13:20 2023 UTC
PYENV = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() if shutil.which("pyenv") else ""

UNICODE_DIR = "src/a_rather_long_directory_name_for_testing_wide_columns/und_noch_ein_längerer_ordner"
UNICODE_SRC = '''# -*- coding: utf-8 -*-
def größe(n):
    return sum(range(n))


class Ωmega:
    def método(self, n):
        return [größe(i) for i in range(n)]


def ünïcode_recursion(n):
    return n if n <= 0 else ünïcode_recursion(n - 1)


Ωmega().método(40)
ünïcode_recursion(25)
'''


def py(version):
    exe = os.path.join(PYENV, "versions", version, "bin", "python")
    return exe if os.path.exists(exe) else None


def oracle_python(mm):
    for v in versions():
        if v.startswith(mm + "."):
            return py(v)
    raise SystemExit("no CPython %s under pyenv" % mm)


def versions():
    out = []
    for path in sorted(glob.glob(os.path.join(PYENV, "versions", "*", "bin", "python"))):
        v = path.split(os.sep)[-3]
        if v.count(".") == 2 and v[0] in "23":
            out.append(v)
    return out


def run(args, **kw):
    print("+", " ".join(args), file=sys.stderr)
    subprocess.run(args, check=True, cwd=FIX, **kw)


def make_dumps():
    os.makedirs(DUMPS, exist_ok=True)
    os.makedirs(os.path.join(FIX, UNICODE_DIR), exist_ok=True)
    with open(os.path.join(FIX, UNICODE_DIR, "módulo_ñ.py"), "w", encoding="utf-8") as f:
        f.write(UNICODE_SRC)
    for v in versions():
        mm = ".".join(v.split(".")[:2])
        exe = py(v)
        run([exe, "-m", "cProfile", "-o", "dumps/cprofile_%s.prof" % mm, "workload.py"])
        if mm in ("2.7", "3.6", "3.8", "3.10", "3.11", "3.13"):
            run([exe, "-m", "profile", "-o", "dumps/profile_%s.prof" % mm, "workload.py"])
        if not mm.startswith("2"):
            run([exe, "-m", "cProfile", "-o", "dumps/unicode_%s.prof" % mm, UNICODE_DIR + "/módulo_ñ.py"])
    # yappi and pyinstrument in a throwaway venv of 3.11.
    venv = tempfile.mkdtemp(prefix="profdiff-gen-")
    run([py("3.11.7") or sys.executable, "-m", "venv", venv])
    vpy = os.path.join(venv, "bin", "python")
    run([vpy, "-m", "pip", "install", "-q", "yappi", "pyinstrument"])
    run([vpy, "-c", (
        "import yappi, runpy\n"
        "yappi.set_clock_type('cpu')\n"
        "yappi.start(builtins=True)\n"
        "runpy.run_path('workload.py', run_name='__main__')\n"
        "yappi.stop()\n"
        "yappi.get_func_stats().save('dumps/yappi.prof', type='pstat')\n")])
    run([os.path.join(venv, "bin", "pyinstrument"), "-r", "pstats", "-o", "dumps/pyinstrument.prof", "workload.py"])
    shutil.rmtree(venv)
    # Merged dumps (Stats.add + dump_stats) under 3.11 and 2.7.
    run([py("3.11.7") or sys.executable, "-c", (
        "import pstats\n"
        "s = pstats.Stats('dumps/cprofile_3.11.prof', 'dumps/cprofile_3.12.prof', 'dumps/unicode_3.11.prof')\n"
        "s.dump_stats('dumps/merged_3.11.prof')\n")])
    for name in ("dataviewer_before.prof", "dataviewer_after.prof", "gprof2dot_memtrail.pstats",
                 "gprof2dot_print1.pstats", "gprof2dot_print2.pstats", "pstatsview_naive.stats",
                 "pstatsview_fast.stats"):
        shutil.copy(os.path.join(SHARED, name), os.path.join(DUMPS, name))


SORTS = [[], ["calls"], ["ncalls"], ["cumtime"], ["cumulative"], ["file"], ["filename"], ["line"],
         ["module"], ["name"], ["nfl"], ["pcalls"], ["stdname"], ["time"], ["tottime"],
         ["tot"], ["cu"], ["std"], ["pc"], ["calls", "time"], ["file", "line"], ["cumulative", "name"]]
RESTRICTIONS = [[], [10], [0.25], ["fib"], ["\\.py", 5], [3, "area"], [0.5, 0.5], ["(unclosed"], [0],
                [-1], [1.0], ["no-such-function-anywhere"], ["[Gg]r..e|método"]]
BIG = {"dataviewer_before.prof", "dataviewer_after.prof", "gprof2dot_memtrail.pstats"}


# Python 2 dicts iterate in hash order, not dump order, so for Python 2 dumps only orders
# without ties are defined: sorts that end in a unique key.
PY2_SORTS = [["stdname"], ["nfl"], ["time", "stdname"], ["calls", "nfl"], ["cumulative", "stdname"]]


def cases():
    dumps = sorted(os.listdir(DUMPS))
    out = []

    def add(files, sort, restr, mode):
        out.append({"files": ["dumps/" + f for f in files], "sort": sort, "restrictions": restr, "mode": mode})

    for d in dumps:
        big = d in BIG
        py2 = "_2.7" in d
        for sort in (PY2_SORTS if py2 else SORTS):
            add([d], sort, [25] if big else [], "stats")
        for restr in RESTRICTIONS:
            add([d], ["cumulative", "stdname"] if py2 else ["cumulative"], restr + ([30] if big else []), "stats")
        for mode in ("callers", "callees"):
            add([d], ["time", "stdname"] if py2 else ["time"], [4 if big else 15], mode)
            add([d], ["stdname"], ["fib|area|main|get|Ω|größe"] + ([8] if big else []), mode)
            if not big:
                add([d], ["stdname"] if py2 else [], [], mode)
    add(["dataviewer_before.prof"], ["cumulative"], [], "stats")
    many = ["cprofile_3.11.prof", "cprofile_3.12.prof", "cprofile_3.8.prof"]
    add(many, ["time", "name"], [], "stats")
    add(many, ["cumulative"], [12], "callers")
    add(["profile_3.11.prof", "profile_3.8.prof"], ["cumulative"], [], "stats")
    add(["dataviewer_before.prof", "dataviewer_after.prof"], ["tottime"], [50], "stats")
    add(["gprof2dot_print1.pstats", "gprof2dot_print2.pstats"], ["calls"], [], "callees")
    add(["cprofile_2.7.prof", "profile_2.7.prof"], ["stdname"], [], "stats")
    return out


ORACLE = r'''
import json, os, sys, time, pstats
os.environ["TZ"] = "UTC"; time.tzset()
case = json.loads(sys.argv[1])
if sys.version_info[0] == 2:  # keep %r of a restriction 'x', not u'x'
    enc = lambda v: v.encode("utf-8") if isinstance(v, unicode) else v
    case = dict((k, [enc(x) for x in v] if isinstance(v, list) else v) for k, v in case.items())
for f in case["files"]:
    os.utime(f, (MTIME, MTIME))
s = pstats.Stats(*case["files"])
s.sort_stats(*case["sort"])
getattr(s, "print_" + case["mode"])(*case["restrictions"])
'''.replace("MTIME", str(MTIME))


def make_expected():
    if os.path.isdir(EXPECTED):
        shutil.rmtree(EXPECTED)
    os.makedirs(EXPECTED)
    kept = []
    for i, case in enumerate(cases()):
        # Dumps holding code objects (profile_X.Y) or Python 2 data load only in the
        # CPython that wrote them; everything else uses 3.11.
        version = "3.11"
        for f in case["files"]:
            if f.startswith("dumps/profile_") or "_2.7" in f:
                version = f.rsplit("_", 1)[1][: -len(".prof")]
        python = oracle_python(version)
        case["python"] = version
        p = subprocess.run([python, "-c", ORACLE, json.dumps(case)], cwd=FIX, capture_output=True)
        if p.returncode != 0:
            # e.g. sorting by name where a key holds a code object: pstats itself fails.
            print("skip (pstats fails):", case, p.stderr.decode().strip().splitlines()[-1], file=sys.stderr)
            continue
        case["expected"] = "expected/%04d.txt" % i
        with open(os.path.join(FIX, case["expected"]), "wb") as f:
            f.write(p.stdout)
        kept.append(case)
    with open(os.path.join(FIX, "cases.json"), "w") as f:
        json.dump({"mtime": MTIME, "cases": kept}, f, indent=1, ensure_ascii=False)
    print("%d cases" % len(kept), file=sys.stderr)


if __name__ == "__main__":
    args = set(sys.argv[1:]) or {"--dumps", "--expected"}
    if "--dumps" in args:
        make_dumps()
    if "--expected" in args:
        make_expected()
