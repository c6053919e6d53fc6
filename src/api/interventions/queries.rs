use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::{InterventionRow, InterventionView, ReportRow, TypeFacts};
use crate::db::schema::{
    budget_lines, budgets, intervention_funding, intervention_reports, intervention_types, interventions,
    lokus_villages,
};
use crate::domain::{
    AgencyId, BudgetLineId, InterventionCategory, InterventionId, RegionCode, ReportId, Scope, UserId,
};
use crate::http::pagination::PageRequest;

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
pub async fn find(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<Option<InterventionView>> {
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
pub async fn set_funding(conn: &mut AsyncPgConnection, id: InterventionId, lines: &[BudgetLineId]) -> QueryResult<()> {
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

/// Locks a living activity's row for the rest of the transaction.
pub async fn lock(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<Option<InterventionRow>> {
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

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewIntervention<'_>) -> QueryResult<()> {
    diesel::insert_into(interventions::table).values(new).execute(conn).await.map(drop)
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
    id: InterventionId,
    changes: &InterventionChanges,
) -> QueryResult<()> {
    diesel::update(interventions::table.find(id))
        .set((changes, interventions::version.eq(interventions::version + 1), interventions::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn soft_delete(conn: &mut AsyncPgConnection, id: InterventionId, reason: &str) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(interventions::table.find(id))
        .set((
            interventions::deleted_at.eq(now),
            interventions::deleted_reason.eq(reason),
            interventions::version.eq(interventions::version + 1),
            interventions::updated_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

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
    pub intervention_id: InterventionId,
    pub month: NaiveDate,
    pub reached: i64,
    pub note: Option<&'a str>,
    pub reported_by: UserId,
}

pub async fn insert_report(conn: &mut AsyncPgConnection, new: &NewReport<'_>) -> QueryResult<ReportRow> {
    diesel::insert_into(intervention_reports::table)
        .values(new)
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
