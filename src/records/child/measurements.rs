use super::cases::{sync_cases, sync_many};
use super::quality;
use super::scoring::{self, AgeError, Measured};
use super::{ChildAccess, ChildRecord, ChildView};
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::measurements;
use crate::domain::page::PageRequest;
use crate::domain::quality::Reading;
use crate::domain::{ChildId, MeasurementId, Place, Position, PosyanduId, QualityFlag, Sex, UserId, ZScore};
use crate::error::{ApiError, FieldErrors, Problem};
use crate::growth::{GrowthCategory, Indicator};
use crate::records::access;
use crate::records::access::{Visible, Writable};
use crate::records::posyandu;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A measurement as a caller sends it, checked for shape; the server scores it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub id: MeasurementId,
    pub measured: Measured,
    pub place: Place,
    pub measured_by: Option<String>,
    /// Where it was taken.
    pub posyandu_id: Option<PosyanduId>,
    /// The age the measurer wrote down, in completed months.
    pub reported_age_months: Option<i32>,
}

impl Incoming {
    /// A retry of the stored measurement `row`: the same child and the same values.
    pub fn same_as(&self, child: ChildId, row: &MeasurementRow) -> bool {
        let m = &self.measured;
        row.child_id == child
            && row.measured_on == m.measured_on
            && row.length_cm == m.length_cm
            && row.position == m.position
            && row.weight_kg == m.weight_kg
            && row.oedema == m.oedema
            && row.place == self.place
            // A sender that names no posyandu says nothing about it (a file from before).
            && (self.posyandu_id.is_none() || row.posyandu_id == self.posyandu_id)
            && (self.reported_age_months.is_none() || row.reported_age_months == self.reported_age_months)
    }

    /// The row to store for `child`: 422 when the child's age at the date is outside the standards.
    fn scored(&self, child: &ChildRecord, by: UserId) -> Result<NewMeasurement<'_>, ApiError> {
        let m = &self.measured;
        let scored =
            scoring::score(child.sex, child.birth_date, m).map_err(|e| ApiError::invalid("measured_on", e.into()))?;
        Ok(NewMeasurement {
            id: self.id,
            measured_on: m.measured_on,
            age_days: scored.age_days,
            length_cm: m.length_cm,
            position: m.position,
            weight_kg: m.weight_kg,
            oedema: m.oedema,
            place: self.place,
            measured_by: self.measured_by.as_deref(),
            posyandu_id: self.posyandu_id,
            reported_age_months: self.reported_age_months,
            haz: scored.haz,
            waz: scored.waz,
            whz: scored.whz,
            haz_implausible: scored.haz_implausible,
            waz_implausible: scored.waz_implausible,
            whz_implausible: scored.whz_implausible,
            recorded_by: by,
            quality_flags: Vec::new(),
        })
    }
}

/// Records one measurement of a child the caller may write about, scores it and brings the
/// child's cases in line, in the caller's transaction. The same measurement sent again under
/// its id is the stored one (`false`: nothing was written); a different one under a used id
/// is a 409.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child_id: ChildId,
    incoming: &Incoming,
) -> Result<(MeasurementRow, bool), ApiError> {
    let child = super::lock(conn, caller, child_id).await?;
    if let Some(existing) = find_any(conn, &child, incoming.id).await? {
        return match incoming.same_as(child_id, &existing) {
            true => Ok((existing, false)),
            false => Err(taken(incoming.id, existing.child_id == child_id)),
        };
    }
    if let Some(id) = incoming.posyandu_id {
        let mut errors = FieldErrors::default();
        posyandu::check_for_measurement(conn, caller, id, "posyandu_id", &mut errors).await?;
        errors.finish()?;
    }
    let mut new = incoming.scored(&child, caller.id)?;
    let judged = quality::judge_with(conn, &[child_id], &[new.arriving(child_id)]).await?;
    new.quality_flags = judged.arriving.into_iter().next().unwrap_or_default();
    let row = insert(conn, &child, &new).await?;
    sync_cases(conn, &child, &child.village_code).await?;
    audit::record(conn, Some(caller.id), "measurement.create", incoming.id, created_note(child_id, &incoming.measured))
        .await?;
    Ok((row, true))
}

/// A different measurement under `id`: named when it is the same child's (`access::id_taken_under`).
fn taken(id: MeasurementId, same_child: bool) -> ApiError {
    match same_child {
        true => ApiError::DuplicateOf {
            detail: text!("a different measurement is on record as %{id}", id = id),
            existing_id: id.0,
        },
        false => access::id_taken_elsewhere(),
    }
}

