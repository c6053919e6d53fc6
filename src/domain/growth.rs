//! The vocabulary of measuring a child: sex, how length was taken, where, and the z-score.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Double;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

text_enum! {
    pub enum Sex {
        Male = "male",
        Female = "female",
    }
}

text_enum! {
    /// How length/height was taken: lying down (recumbent length, expected under 731 days) or
    /// standing (height, expected from 731 days).
    pub enum Position {
        Lying = "lying",
        Standing = "standing",
    }
}

text_enum! {
    /// Where the child was measured.
    pub enum Place {
        Posyandu = "posyandu",
        Puskesmas = "puskesmas",
        HomeVisit = "home_visit",
        Import = "import",
    }
}

/// A WHO z-score: standard deviations from the reference median, rounded to two decimals as
/// WHO's `anthro` rounds it (`round(zscore, digits = 2L)`) before it flags or classifies.
/// Rounding at construction makes the value shown, stored, flagged, classified and counted in
/// prevalence one and the same: a child at −2.0004 is −2.00, not stunted, here as in WHO's
/// software, and a dashboard that recomputes prevalence from our z-scores gets our figure.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, AsExpression, FromSqlRow, ToSchema)]
#[serde(try_from = "f64")]
#[diesel(sql_type = Double)]
#[schema(value_type = f64, example = -2.41)]
pub struct ZScore(f64);

impl ZScore {
    /// `None` for NaN or infinity: an input the tables cannot score.
    pub fn new(value: f64) -> Option<Self> {
        value.is_finite().then(|| Self(hundredths(value)))
    }

    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for ZScore {
    type Error = &'static str;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Self::new(value).ok_or("a z-score is a finite number")
    }
}

/// `x` rounded to two decimals exactly as R's `round(x, 2)` does: to the nearest hundredth of
/// the number `x` really is, ties (only an exactly representable half) to even. `x · 100` can
/// itself round onto a half; its exact remainder (one fused multiply-add) says which side of
/// the half `x` lies on.
fn hundredths(x: f64) -> f64 {
    let scaled = x * 100.0;
    // Only a product on a half needs the (slower, unless the CPU fuses) exact remainder.
    let nearest = if (scaled - scaled.trunc()).abs() == 0.5 {
        match x.mul_add(100.0, -scaled) {
            remainder if remainder > 0.0 => scaled.ceil(),
            remainder if remainder < 0.0 => scaled.floor(),
            _ => scaled.round_ties_even(),
        }
    } else {
        scaled.round()
    };
    nearest / 100.0
}

impl ToSql<Double, Pg> for ZScore {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <f64 as ToSql<Double, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Double, Pg> for ZScore {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let value = <f64 as FromSql<Double, Pg>>::from_sql(bytes)?;
        Self::new(value).ok_or_else(|| "a stored z-score is not finite".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_to_the_hundredth_x_really_is_nearest() {
        let z = |v: f64| ZScore::new(v).unwrap().value();
        assert_eq!(z(-2.0004), -2.0);
        assert_eq!(z(-2.0049), -2.0);
        assert_eq!(z(-2.0051), -2.01);
        assert_eq!(z(-2.0056), -2.01);
        // Really −3.09499999999999975…, though its product with 100 is computed as exactly
        // −309.5: R and Python give −3.09, a plain tie rule −3.10.
        assert_eq!(z(-3.0949999999999998), -3.09);
        assert_eq!(z(1.005), 1.0);
        // 0.125 is exactly representable: a true tie goes to the even hundredth, as in R.
        assert_eq!(z(0.125), 0.12);
        assert_eq!(z(-0.375), -0.38);
    }

    #[test]
    fn serialises_to_two_decimals() {
        assert_eq!(serde_json::to_string(&ZScore::new(-2.4567).unwrap()).unwrap(), "-2.46");
        assert_eq!(serde_json::from_str::<ZScore>("-2.0004").unwrap().value(), -2.0, "read back rounded too");
        assert!(ZScore::new(f64::NAN).is_none());
        assert_eq!("lying".parse::<Position>().unwrap(), Position::Lying);
        assert_eq!(serde_json::to_value(Place::HomeVisit).unwrap(), "home_visit");
    }
}
