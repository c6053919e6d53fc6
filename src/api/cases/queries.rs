use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::{CaseRow, CaseView};
use crate::db::schema::{cases, children, lokus_villages};
use crate::domain::{CaseId, CaseSeverity, CaseStatus, CloseReason, Scope, TeamId};
use crate::http::pagination::PageRequest;

/// The case with its child's name, unless the child was deleted.
pub async fn find(conn: &mut AsyncPgConnection, id: CaseId) -> QueryResult<Option<CaseView>> {
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

/// Cases in `scope` in id (creation) order; `void` ones only when asked for.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &CaseFilter,
    page: &PageRequest<CaseId>,
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
    if let Some(after) = page.after {
        query = query.filter(cases::id.gt(after));
    }
    let rows: Vec<(CaseRow, String)> = query.order(cases::id).limit(page.fetch()).load(conn).await?;
    Ok(rows.into_iter().map(|(row, name)| CaseView::new(row, name)).collect())
}

/// Locks the case row for the rest of the transaction.
pub async fn lock(conn: &mut AsyncPgConnection, id: CaseId) -> QueryResult<Option<CaseRow>> {
    cases::table.find(id).select(CaseRow::as_select()).for_update().first(conn).await.optional()
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

pub async fn follow_up(conn: &mut AsyncPgConnection, id: CaseId, changes: &FollowUp) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((changes, cases::version.eq(cases::version + 1), cases::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}
