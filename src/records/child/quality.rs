//! The data checks applied to children's measurements (`crate::domain::quality` has the rules):
//! every write that adds, voids or rescores a measurement judges the child's series again
//! (`measurements::check` is the officer's answer to a flag).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Timestamptz, Uuid as SqlUuid};
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
    created_at: DateTime<Utc>,
    age_days: i32,
    length_cm: f64,
    position: Position,
    waz: Option<f64>,
    waz_implausible: bool,
    reported_age_months: Option<i32>,
    quality_flags: Vec<String>,
}

impl Stored {
    fn reading(&self) -> Reading {
        Reading {
            measured_on: self.measured_on,
            age_days: self.age_days,
            length_cm: self.length_cm,
            position: self.position,
            waz: self.waz.filter(|_| !self.waz_implausible),
            reported_age_months: self.reported_age_months,
        }
    }
}

/// A measurement about to be inserted, as the checks read it.
pub struct Arriving {
    pub id: MeasurementId,
    pub child_id: ChildId,
    pub reading: Reading,
}

/// A place in a child's series: a stored measurement or an arriving one (by index).
#[derive(Clone, Copy)]
enum Entry {
    Stored(usize),
    Arriving(usize),
}

/// Judges the living measurements of `children` (locked by the caller's transaction) again and
/// stores the flags that changed, in one statement. Returns the children whose flags changed.
pub async fn judge(conn: &mut AsyncPgConnection, children: &[ChildId]) -> QueryResult<Vec<ChildId>> {
    Ok(judge_with(conn, children, &[]).await?.changed)
}

/// What `judge_with` found.
pub struct Judged {
    /// The children whose stored flags changed.
    pub changed: Vec<ChildId>,
    /// Each arriving measurement's flags, in order.
    pub arriving: Vec<Vec<String>>,
}

/// `judge`, with `arriving` measurements of those children about to be inserted: each is given
/// its flags before it is written, so its insert counts it as it stands and no update has to
/// count it again (an update after the insert also took the kept counts' rows a second time,
/// in another order than a concurrent writer's insert: the two could deadlock). A reading is
/// judged against those before it, so stored flags change only under one dated before them.
pub async fn judge_with(
    conn: &mut AsyncPgConnection,
    children: &[ChildId],
    arriving: &[Arriving],
) -> QueryResult<Judged> {
    let mut judged = Judged { changed: Vec::new(), arriving: vec![Vec::new(); arriving.len()] };
    if children.is_empty() {
        return Ok(judged);
    }
    // SQL: the transaction's now(), the created_at its inserts will carry, beside each row:
    // the series orders one day's measurements by when they were written.
    let now = diesel::dsl::sql::<Timestamptz>("now()");
    let stored: Vec<(Stored, DateTime<Utc>)> = rows::table
        .filter(rows::child_id.eq_any(children))
        .filter(rows::voided_at.is_null())
        .select((
            (
                rows::id,
                rows::child_id,
                rows::measured_on,
                rows::created_at,
                rows::age_days,
                rows::length_cm,
                rows::position,
                rows::waz,
                rows::waz_implausible,
                rows::reported_age_months,
                rows::quality_flags,
            ),
            now,
        ))
        .load(conn)
        .await?;
    // Arriving rows sort after every stored one of their day when nothing is stored.
    let now = <[_]>::first(&stored).map_or(DateTime::<Utc>::MAX_UTC, |(_, now)| *now);
    let stored: Vec<Stored> = stored.into_iter().map(|(row, _)| row).collect();
    let key = |entry: &Entry| match *entry {
        Entry::Stored(i) => (stored[i].child_id, stored[i].measured_on, stored[i].created_at, stored[i].id),
        Entry::Arriving(i) => (arriving[i].child_id, arriving[i].reading.measured_on, now, arriving[i].id),
    };
    let mut series: Vec<Entry> =
        (0..stored.len()).map(Entry::Stored).chain((0..arriving.len()).map(Entry::Arriving)).collect();
    series.sort_by_key(key);
    let reading = |entry: &Entry| match *entry {
        Entry::Stored(i) => stored[i].reading(),
        Entry::Arriving(i) => arriving[i].reading,
    };
    let (mut ids, mut flags): (Vec<Uuid>, Vec<String>) = (Vec::new(), Vec::new());
    for one_child in series.chunk_by(|a, b| key(a).0 == key(b).0) {
        let readings: Vec<Reading> = one_child.iter().map(reading).collect();
        for (entry, found) in one_child.iter().zip(quality::judge(&readings)) {
            let found: Vec<String> = found.iter().map(|f| f.as_str().to_owned()).collect();
            match *entry {
                Entry::Arriving(i) => judged.arriving[i] = found,
                Entry::Stored(i) if stored[i].quality_flags != found => {
                    ids.push(stored[i].id.0);
                    flags.push(found.join(","));
                    if judged.changed.last() != Some(&stored[i].child_id) {
                        judged.changed.push(stored[i].child_id);
                    }
                }
                Entry::Stored(_) => {}
            }
        }
    }
    if ids.is_empty() {
        return Ok(judged);
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
    Ok(judged)
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
        .filter_map(|c| Writable::check_by(Some(c), || ApiError::not_found(text!("child")), |_| Ok(())).ok())
        .collect();
    let touched: Vec<_> = writable.iter().map(|c| (c, &c.village_code)).collect();
    sync_many(conn, &touched).await
}
