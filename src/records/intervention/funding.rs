//! The budget lines that fund an activity: each a line of a living budget covering its region.

use super::{InterventionRow, InterventionView};
use crate::db::schema::{budget_lines, budgets, intervention_funding};
use crate::domain::{BudgetLineId, InterventionId, RegionCode};
use crate::records::access::Writable;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Fills in the budget lines that fund each activity (one query for the whole page).
pub(super) async fn attach_funding(conn: &mut AsyncPgConnection, views: &mut [InterventionView]) -> QueryResult<()> {
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
