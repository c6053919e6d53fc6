//! From what was measured to what is stored: age, z-scores and their plausibility.

use crate::domain::{Position, Sex, ZScore};
use crate::growth::{self, Indicator, Input};
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub measured_on: NaiveDate,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub age_days: i32,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    pub haz_implausible: bool,
    pub waz_implausible: bool,
    pub whz_implausible: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeError {
    BeforeBirth,
    TooOld,
}
text_error!(AgeError, |e| match e {
    AgeError::BeforeBirth => text!("is before the child's birth date"),
    AgeError::TooOld => text!("is when the child is 60 months or older; the standards cover 0 to 59 months"),
});

/// Scores a measurement of a child of `sex` born on `birth_date`.
pub fn score(sex: Sex, birth_date: NaiveDate, m: &Measured) -> Result<Scored, AgeError> {
    let days = (m.measured_on - birth_date).num_days();
    if days < 0 {
        return Err(AgeError::BeforeBirth);
    }
    let age_days = u32::try_from(days).ok().filter(|d| *d <= growth::MAX_AGE_DAYS).ok_or(AgeError::TooOld)?;
    let z = growth::compute(&Input {
        sex,
        age_days,
        length_cm: m.length_cm,
        position: m.position,
        weight_kg: m.weight_kg,
        oedema: m.oedema,
    });
    let flag = |indicator: Indicator, z: Option<ZScore>| z.is_some_and(|z| indicator.is_implausible(z));
    Ok(Scored {
        age_days: age_days as i32,
        haz: z.haz,
        waz: z.waz,
        whz: z.whz,
        haz_implausible: flag(Indicator::LengthForAge, z.haz),
        waz_implausible: flag(Indicator::WeightForAge, z.waz),
        whz_implausible: flag(Indicator::WeightForLength, z.whz),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn measured(on: &str, length_cm: f64) -> Measured {
        Measured { measured_on: date(on), length_cm, position: Position::Lying, weight_kg: Some(8.0), oedema: false }
    }

    #[test]
    fn age_runs_from_birth_to_sixty_months() {
        let birth = date("2020-01-01");
        assert_eq!(score(Sex::Male, birth, &measured("2020-01-01", 50.0)).unwrap().age_days, 0);
        assert_eq!(score(Sex::Male, birth, &measured("2019-12-31", 50.0)), Err(AgeError::BeforeBirth));
        // 1826 days after 2020-01-01 is 2024-12-31.
        assert!(score(Sex::Male, birth, &measured("2024-12-31", 100.0)).is_ok());
        assert_eq!(score(Sex::Male, birth, &measured("2025-01-01", 100.0)), Err(AgeError::TooOld));
    }

    #[test]
    fn implausible_values_are_scored_and_flagged() {
        let scored = score(Sex::Female, date("2023-01-01"), &measured("2024-01-01", 45.0)).unwrap();
        assert!(scored.haz.unwrap().value() < -6.0);
        assert!(scored.haz_implausible);
    }
}
