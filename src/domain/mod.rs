//! Domain types: each is valid once built, so code past the HTTP edge never re-checks them.

/// Stores an enum with `as_str` and `FromStr` as PostgreSQL `text` (the column has a CHECK
/// listing the same names), so rows load straight into the domain type.
macro_rules! text_sql_enum {
    ($ty:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                Ok(text.parse::<$ty>()?)
            }
        }
    };
}

mod ids;
mod region_code;
mod role;
mod scope;

pub use ids::UserId;
pub use region_code::{RegionCode, RegionCodeError, RegionLevel};
pub use role::Role;
pub use scope::Scope;
