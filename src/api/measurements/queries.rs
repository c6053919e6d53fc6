use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::dto::{GrowthPoint, MeasurementRow, NewMeasurement};
use super::scoring::{self, AgeError, Measured};
use crate::db::schema::measurements;
use crate::domain::{ChildId, MeasurementId, Sex, UserId};
use crate::http::pagination::PageRequest;

pub async fn insert(conn: &mut AsyncPgConnection, m: &NewMeasurement<'_>) -> QueryResult<MeasurementRow> {
    diesel::insert_into(measurements::table).values(m).returning(MeasurementRow::as_returning()).get_result(conn).await
}

/// The measurement with this id, whichever child it belongs to.
pub async fn find_any(conn: &mut AsyncPgConnection, id: MeasurementId) -> QueryResult<Option<MeasurementRow>> {
    measurements::table.find(id).select(MeasurementRow::as_select()).first(conn).await.optional()
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    child: ChildId,
    id: MeasurementId,
) -> QueryResult<Option<MeasurementRow>> {
    measurements::table
        .find(id)
        .filter(measurements::child_id.eq(child))
        .select(MeasurementRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The child's measurements by date (then id), from after `page.after`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    child: ChildId,
    include_voided: bool,
    page: &PageRequest<(NaiveDate, MeasurementId)>,
) -> QueryResult<Vec<MeasurementRow>> {
    let mut query =
        measurements::table.filter(measurements::child_id.eq(child)).select(MeasurementRow::as_select()).into_boxed();
    if !include_voided {
        query = query.filter(measurements::voided_at.is_null());
    }
    if let Some((date, id)) = page.after {
        query = query.filter(
            measurements::measured_on.gt(date).or(measurements::measured_on.eq(date).and(measurements::id.gt(id))),
        );
    }
    query.order((measurements::measured_on, measurements::id)).limit(page.fetch()).load(conn).await
}

pub async fn void(
    conn: &mut AsyncPgConnection,
    id: MeasurementId,
    by: UserId,
    reason: &str,
) -> QueryResult<MeasurementRow> {
    diesel::update(measurements::table.find(id))
        .set((
            measurements::voided_at.eq(Utc::now()),
            measurements::voided_by.eq(by),
            measurements::voided_reason.eq(reason),
        ))
        .returning(MeasurementRow::as_returning())
        .get_result(conn)
        .await
}

/// The child's valid measurements, oldest first.
pub async fn growth_points(conn: &mut AsyncPgConnection, child: ChildId) -> QueryResult<Vec<GrowthPoint>> {
    measurements::table
        .filter(measurements::child_id.eq(child))
        .filter(measurements::voided_at.is_null())
        .order((measurements::measured_on, measurements::created_at))
        .select((
            measurements::id,
            measurements::measured_on,
            measurements::age_days,
            measurements::length_cm,
            measurements::position,
            measurements::weight_kg,
            measurements::haz,
            measurements::waz,
            measurements::whz,
            measurements::haz_implausible.or(measurements::waz_implausible).or(measurements::whz_implausible),
        ))
        .load(conn)
        .await
}

/// A valid measurement that a new sex or birth date would make unscorable.
pub struct Unscorable {
    pub measured_on: NaiveDate,
    pub error: AgeError,
}

/// Rescores every valid measurement of a locked child for a new sex or birth date. Voided
/// measurements keep the scores they had. Returns the first that no longer fits, if any.
pub async fn rescore(
    conn: &mut AsyncPgConnection,
    child: ChildId,
    sex: Sex,
    birth_date: NaiveDate,
) -> QueryResult<Result<(), Unscorable>> {
    let rows: Vec<MeasurementRow> = measurements::table
        .filter(measurements::child_id.eq(child))
        .filter(measurements::voided_at.is_null())
        .select(MeasurementRow::as_select())
        .load(conn)
        .await?;
    for row in rows {
        let measured = Measured {
            measured_on: row.measured_on,
            length_cm: row.length_cm,
            position: row.position,
            weight_kg: row.weight_kg,
            oedema: row.oedema,
        };
        let scored = match scoring::score(sex, birth_date, &measured) {
            Ok(scored) => scored,
            Err(error) => return Ok(Err(Unscorable { measured_on: row.measured_on, error })),
        };
        diesel::update(measurements::table.find(row.id))
            .set((
                measurements::age_days.eq(scored.age_days),
                measurements::haz.eq(scored.haz),
                measurements::waz.eq(scored.waz),
                measurements::whz.eq(scored.whz),
                measurements::haz_implausible.eq(scored.haz_implausible),
                measurements::waz_implausible.eq(scored.waz_implausible),
                measurements::whz_implausible.eq(scored.whz_implausible),
            ))
            .execute(conn)
            .await?;
    }
    Ok(Ok(()))
}
