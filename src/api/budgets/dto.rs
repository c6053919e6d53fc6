use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::db::schema::{budget_lines, budget_spending, budgets};
use crate::domain::{
    AgencyId, BudgetId, BudgetLineId, BudgetStatus, FundingSource, InterventionCategory, RegionCode, Rupiah,
    SpendingId, UserId,
};

/// Absorption as a percentage, two decimals; `None` with a ceiling of 0.
pub fn absorption_pct(realised: i64, ceiling: i64) -> Option<f64> {
    (ceiling > 0).then(|| (realised as f64 / ceiling as f64 * 10_000.0).round() / 100.0)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = budgets)]
pub struct BudgetRow {
    pub id: BudgetId,
    pub region_code: RegionCode,
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    pub title: String,
    pub status: BudgetStatus,
    pub reported_total: Option<Rupiah>,
    pub document_ref: Option<String>,
    pub lines_total: Rupiah,
    pub realised_total: Rupiah,
    pub revision: i32,
    pub approved_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The lines' sum beside the total the source document reports: real reports disagree, and
/// the API shows it rather than hiding it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"lines_total": 4230900000_i64, "reported_total": 3900900000_i64,
    "difference": 330000000_i64, "has_discrepancy": true}))]
pub struct Reconciliation {
    pub lines_total: Rupiah,
    pub reported_total: Option<Rupiah>,
    /// lines_total − reported_total; `null` when no total was reported.
    pub difference: Option<i64>,
    pub has_discrepancy: bool,
}

/// A budget document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-5555-7000-8000-000000000001", "region_code": "14.01", "fiscal_year": 2024,
    "funding_source": "dak_non_fisik_bkkbn", "title": "DAK Non Fisik BKKBN 2024, Kabupaten Kampar",
    "status": "approved", "document_ref": "Rakor TPPS Kampar, 29 December 2023",
    "reconciliation": {"lines_total": 4230900000_i64, "reported_total": 3900900000_i64, "difference": 330000000_i64, "has_discrepancy": true},
    "realised_total": 0, "absorption_pct": 0.0, "revision": 0, "approved_at": "2024-01-02T00:00:00Z",
    "version": 7, "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"
}))]
pub struct BudgetView {
    pub id: BudgetId,
    /// Province, district, subdistrict or village (a village's APBDes).
    pub region_code: RegionCode,
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    pub title: String,
    pub status: BudgetStatus,
    pub document_ref: Option<String>,
    pub reconciliation: Reconciliation,
    pub realised_total: Rupiah,
    /// realised ÷ the lines' ceilings, in percent.
    pub absorption_pct: Option<f64>,
    /// How many revisions were started after an approval.
    pub revision: i32,
    pub approved_at: Option<DateTime<Utc>>,
    /// Send it back as `If-Match` to change the document.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BudgetRow> for BudgetView {
    fn from(r: BudgetRow) -> Self {
        let difference = r.reported_total.map(|t| r.lines_total.value() - t.value());
        Self {
            id: r.id,
            region_code: r.region_code,
            fiscal_year: r.fiscal_year,
            funding_source: r.funding_source,
            title: r.title,
            status: r.status,
            document_ref: r.document_ref,
            reconciliation: Reconciliation {
                lines_total: r.lines_total,
                reported_total: r.reported_total,
                difference,
                has_discrepancy: difference.is_some_and(|d| d != 0),
            },
            realised_total: r.realised_total,
            absorption_pct: absorption_pct(r.realised_total.value(), r.lines_total.value()),
            revision: r.revision,
            approved_at: r.approved_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "region_code": "14.01", "fiscal_year": 2024, "funding_source": "dak_non_fisik_bkkbn",
    "title": "DAK Non Fisik BKKBN 2024, Kabupaten Kampar", "reported_total": 3900900000_i64,
    "document_ref": "Rakor TPPS Kampar, 29 December 2023"
}))]
pub struct CreateBudget {
    pub id: Option<Uuid>,
    pub region_code: String,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    /// The total the source document states, if it states one.
    pub reported_total: Option<Rupiah>,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub document_ref: Option<String>,
}

