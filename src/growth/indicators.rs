use super::tables::{Lms, STANDARDS};
use crate::domain::{Position, Sex, ZScore};

/// The last day the standards cover: 60 months.
pub const MAX_AGE_DAYS: u32 = 1826;
/// From this day on a child is measured standing, and weight-for-height replaces
/// weight-for-length.
const STANDING_FROM_DAY: u32 = 731;
const POSITION_CORRECTION_CM: f64 = 0.7;

/// The lengths and weights a measurement may carry; outside them a value is a typing error,
/// not a child. The measurements table's CHECK constraints (migration 000002) and every
/// request schema hold the same bounds (tests `openapi::measurement_bounds_are_the_growth_bounds`).
pub const MIN_LENGTH_CM: f64 = 38.0;
pub const MAX_LENGTH_CM: f64 = 130.0;
pub const MIN_WEIGHT_KG: f64 = 0.9;
pub const MAX_WEIGHT_KG: f64 = 58.0;

/// One measurement, as the standards need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    pub sex: Sex,
    pub age_days: u32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZScores {
    /// Length/height-for-age.
    pub haz: Option<ZScore>,
    /// Weight-for-age.
    pub waz: Option<ZScore>,
    /// Weight-for-length (under 731 days) or weight-for-height.
    pub whz: Option<ZScore>,
    /// The length after the lying/standing correction.
    pub corrected_length_cm: f64,
}

pub fn compute(input: &Input) -> ZScores {
    let weight = input.weight_kg.filter(|_| !input.oedema);
    ZScores {
        haz: haz(input.sex, input.age_days, input.length_cm, input.position),
        waz: weight.and_then(|w| waz(input.sex, input.age_days, w)),
        whz: weight.and_then(|w| whz(input.sex, input.age_days, input.length_cm, input.position, w)),
        corrected_length_cm: corrected_length(input.age_days, input.length_cm, input.position),
    }
}

/// Length/height-for-age z-score. `None` past 60 months.
pub fn haz(sex: Sex, age_days: u32, length_cm: f64, position: Position) -> Option<ZScore> {
    let lms = STANDARDS.length_for_age.at(sex, age_days as usize)?;
    ZScore::new(plain_z(corrected_length(age_days, length_cm, position), lms))
}

/// Weight-for-age z-score, with restricted extrapolation beyond ±3 SD.
pub fn waz(sex: Sex, age_days: u32, weight_kg: f64) -> Option<ZScore> {
    let lms = STANDARDS.weight_for_age.at(sex, age_days as usize)?;
    ZScore::new(restricted_z(weight_kg, lms))
}

/// Weight-for-length (under 731 days) or weight-for-height z-score, looked up at the corrected
/// length; `None` outside the table's range (45–110 cm lying, 65–120 cm standing).
pub fn whz(sex: Sex, age_days: u32, length_cm: f64, position: Position, weight_kg: f64) -> Option<ZScore> {
    if age_days > MAX_AGE_DAYS {
        return None;
    }
    let length = corrected_length(age_days, length_cm, position);
    let table = if age_days < STANDING_FROM_DAY { &STANDARDS.weight_for_length } else { &STANDARDS.weight_for_height };
    ZScore::new(restricted_z(weight_kg, table.interpolate(sex, length)?))
}

/// The length as the standards expect it at this age (lying under 731 days, standing after).
fn corrected_length(age_days: u32, length_cm: f64, position: Position) -> f64 {
    match (age_days < STANDING_FROM_DAY, position) {
        (true, Position::Standing) => length_cm + POSITION_CORRECTION_CM,
        (false, Position::Lying) => length_cm - POSITION_CORRECTION_CM,
        _ => length_cm,
    }
}

/// The LMS z-score. Length-for-age has L = 1 on every row, where this is (y/M − 1)/S: the
/// fast path keeps `powf` out of the commonest computation.
fn plain_z(y: f64, Lms { l, m, s }: Lms) -> f64 {
    if l == 1.0 {
        (y / m - 1.0) / s
    } else if l.abs() < 1e-10 {
        (y / m).ln() / s
    } else {
        ((y / m).powf(l) - 1.0) / (l * s)
    }
}

