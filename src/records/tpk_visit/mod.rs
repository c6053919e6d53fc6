//! A family assistance team's visit (*pendampingan*) to one person of the pathway or one child
//! under two: what was done (counselling, referral, social assistance), what was found and when
//! the team comes back. The team must be an active TPK of the person's village; the stage she
//! was at is derived from her records on the day. Never edited; a wrong visit is voided.

pub mod import;

use crate::records::access;
use crate::records::region_order::in_region_order;
use chrono::{DateTime, Months, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{pregnancies, tpk_visits};
use crate::domain::page::PageRequest;
use crate::domain::pregnancy::{self, PregnancySpan};
use crate::domain::{
    ChildId, PathwayStage, PersonId, PregnancyOutcome, RegionCode, Scope, TeamId, TeamKind, TpkVisitId, UserId,
    latest_local_date,
};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::{Scoped, Visible};
use crate::records::{child, person, team};

/// A visit to record: `person_id` or `child_id`, not both.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "0192b7a4-cccc-7000-8000-000000000001", "team_id": "0192b7a4-5555-7000-8000-000000000001",
    "person_id": "0192b7a4-7777-7000-8000-000000000001", "visited_on": "2025-03-10",
    "counselling": true, "referral": true, "social_assistance": false,
    "findings": "LiLA 22.5 cm; referred to the puskesmas for PMT", "next_visit_on": "2025-04-10"
}))]
pub struct CreateTpkVisit {
    /// Offline clients may bring their own id: the same visit sent again is answered 200.
    pub id: Option<Uuid>,
    /// An active TPK whose region holds the person's village.
    pub team_id: TeamId,
    /// The woman (or catin) visited.
    pub person_id: Option<PersonId>,
    /// The child under two visited.
    pub child_id: Option<ChildId>,
    /// Not in the future; for a child, before its second birthday.
    pub visited_on: NaiveDate,
    /// Counselling, information and education given (*KIE*); default false.
    pub counselling: Option<bool>,
    /// Referred to a health facility (*rujukan*); default false.
    pub referral: Option<bool>,
    /// Helped to reach social assistance (*bansos*); default false.
    pub social_assistance: Option<bool>,
    /// Whether the baby is breastfed only: for a child under six months or a mother within 42
    /// days of a live birth.
    pub exclusive_breastfeeding: Option<bool>,
    /// What the team found, in its own words. Personal data.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub findings: Option<String>,
    /// When the team comes back: after the visit.
    pub next_visit_on: Option<NaiveDate>,
}

