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

/// A closed set of names stored as `text`: serde, OpenAPI, diesel, `as_str` and `FromStr`
/// from one list, so the wire name and the stored name cannot drift apart.
///
/// The names are matched as `tt`, not `literal`: a `literal` fragment reaches a derive wrapped
/// in an invisible group, which serde unwraps but utoipa's attribute parser does not, so the
/// schema fell back to the Rust variant names (`District` instead of `district`).
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:tt),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::domain::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| crate::domain::UnknownName {
                    expected: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        $crate::domain::text_sql_enum!($name);
    };
}

pub(crate) use {text_enum, text_sql_enum};

/// A name outside a `text_enum!`'s list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub expected: String,
}
text_error!(UnknownName, |e| text!("must be one of %{expected}", expected = e.expected));

mod calendar;
mod case;
pub mod catin;
mod convergence;
mod growth;
mod ids;
mod ihs;
mod intervention;
mod money;
mod nik;
pub mod page;
mod period;
pub mod pregnancy;
pub mod quality;
mod region_code;
mod role;
mod scope;
pub mod text;
mod version;
pub mod worklist;

pub use calendar::{
    UNDER_FIVE_MONTHS, YEARS, check_child_birth_date, check_person_birth_date, latest_local_date, year_bounds,
};
pub use case::{CaseSeverity, CaseStatus, CloseReason};
pub use catin::{CatinRisk, CatinThresholds};
pub use convergence::{ActionStatus, DocumentKind, RiskFactor, SurveySource, TeamKind, TpkRole, Verification};
pub use growth::{Place, Position, Sex, ZScore};
pub use ids::{
    AgencyId, AncVisitId, BudgetId, BudgetLineId, CaseId, ChildId, DocumentId, FamilyId, FigureId, ImportJobId,
    InterventionId, MeasurementId, PersonId, PostpartumVisitId, PosyanduId, PregnancyId, ReportId, ScreeningId,
    ServiceId, SpendingId, TeamId, TpkVisitId, UserId,
};
pub use ihs::{IhsNumber, IhsNumberError};
pub use intervention::{AgencySector, CountUnit, InterventionCategory, Month, MonthError, TargetGroup};
pub use money::{BudgetStatus, FundingSource, NegativeAmount, Rupiah};
pub use nik::{Nik, NikError, NikKey};
pub use period::{CountSource, PeriodKind, series};
pub use pregnancy::{Contraception, Examiner, PathwayStage, PregnancyOutcome};
pub use quality::QualityFlag;
pub use region_code::{RegionCode, RegionCodeError, RegionLevel, VillageCodeError};
pub use role::Role;
pub use scope::Scope;
pub use version::ExpectedVersion;
