//! Writes what `lifecycle` derives: the child's stored cases are brought in line with their
//! measurements, in the same transaction as the write that changed them.

use super::lifecycle::{self, Episode, Reading};
use crate::db::schema::{cases, measurements};
use crate::domain::{CaseId, CaseSeverity, CaseStatus, MeasurementId, RegionCode};
use crate::records::access::Writable;
use crate::records::child::ChildRecord;
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
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

impl Write {
    fn opens(&self) -> bool {
        matches!(self, Self::Update(_, d) | Self::Insert(d) if d.status == CaseStatus::Open)
    }
}

/// Recomputes the child's cases, in `village` (the child's, after the write). The child's row
/// is locked (a `Writable` is only had by locking it), so two writes for one child cannot
/// interleave.
pub async fn sync_cases(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    village: &RegionCode,
) -> QueryResult<()> {
    let child = child.id;
    let readings: Vec<Reading> = measurements::table
        .filter(measurements::child_id.eq(child))
        .filter(measurements::voided_at.is_null())
        .filter(measurements::haz_implausible.eq(false))
        .filter(measurements::haz.is_not_null())
        .order((measurements::measured_on, measurements::created_at, measurements::id))
        .select((measurements::id, measurements::measured_on, measurements::haz.assume_not_null()))
        .load::<(MeasurementId, NaiveDate, f64)>(conn)
        .await?
        .into_iter()
        .map(|(measurement, measured_on, haz)| Reading { measurement, measured_on, haz })
        .collect();
    let stored: Vec<Stored> = cases::table
        .filter(cases::child_id.eq(child))
        .filter(cases::status.ne(CaseStatus::Void))
        .order((cases::opened_on, cases::created_at, cases::id))
        .select(Stored::as_select())
        .load(conn)
        .await?;
    let closures: Vec<Option<NaiveDate>> = stored.iter().map(|c| c.closed_on).collect();
    let episodes = lifecycle::episodes(&readings, &closures);

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
    // At most one case per child may be open: close the old before opening the new.
    writes.sort_by_key(Write::opens);

    let now = Utc::now();
    for write in writes {
        match write {
            Write::Update(id, derived) => {
                diesel::update(cases::table.find(id))
                    .set((&derived, cases::version.eq(cases::version + 1), cases::updated_at.eq(now)))
                    .execute(conn)
                    .await?;
            }
            Write::Insert(derived) => {
                diesel::insert_into(cases::table)
                    .values((
                        cases::id.eq(CaseId::new()),
                        cases::child_id.eq(child),
                        cases::village_code.eq(village),
                        &derived,
                    ))
                    .execute(conn)
                    .await?;
            }
            Write::Void(id) => {
                diesel::update(cases::table.find(id))
                    .set((
                        cases::status.eq(CaseStatus::Void),
                        cases::version.eq(cases::version + 1),
                        cases::updated_at.eq(now),
                    ))
                    .execute(conn)
                    .await?;
            }
        }
    }
    Ok(())
}
