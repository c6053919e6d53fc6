use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::db::schema::{intervention_reports, interventions};
use crate::domain::{
    AgencyId, BudgetLineId, CountUnit, InterventionCategory, InterventionId, Month, RegionCode, ReportId, TargetGroup,
    UserId,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interventions)]
pub struct InterventionRow {
    pub id: InterventionId,
    pub type_code: String,
    pub region_code: RegionCode,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub agency_id: Option<AgencyId>,
    pub target: i64,
    pub reached: i64,
    pub description: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an activity's type says about it.
#[derive(Debug, Clone, Queryable)]
pub struct TypeFacts {
    pub category: InterventionCategory,
    pub target_group: TargetGroup,
    pub unit: CountUnit,
    pub national_target_pct: Option<f64>,
}

/// An activity with its progress.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-2222-7000-8000-000000000001", "type_code": "growth_monitoring", "category": "specific",
    "target_group": "under_five", "unit": "persons", "region_code": "14.01.01.2009",
    "period_start": "2024-01-01", "period_end": "2024-12-31", "agency_id": null, "target": 120,
    "budget_line_ids": [], "reached": 96, "coverage_pct": 80.0, "national_target_pct": 90.0, "gap_pct": 10.0,
    "description": "Posyandu weighing, monthly", "version": 3,
    "created_at": "2024-01-05T02:00:00Z", "updated_at": "2024-08-31T02:00:00Z"
}))]
pub struct InterventionView {
    pub id: InterventionId,
    pub type_code: String,
    pub category: InterventionCategory,
    pub target_group: TargetGroup,
    pub unit: CountUnit,
    pub region_code: RegionCode,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The responsible agency (OPD).
    pub agency_id: Option<AgencyId>,
    /// The target count (*sasaran*).
    pub target: i64,
    /// The budget lines that fund it.
    pub budget_line_ids: Vec<BudgetLineId>,
    /// Reached so far: the sum of the current monthly reports.
    pub reached: i64,
    /// reached ÷ target, in percent; `null` with a target of 0.
    pub coverage_pct: Option<f64>,
    pub national_target_pct: Option<f64>,
    /// national target − coverage, in percentage points.
    pub gap_pct: Option<f64>,
    pub description: Option<String>,
    /// Send it back as `If-Match` to change the activity.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl InterventionView {
    pub fn new(row: InterventionRow, facts: TypeFacts) -> Self {
        let coverage_pct = super::coverage_pct(row.reached, row.target);
        Self {
            id: row.id,
            type_code: row.type_code,
            category: facts.category,
            target_group: facts.target_group,
            unit: facts.unit,
            region_code: row.region_code,
            period_start: row.period_start,
            period_end: row.period_end,
            agency_id: row.agency_id,
            target: row.target,
            budget_line_ids: Vec::new(),
            reached: row.reached,
            coverage_pct,
            national_target_pct: facts.national_target_pct,
            gap_pct: super::gap_pct(coverage_pct, facts.national_target_pct),
            description: row.description,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new activity: a calendar `year`, or `period_start` and `period_end`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "type_code": "growth_monitoring", "region_code": "14.01.01.2009", "year": 2024, "target": 120,
    "agency_id": null, "description": "Posyandu weighing, monthly"
}))]
pub struct CreateIntervention {
    pub id: Option<Uuid>,
    pub type_code: String,
    /// Any tier: a village's activity, or a district-wide one.
    pub region_code: String,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub agency_id: Option<Uuid>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub target: i64,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Budget lines that fund it, from documents whose region overlaps the activity's.
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub budget_line_ids: Vec<Uuid>,
}

/// Changes to an activity; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": 130}))]
pub struct UpdateIntervention {
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub agency_id: Option<Uuid>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub target: Option<i64>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Replaces the set of funding budget lines.
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub budget_line_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListInterventionsQuery {
    /// Activities in this region (any tier) and those covering it.
    #[param(example = "14.01")]
    pub region: Option<String>,
    pub type_code: Option<String>,
    pub category: Option<InterventionCategory>,
    /// Activities of one responsible agency (OPD): its action plan.
    #[param(value_type = Option<uuid::Uuid>)]
    pub agency_id: Option<AgencyId>,
    /// Activities whose period touches this year.
    pub year: Option<i32>,
    /// `true`: only activities in lokus (priority) villages of `year` (default: the current
    /// year). Activities of a whole subdistrict or district are left out.
    pub lokus: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A month's progress. A month that already has a report needs `"correction": true`, which
/// keeps the old figure as history.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"month": "2024-08", "reached": 12, "note": "two posyandu days"}))]
pub struct CreateReport {
    pub month: Month,
    /// Reached in this month.
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub reached: i64,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    #[serde(default)]
    pub correction: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = intervention_reports)]
pub struct ReportRow {
    pub id: ReportId,
    pub intervention_id: InterventionId,
    pub month: NaiveDate,
    pub reached: i64,
    pub note: Option<String>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub reported_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A month's report; superseded ones are corrections' history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192b7a4-3333-7000-8000-000000000001",
    "intervention_id": "0192b7a4-2222-7000-8000-000000000001", "month": "2024-08", "reached": 12,
    "note": null, "superseded_at": null, "reported_by": null, "created_at": "2024-08-31T02:00:00Z"}))]
pub struct ReportView {
    pub id: ReportId,
    pub intervention_id: InterventionId,
    pub month: Month,
    pub reached: i64,
    pub note: Option<String>,
    /// Set when a correction replaced this figure.
    pub superseded_at: Option<DateTime<Utc>>,
    pub reported_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl From<ReportRow> for ReportView {
    fn from(r: ReportRow) -> Self {
        Self {
            id: r.id,
            intervention_id: r.intervention_id,
            month: Month::of(r.month),
            reached: r.reached,
            note: r.note,
            superseded_at: r.superseded_at,
            reported_by: r.reported_by,
            created_at: r.created_at,
        }
    }
}

/// The report just stored and the activity's new totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportOutcome {
    pub report: ReportView,
    pub intervention: InterventionView,
}
