//! Which measurements to trust: the data checks beyond WHO's implausible z-scores, each with its
//! threshold and source, in one place. Pure: the records layer reads a child's measurements in
//! order and asks `judge` for each one's flags; the kept counts add them up per posyandu and
//! month, with the terminal digits that show heaping.
//!
//! A flagged measurement is kept and shown with its flags, and left out of prevalence and of
//! the child's cases until an officer checks it (then it counts as measured).

use chrono::NaiveDate;

use super::Position;

text_enum! {
    /// What a data check found wrong with a measurement.
    pub enum QualityFlag {
        /// Length or height lower than the child's previous measurement by more than
        /// `LENGTH_DECREASE_TOLERANCE_MM` (both taken as lying length). The later of the two
        /// is flagged.
        LengthDecrease = "length_decrease",
        /// Weight-for-age moved by more than `WEIGHT_JUMP_Z` since the previous weighing, taken
        /// at most `WEIGHT_JUMP_WITHIN_DAYS` before: a change no child makes in that time.
        WeightJump = "weight_jump",
        /// The age the measurer wrote down (`age_months`) differs from the age the birth date
        /// gives by more than `AGE_TOLERANCE_MONTHS`: one of the two dates is wrong.
        AgeMismatch = "age_mismatch",
    }
}

/// Two trained measurers of the WHO Multicentre Growth Reference Study were allowed to differ
/// by up to 0.7 cm on one child's length (de Onis et al., Food Nutr Bull 2004;25(1 Suppl):S27–36,
/// "maximum allowable difference"); two measurements each off by that much in opposite
/// directions differ by 1.4 cm. A child does not shrink: a larger fall is a wrong entry.
/// In millimetres, the unit lengths are read in, so the edge is exact.
pub const LENGTH_DECREASE_TOLERANCE_MM: i64 = 14;

/// A standing height is 0.7 cm less than the same child's lying length (WHO 2006 standards),
/// so two measurements are compared as lying lengths.
pub const STANDING_TO_LYING_CM: f64 = 0.7;

/// Weight-for-age moves by more than 3 z in at most six months only by error: the WHO
/// standards' 1-month and 2-month weight velocities keep even the 1st to 99th centiles of
/// change within about 2 z (WHO Child Growth Standards: Growth velocity based on weight,
/// length and head circumference, 2009), and a child losing 3 z is past the −3 cut that makes
/// them severely underweight, from normal, between two weighings. The programme's choice.
pub const WEIGHT_JUMP_Z: f64 = 3.0;
pub const WEIGHT_JUMP_WITHIN_DAYS: i64 = 183;

/// e-PPGBM records age at measurement in completed months; off by one is rounding, more is a
/// wrong birth date or measurement date.
pub const AGE_TOLERANCE_MONTHS: i32 = 1;

/// Lengths are read to 0.1 cm, so by chance two tenths in ten (`.0` and `.5`) end in 0 or 5.
/// The kept counts count the lengths that do (`length_heaped`, migration 000035).
pub const HEAPED_DIGITS_SHARE: f64 = 0.2;

/// A heaping index of 125 or more is "rough" data in the United Nations' bands for Whipple's
/// index (below 105 highly accurate, 105–110 fairly accurate, 110–125 approximate, 125–175
/// rough, 175 and above very rough), here read on the tenths of a centimetre; heaping is
/// suspected when even the 95% interval's lower end is that high.
pub const HEAPING_SUSPECTED_INDEX: f64 = 125.0;

/// One of a child's measurements, in the order `judge` takes them: by date, then entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub measured_on: NaiveDate,
    /// Days since birth, from the birth date on record.
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    /// Weight-for-age, when weighed and plausible.
    pub waz: Option<f64>,
    /// The age the measurer wrote down, in completed months.
    pub reported_age_months: Option<i32>,
}

impl Reading {
    fn lying_length(&self) -> f64 {
        match self.position {
            Position::Lying => self.length_cm,
            Position::Standing => self.length_cm + STANDING_TO_LYING_CM,
        }
    }
}

/// The flags of each of a child's living measurements, in their order.
pub fn judge(readings: &[Reading]) -> Vec<Vec<QualityFlag>> {
    let mut flags = Vec::with_capacity(readings.len());
    let mut last_weighed: Option<&Reading> = None;
    for (i, reading) in readings.iter().enumerate() {
        let mut found = Vec::new();
        let previous = i.checked_sub(1).map(|p| &readings[p]);
        if previous.is_some_and(|p| fall_mm(p, reading) > LENGTH_DECREASE_TOLERANCE_MM) {
            found.push(QualityFlag::LengthDecrease);
        }
        if let (Some(before), Some(waz)) = (last_weighed, reading.waz) {
            let days = (reading.measured_on - before.measured_on).num_days();
            if days <= WEIGHT_JUMP_WITHIN_DAYS && before.waz.is_some_and(|b| (waz - b).abs() > WEIGHT_JUMP_Z) {
                found.push(QualityFlag::WeightJump);
            }
        }
        if reading
            .reported_age_months
            .is_some_and(|r| (r - completed_months(reading.age_days)).abs() > AGE_TOLERANCE_MONTHS)
        {
            found.push(QualityFlag::AgeMismatch);
        }
        if reading.waz.is_some() {
            last_weighed = Some(reading);
        }
        flags.push(found);
    }
    flags
}

/// How far the length fell from `before` to `after`, in whole millimetres.
fn fall_mm(before: &Reading, after: &Reading) -> i64 {
    ((before.lying_length() - after.lying_length()) * 10.0).round() as i64
}

