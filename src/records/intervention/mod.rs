//! Intervention activities with their monthly reports, and the intervention types they deliver.

pub mod activity;
pub mod import;
pub mod types;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{
    budget_lines, budgets, intervention_funding, intervention_reports, intervention_types, interventions,
    lokus_villages,
};
use crate::domain::page::PageRequest;
use crate::domain::{
    AgencyId, BudgetLineId, CountUnit, InterventionCategory, InterventionId, Month, RegionCode, ReportId, Scope,
    TargetGroup, UserId,
};
use crate::error::ApiError;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::write;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! facts {
    () => {
        (
            intervention_types::category,
            intervention_types::target_group,
            intervention_types::unit,
            intervention_types::national_target_pct,
        )
    };
}

/// A living activity with its type's facts.
/// The activity, if the caller may read it: 404 unless known and living, 403 outside the
/// caller's access.
pub async fn find(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
) -> Result<Visible<InterventionView>, ApiError> {
    Visible::check(caller, load(conn, id).await?, || unknown(id))
}

/// A locked activity as the API shows it, after a write.
pub async fn reload(
    conn: &mut AsyncPgConnection,
    activity: &Writable<InterventionRow>,
) -> Result<InterventionView, ApiError> {
    load(conn, activity.id).await?.ok_or_else(|| unknown(activity.id))
}

fn unknown(id: InterventionId) -> ApiError {
    ApiError::not_found(format!("no activity has id {id}"))
}

impl Scoped for InterventionView {
    const RECORD: Record = Record::Intervention;
    fn region(&self) -> &RegionCode {
        &self.region_code
    }
}

impl Scoped for InterventionRow {
    const RECORD: Record = Record::Intervention;
    fn region(&self) -> &RegionCode {
        &self.region_code
    }
}

/// The activity whatever the caller's access: what a reference to it is checked against.
pub(in crate::records) async fn load(
    conn: &mut AsyncPgConnection,
    id: InterventionId,
) -> QueryResult<Option<InterventionView>> {
    let row: Option<(InterventionRow, TypeFacts)> = interventions::table
        .inner_join(intervention_types::table)
        .filter(interventions::id.eq(id))
        .filter(interventions::deleted_at.is_null())
        .select((InterventionRow::as_select(), facts!()))
        .first(conn)
        .await
        .optional()?;
    let mut views: Vec<InterventionView> =
        row.map(|(row, facts)| InterventionView::new(row, facts)).into_iter().collect();
    attach_funding(conn, &mut views).await?;
    Ok(views.pop())
}

/// Fills in the budget lines that fund each activity (one query for the whole page).
async fn attach_funding(conn: &mut AsyncPgConnection, views: &mut [InterventionView]) -> QueryResult<()> {
    let ids: Vec<InterventionId> = views.iter().map(|v| v.id).collect();
    let links: Vec<(InterventionId, BudgetLineId)> = intervention_funding::table
        .filter(intervention_funding::intervention_id.eq_any(&ids))
        .select((intervention_funding::intervention_id, intervention_funding::budget_line_id))
        .order((intervention_funding::intervention_id, intervention_funding::budget_line_id))
        .load(conn)
        .await?;
    for view in views {
        view.budget_line_ids = links.iter().filter(|(i, _)| *i == view.id).map(|(_, l)| *l).collect();
    }
    Ok(())
}

