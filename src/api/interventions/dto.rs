use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{AgencyId, InterventionCategory, Month};

pub use crate::records::intervention::{InterventionView, ReportOutcome, ReportView};

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
    /// Offline clients and integrations may bring their own id: the same record sent again is
    /// answered 200 with the stored one; a different record under a used id is a 409.
    pub id: Option<Uuid>,
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
