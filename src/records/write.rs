//! The one write path. Every change to a versioned record goes the same way, whichever caller
//! asks for it (a handler, the CLI, a bulk import):
//!
//! 1. lock the living row (`FOR UPDATE`) through the record's access check: 404, or 403;
//! 2. compare the version the caller read (`If-Match` over HTTP): 412 when it moved on;
//! 3. apply the change, which bumps `version` and recomputes what derives from it;
//! 4. write one audit line, in the same transaction.
//!
//! Locking first serialises the writers of one record, so the version compared in step 2 is
//! the one step 3 changes: no compare-and-swap or retry is needed after it. Removal is a change
//! like any other: the row stays, marked with who removed it and why, and leaves every list.

use std::fmt::Display;

use serde_json::{Value, json};

use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::db::audit;
use crate::domain::ExpectedVersion;
use crate::error::ApiError;
use crate::records::access::Writable;

/// A record that changes only through `change`. (`async fn` in a public trait cannot promise
/// `Send` futures in general; each implementation's are, which the transactions that call them
/// require and the compiler checks there.)
#[allow(async_fn_in_trait)]
pub trait Versioned: Sized {
    type Id: Clone + Display;
    /// What the audit trail calls it: `child`, `budget`.
    const ENTITY: &'static str;

    fn version(&self) -> i32;

    /// The living row, locked for the rest of the transaction, if the caller may change it.
    async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, id: Self::Id) -> Result<Writable<Self>, ApiError>;
}

/// `Versioned` for a record with `id` and `version` fields whose module locks it with
/// `$lock(conn, caller, id)`.
macro_rules! versioned {
    ($record:ty, $id:ty, $entity:literal, $lock:path) => {
        impl $crate::records::write::Versioned for $record {
            type Id = $id;
            const ENTITY: &'static str = $entity;
            fn version(&self) -> i32 {
                self.version
            }
            async fn lock(
                conn: &mut $crate::db::AsyncPgConnection,
                caller: &$crate::auth::Caller,
                id: $id,
            ) -> Result<$crate::records::access::Writable<Self>, $crate::error::ApiError> {
                $lock(conn, caller, id).await
            }
        }
    };
}
pub(crate) use versioned;

/// A record that is removed by marking it, never by deleting the row.
#[allow(async_fn_in_trait)]
pub trait Removable: Versioned {
    /// Marks the locked row removed by `by` for `reason`, and bumps its version.
    async fn mark_removed(
        conn: &mut AsyncPgConnection,
        record: &Writable<Self>,
        by: crate::domain::UserId,
        reason: Option<&str>,
    ) -> Result<(), ApiError>;
}

/// Locks record `id` for the caller, checks the version they read, applies `apply` to it and
/// records `verb` with `changes` in the audit trail. What `apply` returns (usually the record
/// reloaded) is the answer.
pub async fn change<T: Versioned, R>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: T::Id,
    read: ExpectedVersion,
    audit: (&str, Value),
    apply: impl AsyncFnOnce(&mut AsyncPgConnection, &Writable<T>) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    change_or_replay(conn, caller, id, read, audit, |_| None, apply).await
}

/// As `change`, for a change an offline client may send twice: when the caller sent the
/// version just before the record's and `replay` recognises the record as their change already
/// made, its answer is returned with nothing written (not even an audit line).
pub async fn change_or_replay<T: Versioned, R>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: T::Id,
    read: ExpectedVersion,
    (verb, changes): (&str, Value),
    replay: impl FnOnce(&Writable<T>) -> Option<R>,
    apply: impl AsyncFnOnce(&mut AsyncPgConnection, &Writable<T>) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let record = T::lock(conn, caller, id.clone()).await?;
    if read.0 == record.version() - 1
        && let Some(answer) = replay(&record)
    {
        return Ok(answer);
    }
    read.check(record.version())?;
    let answer = apply(conn, &record).await?;
    audit::record(conn, Some(caller.id), &format!("{}.{verb}", T::ENTITY), id, changes).await?;
    Ok(answer)
}

/// The same path for a record kept under a natural key rather than an id (a district's lokus
/// list for a year, one of its eight convergence actions, a region's survey figure): `PUT`
/// writes it whole, with `If-Match: "0"` while there is none. `lock` locks the row if there is
/// one (access is by key, checked before); its version, or 0 for none, must be the one the
/// caller read; `apply` inserts, updates or deletes it; the audit line names the key, with
/// `changes` made from the record as it was (what a deletion removed). Of two
/// first writes the second is 412, as a stale version is: it read a version 0 that is gone.
pub async fn keyed<T, R>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    read: ExpectedVersion,
    (action, key, changes): (&str, &str, impl FnOnce(Option<&T>) -> Value),
    lock: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<Option<T>, ApiError>,
    version: impl Fn(&T) -> i32,
    apply: impl AsyncFnOnce(&mut AsyncPgConnection, Option<T>) -> Result<R, ApiError>,
) -> Result<R, ApiError> {
    let current = lock(conn).await?;
    read.check(current.as_ref().map_or(0, version))?;
    let first = current.is_none();
    let changes = changes(current.as_ref());
    let answer = apply(conn, current).await.map_err(|error| match error {
        ApiError::Conflict(_) if first => {
            ApiError::PreconditionFailed(text!("it was recorded meanwhile (version 0 is stale); read it again"))
        }
        other => other,
    })?;
    audit::record(conn, Some(caller.id), action, key, changes).await?;
    Ok(answer)
}

/// Removes record `id` for `reason` through `change` (`<entity>.delete` in the audit trail).
pub async fn remove<T: Removable>(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: T::Id,
    read: ExpectedVersion,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let audit = ("delete", json!({ "reason": reason }));
    change::<T, _>(conn, caller, id, read, audit, async |conn, record| {
        T::mark_removed(conn, record, caller.id, reason).await
    })
    .await
}

/// `Removable` for a record whose table marks removal in `deleted_at`, `deleted_by` and
/// `deleted_reason`, and keeps `version` and `updated_at`.
macro_rules! removable {
    ($record:ty, $table:ident) => {
        impl $crate::records::write::Removable for $record {
            async fn mark_removed(
                conn: &mut $crate::db::AsyncPgConnection,
                record: &$crate::records::access::Writable<Self>,
                by: $crate::domain::UserId,
                reason: Option<&str>,
            ) -> Result<(), $crate::error::ApiError> {
                use diesel::prelude::*;
                use diesel_async::RunQueryDsl;
                let now = chrono::Utc::now();
                diesel::update($table::table.find(record.id))
                    .set((
                        $table::deleted_at.eq(now),
                        $table::deleted_by.eq(by),
                        $table::deleted_reason.eq(reason),
                        $table::version.eq($table::version + 1),
                        $table::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use removable;
