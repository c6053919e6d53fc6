//! The rules every write of a budget document follows, whoever calls (a request, the demo
//! loader, the CLI): each locks the document through the caller's access, checks the version
//! the caller read, applies the change and writes its audit line, in the caller's transaction.

use serde_json::json;

use super::{BudgetChanges, BudgetRow, BudgetView, NewBudget};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::db::audit;
use crate::domain::{BudgetId, BudgetStatus, ExpectedVersion};
use crate::error::ApiError;
use crate::records::access;
use crate::records::write;

/// Enters a document as a draft: the same document sent again under its id is the stored one
/// (`false`: nothing written); a different one under a used id is a 409.
pub async fn create(conn: &mut AsyncPgConnection, caller: &Caller, new: &NewBudget<'_>) -> Result<bool, ApiError> {
    if let Some(existing) = super::find_any(conn, new.id).await? {
        return match same_budget(&existing, new) {
            true => Ok(false),
            false => Err(access::id_taken(caller, text!("budget"), new.id.0, &existing.region_code)),
        };
    }
    super::insert(conn, caller, new).await?;
    let entry = json!({ "region_code": new.region_code, "reported_total": new.reported_total });
    audit::record(conn, Some(caller.id), "budget.create", new.id, entry).await?;
    Ok(true)
}

/// Whether a retry names the document already entered under its id.
fn same_budget(existing: &BudgetRow, new: &NewBudget<'_>) -> bool {
    existing.region_code == *new.region_code
        && existing.fiscal_year == new.fiscal_year
        && existing.funding_source == new.funding_source
        && existing.title == new.title
        && existing.reported_total == new.reported_total
        && existing.document_ref.as_deref() == new.document_ref
}

/// Changes the fields of a draft or revised document (an approved one is frozen: 409).
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    read: ExpectedVersion,
    changes: &BudgetChanges,
) -> Result<(), ApiError> {
    let audit = ("update", json!({ "reported_total": changes.reported_total }));
    write::change::<BudgetRow, _>(conn, caller, id, read, audit, async |conn, current| {
        super::require_open(current)?;
        Ok(super::update(conn, current, changes).await?)
    })
    .await
}

/// Approves a draft or revised document as the caller, freezing its lines.
pub async fn approve(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    read: ExpectedVersion,
) -> Result<(), ApiError> {
    let changes = BudgetChanges {
        status: Some(BudgetStatus::Approved),
        approved_at: Some(Some(chrono::Utc::now())),
        approved_by: Some(Some(caller.id)),
        ..BudgetChanges::default()
    };
    write::change::<BudgetRow, _>(conn, caller, id, read, ("approve", json!({})), async |conn, current| {
        super::require_open(current)?;
        Ok(super::update(conn, current, &changes).await?)
    })
    .await
}

/// Opens an approved document for changes; the approved version, lines included, is kept as
/// a revision.
pub async fn revise(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    read: ExpectedVersion,
) -> Result<(), ApiError> {
    // The approved version that the revision replaces: its number is the version read.
    let revised = ("revise", json!({ "approved_version": read.0 }));
    write::change::<BudgetRow, _>(conn, caller, id, read, revised, async |conn, current| {
        if current.status != BudgetStatus::Approved {
            return Err(ApiError::conflict(text!("only an approved document is revised")));
        }
        let revision = current.revision;
        let snapshot =
            json!({ "document": BudgetView::from((**current).clone()), "lines": super::lines(conn, current).await? });
        super::insert_revision(conn, current, revision, &snapshot, caller.id).await?;
        let changes = BudgetChanges {
            status: Some(BudgetStatus::Revised),
            revision: Some(revision + 1),
            ..BudgetChanges::default()
        };
        Ok(super::update(conn, current, &changes).await?)
    })
    .await
}

/// Removes a document for `reason`.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    read: ExpectedVersion,
    reason: &str,
) -> Result<(), ApiError> {
    write::remove::<BudgetRow>(conn, caller, id, read, Some(reason)).await
}
