use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::{BudgetRow, LineRow, LineView, RevisionView, SpendingView};
use crate::db::schema::{budget_lines, budget_revisions, budget_spending, budgets, intervention_types};
use crate::domain::{
    AgencyId, BudgetId, BudgetLineId, BudgetStatus, FundingSource, InterventionCategory, RegionCode, Rupiah, Scope,
    SpendingId, UserId,
};
use crate::http::pagination::PageRequest;

pub async fn find(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<Option<BudgetRow>> {
    budgets::table
        .find(id)
        .filter(budgets::deleted_at.is_null())
        .select(BudgetRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Locks a living document for the rest of the transaction: every write to it or its lines
/// goes through here, so totals and freezes cannot race.
pub async fn lock(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<Option<BudgetRow>> {
    budgets::table
        .find(id)
        .filter(budgets::deleted_at.is_null())
        .select(BudgetRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn exists_any(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(budgets::table.find(id))).get_result(conn).await
}

#[derive(Debug, Default)]
pub struct BudgetFilter {
    pub fiscal_year: Option<i32>,
    pub funding_source: Option<FundingSource>,
    pub status: Option<BudgetStatus>,
    pub has_discrepancy: Option<bool>,
}

/// Documents inside `scope` or covering it (`inside_only`: inside it only).
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    inside_only: bool,
    filter: &BudgetFilter,
    page: &PageRequest<BudgetId>,
) -> QueryResult<Vec<BudgetRow>> {
    let mut query = budgets::table.filter(budgets::deleted_at.is_null()).select(BudgetRow::as_select()).into_boxed();
    if let Some(code) = scope.code() {
        let inside = budgets::region_code.ge(code.to_string()).and(budgets::region_code.lt(code.subtree_end()));
        if inside_only {
            query = query.filter(inside);
        } else {
            let above: Vec<String> = code.ancestors().iter().map(ToString::to_string).collect();
            query = query.filter(inside.or(budgets::region_code.eq_any(above)));
        }
    }
    if let Some(year) = filter.fiscal_year {
        query = query.filter(budgets::fiscal_year.eq(year));
    }
    if let Some(source) = filter.funding_source {
        query = query.filter(budgets::funding_source.eq(source));
    }
    if let Some(status) = filter.status {
        query = query.filter(budgets::status.eq(status));
    }
    match filter.has_discrepancy {
        Some(true) => {
            query = query.filter(
                budgets::reported_total.is_not_null().and(budgets::reported_total.ne(budgets::lines_total.nullable())),
            )
        }
        Some(false) => {
            query = query.filter(
                budgets::reported_total.is_null().or(budgets::reported_total.eq(budgets::lines_total.nullable())),
            )
        }
        None => {}
    }
    if let Some(after) = page.after {
        query = query.filter(budgets::id.gt(after));
    }
    query.order(budgets::id).limit(page.fetch()).load(conn).await
}

#[derive(Insertable)]
#[diesel(table_name = budgets)]
pub struct NewBudget<'a> {
    pub id: BudgetId,
    pub region_code: &'a RegionCode,
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    pub title: &'a str,
    pub reported_total: Option<Rupiah>,
    pub document_ref: Option<&'a str>,
    pub created_by: UserId,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewBudget<'_>) -> QueryResult<()> {
    diesel::insert_into(budgets::table).values(new).execute(conn).await.map(drop)
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = budgets)]
pub struct BudgetChanges {
    pub title: Option<String>,
    pub funding_source: Option<FundingSource>,
    pub fiscal_year: Option<i32>,
    pub reported_total: Option<Option<Rupiah>>,
    pub document_ref: Option<String>,
    pub status: Option<BudgetStatus>,
    pub revision: Option<i32>,
    pub approved_at: Option<Option<chrono::DateTime<Utc>>>,
    pub approved_by: Option<Option<UserId>>,
}

pub async fn update(conn: &mut AsyncPgConnection, id: BudgetId, changes: &BudgetChanges) -> QueryResult<()> {
    diesel::update(budgets::table.find(id))
        .set((changes, budgets::version.eq(budgets::version + 1), budgets::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn soft_delete(conn: &mut AsyncPgConnection, id: BudgetId, reason: &str) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(budgets::table.find(id))
        .set((
            budgets::deleted_at.eq(now),
            budgets::deleted_reason.eq(reason),
            budgets::version.eq(budgets::version + 1),
            budgets::updated_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn lines(conn: &mut AsyncPgConnection, budget: BudgetId) -> QueryResult<Vec<LineView>> {
    let rows: Vec<(LineRow, Option<InterventionCategory>)> = budget_lines::table
        .left_join(intervention_types::table)
        .filter(budget_lines::budget_id.eq(budget))
        .select((LineRow::as_select(), intervention_types::category.nullable()))
        .order((budget_lines::created_at, budget_lines::id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(row, category)| LineView::new(row, category)).collect())
}

pub async fn line(conn: &mut AsyncPgConnection, budget: BudgetId, id: BudgetLineId) -> QueryResult<Option<LineView>> {
    let row: Option<(LineRow, Option<InterventionCategory>)> = budget_lines::table
        .left_join(intervention_types::table)
        .filter(budget_lines::budget_id.eq(budget))
        .filter(budget_lines::id.eq(id))
        .select((LineRow::as_select(), intervention_types::category.nullable()))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(row, category)| LineView::new(row, category)))
}

#[derive(Insertable, AsChangeset, Default)]
#[diesel(table_name = budget_lines)]
pub struct LineFields {
    pub activity: Option<String>,
    pub type_code: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub ceiling: Option<Rupiah>,
    pub output_value: Option<i64>,
    pub output_unit: Option<String>,
    pub village_codes: Option<Vec<String>>,
}

pub async fn insert_line(
    conn: &mut AsyncPgConnection,
    budget: BudgetId,
    id: BudgetLineId,
    fields: &LineFields,
) -> QueryResult<()> {
    diesel::insert_into(budget_lines::table)
        .values((budget_lines::id.eq(id), budget_lines::budget_id.eq(budget), fields))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn update_line(conn: &mut AsyncPgConnection, id: BudgetLineId, fields: &LineFields) -> QueryResult<()> {
    diesel::update(budget_lines::table.find(id))
        .set((fields, budget_lines::version.eq(budget_lines::version + 1), budget_lines::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn has_spending(conn: &mut AsyncPgConnection, id: BudgetLineId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(budget_spending::table.filter(budget_spending::line_id.eq(id))))
        .get_result(conn)
        .await
}

pub async fn delete_line(conn: &mut AsyncPgConnection, id: BudgetLineId) -> QueryResult<()> {
    diesel::delete(budget_lines::table.find(id)).execute(conn).await.map(drop)
}

pub async fn spending(conn: &mut AsyncPgConnection, line: BudgetLineId) -> QueryResult<Vec<SpendingView>> {
    budget_spending::table
        .filter(budget_spending::line_id.eq(line))
        .select(SpendingView::as_select())
        .order((budget_spending::spent_on, budget_spending::created_at))
        .load(conn)
        .await
}

#[derive(Insertable)]
#[diesel(table_name = budget_spending)]
pub struct NewSpending<'a> {
    pub id: SpendingId,
    pub line_id: BudgetLineId,
    pub amount: Rupiah,
    pub spent_on: chrono::NaiveDate,
    pub note: Option<&'a str>,
    pub approved_overrun: bool,
    pub recorded_by: UserId,
}

pub async fn insert_spending(conn: &mut AsyncPgConnection, new: &NewSpending<'_>) -> QueryResult<SpendingView> {
    diesel::insert_into(budget_spending::table)
        .values(new)
        .returning(SpendingView::as_returning())
        .get_result(conn)
        .await
}

/// Recomputes a line's realised total from its spending entries, after a new entry. `false`,
/// and nothing changed, when the total would pass `Rupiah::MAX` (sums are numeric, so they
/// cannot overflow on the way).
pub async fn refresh_realised(conn: &mut AsyncPgConnection, line: BudgetLineId) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE budget_lines l SET realised = t.realised::bigint \
         FROM (SELECT coalesce(sum(s.amount), 0) AS realised FROM budget_spending s WHERE s.line_id = $1) t \
         WHERE l.id = $1 AND t.realised <= $2",
    )
    .bind::<SqlUuid, _>(line.0)
    .bind::<BigInt, _>(Rupiah::MAX.value())
    .execute(conn)
    .await
    .map(|updated| updated == 1)
}

/// Recomputes a document's ceiling and realised totals from its lines, in the writing
/// transaction. `false`, and nothing changed, when a total would pass `Rupiah::MAX`: the
/// change that led here must then be refused.
pub async fn refresh_totals(conn: &mut AsyncPgConnection, budget: BudgetId) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE budgets b SET lines_total = t.lines::bigint, realised_total = t.realised::bigint, \
           version = version + 1, updated_at = now() \
         FROM (SELECT coalesce(sum(l.ceiling), 0) AS lines, coalesce(sum(l.realised), 0) AS realised \
               FROM budget_lines l WHERE l.budget_id = $1) t \
         WHERE b.id = $1 AND t.lines <= $2 AND t.realised <= $2",
    )
    .bind::<SqlUuid, _>(budget.0)
    .bind::<BigInt, _>(Rupiah::MAX.value())
    .execute(conn)
    .await
    .map(|updated| updated == 1)
}

pub async fn insert_revision(
    conn: &mut AsyncPgConnection,
    budget: BudgetId,
    revision: i32,
    snapshot: &serde_json::Value,
    by: UserId,
) -> QueryResult<()> {
    diesel::insert_into(budget_revisions::table)
        .values((
            budget_revisions::id.eq(uuid::Uuid::now_v7()),
            budget_revisions::budget_id.eq(budget),
            budget_revisions::revision.eq(revision),
            budget_revisions::snapshot.eq(snapshot),
            budget_revisions::created_by.eq(by),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn revisions(conn: &mut AsyncPgConnection, budget: BudgetId) -> QueryResult<Vec<RevisionView>> {
    budget_revisions::table
        .filter(budget_revisions::budget_id.eq(budget))
        .select((budget_revisions::revision, budget_revisions::snapshot, budget_revisions::created_at))
        .order(budget_revisions::revision)
        .load(conn)
        .await
}
