//! The KMS minimum weight gain (*Kenaikan Berat badan Minimal*, Permenkes 155/2010): the least a
//! child's weight must rise from one month's weighing to the next for the month to count as
//! grown (N of SKDN). The table is `data/kbm.csv`; the database keeps the same table
//! (`kbm_min_gain`, migration 000033) to judge weighings where they are written, and a test
//! checks the two agree.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

/// The oldest age the table covers: an under-five's last month.
pub const LAST_MONTH: u32 = 59;

/// Grams per completed month of age, index 1 to 59 (index 0 repeats month 1).
static TABLE: LazyLock<Vec<u32>> = LazyLock::new(|| parse(include_str!("../../data/kbm.csv")));

fn parse(csv: &str) -> Vec<u32> {
    let mut grams = vec![0; LAST_MONTH as usize + 1];
    for line in csv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields: Vec<u32> = line.split(',').map(|f| f.trim().parse().expect("data/kbm.csv: a number")).collect();
        let [from, to, g] = fields[..] else { panic!("data/kbm.csv: three columns, not `{line}`") };
        for month in from..=to {
            grams[month as usize] = g;
        }
    }
    grams[0] = grams[1];
    grams
}

/// Every month of age with its minimum gain in grams, 1 to 59: what the database must hold.
pub fn table() -> Vec<(u32, u32)> {
    (1..=LAST_MONTH).map(|m| (m, TABLE[m as usize])).collect()
}

/// The minimum gain, in grams, at `age_months` completed months: before one month as at one,
/// past the table as at its last month.
pub fn min_gain_g(age_months: u32) -> u32 {
    TABLE[age_months.min(LAST_MONTH) as usize]
}

/// Completed months from `born` to `on`, as PostgreSQL's `age()` counts them (a month is
/// complete on the same day of the month, or on the month's last day when it is shorter).
pub fn completed_months(born: NaiveDate, on: NaiveDate) -> u32 {
    let months = (on.year() - born.year()) * 12 + on.month() as i32 - born.month() as i32;
    let short = on.day() < born.day();
    u32::try_from(months - i32::from(short)).unwrap_or(0)
}

/// Whether a weight of `kg` on `on` rose enough from `last_kg` a month before (whole grams).
pub fn rose(born: NaiveDate, last_kg: f64, on: NaiveDate, kg: f64) -> bool {
    ((kg - last_kg) * 1000.0).round() >= f64::from(min_gain_g(completed_months(born, on)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_table_covers_every_month_of_an_under_five_once() {
        let csv = include_str!("../../data/kbm.csv");
        let mut covered = Vec::new();
        for line in csv.lines().skip(1) {
            let f: Vec<u32> = line.split(',').map(|x| x.parse().unwrap()).collect();
            covered.extend(f[0]..=f[1]);
        }
        assert_eq!(covered, (1..=LAST_MONTH).collect::<Vec<_>>());
    }

    #[test]
    fn each_age_band_has_its_minimum_at_both_edges() {
        let expected = [
            (0, 800),
            (1, 800),
            (2, 900),
            (3, 800),
            (4, 600),
            (5, 500),
            (6, 400),
            (7, 400),
            (8, 300),
            (10, 300),
            (11, 200),
            (12, 200),
            (59, 200),
            (60, 200),
        ];
        for (age, grams) in expected {
            assert_eq!(min_gain_g(age), grams, "{age} months");
        }
    }

    #[test]
    fn months_complete_on_the_same_day_as_postgresql_counts_them() {
        assert_eq!(completed_months(day("2024-01-10"), day("2024-02-09")), 0);
        assert_eq!(completed_months(day("2024-01-10"), day("2024-02-10")), 1);
        assert_eq!(
            completed_months(day("2024-01-31"), day("2024-02-29")),
            0,
            "age('2024-02-29','2024-01-31') is 29 days"
        );
        assert_eq!(completed_months(day("2024-01-31"), day("2024-03-30")), 1);
        assert_eq!(completed_months(day("2024-01-31"), day("2024-03-31")), 2);
        assert_eq!(completed_months(day("2020-02-29"), day("2025-02-28")), 59);
        assert_eq!(completed_months(day("2024-05-01"), day("2024-04-30")), 0, "before birth");
    }

    #[test]
    fn a_gain_of_exactly_the_minimum_is_growth_and_a_gram_less_is_not() {
        let born = day("2024-01-10");
        // Two months old on 10 March: 900 g.
        assert!(rose(born, 4.6, day("2024-03-10"), 5.5));
        assert!(!rose(born, 4.6, day("2024-03-10"), 5.499));
        // One day earlier she is one month old: 800 g.
        assert!(rose(born, 4.6, day("2024-03-09"), 5.4));
        // 8.2 − 7.4 is 0.7999… in floating point: still the 800 g a one-month-old needs.
        assert!(rose(born, 7.4, day("2024-02-10"), 8.2));
        // A loss is never growth.
        assert!(!rose(born, 9.0, day("2026-01-10"), 8.9));
    }
}