/// A stored visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = tpk_visits)]
#[schema(example = json!({
    "id": "0192b7a4-cccc-7000-8000-000000000001", "team_id": "0192b7a4-5555-7000-8000-000000000001",
    "person_id": "0192b7a4-7777-7000-8000-000000000001", "child_id": null, "village_code": "14.01.01.2009",
    "visited_on": "2025-03-10", "stage": "catin", "counselling": true, "referral": true, "social_assistance": false,
    "exclusive_breastfeeding": null, "findings": "LiLA 22.5 cm; referred to the puskesmas for PMT",
    "next_visit_on": "2025-04-10", "voided_at": null, "voided_reason": null,
    "recorded_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11", "created_at": "2025-03-10T03:00:00Z"
}))]
pub struct TpkVisitView {
    pub id: TpkVisitId,
    pub team_id: TeamId,
    pub person_id: Option<PersonId>,
    pub child_id: Option<ChildId>,
    /// The village of the person visited, moved with her.
    pub village_code: RegionCode,
    pub visited_on: NaiveDate,
    /// Where she stood on the day, derived from her records.
    pub stage: PathwayStage,
    pub counselling: bool,
    pub referral: bool,
    pub social_assistance: bool,
    pub exclusive_breastfeeding: Option<bool>,
    pub findings: Option<String>,
    pub next_visit_on: Option<NaiveDate>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl Scoped for TpkVisitView {
    const RECORD: Record = Record::Person;
    fn region(&self) -> &RegionCode {
        &self.village_code
    }
}

impl TpkVisitView {
    /// A retry: the same visit, field for field.
    fn same_as(&self, body: &CreateTpkVisit) -> bool {
        self.team_id == body.team_id
            && self.person_id == body.person_id
            && self.child_id == body.child_id
            && self.visited_on == body.visited_on
            && self.counselling == body.counselling.unwrap_or(false)
            && self.referral == body.referral.unwrap_or(false)
            && self.social_assistance == body.social_assistance.unwrap_or(false)
            && self.exclusive_breastfeeding == body.exclusive_breastfeeding
            && self.findings.as_deref() == body.findings.as_deref().map(str::trim).filter(|f| !f.is_empty())
            && self.next_visit_on == body.next_visit_on
    }
}

fn unknown(id: TpkVisitId) -> ApiError {
    ApiError::not_found(text!("no TPK visit has id %{id}", id = id))
}

async fn find_any(conn: &mut AsyncPgConnection, id: TpkVisitId) -> QueryResult<Option<TpkVisitView>> {
    tpk_visits::table.find(id).select(TpkVisitView::as_select()).first(conn).await.optional()
}

/// The visit, if the caller may read it (voided ones too: they say why).
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: TpkVisitId,
) -> Result<Visible<TpkVisitView>, ApiError> {
    Visible::check(caller, find_any(conn, id).await?, || unknown(id))
}

/// Whom the visit is about, as its rules need it.
struct Subject {
    village: RegionCode,
    stage: PathwayStage,
    /// Breastfeeding can be asked about: a child under six months, a mother after a live birth.
    breastfeeding: bool,
}

/// Records a visit, in the caller's transaction: the same visit sent again under its id is
/// the stored one (`false`); a different one under a used id is a 409.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    body: &CreateTpkVisit,
) -> Result<(TpkVisitView, bool), ApiError> {
    let mut errors = FieldErrors::from_validation(body.validate());
    if body.person_id.is_some() == body.child_id.is_some() {
        errors.add("person_id", text!("name either the person or the child visited, not both"));
    }
    if body.visited_on > latest_local_date() {
        errors.add("visited_on", text!("is in the future"));
    }
    if body.next_visit_on.is_some_and(|next| next <= body.visited_on) {
        errors.add("next_visit_on", text!("is not after the visit"));
    }
    errors.finish()?;
    let subject = match (body.person_id, body.child_id) {
        (Some(id), _) => person_subject(conn, caller, id, body.visited_on).await?,
        (_, Some(id)) => child_subject(conn, caller, id, body.visited_on).await?,
        (None, None) => unreachable!("checked above"),
    };
    let id = body.id.map_or_else(TpkVisitId::new, TpkVisitId);
    if let Some(existing) = find_any(conn, id).await? {
        return match existing.same_as(body) {
            true => Ok((existing, false)),
            false => Err(access::id_taken(caller, text!("visit"), id.0, &existing.village_code)),
        };
    }
    let mut errors = FieldErrors::default();
    if body.exclusive_breastfeeding.is_some() && !subject.breastfeeding {
        errors.add(
            "exclusive_breastfeeding",
            text!("is asked of a child under six months or a mother within 42 days of a live birth"),
        );
    }
    match team::load(conn, body.team_id).await? {
        None => errors.add("team_id", text!("no team has id %{team_id}", team_id = body.team_id)),
        Some(team) if team.kind != TeamKind::Tpk => {
            errors.add("team_id", text!("is not a family assistance team (TPK)"))
        }
        Some(team) if !team.active => errors.add("team_id", text!("is not active")),
        Some(team) if !team.region_code.contains(&subject.village) => {
            errors.add("team_id", text!("does not serve village %{village}", village = subject.village));
        }
        Some(_) => {}
    }
    errors.finish()?;
    let findings = body.findings.as_deref().map(str::trim).filter(|f| !f.is_empty());
    let stored = diesel::insert_into(tpk_visits::table)
        .values((
            tpk_visits::id.eq(id),
            tpk_visits::team_id.eq(body.team_id),
            tpk_visits::person_id.eq(body.person_id),
            tpk_visits::child_id.eq(body.child_id),
            tpk_visits::village_code.eq(&subject.village),
            tpk_visits::visited_on.eq(body.visited_on),
            tpk_visits::stage.eq(subject.stage),
            tpk_visits::counselling.eq(body.counselling.unwrap_or(false)),
            tpk_visits::referral.eq(body.referral.unwrap_or(false)),
            tpk_visits::social_assistance.eq(body.social_assistance.unwrap_or(false)),
            tpk_visits::exclusive_breastfeeding.eq(body.exclusive_breastfeeding),
            tpk_visits::findings.eq(findings),
            tpk_visits::next_visit_on.eq(body.next_visit_on),
            tpk_visits::recorded_by.eq(caller.id),
        ))
        .returning(TpkVisitView::as_returning())
        .get_result(conn)
        .await?;
    let entry = json!({ "team_id": body.team_id, "stage": subject.stage });
    audit::record(conn, Some(caller.id), "tpk_visit.create", id, entry).await?;
    Ok((stored, true))
}

