//! An officer's follow-up of a case, whoever records it: the team assigned, notes, the case
//! audit, and closing. Closing is for an open case, on a day not before it opened; the child's
//! cases are then recomputed, since measurements after the closing day may open a new one.

use chrono::NaiveDate;
use serde_json::json;

use super::{CaseDetail, FollowUp, LockedCase, sync_cases};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::domain::{CaseId, CaseStatus, CloseReason, ExpectedVersion};
use crate::error::ApiError;
use crate::records::child::services;
use crate::records::write;

/// How a case is closed.
#[derive(Debug, Clone)]
pub struct Closing {
    pub on: NaiveDate,
    pub reason: CloseReason,
    pub note: Option<String>,
}

/// Records `changes` on case `id`, closing it as `close` says.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: CaseId,
    read: ExpectedVersion,
    changes: FollowUp,
    close: Option<Closing>,
) -> Result<CaseDetail, ApiError> {
    let verb = if close.is_some() { "close" } else { "follow_up" };
    let audit = json!({
        "assigned_team": changes.assigned_team.is_some(),
        "assigned_team_id": changes.assigned_team_id,
        "notes": changes.notes.is_some(),
        "audit": changes.audited_on.is_some(),
        "close_reason": close.as_ref().map(|c| c.reason),
    });
    write::change::<LockedCase, _>(conn, caller, id, read, (verb, audit), async |conn, locked| {
        let (child, current) = (&locked.child, &locked.case);
        if let Some(Some(team)) = changes.assigned_team_id {
            super::check_team(conn, team, &current.village_code).await?;
        }
        let mut changes = changes;
        if let Some(close) = &close {
            if current.status != CaseStatus::Open {
                return Err(ApiError::conflict(text!(
                    "only an open case can be closed; this one is %{status}",
                    status = current.status.as_str()
                )));
            }
            if close.on < current.opened_on {
                return Err(ApiError::invalid("close.closed_on", text!("is before the case opened")));
            }
            changes.status = Some(CaseStatus::Closed);
            changes.closed_on = Some(Some(close.on));
            changes.close_reason = Some(Some(close.reason));
            changes.close_note = Some(close.note.clone());
        }
        super::set_follow_up(conn, locked, &changes).await?;
        if close.is_some() {
            // Measurements taken after the closing date may open a new case at once.
            sync_cases(conn, child, &child.village_code).await?;
        }
        let case = super::reload(conn, child, id).await?;
        let services_since_opened = services::for_child(conn, child, Some(case.opened_on)).await?;
        Ok(CaseDetail { case, services_since_opened })
    })
    .await
}
