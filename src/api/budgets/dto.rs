use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::domain::{BudgetStatus, FundingSource, Rupiah};

pub use crate::records::budget::{
    BudgetRow, BudgetView, LineRow, LineView, Reconciliation, RevisionView, SpendingOutcome, SpendingView,
    absorption_pct,
};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "region_code": "14.01", "fiscal_year": 2024, "funding_source": "dak_non_fisik_bkkbn",
    "title": "DAK Non Fisik BKKBN 2024, Kabupaten Kampar", "reported_total": 3900900000_i64,
    "document_ref": "Rakor TPPS Kampar, 29 December 2023"
}))]
pub struct CreateBudget {
    /// Offline clients and integrations may bring their own id: the same record sent again is
    /// answered 200 with the stored one; a different record under a used id is a 409.
    pub id: Option<Uuid>,
    pub region_code: String,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
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
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    pub funding_source: Option<FundingSource>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub fiscal_year: Option<i32>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1_000_000_000_000_000_i64)]
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

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "activity": "Pendampingan keluarga berisiko stunting", "type_code": "tpk_home_visit",
    "ceiling": 2772000000_i64, "output_value": 250, "output_unit": "villages/kelurahan"
}))]
pub struct CreateLine {
    /// Offline clients and integrations may bring their own id: the same record sent again is
    /// answered 200 with the stored one; a different record under a used id is a 409.
    pub id: Option<Uuid>,
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub activity: String,
    pub type_code: Option<String>,
    pub agency_id: Option<Uuid>,
    pub ceiling: Rupiah,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub output_value: Option<i64>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::domain::text::non_blank"))]
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
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub activity: Option<String>,
    pub type_code: Option<String>,
    pub agency_id: Option<Uuid>,
    pub ceiling: Option<Rupiah>,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub output_value: Option<i64>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::domain::text::non_blank"))]
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
    /// Offline clients and integrations may bring their own id: the same record sent again is
    /// answered 200 with the stored one; a different record under a used id is a 409.
    pub id: Option<Uuid>,
    pub amount: Rupiah,
    pub spent_on: NaiveDate,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Spending past the ceiling is refused unless marked as an approved overrun.
    #[serde(default)]
    pub approved_overrun: bool,
}