/// The living visit of `team` to the person or child on `day`, if there is one (an import's
/// natural key).
pub async fn living_on(conn: &mut AsyncPgConnection, body: &CreateTpkVisit) -> QueryResult<Option<Uuid>> {
    let mut query = tpk_visits::table
        .filter(tpk_visits::team_id.eq(body.team_id))
        .filter(tpk_visits::visited_on.eq(body.visited_on))
        .filter(tpk_visits::voided_at.is_null())
        .select(tpk_visits::id)
        .into_boxed();
    query = match (body.person_id, body.child_id) {
        (Some(person), _) => query.filter(tpk_visits::person_id.eq(person)),
        (_, Some(child)) => query.filter(tpk_visits::child_id.eq(child)),
        (None, None) => return Ok(None),
    };
    query.first::<TpkVisitId>(conn).await.optional().map(|found| found.map(|id| id.0))
}

/// A woman (or catin) the caller may write about, and her stage on `on` from her pregnancies.
async fn person_subject(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PersonId,
    on: NaiveDate,
) -> Result<Subject, ApiError> {
    let person = person::lock(conn, caller, id).await?;
    if on < person.birth_date {
        return Err(ApiError::invalid("visited_on", text!("is before the person's birth date")));
    }
    let spans: Vec<(NaiveDate, Option<PregnancyOutcome>, Option<NaiveDate>)> = pregnancies::table
        .filter(pregnancies::person_id.eq(id))
        .filter(pregnancies::deleted_at.is_null())
        .select((pregnancies::lmp_on, pregnancies::outcome, pregnancies::ended_on))
        .load(conn)
        .await?;
    let spans: Vec<PregnancySpan> =
        spans.into_iter().map(|(lmp_on, outcome, ended_on)| PregnancySpan { lmp_on, outcome, ended_on }).collect();
    let stage = pregnancy::stage_on(on, &spans);
    let breastfeeding = stage == PathwayStage::Postpartum
        && spans.iter().any(|p| p.outcome == Some(PregnancyOutcome::LiveBirth) && p.delivered_within_postpartum(on));
    Ok(Subject { village: person.village_code.clone(), stage, breastfeeding })
}

