//! The data checks applied to children's measurements (`crate::domain::quality` has the rules):
//! every write that adds, voids or rescores a measurement judges the child's series again
//! (`measurements::check` is the officer's answer to a flag).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::ChildRecord;
use super::cases::sync_many;
use crate::db::schema::children;
use crate::db::schema::measurements as rows;
use crate::domain::quality::{self, Reading};
use crate::domain::{ChildId, MeasurementId, Position};
use crate::error::ApiError;
use crate::records::access::Writable;

/// One living measurement as the checks read it.
#[derive(Queryable)]
struct Stored {
    id: MeasurementId,
    child_id: ChildId,
    measured_on: NaiveDate,
    age_days: i32,
    length_cm: f64,
    position: Position,
    waz: Option<f64>,
    waz_implausible: bool,
    reported_age_months: Option<i32>,
    quality_flags: Vec<String>,
}

/// Judges the living measurements of `children` (locked by the caller's transaction) again and
/// stores the flags that changed, in one statement. Returns the children whose flags changed.
pub async fn judge(conn: &mut AsyncPgConnection, children: &[ChildId]) -> QueryResult<Vec<ChildId>> {
    if children.is_empty() {
        return Ok(Vec::new());
    }
    let stored: Vec<Stored> = rows::table
        .filter(rows::child_id.eq_any(children))
        .filter(rows::voided_at.is_null())
        .order((rows::child_id, rows::measured_on, rows::created_at, rows::id))
        .select((
            rows::id,
            rows::child_id,
            rows::measured_on,
            rows::age_days,
            rows::length_cm,
            rows::position,
            rows::waz,
            rows::waz_implausible,
            rows::reported_age_months,
            rows::quality_flags,
        ))
        .load(conn)
        .await?;
    let (mut ids, mut flags): (Vec<Uuid>, Vec<String>) = (Vec::new(), Vec::new());
    let mut changed = Vec::new();
    for series in stored.chunk_by(|a, b| a.child_id == b.child_id) {
        let readings: Vec<Reading> = series
            .iter()
            .map(|m| Reading {
                measured_on: m.measured_on,
                age_days: m.age_days,
                length_cm: m.length_cm,
                position: m.position,
                waz: m.waz.filter(|_| !m.waz_implausible),
                reported_age_months: m.reported_age_months,
            })
            .collect();
        for (m, found) in series.iter().zip(quality::judge(&readings)) {
            let found: Vec<&str> = found.iter().map(|f| f.as_str()).collect();
            if m.quality_flags != found {
                ids.push(m.id.0);
                flags.push(found.join(","));
                if changed.last() != Some(&m.child_id) {
                    changed.push(m.child_id);
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(changed);
    }
    // SQL: one UPDATE from two parallel arrays (diesel has no UPDATE … FROM unnest); a
    // measurement's flags travel as one comma-joined text, since arrays of arrays must be square.
    diesel::sql_query(
        "UPDATE measurements m SET quality_flags = string_to_array(u.flags, ',') \
         FROM unnest($1::uuid[], $2::text[]) AS u (id, flags) WHERE m.id = u.id",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Text>, _>(&flags)
    .execute(conn)
    .await?;
    Ok(changed)
}

/// Judges every child's measurements again, `batch` children at a time, and brings the cases of
/// those whose flags changed in line: after an upgrade that brought the checks, or a change of
/// their thresholds. Each batch is its own transaction unless `in_caller_transaction` (the demo
/// generator's one transaction). Returns how many children.
pub async fn judge_everyone(
    conn: &mut AsyncPgConnection,
    batch: i64,
    in_caller_transaction: bool,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let mut after = ChildId(Uuid::nil());
    let mut judged = 0_u64;
    loop {
        let children: Vec<ChildId> = rows::table
            .filter(rows::child_id.gt(after))
            .select(rows::child_id)
            .distinct()
            .order(rows::child_id)
            .limit(batch)
            .load(conn)
            .await?;
        let Some(&last) = <[ChildId]>::last(&children) else {
            return Ok(judged);
        };
        if in_caller_transaction {
            judge_locked(conn, &children).await?;
        } else {
            conn.transaction::<_, diesel::result::Error, _>(async |conn| judge_locked(conn, &children).await).await?;
        }
        judged += children.len() as u64;
        progress(judged);
        after = last;
    }
}

/// Locks the living children among `ids` (in id order, as writers do), judges them and syncs
/// the cases of those whose flags changed.
async fn judge_locked(conn: &mut AsyncPgConnection, ids: &[ChildId]) -> QueryResult<()> {
    let locked: Vec<ChildRecord> = children::table
        .filter(children::id.eq_any(ids))
        .filter(children::deleted_at.is_null())
        .order(children::id)
        .select(ChildRecord::as_select())
        .for_update()
        .load(conn)
        .await?;
    let living: Vec<ChildId> = locked.iter().map(|c| c.id).collect();
    let changed = judge(conn, &living).await?;
    // The operator who runs the command holds the database: no caller's scope applies.
    let writable: Vec<Writable<ChildRecord>> = locked
        .into_iter()
        // Both in child id order.
        .filter(|c| changed.binary_search(&c.id).is_ok())
        .filter_map(|c| Writable::check_by(Some(c), || ApiError::not_found("child"), |_| Ok(())).ok())
        .collect();
    let touched: Vec<_> = writable.iter().map(|c| (c, &c.village_code)).collect();
    sync_many(conn, &touched).await
}
