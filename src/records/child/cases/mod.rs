//! Stunting cases: opened, kept current and resolved by the measurements (`lifecycle`,
//! `sync`), followed up by officers.

pub mod follow_up;
pub mod lifecycle;
mod sync;

pub use sync::{derive_everyone, sync_cases, sync_many};

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::schema::{cases, children, lokus_villages};
use crate::domain::TeamKind;
use crate::domain::page::PageRequest;
use crate::domain::{
    CaseId, CaseSeverity, CaseStatus, ChildId, CloseReason, MeasurementId, RegionCode, Scope, TeamId, ZScore,
};
use crate::error::ApiError;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::child::services::ServiceView;
use crate::records::child::{ChildAccess, ChildRecord};
use crate::records::region_order::in_region_order;
use crate::records::write::Versioned;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// The case, if the caller may read its child: 404 unless known (and its child living), 403
/// outside the caller's access.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: CaseId) -> Result<Visible<CaseView>, ApiError> {
    Visible::check(caller, load(conn, id).await?, || unknown(id))
}

/// A case of a locked child as the API shows it, after a write.
pub async fn reload(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    id: CaseId,
) -> Result<CaseView, ApiError> {
    load(conn, id).await?.filter(|case| case.child_id == child.id).ok_or_else(|| unknown(id))
}

/// Reading a case is reading its child: the child's services come with it.
impl ChildAccess for Visible<CaseView> {
    fn child_id(&self) -> ChildId {
        self.child_id
    }
}

fn unknown(id: CaseId) -> ApiError {
    ApiError::not_found(text!("no case has id %{id}", id = id))
}

impl Scoped for CaseView {
    const RECORD: Record = Record::Child;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

/// The case with its child's name, unless the child was deleted.
async fn load(conn: &mut AsyncPgConnection, id: CaseId) -> QueryResult<Option<CaseView>> {
    let row: Option<(CaseRow, String)> = cases::table
        .inner_join(children::table)
        .filter(cases::id.eq(id))
        .filter(children::deleted_at.is_null())
        .select((CaseRow::as_select(), children::name))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(row, name)| CaseView::new(row, name)))
}

#[derive(Debug, Default)]
pub struct CaseFilter {
    pub status: Option<CaseStatus>,
    pub severity: Option<CaseSeverity>,
    pub opened_from: Option<NaiveDate>,
    pub opened_to: Option<NaiveDate>,
    pub resolved_from: Option<NaiveDate>,
    pub resolved_to: Option<NaiveDate>,
    /// Only lokus villages of this year.
    pub lokus_year: Option<i32>,
}

/// Cases in `scope` by village, then id (creation); `void` ones only when asked for.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &CaseFilter,
    page: &PageRequest<(RegionCode, CaseId)>,
) -> QueryResult<Vec<CaseView>> {
    let mut query = cases::table
        .inner_join(children::table)
        .filter(children::deleted_at.is_null())
        .select((CaseRow::as_select(), children::name))
        .into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query = query.filter(cases::village_code.ge(from.to_owned()).and(cases::village_code.lt(to)));
    }
    query = match filter.status {
        Some(status) => query.filter(cases::status.eq(status)),
        None => query.filter(cases::status.ne(CaseStatus::Void)),
    };
    if let Some(year) = filter.lokus_year {
        let lokus = lokus_villages::table.filter(lokus_villages::year.eq(year)).select(lokus_villages::village_code);
        query = query.filter(cases::village_code.eq_any(lokus));
    }
    if let Some(severity) = filter.severity {
        query = query.filter(cases::severity.eq(severity));
    }
    if let Some(from) = filter.opened_from {
        query = query.filter(cases::opened_on.ge(from));
    }
    if let Some(to) = filter.opened_to {
        query = query.filter(cases::opened_on.le(to));
    }
    if let Some(from) = filter.resolved_from {
        query = query.filter(cases::resolved_on.ge(from));
    }
    if let Some(to) = filter.resolved_to {
        query = query.filter(cases::resolved_on.le(to));
    }
    let rows: Vec<(CaseRow, String)> = in_region_order!(query, page, cases::village_code, cases::id).load(conn).await?;
    Ok(rows.into_iter().map(|(row, name)| CaseView::new(row, name)).collect())
}

/// A case locked with its child, the order every writer takes its locks in (the child
/// first, then the case): follow-up may close the case, and closing it re-derives the child's
/// cases.
#[derive(Debug)]
pub struct LockedCase {
    pub child: Writable<ChildRecord>,
    pub case: CaseRow,
}

impl Scoped for LockedCase {
    const RECORD: Record = Record::Child;
    fn region(&self) -> &RegionCode {
        &self.case.village_code
    }
}

impl Versioned for LockedCase {
    type Id = CaseId;
    const ENTITY: &'static str = "case";
    fn version(&self) -> i32 {
        self.case.version
    }
    async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, id: CaseId) -> Result<Writable<Self>, ApiError> {
        // A case never changes child, so the unlocked read names the child to lock.
        let child_id = cases::table.find(id).select(cases::child_id).first(conn).await.optional()?;
        let child = crate::records::child::lock(conn, caller, child_id.ok_or_else(|| unknown(id))?).await?;
        let case = cases::table.find(id).select(CaseRow::as_select()).for_update().first(conn).await.optional()?;
        Writable::check(caller, case.map(|case| LockedCase { child, case }), || unknown(id))
    }
}

/// 422 unless `team` is an active TPK of `village`: the team a case may be assigned to.
pub async fn check_team(conn: &mut AsyncPgConnection, team: TeamId, village: &RegionCode) -> Result<(), ApiError> {
    let found = crate::records::team::load(conn, team).await?;
    let problem = match found {
        None => text!("no team has id %{team}", team = team),
        Some(t) if t.kind != TeamKind::Tpk => text!("is a TPPS; a case is followed by a TPK"),
        Some(t) if t.region_code != *village => {
            text!("is a TPK of %{region}, not of the child's village", region = t.region_code)
        }
        Some(t) if !t.active => text!("is a TPK that is no longer active"),
        Some(_) => return Ok(()),
    };
    Err(ApiError::invalid("assigned_team_id", problem))
}

/// Follow-up an officer records; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = cases)]
pub struct FollowUp {
    pub assigned_team: Option<Option<String>>,
    pub assigned_team_id: Option<Option<TeamId>>,
    pub notes: Option<Option<String>>,
    pub audited_on: Option<Option<NaiveDate>>,
    pub audit_findings: Option<Option<String>>,
    pub audit_causes: Option<Vec<String>>,
    pub audit_recommendation: Option<Option<String>>,
    pub status: Option<CaseStatus>,
    pub closed_on: Option<Option<NaiveDate>>,
    pub close_reason: Option<Option<CloseReason>>,
    pub close_note: Option<Option<String>>,
}

async fn set_follow_up(
    conn: &mut AsyncPgConnection,
    locked: &Writable<LockedCase>,
    changes: &FollowUp,
) -> QueryResult<()> {
    diesel::update(cases::table.find(locked.case.id))
        .set((changes, cases::version.eq(cases::version + 1), cases::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

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
