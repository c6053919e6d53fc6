use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::db::schema::measurements;
use crate::domain::{ChildId, MeasurementId, Place, Position, Sex, UserId, ZScore};
use crate::growth::{GrowthCategory, Indicator};

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
    #[validate(range(min = 38.0, max = 130.0))]
    #[schema(minimum = 38.0, maximum = 130.0)]
    pub length_cm: f64,
    pub position: Position,
    /// 0.9 to 58 kg.
    #[validate(range(min = 0.9, max = 58.0))]
    #[schema(minimum = 0.9, maximum = 58.0)]
    pub weight_kg: Option<f64>,
    /// Bilateral pitting oedema: weight-based z-scores are then not computed.
    #[serde(default)]
    pub oedema: bool,
    pub place: Place,
    /// Who measured (the health worker or cadre).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub measured_by: Option<String>,
}

/// One indicator's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"z": -2.41, "implausible": false, "category": "stunted", "label_id": "pendek"}))]
pub struct IndicatorResult {
    pub z: ZScore,
    /// Outside WHO's plausible range: kept, flagged, left out of cases and prevalence.
    pub implausible: bool,
    pub category: GrowthCategory,
    /// The category's name in Permenkes 2/2020.
    pub label_id: String,
}

impl IndicatorResult {
    fn new(indicator: Indicator, z: Option<ZScore>, implausible: bool) -> Option<Self> {
        z.map(|z| {
            let category = indicator.category(z);
            Self { z, implausible, category, label_id: indicator.label_id(category).to_owned() }
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = measurements)]
pub struct MeasurementRow {
    pub id: MeasurementId,
    pub child_id: ChildId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
    pub place: Place,
    pub measured_by: Option<String>,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    pub haz_implausible: bool,
    pub waz_implausible: bool,
    pub whz_implausible: bool,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A stored measurement with everything the standards say about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10", "child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01",
    "measured_on": "2025-08-15", "age_days": 440, "age_months": 14.5, "length_cm": 70.0, "position": "lying",
    "weight_kg": 8.2, "oedema": false, "place": "posyandu", "measured_by": "Bidan Desa Kumantan",
    "length_for_age": {"z": -2.55, "implausible": false, "category": "stunted", "label_id": "pendek"},
    "weight_for_age": {"z": -1.2, "implausible": false, "category": "normal", "label_id": "berat badan normal"},
    "weight_for_length": {"z": 0.05, "implausible": false, "category": "normal", "label_id": "gizi baik"},
    "voided_at": null, "voided_reason": null, "recorded_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11",
    "created_at": "2025-08-15T02:30:00Z"
}))]
pub struct MeasurementView {
    pub id: MeasurementId,
    pub child_id: ChildId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    /// Age in months (days ÷ 30.4375), one decimal.
    #[schema(example = 15.2)]
    pub age_months: f64,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
    pub place: Place,
    pub measured_by: Option<String>,
    /// Length/height-for-age (stunting).
    pub length_for_age: Option<IndicatorResult>,
    /// Weight-for-age (underweight).
    pub weight_for_age: Option<IndicatorResult>,
    /// Weight-for-length under 731 days, weight-for-height after (wasting).
    pub weight_for_length: Option<IndicatorResult>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    /// The account that recorded it.
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// WHO's month: 365.25 / 12 days.
pub fn age_months(age_days: i32) -> f64 {
    (f64::from(age_days) / 30.4375 * 10.0).round() / 10.0
}

impl From<MeasurementRow> for MeasurementView {
    fn from(r: MeasurementRow) -> Self {
        Self {
            id: r.id,
            child_id: r.child_id,
            measured_on: r.measured_on,
            age_days: r.age_days,
            age_months: age_months(r.age_days),
            length_cm: r.length_cm,
            position: r.position,
            weight_kg: r.weight_kg,
            oedema: r.oedema,
            place: r.place,
            measured_by: r.measured_by,
            length_for_age: IndicatorResult::new(Indicator::LengthForAge, r.haz, r.haz_implausible),
            weight_for_age: IndicatorResult::new(Indicator::WeightForAge, r.waz, r.waz_implausible),
            weight_for_length: IndicatorResult::new(Indicator::WeightForLength, r.whz, r.whz_implausible),
            voided_at: r.voided_at,
            voided_reason: r.voided_reason,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
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

/// One point of a growth chart.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
pub struct GrowthPoint {
    pub measurement_id: MeasurementId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    /// True when any of the three is outside WHO's plausible range.
    pub implausible: bool,
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

#[derive(Insertable)]
#[diesel(table_name = measurements)]
pub struct NewMeasurement<'a> {
    pub id: MeasurementId,
    pub child_id: ChildId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
    pub place: Place,
    pub measured_by: Option<&'a str>,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    pub haz_implausible: bool,
    pub waz_implausible: bool,
    pub whz_implausible: bool,
    pub recorded_by: UserId,
}
