//! Catin screenings (BKKBN Elsimil): what was measured about a bride- or groom-to-be, and the
//! risk factors the server derives from it under the current thresholds. A screening is never
//! edited: a wrong one is voided (with a reason) and entered again, so the history stays.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{PersonAccess, PersonRecord, thresholds};
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::catin_screenings;
use crate::domain::catin::{self, CatinFindings};
use crate::domain::{CatinRisk, PersonId, ScreeningId, UserId, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::records::access;
use crate::records::access::Writable;

/// A screening to record. The server computes age, BMI, every risk factor and the verdict.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "0192b7a4-8888-7000-8000-000000000001", "screened_on": "2025-03-01", "wedding_planned_on": "2025-06-14",
    "height_cm": 150.0, "weight_kg": 40.0, "muac_cm": 22.5, "hb_g_dl": 11.2, "smokes": false, "smoke_exposed": true
}))]
pub struct CreateScreening {
    /// Offline clients may bring their own id: the same screening sent again is answered 200
    /// with the stored one.
    pub id: Option<Uuid>,
    /// Not in the future, not before birth; the person is 10 to 80 years old on the day.
    pub screened_on: NaiveDate,
    /// The wedding the screening prepares for (about three months later).
    pub wedding_planned_on: Option<NaiveDate>,
    #[validate(range(min = 100.0, max = 220.0))]
    #[schema(minimum = 100.0, maximum = 220.0)]
    pub height_cm: Option<f64>,
    #[validate(range(min = 25.0, max = 250.0))]
    #[schema(minimum = 25.0, maximum = 250.0)]
    pub weight_kg: Option<f64>,
    /// Mid-upper-arm circumference (*LiLA*).
    #[validate(range(min = 10.0, max = 60.0))]
    #[schema(minimum = 10.0, maximum = 60.0)]
    pub muac_cm: Option<f64>,
    /// Haemoglobin (*Hb*), g/dL.
    #[validate(range(min = 3.0, max = 25.0))]
    #[schema(minimum = 3.0, maximum = 25.0)]
    pub hb_g_dl: Option<f64>,
    /// Default false.
    pub smokes: Option<bool>,
    /// Exposed to smoke at home; default false.
    pub smoke_exposed: Option<bool>,
}

/// A stored screening with the server's verdict.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-8888-7000-8000-000000000001", "person_id": "0192b7a4-7777-7000-8000-000000000001",
    "screened_on": "2025-03-01", "wedding_planned_on": "2025-06-14", "age_years": 20, "height_cm": 150.0,
    "weight_kg": 40.0, "bmi": 17.8, "muac_cm": 22.5, "hb_g_dl": 11.2, "smokes": false, "smoke_exposed": true,
    "thresholds_version": 1, "risk_factors": ["underweight", "kek", "anaemia", "smoke"], "at_risk": true,
    "voided_at": null, "voided_reason": null, "recorded_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11",
    "created_at": "2025-03-01T03:00:00Z"
}))]
pub struct ScreeningView {
    pub id: ScreeningId,
    pub person_id: PersonId,
    pub screened_on: NaiveDate,
    pub wedding_planned_on: Option<NaiveDate>,
    /// Completed years on the day of the screening.
    pub age_years: i16,
    pub height_cm: Option<f64>,
    pub weight_kg: Option<f64>,
    /// Body mass index (*IMT*), one decimal, from height and weight.
    pub bmi: Option<f64>,
    pub muac_cm: Option<f64>,
    pub hb_g_dl: Option<f64>,
    pub smokes: bool,
    pub smoke_exposed: bool,
    /// The thresholds it was judged by (`GET /api/v1/catin-thresholds`); a later version
    /// never changes this verdict.
    pub thresholds_version: i32,
    /// What the server found; a value not measured raises none.
    pub risk_factors: Vec<CatinRisk>,
    /// At least one risk factor. A catin at risk still marries; the TPK follows up.
    pub at_risk: bool,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = catin_screenings)]
