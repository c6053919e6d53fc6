//! The vocabulary of measuring a child: sex, how length was taken, where, and the z-score.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Double;
use serde::{Deserialize, Serialize, Serializer};
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

/// A WHO z-score: standard deviations from the reference median. Serialised rounded to two
/// decimals, as WHO reports them; kept exact inside.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Deserialize, AsExpression, FromSqlRow, ToSchema)]
#[diesel(sql_type = Double)]
#[schema(value_type = f64, example = -2.41)]
pub struct ZScore(f64);

impl ZScore {
    /// `None` for NaN or infinity: an input the tables cannot score.
    pub fn new(value: f64) -> Option<Self> {
        value.is_finite().then_some(Self(value))
    }

    pub fn value(self) -> f64 {
        self.0
    }

    pub fn rounded(self) -> f64 {
        (self.0 * 100.0).round() / 100.0
    }
}

impl Serialize for ZScore {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.rounded())
    }
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
    fn serialises_to_two_decimals() {
        assert_eq!(serde_json::to_string(&ZScore::new(-2.4567).unwrap()).unwrap(), "-2.46");
        assert!(ZScore::new(f64::NAN).is_none());
        assert_eq!("lying".parse::<Position>().unwrap(), Position::Lying);
        assert_eq!(serde_json::to_value(Place::HomeVisit).unwrap(), "home_visit");
    }
}
