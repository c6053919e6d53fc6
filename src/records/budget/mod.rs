//! Budget documents (a ceiling for a region, year and funding source): how they are stored,
//! found and listed; their lines, spending and revisions in files of their own.

pub mod document;
pub mod import;
pub mod lines;
pub mod revision;
pub mod spending;

pub use lines::{BudgetAccess, LineFields, LineKey, LineRow, LineView, LockedLine, line, lines, unknown_line};
pub use revision::{RevisionView, insert_revision, revisions};
pub use spending::{SpendingOutcome, SpendingView, spending};

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::schema::budgets;
use crate::domain::page::PageRequest;
use crate::domain::{BudgetId, BudgetStatus, FundingSource, RegionCode, Rupiah, Scope, UserId};
use crate::error::ApiError;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::write;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The document, if the caller may read it: 404 unless known and living, 403 outside the
/// caller's access.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: BudgetId) -> Result<Visible<BudgetRow>, ApiError> {
    let row = budgets::table
        .find(id)
        .filter(budgets::deleted_at.is_null())
        .select(BudgetRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Visible::check(caller, row, || unknown(id))
}

/// Locks a living document for the rest of the transaction, if the caller may change it:
/// every write to it or its lines goes through here, so totals and freezes cannot race.
pub async fn lock(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
) -> Result<Writable<BudgetRow>, ApiError> {
    let row = budgets::table
        .find(id)
        .filter(budgets::deleted_at.is_null())
        .select(BudgetRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Writable::check(caller, row, || unknown(id))
}

pub fn unknown(id: BudgetId) -> ApiError {
    ApiError::not_found(text!("no budget has id %{id}", id = id))
}

impl Scoped for BudgetRow {
    const RECORD: Record = Record::Budget;
    fn region(&self) -> &RegionCode {
        &self.region_code
    }
}

write::versioned!(BudgetRow, BudgetId, "budget", lock);

write::removable!(BudgetRow, budgets);

/// 409 unless the document is open for changes to its lines (a draft, or under revision).
pub fn require_open(budget: &BudgetRow) -> Result<(), ApiError> {
    if budget.status == BudgetStatus::Approved {
        return Err(ApiError::conflict(text!(
            "the document is approved and its lines are frozen; start a revision first"
        )));
    }
    Ok(())
}

/// The document with this id, wherever it is and whoever may see it: a client id that is
/// already taken is taken for everyone.
pub async fn find_any(conn: &mut AsyncPgConnection, id: BudgetId) -> QueryResult<Option<BudgetRow>> {
    budgets::table.find(id).select(BudgetRow::as_select()).first(conn).await.optional()
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

/// Enters a document for a region the caller may write about; the new row is the caller's to
/// write to (its lines) for the rest of the transaction.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &NewBudget<'_>,
) -> Result<Writable<BudgetRow>, ApiError> {
    caller.require_write(Record::Budget, new.region_code)?;
    let row =
        diesel::insert_into(budgets::table).values(new).returning(BudgetRow::as_returning()).get_result(conn).await?;
    Writable::check(caller, Some(row), || unknown(new.id))
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

pub async fn update(
    conn: &mut AsyncPgConnection,
    budget: &Writable<BudgetRow>,
    changes: &BudgetChanges,
) -> QueryResult<()> {
    diesel::update(budgets::table.find(budget.id))
        .set((changes, budgets::version.eq(budgets::version + 1), budgets::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

/// Recomputes a document's ceiling and realised totals from its lines, in the writing
/// transaction. `false`, and nothing changed, when a total would pass `Rupiah::MAX`: the
/// change that led here must then be refused.
pub async fn refresh_totals(conn: &mut AsyncPgConnection, budget: BudgetId) -> QueryResult<bool> {
    // SQL: UPDATE … FROM a derived table of sums, guarded by the cap, in one statement.
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

/// Absorption as a percentage, two decimals; `None` with a ceiling of 0.
pub fn absorption_pct(realised: i64, ceiling: i64) -> Option<f64> {
    (ceiling > 0).then(|| (realised as f64 / ceiling as f64 * 10_000.0).round() / 100.0)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = budgets)]
pub struct BudgetRow {
    pub id: BudgetId,
    pub region_code: RegionCode,
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    pub title: String,
    pub status: BudgetStatus,
    pub reported_total: Option<Rupiah>,
    pub document_ref: Option<String>,
    pub lines_total: Rupiah,
    pub realised_total: Rupiah,
    pub revision: i32,
    pub approved_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The lines' sum beside the total the source document reports: real reports disagree, and
/// the API shows it rather than hiding it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"lines_total": 4230900000_i64, "reported_total": 3900900000_i64,
    "difference": 330000000_i64, "has_discrepancy": true}))]
pub struct Reconciliation {
    pub lines_total: Rupiah,
    pub reported_total: Option<Rupiah>,
    /// lines_total − reported_total; `null` when no total was reported.
    pub difference: Option<i64>,
    pub has_discrepancy: bool,
}

/// A budget document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-5555-7000-8000-000000000001", "region_code": "14.01", "fiscal_year": 2024,
    "funding_source": "dak_non_fisik_bkkbn", "title": "DAK Non Fisik BKKBN 2024, Kabupaten Kampar",
    "status": "approved", "document_ref": "Rakor TPPS Kampar, 29 December 2023",
    "reconciliation": {"lines_total": 4230900000_i64, "reported_total": 3900900000_i64, "difference": 330000000_i64, "has_discrepancy": true},
    "realised_total": 0, "absorption_pct": 0.0, "revision": 0, "approved_at": "2024-01-02T00:00:00Z",
    "version": 7, "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"
}))]
pub struct BudgetView {
    pub id: BudgetId,
    /// Province, district, subdistrict or village (a village's APBDes).
    pub region_code: RegionCode,
    pub fiscal_year: i32,
    pub funding_source: FundingSource,
    pub title: String,
    pub status: BudgetStatus,
    pub document_ref: Option<String>,
    pub reconciliation: Reconciliation,
    pub realised_total: Rupiah,
    /// realised ÷ the lines' ceilings, in percent.
    pub absorption_pct: Option<f64>,
    /// How many revisions were started after an approval.
    pub revision: i32,
    pub approved_at: Option<DateTime<Utc>>,
    /// Send it back as `If-Match` to change the document.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BudgetRow> for BudgetView {
    fn from(r: BudgetRow) -> Self {
        let difference = r.reported_total.map(|t| r.lines_total.value() - t.value());
        Self {
            id: r.id,
            region_code: r.region_code,
            fiscal_year: r.fiscal_year,
            funding_source: r.funding_source,
            title: r.title,
            status: r.status,
            document_ref: r.document_ref,
            reconciliation: Reconciliation {
                lines_total: r.lines_total,
                reported_total: r.reported_total,
                difference,
                has_discrepancy: difference.is_some_and(|d| d != 0),
            },
            realised_total: r.realised_total,
            absorption_pct: absorption_pct(r.realised_total.value(), r.lines_total.value()),
            revision: r.revision,
            approved_at: r.approved_at,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
