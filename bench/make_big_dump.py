#!/usr/bin/env python3
"""Writes a synthetic cProfile-style dump with N functions (default 50,000) using CPython's
own marshal, so it has the back-references real dumps have. Deterministic (seeded).

    python3 bench/make_big_dump.py OUT.prof [N [SEED]]

With SEED, the same functions and call graph with the times of another run: every time
scaled by a seeded factor around 1 (sd 5%), one function in 20 by 1.5-3x or 0.3-0.7x (a
candidate for the 50,000-function comparison benchmarks, `make bench-ui`).
"""
import marshal
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
other = random.Random(int(sys.argv[3])) if len(sys.argv) > 3 else None
rng = random.Random(42)
files = ["/srv/app/pkg%03d/module_%04d.py" % (i % 97, i) for i in range(n // 25 + 1)]
keys = []
for i in range(n):
    if i % 10 == 0:
        keys.append(("~", 0, "<built-in method builtins.func_%d>" % i))
    else:
        keys.append((rng.choice(files), rng.randint(1, 4000), "function_%d" % i))
stats = {}
for i, key in enumerate(keys):
    nc = rng.randint(1, 100000)
    cc = nc if rng.random() < 0.9 else max(1, nc // 3)
    tt = rng.random() * 0.5
    ct = tt + rng.random() * 2
    callers = {}
    for _ in range(rng.randint(0, 5)):
        c = keys[rng.randrange(n)]
        callers[c] = (rng.randint(1, nc), rng.randint(1, cc), tt / 3, ct / 3)
    if other is not None:
        f = max(0.05, other.gauss(1.0, 0.05))
        if other.random() < 0.05:
            f = other.uniform(1.5, 3.0) if other.random() < 0.5 else other.uniform(0.3, 0.7)
        tt, ct = tt * f, ct * f
        callers = {c: (a, b, t * f, u * f) for c, (a, b, t, u) in callers.items()}
    stats[key] = (cc, nc, tt, ct, callers)
with open(out, "wb") as f:
    marshal.dump(stats, f)
print("wrote %s: %d functions" % (out, len(stats)))