fn created_note(child_id: ChildId, m: &Measured) -> serde_json::Value {
    serde_json::json!({ "child_id": child_id, "measured_on": m.measured_on })
}

/// What became of one measurement of a batch.
#[derive(Debug)]
pub enum Recorded {
    Created,
    /// Already on record, identical.
    Unchanged,
}

/// Records many measurements at once, by the rules of `record`: the children are locked in
/// one statement, the new rows inserted in one (so the kept counts move once), and each
/// child's cases brought in line once. Each item's own verdict comes back in order; only a
/// database failure fails the whole batch. An item not `keyed` by its sender's id is known by
/// its child and date: the same values again are unchanged, different ones a 409 naming the
/// stored measurement (so a corrected file sent again cannot add a second weighing).
pub async fn record_many(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    items: &[(ChildId, Incoming)],
    keyed: &[bool],
) -> QueryResult<Vec<Result<Recorded, Box<Problem>>>> {
    let child_ids: Vec<ChildId> = items.iter().map(|(c, _)| *c).collect();
    let children = super::lock_many(conn, caller, &child_ids).await?;
    let ids: Vec<MeasurementId> = items.iter().map(|(_, m)| m.id).collect();
    let by_id: HashMap<MeasurementId, MeasurementRow> = measurements::table
        .filter(measurements::id.eq_any(&ids))
        .select(MeasurementRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    // A chunk's weighings share a few dates: each once, or every row is compared with them all.
    let mut dates: Vec<NaiveDate> = items.iter().map(|(_, m)| m.measured.measured_on).collect();
    dates.sort_unstable();
    dates.dedup();
    let mut child_ids = child_ids;
    child_ids.sort_unstable();
    child_ids.dedup();
    let mut on_date: HashMap<(ChildId, NaiveDate), Vec<MeasurementRow>> = HashMap::new();
    for row in measurements::table
        .filter(measurements::child_id.eq_any(&child_ids))
        .filter(measurements::measured_on.eq_any(&dates))
        .filter(measurements::voided_at.is_null())
        .select(MeasurementRow::as_select())
        .load(conn)
        .await?
    {
        on_date.entry((row.child_id, row.measured_on)).or_default().push(row);
    }
    let places = posyandu::readable(conn, caller, items.iter().filter_map(|(_, m)| m.posyandu_id)).await?;

    let mut verdicts = Vec::with_capacity(items.len());
    let mut rows = Vec::new();
    let mut touched: Vec<ChildId> = Vec::new();
    for ((child_id, incoming), keyed) in items.iter().zip(keyed) {
        let child = match &children[child_id] {
            Ok(child) => child,
            Err(problem) => {
                verdicts.push(Err(problem.clone()));
                continue;
            }
        };
        let same_day = on_date.get(&(*child_id, incoming.measured.measured_on)).map_or(&[][..], Vec::as_slice);
        let stored = match keyed {
            true => by_id.get(&incoming.id),
            false => same_day.iter().find(|r| incoming.same_as(*child_id, r)).or(same_day.first()),
        };
        let verdict = match stored {
            Some(row) if incoming.same_as(*child_id, row) => Ok(Recorded::Unchanged),
            Some(row) if *keyed => Err(taken(row.id, row.child_id == *child_id).rejection()),
            Some(row) => Err(ApiError::DuplicateOf {
                detail: text!(
                    "the child has a different measurement on %{date}; send its id to repeat it, or void it first",
                    date = row.measured_on
                ),
                existing_id: row.id.0,
            }
            .rejection()),
            None if incoming.posyandu_id.is_some_and(|p| !places.contains(&p)) => Err(ApiError::invalid(
                "posyandu_id",
                text!("no posyandu has id %{id}", id = incoming.posyandu_id.unwrap_or_default()),
            )
            .rejection()),
            None => match incoming.scored(child, caller.id) {
                Ok(row) => {
                    rows.push((*child_id, row));
                    touched.push(*child_id);
                    Ok(Recorded::Created)
                }
                Err(error) => Err(error.rejection()),
            },
        };
        verdicts.push(verdict);
    }
    touched.sort_unstable();
    touched.dedup();
    let arriving: Vec<_> = rows.iter().map(|(child, row)| row.arriving(*child)).collect();
    let judged = quality::judge_with(conn, &touched, &arriving).await?;
    for ((_, row), flags) in rows.iter_mut().zip(judged.arriving) {
        row.quality_flags = flags;
    }
    if !rows.is_empty() {
        let values: Vec<_> = rows.iter().map(|(child, row)| (measurements::child_id.eq(*child), row)).collect();
        diesel::insert_into(measurements::table).values(values).execute(conn).await?;
    }
    let touched: Vec<_> =
        touched.iter().filter_map(|id| children[id].as_ref().ok()).map(|c| (c, &c.village_code)).collect();
    sync_many(conn, &touched).await?;
    let notes = items.iter().zip(&verdicts).filter(|(_, v)| matches!(v, Ok(Recorded::Created))).filter_map(
        |((child, m), _)| {
            let village = &children[child].as_ref().ok()?.village_code;
            Some((m.id.to_string(), village, created_note(*child, &m.measured)))
        },
    );
    audit::record_many(conn, Some(caller.id), "measurement.create", notes.collect()).await?;
    Ok(verdicts)
}

/// Records a measurement of a child the caller may write about.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    m: &NewMeasurement<'_>,
) -> QueryResult<MeasurementRow> {
    diesel::insert_into(measurements::table)
        .values((measurements::child_id.eq(child.id), m))
        .returning(MeasurementRow::as_returning())
        .get_result(conn)
        .await
}

