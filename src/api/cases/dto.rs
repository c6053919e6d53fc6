use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::{CaseSeverity, CaseStatus, CloseReason, TeamId};

pub use crate::records::child::cases::{CaseAudit, CaseDetail, CaseView};

/// Closing a case by hand.
#[derive(Debug, Clone, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "moved_away", "closed_on": "2024-10-01", "note": "moved to Pekanbaru"}))]
pub struct CloseCase {
    pub reason: CloseReason,
    /// Defaults to today; not before the case opened, not in the future.
    pub closed_on: Option<NaiveDate>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Follow-up to record; absent fields stay as they are, `null` clears a text field.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assigned_team_id": "0192b7a4-0000-7000-8000-0000000000e1", "notes": "home visit every two weeks"}))]
pub struct UpdateCase {
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>)]
    pub assigned_team: Option<Option<String>>,
    /// An active TPK of the child's village; `null` unassigns.
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub assigned_team_id: Option<Option<TeamId>>,
    #[serde(default, deserialize_with = "crate::http::extract::present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// Replaces the recorded audit.
    #[validate(nested)]
    pub audit: Option<CaseAudit>,
    /// Closes an open case.
    #[validate(nested)]
    pub close: Option<CloseCase>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCasesQuery {
    /// Only cases of children living in this region (any tier).
    #[param(example = "14.01")]
    pub region: Option<String>,
    /// Default: every status but `void`.
    pub status: Option<CaseStatus>,
    pub severity: Option<CaseSeverity>,
    pub opened_from: Option<NaiveDate>,
    pub opened_to: Option<NaiveDate>,
    pub resolved_from: Option<NaiveDate>,
    pub resolved_to: Option<NaiveDate>,
    /// `true`: only lokus (priority) villages of the current year.
    pub lokus: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