/// A child under two on `on` the caller may write about.
async fn child_subject(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: ChildId,
    on: NaiveDate,
) -> Result<Subject, ApiError> {
    let child = child::lock(conn, caller, id).await?;
    if on < child.birth_date {
        return Err(ApiError::invalid("visited_on", text!("is before the child's birth date")));
    }
    if child.birth_date.checked_add_months(Months::new(24)).is_some_and(|second| on >= second) {
        return Err(ApiError::invalid(
            "child_id",
            text!("is two years old or more on the day; TPK assist children under two"),
        ));
    }
    let breastfeeding = child.birth_date.checked_add_months(Months::new(6)).is_some_and(|sixth| on < sixth);
    Ok(Subject { village: child.village_code.clone(), stage: PathwayStage::ChildUnderTwo, breastfeeding })
}

/// Voids visit `id` for `reason`: it stays, out of every count; 409 when it already is.
pub async fn void(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: TpkVisitId,
    reason: &str,
) -> Result<TpkVisitView, ApiError> {
    let current = find_any(conn, id).await?.ok_or_else(|| unknown(id))?;
    match (current.person_id, current.child_id) {
        (Some(person), _) => drop(person::lock(conn, caller, person).await?),
        (_, Some(child)) => drop(child::lock(conn, caller, child).await?),
        (None, None) => {}
    }
    let current = find_any(conn, id).await?.ok_or_else(|| unknown(id))?;
    if current.voided_at.is_some() {
        return Err(ApiError::conflict(text!("visit %{id} is already voided", id = id)));
    }
    let row = diesel::update(tpk_visits::table.find(id))
        .set((
            tpk_visits::voided_at.eq(Utc::now()),
            tpk_visits::voided_by.eq(caller.id),
            tpk_visits::voided_reason.eq(reason),
        ))
        .returning(TpkVisitView::as_returning())
        .get_result(conn)
        .await?;
    audit::record(conn, Some(caller.id), "tpk_visit.void", id, json!({ "reason": reason })).await?;
    Ok(row)
}

/// The living visits to person `id` or to child `child`, oldest first.
pub async fn to(
    conn: &mut AsyncPgConnection,
    person: Option<PersonId>,
    child: Option<ChildId>,
) -> QueryResult<Vec<TpkVisitView>> {
    let mut query =
        tpk_visits::table.filter(tpk_visits::voided_at.is_null()).select(TpkVisitView::as_select()).into_boxed();
    query = match (person, child) {
        (Some(person), _) => query.filter(tpk_visits::person_id.eq(person)),
        (_, Some(child)) => query.filter(tpk_visits::child_id.eq(child)),
        (None, None) => return Ok(Vec::new()),
    };
    query.order((tpk_visits::visited_on, tpk_visits::id)).load(conn).await
}

#[derive(Debug, Default)]
pub struct TpkVisitFilter {
    pub team_id: Option<TeamId>,
    pub person_id: Option<PersonId>,
    pub child_id: Option<ChildId>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub include_voided: bool,
}

/// Visits in `scope`, by village, then id.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &TpkVisitFilter,
    page: &PageRequest<(RegionCode, TpkVisitId)>,
) -> QueryResult<Vec<TpkVisitView>> {
    let mut query = tpk_visits::table.select(TpkVisitView::as_select()).into_boxed();
    if let Some((from, to)) = scope.code_range() {
        query = query.filter(tpk_visits::village_code.ge(from.to_owned()).and(tpk_visits::village_code.lt(to)));
    }
    if !filter.include_voided {
        query = query.filter(tpk_visits::voided_at.is_null());
    }
    if let Some(team) = filter.team_id {
        query = query.filter(tpk_visits::team_id.eq(team));
    }
    if let Some(person) = filter.person_id {
        query = query.filter(tpk_visits::person_id.eq(person));
    }
    if let Some(child) = filter.child_id {
        query = query.filter(tpk_visits::child_id.eq(child));
    }
    if let Some(from) = filter.from {
        query = query.filter(tpk_visits::visited_on.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(tpk_visits::visited_on.le(to));
    }
    in_region_order!(query, page, tpk_visits::village_code, tpk_visits::id).load(conn).await
}