/// The measurement with this id, whichever child it belongs to: what a retried write to
/// `child` compares with (the answer names only the id).
pub async fn find_any(
    conn: &mut AsyncPgConnection,
    _child: &Writable<ChildRecord>,
    id: MeasurementId,
) -> QueryResult<Option<MeasurementRow>> {
    measurements::table.find(id).select(MeasurementRow::as_select()).first(conn).await.optional()
}

/// A measurement of a child the caller may read; 404 if the child has none with this id.
pub async fn find(
    conn: &mut AsyncPgConnection,
    child: &impl ChildAccess,
    id: MeasurementId,
) -> Result<MeasurementRow, ApiError> {
    measurements::table
        .find(id)
        .filter(measurements::child_id.eq(child.child_id()))
        .select(MeasurementRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(text!("no measurement %{id} for this child", id = id)))
}

/// The child's measurements by date (then id), from after `page.after`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    child: &Visible<ChildView>,
    include_voided: bool,
    page: &PageRequest<(NaiveDate, MeasurementId)>,
) -> QueryResult<Vec<MeasurementRow>> {
    let mut query = measurements::table
        .filter(measurements::child_id.eq(child.id))
        .select(MeasurementRow::as_select())
        .into_boxed();
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

/// How many living measurements the child has, and the latest of them (by date, then entry).
pub async fn latest(conn: &mut AsyncPgConnection, child: ChildId) -> QueryResult<(i64, Option<MeasurementView>)> {
    let living = measurements::table.filter(measurements::child_id.eq(child)).filter(measurements::voided_at.is_null());
    let count = living.count().get_result(conn).await?;
    let latest: Option<MeasurementRow> = living
        .order((measurements::measured_on.desc(), measurements::created_at.desc(), measurements::id.desc()))
        .select(MeasurementRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok((count, latest.map(Into::into)))
}

/// Voids a wrong measurement of child `child_id` for `reason`: it stays on record, and the
/// child's cases are recomputed without it. Voiding twice is a 409.
pub async fn void(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child_id: ChildId,
    id: MeasurementId,
    reason: &str,
) -> Result<MeasurementRow, ApiError> {
    let child = super::lock(conn, caller, child_id).await?;
    let current = find(conn, &child, id).await?;
    if current.voided_at.is_some() {
        return Err(ApiError::conflict(text!("measurement %{id} is already voided", id = id)));
    }
    let mut row = mark_void(conn, &child, id, caller.id, reason).await?;
    if !quality::judge(conn, &[child_id]).await?.is_empty() {
        row = find(conn, &child, id).await?;
    }
    sync_cases(conn, &child, &child.village_code).await?;
    let entry = serde_json::json!({ "child_id": child_id, "reason": reason });
    audit::record(conn, Some(caller.id), "measurement.void", id, entry).await?;
    Ok(row)
}

async fn mark_void(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    id: MeasurementId,
    by: UserId,
    reason: &str,
) -> QueryResult<MeasurementRow> {
    diesel::update(measurements::table.find(id).filter(measurements::child_id.eq(child.id)))
        .set((
            measurements::voided_at.eq(Utc::now()),
            measurements::voided_by.eq(by),
            measurements::voided_reason.eq(reason),
        ))
        .returning(MeasurementRow::as_returning())
        .get_result(conn)
        .await
}

/// Marks a flagged measurement of child `child_id` checked by the caller, with `note`: it is
/// kept as it is and counts again in prevalence and cases. 409 when it has no data-check flag,
/// is voided, or was checked already.
pub async fn check(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child_id: ChildId,
    id: MeasurementId,
    note: &str,
) -> Result<MeasurementRow, ApiError> {
    let child = super::lock(conn, caller, child_id).await?;
    let current = find(conn, &child, id).await?;
    if current.voided_at.is_some() {
        return Err(ApiError::conflict(text!("measurement %{id} is voided", id = id)));
    }
    if current.quality_flags.is_empty() {
        return Err(ApiError::conflict(text!("measurement %{id} has no data-check flag to check", id = id)));
    }
    if current.checked_at.is_some() {
        return Err(ApiError::conflict(text!("measurement %{id} is already checked", id = id)));
    }
    let row = mark_checked(conn, &child, id, caller, note).await?;
    sync_cases(conn, &child, &child.village_code).await?;
    let entry = serde_json::json!({ "child_id": child_id, "flags": row.quality_flags });
    audit::record(conn, Some(caller.id), "measurement.check", id, entry).await?;
    Ok(row)
}

async fn mark_checked(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    id: MeasurementId,
    caller: &Caller,
    note: &str,
) -> QueryResult<MeasurementRow> {
    diesel::update(measurements::table.find(id).filter(measurements::child_id.eq(child.id)))
        .set((
            measurements::checked_at.eq(Utc::now()),
            measurements::checked_by.eq(caller.id),
            measurements::checked_note.eq(note),
        ))
        .returning(MeasurementRow::as_returning())
        .get_result(conn)
        .await
}

/// The child's valid measurements, oldest first.
pub async fn growth_points(conn: &mut AsyncPgConnection, child: &Visible<ChildView>) -> QueryResult<Vec<GrowthPoint>> {
    measurements::table
        .filter(measurements::child_id.eq(child.id))
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
    child: &Writable<ChildRecord>,
    sex: Sex,
    birth_date: NaiveDate,
) -> QueryResult<Result<(), Unscorable>> {
    let rows: Vec<MeasurementRow> = measurements::table
        .filter(measurements::child_id.eq(child.id))
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
    // Ages moved, and with them what the checks see.
    quality::judge(conn, &[child.id]).await?;
    Ok(Ok(()))
}

/// One indicator's result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"z": -2.41, "implausible": false, "category": "stunted", "label_id": "pendek"}))]
pub struct IndicatorResult {
    pub z: ZScore,
    /// Outside WHO's plausible range: kept, flagged, left out of cases and prevalence.
    pub implausible: bool,
    pub category: GrowthCategory,
    /// The category's name in Permenkes 2/2020.
    pub label_id: String,
}

impl IndicatorResult {
    fn new(indicator: Indicator, z: Option<ZScore>, implausible: bool) -> Option<Self> {
        z.map(|z| {
            let category = indicator.category(z);
            Self { z, implausible, category, label_id: indicator.label_id(category) }
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = measurements)]
pub struct MeasurementRow {
    pub id: MeasurementId,
    pub child_id: ChildId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
    pub place: Place,
    pub measured_by: Option<String>,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    pub haz_implausible: bool,
    pub waz_implausible: bool,
    pub whz_implausible: bool,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub posyandu_id: Option<PosyanduId>,
    pub reported_age_months: Option<i32>,
    pub quality_flags: Vec<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub checked_by: Option<UserId>,
    pub checked_note: Option<String>,
    /// Flagged by a data check and not checked (a column the database derives).
    pub held: bool,
}

/// A stored measurement with everything the standards say about it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10", "child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01",
    "measured_on": "2025-08-15", "age_days": 440, "age_months": 14.5, "length_cm": 70.0, "position": "lying",
    "weight_kg": 8.2, "oedema": false, "place": "posyandu", "measured_by": "Bidan Desa Kumantan",
    "posyandu_id": "0192b7a4-0000-7000-8000-0000000000a1",
    "length_for_age": {"z": -2.55, "implausible": false, "category": "stunted", "label_id": "pendek"},
    "weight_for_age": {"z": -1.2, "implausible": false, "category": "normal", "label_id": "berat badan normal"},
    "weight_for_length": {"z": 0.05, "implausible": false, "category": "normal", "label_id": "gizi baik"},
    "voided_at": null, "voided_reason": null, "recorded_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11",
    "reported_age_months": 14, "quality_flags": ["length_decrease"],
    "checked_at": "2025-08-20T03:00:00Z", "checked_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c12",
    "checked_note": "Measured again on 2025-08-20: 70.1 cm, the earlier 71.8 cm was a typing error",
    "counted": true, "created_at": "2025-08-15T02:30:00Z"
}))]
pub struct MeasurementView {
    pub id: MeasurementId,
    pub child_id: ChildId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    /// Age in months (days ÷ 30.4375), one decimal.
    #[schema(example = 15.2)]
    pub age_months: f64,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
    pub place: Place,
    pub measured_by: Option<String>,
    /// The posyandu where it was taken, when the recorder named one.
    pub posyandu_id: Option<PosyanduId>,
    /// Length/height-for-age (stunting).
    pub length_for_age: Option<IndicatorResult>,
    /// Weight-for-age (underweight).
    pub weight_for_age: Option<IndicatorResult>,
    /// Weight-for-length under 731 days, weight-for-height after (wasting).
    pub weight_for_length: Option<IndicatorResult>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    /// The account that recorded it.
    pub recorded_by: Option<UserId>,
    /// The age the measurer wrote down, in completed months (checked against the birth date).
    pub reported_age_months: Option<i32>,
    /// What the data checks found (docs/API.md, "Data quality"); WHO's implausible z-scores are
    /// in each indicator's `implausible`.
    pub quality_flags: Vec<QualityFlag>,
    /// When an officer checked the flagged measurement and kept it; `null`: not checked.
    pub checked_at: Option<DateTime<Utc>>,
    pub checked_by: Option<UserId>,
    pub checked_note: Option<String>,
    /// Whether it counts in prevalence and cases: living, and not held back by an unchecked
    /// data-check flag (an implausible length-for-age still leaves it out of them).
    pub counted: bool,
    pub created_at: DateTime<Utc>,
}