/// Completed months of age, WHO's way (a month is 365.25 / 12 days).
pub fn completed_months(age_days: i32) -> i32 {
    (f64::from(age_days) / 30.4375).floor() as i32
}

/// The heaping index of `heaped` lengths ending in .0 or .5 among `lengths`: 100 when they are
/// as frequent as chance makes them, 500 when every length ends so (Whipple's index, read on
/// the tenths). `None` without lengths.
pub fn heaping_index(heaped: i64, lengths: i64) -> Option<f64> {
    (lengths > 0).then(|| (100.0 * heaped as f64 / (HEAPED_DIGITS_SHARE * lengths as f64) * 10.0).round() / 10.0)
}

/// Whether heaping is suspected: the lower end of the 95% Wilson interval of the share ending in
/// .0 or .5 is at least `HEAPING_SUSPECTED_INDEX` times chance.
pub fn heaping_suspected(heaped: i64, lengths: i64) -> bool {
    if lengths <= 0 {
        return false;
    }
    let (n, p, z) = (lengths as f64, heaped as f64 / lengths as f64, 1.959_963_984_540_054_f64);
    let low = (p + z * z / (2.0 * n) - z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / (1.0 + z * z / n);
    low >= HEAPED_DIGITS_SHARE * HEAPING_SUSPECTED_INDEX / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use QualityFlag::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn reading(on: &str, age_days: i32, length_cm: f64, waz: Option<f64>) -> Reading {
        Reading { measured_on: day(on), age_days, length_cm, position: Position::Lying, waz, reported_age_months: None }
    }

    #[test]
    fn a_length_may_fall_by_the_tolerance_and_no_more() {
        let first = reading("2025-01-10", 300, 72.0, None);
        let within = reading("2025-02-10", 331, 70.6, None);
        let beyond = reading("2025-02-10", 331, 70.5, None);
        assert_eq!(judge(&[first, within]), vec![vec![], vec![]]);
        assert_eq!(judge(&[first, beyond]), vec![vec![], vec![LengthDecrease]]);
    }

    #[test]
    fn standing_height_is_compared_as_lying_length() {
        let lying = reading("2025-01-10", 720, 85.0, None);
        // 83.8 standing is 84.5 lying: a fall of 0.5 cm.
        let standing = Reading { position: Position::Standing, ..reading("2025-02-10", 751, 83.8, None) };
        assert_eq!(judge(&[lying, standing])[1], vec![]);
        let lower = Reading { position: Position::Standing, ..reading("2025-02-10", 751, 82.8, None) };
        assert_eq!(judge(&[lying, lower])[1], vec![LengthDecrease]);
    }

    #[test]
    fn a_weight_jump_counts_only_within_its_window() {
        let before = reading("2025-01-01", 300, 72.0, Some(-0.5));
        let jump = reading("2025-07-03", 483, 76.0, Some(-3.6));
        let edge = reading("2025-07-03", 483, 76.0, Some(-3.5));
        let later = reading("2025-07-04", 484, 76.0, Some(-3.6));
        assert_eq!((jump.measured_on - before.measured_on).num_days(), WEIGHT_JUMP_WITHIN_DAYS);
        assert_eq!(judge(&[before, jump])[1], vec![WeightJump]);
        assert_eq!(judge(&[before, edge])[1], vec![]);
        assert_eq!(judge(&[before, later])[1], vec![]);
    }

    #[test]
    fn a_weight_jump_compares_with_the_last_weighing_not_the_last_measurement() {
        let weighed = reading("2025-01-01", 300, 72.0, Some(1.0));
        let unweighed = reading("2025-02-01", 331, 73.0, None);
        let jump = reading("2025-03-01", 359, 74.0, Some(-2.5));
        assert_eq!(judge(&[weighed, unweighed, jump]), vec![vec![], vec![], vec![WeightJump]]);
    }

    #[test]
    fn a_reported_age_may_be_one_month_off() {
        // 400 days is 13 completed months.
        let at = |months| Reading { reported_age_months: Some(months), ..reading("2025-01-01", 400, 75.0, None) };
        assert_eq!(completed_months(400), 13);
        assert_eq!(judge(&[at(12)])[0], vec![]);
        assert_eq!(judge(&[at(14)])[0], vec![]);
        assert_eq!(judge(&[at(11)])[0], vec![AgeMismatch]);
        assert_eq!(judge(&[at(15)])[0], vec![AgeMismatch]);
    }

    #[test]
    fn terminal_digits_and_the_heaping_index() {
        // One length in five ending .0/.5 is chance: 100. All of them: 500.
        assert_eq!(heaping_index(20, 100), Some(100.0));
        assert_eq!(heaping_index(100, 100), Some(500.0));
        assert_eq!(heaping_index(0, 0), None);
        // Tenths read evenly over .0 to .9 (60.0 to 159.9 cm): 200 of 1,000 end in .0 or .5, as chance.
        assert_eq!(heaping_index(200, 1000), Some(100.0));
        assert!(!heaping_suspected(200, 1000));
    }

    #[test]
    fn heaping_is_suspected_only_beyond_chance() {
        // Half the lengths at .0/.5 over 200 readings: far beyond chance.
        assert!(heaping_suspected(100, 200));
        // 3 of 5: a small posyandu's chance result is not enough.
        assert!(!heaping_suspected(3, 5));
        // Just above "rough" on many readings: the interval must clear 25%.
        assert!(!heaping_suspected(26, 100));
        assert!(heaping_suspected(2_700, 10_000));
    }
}
