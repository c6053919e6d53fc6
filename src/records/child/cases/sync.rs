//! Writes what `lifecycle` derives: the child's stored cases are brought in line with their
//! measurements, in the same transaction as the write that changed them.

use super::lifecycle::{self, Episode, Reading};
use crate::db::schema::{cases, children, measurements};
use std::collections::HashMap;

use crate::domain::{CaseId, CaseSeverity, CaseStatus, ChildId, MeasurementId, RegionCode};
use crate::records::access::Writable;
use crate::records::child::ChildRecord;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The fields the measurements decide; officers' follow-up fields are never touched here.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, AsChangeset, Insertable)]
#[diesel(table_name = cases, treat_none_as_null = true)]
struct Derived {
    status: CaseStatus,
    severity: CaseSeverity,
    opened_on: NaiveDate,
    opening_measurement_id: MeasurementId,
    latest_measurement_id: MeasurementId,
    latest_measured_on: NaiveDate,
    latest_haz: f64,
    resolved_on: Option<NaiveDate>,
    resolving_measurement_id: Option<MeasurementId>,
}

impl Derived {
    fn from_episode(episode: &Episode) -> Self {
        let status = match (episode.resolved, episode.closed_on) {
            (Some(_), _) => CaseStatus::Resolved,
            (None, Some(_)) => CaseStatus::Closed,
            (None, None) => CaseStatus::Open,
        };
        Self {
            status,
            severity: episode.severity,
            opened_on: episode.opened.measured_on,
            opening_measurement_id: episode.opened.measurement,
            latest_measurement_id: episode.latest.measurement,
            latest_measured_on: episode.latest.measured_on,
            latest_haz: episode.latest.haz,
            resolved_on: episode.resolved.map(|r| r.measured_on),
            resolving_measurement_id: episode.resolved.map(|r| r.measurement),
        }
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = cases)]
struct Stored {
    id: CaseId,
    closed_on: Option<NaiveDate>,
    #[diesel(embed)]
    derived: Derived,
}

enum Write {
    Update(CaseId, Derived),
    Insert(Derived),
    Void(CaseId),
}

/// Recomputes the child's cases, in `village` (the child's, after the write). The child's row
/// is locked (a `Writable` is only had by locking it), so two writes for one child cannot
/// interleave.
pub async fn sync_cases(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    village: &RegionCode,
) -> QueryResult<()> {
    sync_many(conn, &[(child, village)]).await
}

/// `sync_cases` for many locked children at once (an import's chunk): two reads and at most
/// four writes, whatever their number, so the kept case counts move once per statement.
pub async fn sync_many(
    conn: &mut AsyncPgConnection,
    children: &[(&Writable<ChildRecord>, &RegionCode)],
) -> QueryResult<()> {
    let children: Vec<(ChildId, &RegionCode)> = children.iter().map(|(c, village)| (c.id, *village)).collect();
    sync_children(conn, &children).await
}

/// Every living child's cases made from their measurements by the rules of `sync_many`,
/// `batch` children at a time (in id order), for a database loaded in bulk (the demo
/// generator): its figures then come from the service's own case rules.
pub async fn derive_everyone(conn: &mut AsyncPgConnection, batch: i64) -> QueryResult<()> {
    let mut after: Option<ChildId> = None;
    loop {
        let mut query = children::table
            .filter(children::deleted_at.is_null())
            .select((children::id, children::village_code))
            .order(children::id)
            .limit(batch)
            .into_boxed();
        if let Some(last) = after {
            query = query.filter(children::id.gt(last));
        }
        let rows: Vec<(ChildId, RegionCode)> = query.load(conn).await?;
        let Some((last, _)) = rows.last() else { return Ok(()) };
        after = Some(*last);
        let rows: Vec<(ChildId, &RegionCode)> = rows.iter().map(|(id, village)| (*id, village)).collect();
        sync_children(conn, &rows).await?;
    }
}