/// WHO's month: 365.25 / 12 days.
pub fn age_months(age_days: i32) -> f64 {
    (f64::from(age_days) / 30.4375 * 10.0).round() / 10.0
}

impl From<MeasurementRow> for MeasurementView {
    fn from(r: MeasurementRow) -> Self {
        Self {
            id: r.id,
            child_id: r.child_id,
            measured_on: r.measured_on,
            age_days: r.age_days,
            age_months: age_months(r.age_days),
            length_cm: r.length_cm,
            position: r.position,
            weight_kg: r.weight_kg,
            oedema: r.oedema,
            place: r.place,
            measured_by: r.measured_by,
            posyandu_id: r.posyandu_id,
            length_for_age: IndicatorResult::new(Indicator::LengthForAge, r.haz, r.haz_implausible),
            weight_for_age: IndicatorResult::new(Indicator::WeightForAge, r.waz, r.waz_implausible),
            weight_for_length: IndicatorResult::new(Indicator::WeightForLength, r.whz, r.whz_implausible),
            voided_at: r.voided_at,
            counted: r.voided_at.is_none() && !r.held,
            voided_reason: r.voided_reason,
            recorded_by: r.recorded_by,
            reported_age_months: r.reported_age_months,
            quality_flags: r.quality_flags.iter().filter_map(|f| f.parse().ok()).collect(),
            checked_at: r.checked_at,
            checked_by: r.checked_by,
            checked_note: r.checked_note,
            created_at: r.created_at,
        }
    }
}

