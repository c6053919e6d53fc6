use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{ChildId, Place, Position, Sex};

pub use crate::records::child::measurements::{GrowthPoint, MeasurementView};

/// A measurement to record. The server computes age, z-scores, flags and categories.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10", "measured_on": "2024-08-15", "length_cm": 78.4,
    "position": "lying", "weight_kg": 9.1, "oedema": false, "place": "posyandu",
    "measured_by": "Bidan Desa Kumantan"
}))]
pub struct CreateMeasurement {
    /// Offline clients may bring their own id: the same measurement sent again is answered
    /// 200 with the stored one.
    pub id: Option<Uuid>,
    /// Not in the future, not before birth, before the child is 60 months old.
    pub measured_on: NaiveDate,
    /// Length (lying) or height (standing), 38 to 130 cm.
    #[validate(range(min = crate::growth::MIN_LENGTH_CM, max = crate::growth::MAX_LENGTH_CM))]
    #[schema(minimum = 38.0, maximum = 130.0)]
    pub length_cm: f64,
    pub position: Position,
    /// 0.9 to 58 kg.
    #[validate(range(min = crate::growth::MIN_WEIGHT_KG, max = crate::growth::MAX_WEIGHT_KG))]
    #[schema(minimum = 0.9, maximum = 58.0)]
    pub weight_kg: Option<f64>,
    /// Bilateral pitting oedema: weight-based z-scores are then not computed.
    #[serde(default)]
    pub oedema: bool,
    pub place: Place,
    /// Who measured (the health worker or cadre).
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub measured_by: Option<String>,
    /// The posyandu where it was taken: any the caller may read (a child may be weighed at a
    /// neighbouring village's).
    pub posyandu_id: Option<Uuid>,
    /// The age the measurer wrote down, in completed months, as e-PPGBM and the KMS record it:
    /// checked against the birth date, flagged `age_mismatch` when more than a month off.
    #[validate(range(min = 0, max = 71))]
    #[schema(minimum = 0, maximum = 71)]
    pub reported_age_months: Option<i32>,
}

/// What an officer found when checking a flagged measurement.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Measured again on 2025-08-20: 70.1 cm, the earlier 71.8 cm was a typing error"}))]
pub struct CheckMeasurement {
    /// Why the measurement stands as recorded.
    #[validate(length(min = 1, max = 1000), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListMeasurementsQuery {
    /// Include voided measurements (default false).
    pub include_voided: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A child's valid measurements in date order: what a growth chart plots.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01", "sex": "female", "birth_date": "2024-06-01",
    "points": [{"measurement_id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10", "measured_on": "2024-08-15",
        "age_days": 440, "length_cm": 70.0, "position": "lying", "weight_kg": 8.2,
        "haz": -2.55, "waz": -1.2, "whz": 0.05, "implausible": false}]
}))]
pub struct GrowthChart {
    pub child_id: ChildId,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub points: Vec<GrowthPoint>,
}