/// `sync_many` by the children's ids and villages; the caller holds their rows.
async fn sync_children(conn: &mut AsyncPgConnection, children: &[(ChildId, &RegionCode)]) -> QueryResult<()> {
    if children.is_empty() {
        return Ok(());
    }
    let ids: Vec<ChildId> = children.iter().map(|(id, _)| *id).collect();
    let mut readings: HashMap<ChildId, Vec<Reading>> = HashMap::new();
    for (child, measurement, measured_on, haz) in measurements::table
        .filter(measurements::child_id.eq_any(&ids))
        .filter(measurements::voided_at.is_null())
        .filter(measurements::haz_implausible.eq(false))
        .filter(measurements::held.eq(false))
        .filter(measurements::haz.is_not_null())
        .order((measurements::child_id, measurements::measured_on, measurements::created_at, measurements::id))
        .select((
            measurements::child_id,
            measurements::id,
            measurements::measured_on,
            measurements::haz.assume_not_null(),
        ))
        .load::<(ChildId, MeasurementId, NaiveDate, f64)>(conn)
        .await?
    {
        readings.entry(child).or_default().push(Reading { measurement, measured_on, haz });
    }
    let mut stored: HashMap<ChildId, Vec<Stored>> = HashMap::new();
    for (child, case) in cases::table
        .filter(cases::child_id.eq_any(&ids))
        .filter(cases::status.ne(CaseStatus::Void))
        .order((cases::child_id, cases::opened_on, cases::created_at, cases::id))
        .select((cases::child_id, Stored::as_select()))
        .load::<(ChildId, Stored)>(conn)
        .await?
    {
        stored.entry(child).or_default().push(case);
    }

    // At most one case per child may be open: every write that closes or voids goes before
    // any that opens, and new cases last.
    let (mut settling, mut opening, mut voids, mut inserts) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &(child, village) in children {
        let readings = readings.remove(&child).unwrap_or_default();
        let stored = stored.remove(&child).unwrap_or_default();
        for write in plan(&readings, &stored) {
            match write {
                Write::Update(id, derived) if derived.status == CaseStatus::Open => opening.push((id, derived)),
                Write::Update(id, derived) => settling.push((id, derived)),
                Write::Void(id) => voids.push(id),
                Write::Insert(derived) => inserts.push((
                    cases::id.eq(CaseId::new()),
                    cases::child_id.eq(child),
                    cases::village_code.eq(village.clone()),
                    derived,
                )),
            }
        }
    }
    let now = Utc::now();
    if !voids.is_empty() {
        diesel::update(cases::table.filter(cases::id.eq_any(&voids)))
            .set((cases::status.eq(CaseStatus::Void), cases::version.eq(cases::version + 1), cases::updated_at.eq(now)))
            .execute(conn)
            .await?;
    }
    update_all(conn, &settling, now).await?;
    update_all(conn, &opening, now).await?;
    // A statement binds at most 65,535 values: twelve columns a case, 2,000 cases at a time
    // (`derive_everyone`'s batches of 20,000 children opened more than 5,000 at once).
    for part in inserts.chunks(2_000) {
        diesel::insert_into(cases::table).values(part).execute(conn).await?;
    }
    Ok(())
}

/// What the child's stored cases need so that they match its readings.
fn plan(readings: &[Reading], stored: &[Stored]) -> Vec<Write> {
    let closures: Vec<Option<NaiveDate>> = stored.iter().map(|c| c.closed_on).collect();
    let episodes = lifecycle::episodes(readings, &closures);
    let mut writes: Vec<Write> = Vec::new();
    for (k, episode) in episodes.iter().enumerate() {
        let derived = Derived::from_episode(episode);
        match stored.get(k) {
            Some(case) if case.derived == derived => {}
            Some(case) => writes.push(Write::Update(case.id, derived)),
            None => writes.push(Write::Insert(derived)),
        }
    }
    writes.extend(stored.iter().skip(episodes.len()).map(|case| Write::Void(case.id)));
    writes
}

/// Sets the derived fields of many cases in one statement.
async fn update_all(
    conn: &mut AsyncPgConnection,
    updates: &[(CaseId, Derived)],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&Derived) -> String| updates.iter().map(|(_, d)| f(d)).collect::<Vec<_>>();
    // SQL: UPDATE … FROM `unnest` arrays, one statement for a chunk's cases.
    diesel::sql_query(
        "UPDATE cases SET status = v.status, severity = v.severity, opened_on = v.opened_on, \
             opening_measurement_id = v.opening, latest_measurement_id = v.latest, \
             latest_measured_on = v.latest_on, latest_haz = v.latest_haz, resolved_on = v.resolved_on, \
             resolving_measurement_id = v.resolving, version = cases.version + 1, updated_at = $11 \
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::uuid[], $6::uuid[], $7::date[], \
                     $8::float8[], $9::date[], $10::uuid[]) \
              AS v(id, status, severity, opened_on, opening, latest, latest_on, latest_haz, resolved_on, resolving) \
         WHERE cases.id = v.id",
    )
    .bind::<Array<SqlUuid>, _>(updates.iter().map(|(id, _)| id.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(column(|d| d.status.as_str().to_owned()))
    .bind::<Array<Text>, _>(column(|d| d.severity.as_str().to_owned()))
    .bind::<Array<Date>, _>(updates.iter().map(|(_, d)| d.opened_on).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(updates.iter().map(|(_, d)| d.opening_measurement_id.0).collect::<Vec<_>>())
    .bind::<Array<SqlUuid>, _>(updates.iter().map(|(_, d)| d.latest_measurement_id.0).collect::<Vec<_>>())
    .bind::<Array<Date>, _>(updates.iter().map(|(_, d)| d.latest_measured_on).collect::<Vec<_>>())
    .bind::<Array<Double>, _>(updates.iter().map(|(_, d)| d.latest_haz).collect::<Vec<_>>())
    .bind::<Array<Nullable<Date>>, _>(updates.iter().map(|(_, d)| d.resolved_on).collect::<Vec<_>>())
    .bind::<Array<Nullable<SqlUuid>>, _>(
        updates.iter().map(|(_, d)| d.resolving_measurement_id.map(|m| m.0)).collect::<Vec<_>>(),
    )
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await
    .map(drop)
}