/// The value at `z` standard deviations: M·(1 + L·S·z)^(1/L).
fn value_at(z: f64, Lms { l, m, s }: Lms) -> f64 {
    if l.abs() < 1e-10 { m * (s * z).exp() } else { m * (1.0 + l * s * z).powf(1.0 / l) }
}

/// WHO's restricted application of the LMS method: past ±3 SD, the excess is measured in
/// units of the distance between 2 and 3 SD, so the long tail of weight does not stretch z.
fn restricted_z(y: f64, lms: Lms) -> f64 {
    let z = plain_z(y, lms);
    if z > 3.0 {
        let sd3 = value_at(3.0, lms);
        3.0 + (y - sd3) / (sd3 - value_at(2.0, lms))
    } else if z < -3.0 {
        let sd3 = value_at(-3.0, lms);
        -3.0 + (y - sd3) / (value_at(-2.0, lms) - sd3)
    } else {
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(value: Option<ZScore>) -> f64 {
        value.expect("a z-score").value()
    }

    #[test]
    fn median_child_scores_zero() {
        // Boys' median length at birth is 49.8842 cm.
        assert!(z(haz(Sex::Male, 0, 49.8842, Position::Lying)).abs() < 1e-9);
    }

    #[test]
    fn wrong_position_is_corrected_by_seven_millimetres() {
        let lying = haz(Sex::Female, 400, 74.0, Position::Lying);
        let standing = haz(Sex::Female, 400, 73.3, Position::Standing);
        assert!((z(lying) - z(standing)).abs() < 1e-9);
        let standing = haz(Sex::Female, 900, 85.0, Position::Standing);
        let lying = haz(Sex::Female, 900, 85.7, Position::Lying);
        assert!((z(lying) - z(standing)).abs() < 1e-9);
    }

    #[test]
    fn nothing_past_sixty_months() {
        assert!(haz(Sex::Male, MAX_AGE_DAYS, 110.0, Position::Standing).is_some());
        assert!(haz(Sex::Male, MAX_AGE_DAYS + 1, 110.0, Position::Standing).is_none());
        assert!(waz(Sex::Male, MAX_AGE_DAYS + 1, 18.0).is_none());
    }

    #[test]
    fn extrapolation_beyond_three_sd_is_linear_in_the_two_to_three_sd_step() {
        let lms = STANDARDS.weight_for_age.at(Sex::Male, 365).unwrap();
        let (sd2, sd3) = (value_at(2.0, lms), value_at(3.0, lms));
        let z = restricted_z(sd3 + (sd3 - sd2), lms);
        assert!((z - 4.0).abs() < 1e-9, "{z}");
        let (sd2n, sd3n) = (value_at(-2.0, lms), value_at(-3.0, lms));
        let z = restricted_z(sd3n - (sd2n - sd3n) / 2.0, lms);
        assert!((z + 3.5).abs() < 1e-9, "{z}");
    }

    #[test]
    fn oedema_suppresses_weight_indicators() {
        let input = Input {
            sex: Sex::Male,
            age_days: 500,
            length_cm: 76.0,
            position: Position::Lying,
            weight_kg: Some(9.0),
            oedema: true,
        };
        let scores = compute(&input);
        assert!(scores.haz.is_some() && scores.waz.is_none() && scores.whz.is_none());
    }

    #[test]
    fn weight_for_length_switches_to_height_at_day_731() {
        // 70 cm: inside weight-for-length, and inside weight-for-height only once corrected.
        assert!(whz(Sex::Male, 730, 46.0, Position::Lying, 2.5).is_some());
        assert!(whz(Sex::Male, 731, 64.0, Position::Standing, 7.0).is_none(), "below weight-for-height's 65 cm");
        assert!(whz(Sex::Male, 731, 65.6, Position::Lying, 7.0).is_none(), "65.6 lying is 64.9 standing");
        assert!(whz(Sex::Male, 731, 65.7, Position::Lying, 7.0).is_some());
    }
}
