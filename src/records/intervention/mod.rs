//! Intervention activities with their monthly reports, and the intervention types they deliver.

pub mod activity;
mod funding;
pub mod import;
mod reports;
pub mod types;

use funding::attach_funding;
pub use funding::{budget_line_regions, set_funding};
pub use reports::{
    IncomingReport, NewReport, ReportOutcome, ReportRow, ReportView, current_report, find_report_any, insert_report,
    refresh_reached, report, reports, supersede,
};

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::schema::{intervention_types, interventions, lokus_villages};
use crate::domain::page::PageRequest;
use crate::domain::{
    AgencyId, BudgetLineId, CountUnit, InterventionCategory, InterventionId, RegionCode, Scope, TargetGroup, UserId,
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
    ApiError::not_found(text!("no activity has id %{id}", id = id))
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
