use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::api::services::ServiceView;
use crate::db::schema::cases;
use crate::domain::{
    CaseId, CaseSeverity, CaseStatus, ChildId, CloseReason, MeasurementId, RegionCode, TeamId, ZScore,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cases)]
pub struct CaseRow {
    pub id: CaseId,
    pub child_id: ChildId,
    pub village_code: RegionCode,
    pub status: CaseStatus,
    pub severity: CaseSeverity,
    pub opened_on: NaiveDate,
    pub opening_measurement_id: MeasurementId,
    pub latest_measurement_id: MeasurementId,
    pub latest_measured_on: NaiveDate,
    pub latest_haz: ZScore,
    pub resolved_on: Option<NaiveDate>,
    pub resolving_measurement_id: Option<MeasurementId>,
    pub closed_on: Option<NaiveDate>,
    pub close_reason: Option<CloseReason>,
    pub close_note: Option<String>,
    pub assigned_team: Option<String>,
    pub notes: Option<String>,
    pub assigned_team_id: Option<TeamId>,
    pub audited_on: Option<NaiveDate>,
    pub audit_findings: Option<String>,
    pub audit_causes: Vec<String>,
    pub audit_recommendation: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The case audit (*Audit Kasus Stunting*).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "audited_on": "2024-09-02", "findings": "Low dietary diversity; no latrine at home",
    "likely_causes": ["inadequate complementary feeding", "poor sanitation"],
    "recommendation": "PMT for 90 days; refer to the puskesmas nutritionist"
}))]
pub struct CaseAudit {
    pub audited_on: Option<NaiveDate>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub findings: Option<String>,
    #[validate(length(max = 20))]
    #[serde(default)]
    #[schema(max_items = 20)]
    pub likely_causes: Vec<String>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub recommendation: Option<String>,
}

/// A stunting case and its follow-up.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-1c2d-7e3f-8a9b-0c1d2e3f4a5b", "child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01",
    "child_name": "Siti Aminah", "village_code": "14.01.01.2009", "status": "open", "severity": "stunted",
    "opened_on": "2024-08-15", "opening_measurement_id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10",
    "latest_measurement_id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10", "latest_measured_on": "2024-08-15",
    "latest_haz": -2.41, "resolved_on": null, "resolving_measurement_id": null, "closed_on": null,
    "close_reason": null, "close_note": null, "assigned_team": "TPK Kumantan 2",
    "assigned_team_id": "0192b7a4-0000-7000-8000-0000000000e1", "notes": null,
    "audit": {"audited_on": null, "findings": null, "likely_causes": [], "recommendation": null},
    "version": 1, "created_at": "2024-08-15T02:30:00Z", "updated_at": "2024-08-15T02:30:00Z"
}))]
pub struct CaseView {
    pub id: CaseId,
    pub child_id: ChildId,
    pub child_name: String,
    pub village_code: RegionCode,
    pub status: CaseStatus,
    pub severity: CaseSeverity,
    pub opened_on: NaiveDate,
    pub opening_measurement_id: MeasurementId,
    pub latest_measurement_id: MeasurementId,
    pub latest_measured_on: NaiveDate,
    pub latest_haz: ZScore,
    pub resolved_on: Option<NaiveDate>,
    pub resolving_measurement_id: Option<MeasurementId>,
    pub closed_on: Option<NaiveDate>,
    pub close_reason: Option<CloseReason>,
    pub close_note: Option<String>,
    /// Who follows the child, as free text (e.g. before the TPK is registered).
    pub assigned_team: Option<String>,
    /// The registered family assistance team (TPK) of the child's village following the child.
    pub assigned_team_id: Option<TeamId>,
    pub notes: Option<String>,
    pub audit: CaseAudit,
    /// Send it back as `If-Match` to change the case.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CaseView {
    pub fn new(row: CaseRow, child_name: String) -> Self {
        Self {
            id: row.id,
            child_id: row.child_id,
            child_name,
            village_code: row.village_code,
            status: row.status,
            severity: row.severity,
            opened_on: row.opened_on,
            opening_measurement_id: row.opening_measurement_id,
            latest_measurement_id: row.latest_measurement_id,
            latest_measured_on: row.latest_measured_on,
            latest_haz: row.latest_haz,
            resolved_on: row.resolved_on,
            resolving_measurement_id: row.resolving_measurement_id,
            closed_on: row.closed_on,
            close_reason: row.close_reason,
            close_note: row.close_note,
            assigned_team: row.assigned_team,
            assigned_team_id: row.assigned_team_id,
            notes: row.notes,
            audit: CaseAudit {
                audited_on: row.audited_on,
                findings: row.audit_findings,
                likely_causes: row.audit_causes,
                recommendation: row.audit_recommendation,
            },
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A case with what the child received since it opened: what a case audit checks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: CaseView,
    /// Services given to the child on or after the day the case opened, oldest first.
    pub services_since_opened: Vec<ServiceView>,
}

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
