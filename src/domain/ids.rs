//! Typed ids: a `UserId` cannot be passed where another table's id is expected.

use diesel_derive_newtype::DieselNewType;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, DieselNewType, ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// UUIDv7: ids sort by creation time, which keeps keyset pages in a stable, useful
            /// order. Clients may also bring their own (any version) to make retries safe.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

id_type!(
    UserId,
    ChildId,
    MeasurementId,
    CaseId,
    AgencyId,
    InterventionId,
    ReportId,
    ServiceId,
    BudgetId,
    BudgetLineId,
    SpendingId,
    DocumentId,
    TeamId,
    FamilyId,
    FigureId,
    ImportJobId,
    PersonId,
    ScreeningId,
    PregnancyId,
    AncVisitId,
    PostpartumVisitId,
    TpkVisitId,
    PosyanduId
);