/// One point of a growth chart.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
pub struct GrowthPoint {
    pub measurement_id: MeasurementId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    /// True when any of the three is outside WHO's plausible range.
    pub implausible: bool,
}

#[derive(Insertable)]
#[diesel(table_name = measurements)]
pub struct NewMeasurement<'a> {
    pub id: MeasurementId,
    pub measured_on: NaiveDate,
    pub age_days: i32,
    pub length_cm: f64,
    pub position: Position,
    pub weight_kg: Option<f64>,
    pub oedema: bool,
    pub place: Place,
    pub measured_by: Option<&'a str>,
    pub posyandu_id: Option<PosyanduId>,
    pub reported_age_months: Option<i32>,
    pub haz: Option<ZScore>,
    pub waz: Option<ZScore>,
    pub whz: Option<ZScore>,
    pub haz_implausible: bool,
    pub waz_implausible: bool,
    pub whz_implausible: bool,
    pub recorded_by: UserId,
    /// What the data checks found (`quality::judge_with` fills them in before the insert).
    pub quality_flags: Vec<String>,
}

impl NewMeasurement<'_> {
    /// The row as the data checks read it, arriving for `child`.
    fn arriving(&self, child: ChildId) -> quality::Arriving {
        quality::Arriving {
            id: self.id,
            child_id: child,
            reading: Reading {
                measured_on: self.measured_on,
                age_days: self.age_days,
                length_cm: self.length_cm,
                position: self.position,
                waz: self.waz.filter(|_| !self.waz_implausible).map(ZScore::value),
                reported_age_months: self.reported_age_months,
            },
        }
    }
}