/// Changes to a draft or revised document; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reported_total": 3900900000_i64}))]
pub struct UpdateBudget {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    pub funding_source: Option<FundingSource>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub fiscal_year: Option<i32>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<i64>)]
    pub reported_total: Option<Option<Rupiah>>,
    #[validate(length(max = 300))]
    #[schema(max_length = 300)]
    pub document_ref: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListBudgetsQuery {
    /// Documents of this region (any tier) and those covering it.
    #[param(example = "14.01")]
    pub region: Option<String>,
    pub fiscal_year: Option<i32>,
    pub funding_source: Option<FundingSource>,
    pub status: Option<BudgetStatus>,
    /// Only documents whose lines do (`true`) or do not (`false`) add up to the reported total.
    pub has_discrepancy: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = budget_lines)]
pub struct LineRow {
    pub id: BudgetLineId,
    pub budget_id: BudgetId,
    pub activity: String,
    pub type_code: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub ceiling: Rupiah,
    pub output_value: Option<i64>,
    pub output_unit: Option<String>,
    pub village_codes: Vec<String>,
    pub realised: Rupiah,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A budget line with its spending.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-6666-7000-8000-000000000001", "budget_id": "0192b7a4-5555-7000-8000-000000000001",
    "activity": "Pendampingan keluarga berisiko stunting", "type_code": "tpk_home_visit", "category": "specific",
    "agency_id": null, "ceiling": 2772000000_i64, "output_value": 250, "output_unit": "villages/kelurahan",
    "village_codes": [], "realised": 0, "absorption_pct": 0.0, "version": 1,
    "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"
}))]
pub struct LineView {
    pub id: BudgetLineId,
    pub budget_id: BudgetId,
    pub activity: String,
    /// The intervention type it funds, which makes it specific or sensitive.
    pub type_code: Option<String>,
    pub category: Option<InterventionCategory>,
    /// The responsible agency (OPD).
    pub agency_id: Option<AgencyId>,
    /// The ceiling (*pagu*).
    pub ceiling: Rupiah,
    /// The output target: `250` `villages`, `6` `times a year`.
    pub output_value: Option<i64>,
    pub output_unit: Option<String>,
    /// The villages it covers, all inside the document's region.
    #[schema(value_type = Vec<String>)]
    pub village_codes: Vec<String>,
    /// Realised spending (*realisasi*).
    pub realised: Rupiah,
    pub absorption_pct: Option<f64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl LineView {
    pub fn new(r: LineRow, category: Option<InterventionCategory>) -> Self {
        Self {
            absorption_pct: absorption_pct(r.realised.value(), r.ceiling.value()),
            id: r.id,
            budget_id: r.budget_id,
            activity: r.activity,
            type_code: r.type_code,
            category,
            agency_id: r.agency_id,
            ceiling: r.ceiling,
            output_value: r.output_value,
            output_unit: r.output_unit,
            village_codes: r.village_codes,
            realised: r.realised,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "activity": "Pendampingan keluarga berisiko stunting", "type_code": "tpk_home_visit",
    "ceiling": 2772000000_i64, "output_value": 250, "output_unit": "villages/kelurahan"
}))]
pub struct CreateLine {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub activity: String,
    pub type_code: Option<String>,
    pub agency_id: Option<Uuid>,
    pub ceiling: Rupiah,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub output_value: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub output_unit: Option<String>,
    #[serde(default)]
    #[validate(length(max = 10000))]
    #[schema(max_items = 10000)]
    pub village_codes: Vec<String>,
}

/// Changes to a line of a draft or revised document; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ceiling": 2500000000_i64}))]
pub struct UpdateLine {
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub activity: Option<String>,
    pub type_code: Option<String>,
    pub agency_id: Option<Uuid>,
    pub ceiling: Option<Rupiah>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub output_value: Option<i64>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub output_unit: Option<String>,
    #[validate(length(max = 10000))]
    #[schema(max_items = 10000)]
    pub village_codes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 231000000_i64, "spent_on": "2024-03-31", "note": "Q1 family assistance"}))]
pub struct CreateSpending {
    pub amount: Rupiah,
    pub spent_on: NaiveDate,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Spending past the ceiling is refused unless marked as an approved overrun.
    #[serde(default)]
    pub approved_overrun: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = budget_spending)]
pub struct SpendingView {
    pub id: SpendingId,
    pub line_id: BudgetLineId,
    pub amount: Rupiah,
    pub spent_on: NaiveDate,
    pub note: Option<String>,
    pub approved_overrun: bool,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// The entry just recorded and the line's new totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SpendingOutcome {
    pub spending: SpendingView,
    pub line: LineView,
}

/// An approved version, kept when a revision started.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
pub struct RevisionView {
    pub revision: i32,
    /// The document and its lines as they were approved.
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    pub created_at: DateTime<Utc>,
}