struct ScreeningRow {
    id: ScreeningId,
    person_id: PersonId,
    screened_on: NaiveDate,
    wedding_planned_on: Option<NaiveDate>,
    age_years: i16,
    height_cm: Option<f64>,
    weight_kg: Option<f64>,
    bmi: Option<f64>,
    muac_cm: Option<f64>,
    hb_g_dl: Option<f64>,
    smokes: bool,
    smoke_exposed: bool,
    thresholds_version: i32,
    risk_factors: Vec<String>,
    at_risk: bool,
    #[diesel(skip_insertion)]
    voided_at: Option<DateTime<Utc>>,
    #[diesel(skip_insertion)]
    voided_reason: Option<String>,
    recorded_by: Option<UserId>,
    #[diesel(skip_insertion)]
    created_at: DateTime<Utc>,
}

impl From<ScreeningRow> for ScreeningView {
    fn from(r: ScreeningRow) -> Self {
        Self {
            id: r.id,
            person_id: r.person_id,
            screened_on: r.screened_on,
            wedding_planned_on: r.wedding_planned_on,
            age_years: r.age_years,
            height_cm: r.height_cm,
            weight_kg: r.weight_kg,
            bmi: r.bmi,
            muac_cm: r.muac_cm,
            hb_g_dl: r.hb_g_dl,
            smokes: r.smokes,
            smoke_exposed: r.smoke_exposed,
            thresholds_version: r.thresholds_version,
            // Written only from `CatinRisk::as_str`, so every stored name parses.
            risk_factors: r.risk_factors.iter().filter_map(|name| name.parse().ok()).collect(),
            at_risk: r.at_risk,
            voided_at: r.voided_at,
            voided_reason: r.voided_reason,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        }
    }
}

/// The person's screenings, oldest first; voided ones only when asked for.
pub async fn list(
    conn: &mut AsyncPgConnection,
    person: &impl PersonAccess,
    include_voided: bool,
) -> QueryResult<Vec<ScreeningView>> {
    let mut query = catin_screenings::table
        .filter(catin_screenings::person_id.eq(person.person_id()))
        .select(ScreeningRow::as_select())
        .into_boxed();
    if !include_voided {
        query = query.filter(catin_screenings::voided_at.is_null());
    }
    let rows: Vec<ScreeningRow> =
        query.order((catin_screenings::screened_on, catin_screenings::created_at)).load(conn).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

async fn find_any(conn: &mut AsyncPgConnection, id: ScreeningId) -> QueryResult<Option<ScreeningRow>> {
    catin_screenings::table.find(id).select(ScreeningRow::as_select()).first(conn).await.optional()
}

/// The living screening of person `person_id` on `day`, if there is one (an import's natural key).
pub async fn living_on(conn: &mut AsyncPgConnection, person_id: PersonId, day: NaiveDate) -> QueryResult<Option<Uuid>> {
    catin_screenings::table
        .filter(catin_screenings::person_id.eq(person_id))
        .filter(catin_screenings::screened_on.eq(day))
        .filter(catin_screenings::voided_at.is_null())
        .select(catin_screenings::id)
        .first::<ScreeningId>(conn)
        .await
        .optional()
        .map(|found| found.map(|id| id.0))
}

/// Records a screening of person `person_id`, in the caller's transaction: judged under the
/// current thresholds; the same screening sent again under its id is the stored one (`false`:
/// nothing written), a different one under a used id a 409.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    person_id: PersonId,
    body: &CreateScreening,
) -> Result<(ScreeningView, bool), ApiError> {
    let person = super::lock(conn, caller, person_id).await?;
    let id = body.id.map_or_else(ScreeningId::new, ScreeningId);
    let judged = judge(&person, id, caller.id, body, &thresholds::current(conn).await?)?;
    if let Some(existing) = find_any(conn, id).await? {
        let hers = existing.person_id == person_id;
        return match hers && same_findings(&existing, &judged) {
            true => Ok((existing.into(), false)),
            false => Err(access::id_taken_under(hers, text!("screening"), id.0)),
        };
    }
    let stored: ScreeningRow = diesel::insert_into(catin_screenings::table)
        .values((&judged, catin_screenings::village_code.eq(&person.village_code)))
        .returning(ScreeningRow::as_returning())
        .get_result(conn)
        .await?;
    let entry = json!({ "person_id": person_id, "thresholds_version": stored.thresholds_version });
    audit::record(conn, Some(caller.id), "catin_screening.create", id, entry).await?;
    Ok((stored.into(), true))
}

