//! Realised spending on the lines of an approved (or revised) document: entered once under its
//! id, within the line's ceiling unless the overrun was approved, and carried into the line's
//! and the document's totals in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{BudgetAccess, LineKey, LineView, LockedLine, lines};
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::budget_spending;
use crate::domain::{BudgetLineId, BudgetStatus, Rupiah, SpendingId, UserId};
use crate::error::ApiError;
use crate::records::access;
use crate::records::access::Writable;
use crate::records::write::Versioned;

/// A spending entry as its sender states it.
#[derive(Debug, Clone)]
pub struct IncomingSpending<'a> {
    pub id: SpendingId,
    pub amount: Rupiah,
    pub spent_on: NaiveDate,
    pub note: Option<&'a str>,
    pub approved_overrun: bool,
}

/// Records spending on line `key` as the caller: the same entry sent again under its id is the
/// stored one (`false`: nothing written); a different one under a used id is a 409; a draft
/// takes no spending; past the ceiling only as an approved overrun.
pub async fn spend(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    key: LineKey,
    entry: &IncomingSpending<'_>,
) -> Result<(SpendingOutcome, bool), ApiError> {
    let LineKey(id, line_id) = key;
    let locked = <LockedLine as Versioned>::lock(conn, caller, key).await?;
    if let Some(existing) = find_spending_any(conn, entry.id).await? {
        let same = existing.line_id == line_id
            && existing.amount == entry.amount
            && existing.spent_on == entry.spent_on
            && existing.note.as_deref() == entry.note
            && existing.approved_overrun == entry.approved_overrun;
        return match same {
            true => Ok((
                SpendingOutcome { spending: existing, line: super::lines::reload_line(conn, &locked).await? },
                false,
            )),
            false => Err(access::id_taken_under(existing.line_id == line_id, text!("spending entry"), entry.id.0)),
        };
    }
    if locked.budget.status == BudgetStatus::Draft {
        return Err(ApiError::conflict(text!("spending is recorded once the document is approved")));
    }
    let line = &locked.line;
    // Both are at most Rupiah::MAX, so the sum fits; totals past the cap are refused below.
    let after = line.realised.value() + entry.amount.value();
    if after > line.ceiling.value() && !entry.approved_overrun {
        let ceiling = line.ceiling.value();
        return Err(ApiError::invalid(
            "amount",
            text!(
                "would bring spending to %{after}, past the ceiling of %{ceiling}; \
                 mark it approved_overrun if it was approved",
                after = after,
                ceiling = ceiling
            ),
        ));
    }
    let new = NewSpending {
        id: entry.id,
        amount: entry.amount,
        spent_on: entry.spent_on,
        note: entry.note,
        approved_overrun: entry.approved_overrun,
        recorded_by: caller.id,
    };
    let spending = insert_spending(conn, &locked, &new).await?;
    if !refresh_realised(conn, line_id).await? {
        return Err(lines::over_cap("amount", "the line's spending"));
    }
    lines::keep_totals(conn, id, "amount").await?;
    let audited =
        json!({ "spending": spending.id, "amount": entry.amount, "approved_overrun": entry.approved_overrun });
    audit::record(conn, Some(caller.id), "budget.line.spend", key, audited).await?;
    let line = super::lines::reload_line(conn, &locked).await?;
    Ok((SpendingOutcome { spending, line }, true))
}

async fn find_spending_any(conn: &mut AsyncPgConnection, id: SpendingId) -> QueryResult<Option<SpendingView>> {
    budget_spending::table.find(id).select(SpendingView::as_select()).first(conn).await.optional()
}

/// The spending of a line of a document the caller may read: 404 unless the line is one of
/// the document's.
pub async fn spending(
    conn: &mut AsyncPgConnection,
    budget: &impl BudgetAccess,
    line: BudgetLineId,
) -> Result<Vec<SpendingView>, ApiError> {
    let line = super::line(conn, budget, line).await?;
    Ok(budget_spending::table
        .filter(budget_spending::line_id.eq(line.id))
        .select(SpendingView::as_select())
        .order((budget_spending::spent_on, budget_spending::created_at))
        .load(conn)
        .await?)
}

#[derive(Insertable)]
#[diesel(table_name = budget_spending)]
struct NewSpending<'a> {
    pub id: SpendingId,
    pub amount: Rupiah,
    pub spent_on: chrono::NaiveDate,
    pub note: Option<&'a str>,
    pub approved_overrun: bool,
    pub recorded_by: UserId,
}

async fn insert_spending(
    conn: &mut AsyncPgConnection,
    line: &Writable<LockedLine>,
    new: &NewSpending<'_>,
) -> QueryResult<SpendingView> {
    diesel::insert_into(budget_spending::table)
        .values((budget_spending::line_id.eq(line.line.id), new))
        .returning(SpendingView::as_returning())
        .get_result(conn)
        .await
}

/// Recomputes a line's realised total from its spending entries, after a new entry. `false`,
/// and nothing changed, when the total would pass `Rupiah::MAX` (sums are numeric, so they
/// cannot overflow on the way).
async fn refresh_realised(conn: &mut AsyncPgConnection, line: BudgetLineId) -> QueryResult<bool> {
    // SQL: UPDATE … FROM a derived sum, guarded by the cap, in one statement.
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = budget_spending)]
pub struct SpendingView {
    pub id: SpendingId,
    pub line_id: BudgetLineId,
    pub amount: Rupiah,
    pub spent_on: NaiveDate,
    pub note: Option<String>,
    pub approved_overrun: bool,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// The entry just recorded and the line's new totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SpendingOutcome {
    pub spending: SpendingView,
    pub line: LineView,
}
