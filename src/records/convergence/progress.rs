//! The rules every write of a district's convergence progress follows, whoever calls: an
//! action's status for a year (its officers), the documents behind it, and the province's
//! assessment score. Records kept under a key go through `write::keyed`, documents through
//! their id; each is audited in the caller's transaction.

use chrono::NaiveDate;
use serde_json::json;

use super::{ActionWrite, Assessment, AssessmentUpdate, Document, NewDocument, ProgressRow};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::db::audit;
use crate::domain::{ActionStatus, DocumentId, ExpectedVersion, RegionCode, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::records::region as regions;
use crate::records::write;

/// The eight actions are numbered 1 to 8: any other number names nothing (404).
pub fn action_number(number: i16) -> Result<i16, ApiError> {
    if (1..=8).contains(&number) {
        Ok(number)
    } else {
        Err(ApiError::not_found(text!(
            "there is no convergence action %{number}; they are numbered 1 to 8",
            number = number
        )))
    }
}

/// A done action has the day it was done, not in the future; another has none.
pub fn check_action(errors: &mut FieldErrors, status: ActionStatus, done_on: Option<NaiveDate>) {
    match (status, done_on) {
        (ActionStatus::Done, None) => errors.add("done_on", text!("is required when the action is done")),
        (ActionStatus::Done, Some(d)) if d > latest_local_date() => errors.add("done_on", text!("is in the future")),
        (ActionStatus::Done, Some(_)) => {}
        (_, Some(_)) => errors.add("done_on", text!("is only for an action that is done")),
        (_, None) => {}
    }
}

/// A district the hierarchy does not know is a 404.
pub async fn known_district(conn: &mut AsyncPgConnection, district: &RegionCode) -> Result<(), ApiError> {
    if regions::exists(conn, district).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(text!("no district has code %{district}", district = district)))
    }
}

/// Records where a district stands on one action in a year (`If-Match: "0"` for the first).
pub async fn record_action(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    read: ExpectedVersion,
    action: &ActionWrite<'_>,
) -> Result<ProgressRow, ApiError> {
    caller.require_district_officer(action.district)?;
    known_district(conn, action.district).await?;
    let (district, year, number) = (action.district, action.year, action.action);
    let key = format!("{district}/{year}/{number}");
    let audited = |_: Option<&ProgressRow>| json!({"status": action.status, "done_on": action.done_on});
    write::keyed(
        conn,
        caller,
        read,
        ("convergence.action", key.as_str(), audited),
        async |conn| Ok(super::lock_action(conn, district, year, number).await?),
        |row: &ProgressRow| row.version,
        async |conn, current| match current {
            None => Ok(super::insert_action(conn, action).await?),
            Some(_) => Ok(super::update_action(conn, action).await?),
        },
    )
    .await
}

/// Records the province's assessment score of a district for a year (officers of the
/// province: districts do not score themselves).
pub async fn assess(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    (district, year): (&RegionCode, i32),
    read: ExpectedVersion,
    score: &AssessmentUpdate,
) -> Result<Assessment, ApiError> {
    caller.require_province_officer(district)?;
    known_district(conn, district).await?;
    let key = format!("{district}/{year}");
    write::keyed(
        conn,
        caller,
        read,
        ("convergence.assess", key.as_str(), |_| json!({"score": score.score})),
        async |conn| Ok(super::assessment(conn, district, year, true).await?),
        |assessment: &Assessment| assessment.version,
        async |conn, current| {
            let existed = current.is_some();
            Ok(super::save_assessment(conn, (district, year), existed, score, caller.id).await?)
        },
    )
    .await
}

/// Files a document behind an action: the same document sent again under its id is the stored
/// one (`false`: nothing written); another's id, or a removed one's, is a 409.
pub async fn file_document(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: NewDocument,
) -> Result<(Document, bool), ApiError> {
    caller.require_district_officer(&new.district)?;
    known_district(conn, &new.district).await?;
    let (id, district, year, action) = (new.id, new.district.clone(), new.year, new.action);
    if let Some((existing, removed)) = super::find_any_document(conn, id).await? {
        let same_place = existing.district_code == district && existing.year == year && existing.action == action;
        return if same_place && !removed {
            Ok((existing, false))
        } else {
            Err(ApiError::conflict(text!("document id %{id} belongs to another or a removed document", id = id)))
        };
    }
    let document = super::insert_document(conn, new, caller.id).await?;
    let entry = json!({"district": district, "year": year, "action": action, "sha256": document.sha256});
    audit::record(conn, Some(caller.id), "convergence_document.create", id, entry).await?;
    Ok((document, true))
}

/// Removes a document.
pub async fn remove_document(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: DocumentId,
    read: ExpectedVersion,
) -> Result<(), ApiError> {
    write::remove::<Document>(conn, caller, id, read, None).await
}