/// A retry carries the same measurements; its verdict may differ only if the thresholds
/// changed in between, which does not make it another screening.
fn same_findings(a: &ScreeningRow, b: &ScreeningRow) -> bool {
    a.screened_on == b.screened_on
        && a.wedding_planned_on == b.wedding_planned_on
        && a.height_cm == b.height_cm
        && a.weight_kg == b.weight_kg
        && a.muac_cm == b.muac_cm
        && a.hb_g_dl == b.hb_g_dl
        && a.smokes == b.smokes
        && a.smoke_exposed == b.smoke_exposed
}

/// The row screening `id` becomes: 422 naming each field that does not fit the person;
/// otherwise her age, BMI and the risk factors under `version`.
fn judge(
    person: &Writable<PersonRecord>,
    id: ScreeningId,
    by: UserId,
    body: &CreateScreening,
    version: &thresholds::ThresholdsVersion,
) -> Result<ScreeningRow, ApiError> {
    let mut errors = FieldErrors::from_validation(body.validate());
    if body.screened_on > latest_local_date() {
        errors.add("screened_on", text!("is in the future"));
    }
    let age = catin::age_years(person.birth_date, body.screened_on);
    if body.screened_on < person.birth_date {
        errors.add("screened_on", text!("is before the person's birth date"));
    } else if !(10..=80).contains(&age) {
        errors.add("screened_on", text!("makes the person %{age} years old; a catin is 10 to 80", age = age));
    }
    if body.wedding_planned_on.is_some_and(|wedding| wedding < body.screened_on) {
        errors.add("wedding_planned_on", text!("is before the screening"));
    }
    errors.finish()?;
    let bmi = body.height_cm.zip(body.weight_kg).map(|(height, weight)| catin::bmi(height, weight));
    let (smokes, smoke_exposed) = (body.smokes.unwrap_or(false), body.smoke_exposed.unwrap_or(false));
    let findings = CatinFindings {
        sex: person.sex,
        age_years: age as i16,
        bmi,
        muac_cm: body.muac_cm,
        hb_g_dl: body.hb_g_dl,
        smokes,
        smoke_exposed,
    };
    let risks = catin::risks(&findings, &version.thresholds());
    Ok(ScreeningRow {
        id,
        person_id: person.id,
        screened_on: body.screened_on,
        wedding_planned_on: body.wedding_planned_on,
        age_years: age as i16,
        height_cm: body.height_cm,
        weight_kg: body.weight_kg,
        bmi,
        muac_cm: body.muac_cm,
        hb_g_dl: body.hb_g_dl,
        smokes,
        smoke_exposed,
        thresholds_version: version.version,
        at_risk: !risks.is_empty(),
        risk_factors: risks.iter().map(|r| r.as_str().to_owned()).collect(),
        voided_at: None,
        voided_reason: None,
        recorded_by: Some(by),
        // Not inserted: the database stamps it.
        created_at: Utc::now(),
    })
}

/// Voids screening `id` of person `person_id` for `reason`: it stays, out of every count; 409
/// when it already is.
pub async fn void(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    person_id: PersonId,
    id: ScreeningId,
    reason: &str,
) -> Result<ScreeningView, ApiError> {
    let person = super::lock(conn, caller, person_id).await?;
    let current = find_any(conn, id)
        .await?
        .filter(|s| s.person_id == person.id)
        .ok_or_else(|| ApiError::not_found(text!("no screening %{id} for this person", id = id)))?;
    if current.voided_at.is_some() {
        return Err(ApiError::conflict(text!("screening %{id} is already voided", id = id)));
    }
    let row: ScreeningRow = diesel::update(catin_screenings::table.find(id))
        .set((
            catin_screenings::voided_at.eq(Utc::now()),
            catin_screenings::voided_by.eq(caller.id),
            catin_screenings::voided_reason.eq(reason),
        ))
        .returning(ScreeningRow::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        Some(caller.id),
        "catin_screening.void",
        id,
        json!({ "person_id": person_id, "reason": reason }),
    )
    .await?;
    Ok(row.into())
}