/// Replaces the set of budget lines funding the activity.
pub async fn set_funding(
    conn: &mut AsyncPgConnection,
    activity: &Writable<InterventionRow>,
    lines: &[BudgetLineId],
) -> QueryResult<()> {
    let id = activity.id;
    diesel::delete(intervention_funding::table.filter(intervention_funding::intervention_id.eq(id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = lines
        .iter()
        .map(|l| (intervention_funding::intervention_id.eq(id), intervention_funding::budget_line_id.eq(*l)))
        .collect();
    diesel::insert_into(intervention_funding::table).values(rows).on_conflict_do_nothing().execute(conn).await.map(drop)
}

/// The living budget lines among `ids`, with their document's region.
pub async fn budget_line_regions(
    conn: &mut AsyncPgConnection,
    ids: &[BudgetLineId],
) -> QueryResult<Vec<(BudgetLineId, RegionCode)>> {
    budget_lines::table
        .inner_join(budgets::table)
        .filter(budget_lines::id.eq_any(ids))
        .filter(budgets::deleted_at.is_null())
        .select((budget_lines::id, budgets::region_code))
        .load(conn)
        .await
}

/// Locks a living activity's row for the rest of the transaction, if the caller may change it.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
) -> Result<Writable<InterventionRow>, ApiError> {
    Writable::check(caller, lock_row(conn, id).await?, || unknown(id))
}

/// Locks a living activity's row, if the caller may report on it.
pub async fn lock_to_report(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
) -> Result<Writable<InterventionRow>, ApiError> {
    Writable::check_as(caller, Record::Report, lock_row(conn, id).await?, || unknown(id))
}

async fn lock_row(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<Option<InterventionRow>> {
    interventions::table
        .find(id)
        .filter(interventions::deleted_at.is_null())
        .select(InterventionRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn exists_any(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(interventions::table.find(id))).get_result(conn).await
}

#[derive(Debug, Default)]
pub struct InterventionFilter {
    pub type_code: Option<String>,
    pub category: Option<InterventionCategory>,
    pub touching: Option<(NaiveDate, NaiveDate)>,
    pub agency_id: Option<AgencyId>,
    /// Only activities in lokus villages of this year.
    pub lokus_year: Option<i32>,
}

/// Activities inside `scope`, or covering it (a district-wide activity concerns its villages).
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &InterventionFilter,
    page: &PageRequest<InterventionId>,
) -> QueryResult<Vec<InterventionView>> {
    let mut query = interventions::table
        .inner_join(intervention_types::table)
        .filter(interventions::deleted_at.is_null())
        .select((InterventionRow::as_select(), facts!()))
        .into_boxed();
    if let Some(code) = scope.code() {
        let above: Vec<String> = code.ancestors().iter().map(ToString::to_string).collect();
        query = query.filter(
            interventions::region_code
                .ge(code.to_string())
                .and(interventions::region_code.lt(code.subtree_end()))
                .or(interventions::region_code.eq_any(above)),
        );
    }
    if let Some(code) = &filter.type_code {
        query = query.filter(interventions::type_code.eq(code.clone()));
    }
    if let Some(category) = filter.category {
        query = query.filter(intervention_types::category.eq(category));
    }
    if let Some(agency) = filter.agency_id {
        query = query.filter(interventions::agency_id.eq(agency));
    }
    if let Some((from, to)) = filter.touching {
        query = query.filter(interventions::period_start.le(to)).filter(interventions::period_end.ge(from));
    }
    if let Some(year) = filter.lokus_year {
        let lokus = lokus_villages::table.filter(lokus_villages::year.eq(year)).select(lokus_villages::village_code);
        query = query.filter(interventions::region_code.eq_any(lokus));
    }
    if let Some(after) = page.after {
        query = query.filter(interventions::id.gt(after));
    }
    let rows: Vec<(InterventionRow, TypeFacts)> = query.order(interventions::id).limit(page.fetch()).load(conn).await?;
    let mut views: Vec<InterventionView> =
        rows.into_iter().map(|(row, facts)| InterventionView::new(row, facts)).collect();
    attach_funding(conn, &mut views).await?;
    Ok(views)
}

#[derive(Insertable)]
#[diesel(table_name = interventions)]
pub struct NewIntervention<'a> {
    pub id: InterventionId,
    pub type_code: &'a str,
    pub region_code: &'a RegionCode,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub agency_id: Option<AgencyId>,
    pub target: i64,
    pub description: Option<&'a str>,
    pub created_by: UserId,
}

/// Creates an activity in a region the caller may keep activities in; the new row is the
/// caller's to write to for the rest of the transaction.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &NewIntervention<'_>,
) -> Result<Writable<InterventionRow>, ApiError> {
    caller.require_write(Record::Intervention, new.region_code)?;
    let row = diesel::insert_into(interventions::table)
        .values(new)
        .returning(InterventionRow::as_returning())
        .get_result(conn)
        .await?;
    Writable::check(caller, Some(row), || unknown(new.id))
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = interventions)]
pub struct InterventionChanges {
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub agency_id: Option<AgencyId>,
    pub target: Option<i64>,
    pub description: Option<String>,
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    activity: &Writable<InterventionRow>,
    changes: &InterventionChanges,
) -> QueryResult<()> {
    diesel::update(interventions::table.find(activity.id))
        .set((changes, interventions::version.eq(interventions::version + 1), interventions::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

write::versioned!(InterventionRow, InterventionId, "intervention", lock);

write::removable!(InterventionRow, interventions);

/// Every report of the activity, current and superseded, by month.
pub async fn reports(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<Vec<ReportRow>> {
    intervention_reports::table
        .filter(intervention_reports::intervention_id.eq(id))
        .select(ReportRow::as_select())
        .order((intervention_reports::month, intervention_reports::created_at))
        .load(conn)
        .await
}

/// The month's current report.
pub async fn current_report(
    conn: &mut AsyncPgConnection,
    id: InterventionId,
    month: NaiveDate,
) -> QueryResult<Option<ReportRow>> {
    intervention_reports::table
        .filter(intervention_reports::intervention_id.eq(id))
        .filter(intervention_reports::month.eq(month))
        .filter(intervention_reports::superseded_at.is_null())
        .select(ReportRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The report with this id, on any activity (a client id that is taken is taken for everyone).
pub async fn find_report_any(conn: &mut AsyncPgConnection, id: ReportId) -> QueryResult<Option<ReportRow>> {
    intervention_reports::table.find(id).select(ReportRow::as_select()).first(conn).await.optional()
}

pub async fn supersede(conn: &mut AsyncPgConnection, report: ReportId) -> QueryResult<()> {
    diesel::update(intervention_reports::table.find(report))
        .set(intervention_reports::superseded_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Insertable)]
#[diesel(table_name = intervention_reports)]
pub struct NewReport<'a> {
    pub id: ReportId,
    pub month: NaiveDate,
    pub reached: i64,
    pub note: Option<&'a str>,
    pub reported_by: UserId,
}

/// A monthly report as a caller sends it.
#[derive(Debug, Clone)]
pub struct IncomingReport {
    pub id: ReportId,
    pub month: Month,
    pub reached: i64,
    pub note: Option<String>,
    /// Replaces the month's current figure (otherwise a second figure for a month is a 409).
    pub correction: bool,
}

impl IncomingReport {
    /// The same figure as the stored `row` (a retry).
    pub fn same_as(&self, activity: InterventionId, row: &ReportRow) -> bool {
        row.intervention_id == activity
            && row.month == self.month.first_day()
            && row.reached == self.reached
            && row.note.as_deref() == self.note.as_deref()
    }
}

/// Records a month's report on an activity, in the caller's transaction: the same report sent
/// again under its id is the stored one (`false`: nothing written); a different one under a
/// used id is a 409; a second figure for a month needs `correction`, and supersedes the first.
pub async fn report(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
    incoming: &IncomingReport,
) -> Result<(ReportOutcome, bool), ApiError> {
    let month = incoming.month;
    if month.first_day() > crate::domain::latest_local_date() {
        return Err(ApiError::invalid("month", "is in the future"));
    }
    let activity = lock_to_report(conn, caller, id).await?;
    if let Some(existing) = find_report_any(conn, incoming.id).await? {
        return match incoming.same_as(id, &existing) {
            true => {
                Ok((ReportOutcome { report: existing.into(), intervention: reload(conn, &activity).await? }, false))
            }
            false => Err(ApiError::DuplicateOf {
                detail: format!("a different report already has id {}", incoming.id),
                existing_id: incoming.id.0,
            }),
        };
    }
    if month.first_day() > activity.period_end || month.last_day() < activity.period_start {
        return Err(ApiError::invalid(
            "month",
            format!("is outside the activity's period, {} to {}", activity.period_start, activity.period_end),
        ));
    }
    let previous = current_report(conn, id, month.first_day()).await?;
    match (&previous, incoming.correction) {
        (Some(_), false) => {
            return Err(ApiError::conflict(format!(
                "{month} is already reported; send \"correction\": true to replace the figure"
            )));
        }
        (Some(old), true) => supersede(conn, old.id).await?,
        (None, _) => {}
    }
    let new = NewReport {
        id: incoming.id,
        month: month.first_day(),
        reached: incoming.reached,
        note: incoming.note.as_deref(),
        reported_by: caller.id,
    };
    let row = insert_report(conn, &activity, &new).await?;
    refresh_reached(conn, id).await?;
    let changes = serde_json::json!({
        "month": month, "reached": incoming.reached, "replaced": previous.map(|p| p.reached)
    });
    audit::record(conn, Some(caller.id), "intervention.report", id, changes).await?;
    Ok((ReportOutcome { report: row.into(), intervention: reload(conn, &activity).await? }, true))
}

/// Records a report on an activity the caller may report on.
pub async fn insert_report(
    conn: &mut AsyncPgConnection,
    activity: &Writable<InterventionRow>,
    new: &NewReport<'_>,
) -> QueryResult<ReportRow> {
    diesel::insert_into(intervention_reports::table)
        .values((intervention_reports::intervention_id.eq(activity.id), new))
        .returning(ReportRow::as_returning())
        .get_result(conn)
        .await
}

/// Keeps `reached` equal to the sum of the current reports, in the reporting transaction.
pub async fn refresh_reached(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE interventions SET \
           reached = (SELECT coalesce(sum(r.reached), 0)::bigint FROM intervention_reports r \
                      WHERE r.intervention_id = $1 AND r.superseded_at IS NULL), \
           version = version + 1, updated_at = now() \
         WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.0)
    .execute(conn)
    .await
    .map(drop)
}

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
        let coverage_pct = coverage_pct(row.reached, row.target);
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
            gap_pct: gap_pct(coverage_pct, facts.national_target_pct),
            description: row.description,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
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

/// Coverage as a percentage, two decimals; `None` when there is no target to cover.
pub fn coverage_pct(reached: i64, target: i64) -> Option<f64> {
    (target > 0).then(|| (reached as f64 / target as f64 * 10_000.0).round() / 100.0)
}

/// How far coverage falls short of the national target, in percentage points (negative: above).
pub fn gap_pct(coverage: Option<f64>, national: Option<f64>) -> Option<f64> {
    Some(((national? - coverage?) * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_and_gap() {
        assert_eq!(coverage_pct(45, 60), Some(75.0));
        assert_eq!(coverage_pct(1, 3), Some(33.33));
        assert_eq!(coverage_pct(5, 0), None);
        assert_eq!(gap_pct(Some(75.0), Some(90.0)), Some(15.0));
        assert_eq!(gap_pct(Some(95.5), Some(90.0)), Some(-5.5));
        assert_eq!(gap_pct(Some(75.0), None), None);
    }
}
