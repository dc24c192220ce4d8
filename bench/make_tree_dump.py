#!/usr/bin/env python3
"""Writes a synthetic cProfile-style dump of N functions (default 50,000) shaped like a real
program's call tree, for the flame-graph benchmarks: function i is called by a random
earlier function (a random recursive tree: depth ~ ln N, a few wide hubs), 10% of functions
by a second one too, own times drawn from a long-tailed distribution, cumulative times
summed bottom-up so every edge is consistent. Deterministic (seeded).

    python3 bench/make_tree_dump.py OUT.prof [N]
"""
import marshal
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50000
rng = random.Random(7)
keys = [("/srv/app/pkg%03d/mod_%04d.py" % (i % 89, i // 25), 1 + (i * 37) % 4000, "fn_%d" % i) for i in range(n)]
callers = [[] for _ in range(n)]  # (caller, share of the callee's time)
for i in range(1, n):
    a = rng.randrange(i)
    if rng.random() < 0.1 and i > 1:
        b = rng.randrange(i)
        if b != a:
            callers[i] = [(a, 0.7), (b, 0.3)]
            continue
    callers[i] = [(a, 1.0)]
tt = [rng.paretovariate(1.5) * 1e-4 for _ in range(n)]
ct = tt[:]
for i in range(n - 1, 0, -1):  # children have larger indices: bottom-up in one pass
    for c, share in callers[i]:
        ct[c] += ct[i] * share
stats = {}
for i in range(n):
    nc = 1 + rng.randrange(1000)
    edges = {keys[c]: (nc, nc, tt[i] * s, ct[i] * s) for c, s in callers[i]}
    stats[keys[i]] = (nc, nc, tt[i], ct[i], edges)
with open(out, "wb") as f:
    marshal.dump(stats, f)
print("wrote %s: %d functions" % (out, len(stats)))
