//! Antenatal visits (K1–K6 and beyond): appended in date order while the pregnancy is open,
//! never edited (a wrong one is voided and entered again). Each write recounts what the
//! pregnancy keeps of them.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::PregnancyRecord;
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::{anc_visits, pregnancies};
use crate::domain::pregnancy::{self, AncContact, AncSummary, MAX_GESTATION_DAYS};
use crate::domain::{AncVisitId, Examiner, PregnancyId, UserId, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::records::access;
use crate::records::access::{Visible, Writable};

/// An antenatal visit to record. The server derives gestational age, trimester, KEK and
/// anaemia.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "0192b7a4-aaaa-7000-8000-000000000001", "visited_on": "2025-02-17", "examiner": "doctor",
    "weight_kg": 44.5, "muac_cm": 22.8, "hb_g_dl": 10.6, "iron_tablets": 30, "supplementary_food": true
}))]
pub struct CreateAncVisit {
    /// Offline clients may bring their own id: the same visit sent again is answered 200.
    pub id: Option<Uuid>,
    /// On or after HPHT and the pregnancy's last visit, not in the future, within 44 weeks.
    pub visited_on: NaiveDate,
    pub examiner: Examiner,
    #[validate(range(min = 25.0, max = 250.0))]
    #[schema(minimum = 25.0, maximum = 250.0)]
    pub weight_kg: Option<f64>,
    /// Mid-upper-arm circumference (*LiLA*): below 23.5 cm is KEK.
    #[validate(range(min = 10.0, max = 60.0))]
    #[schema(minimum = 10.0, maximum = 60.0)]
    pub muac_cm: Option<f64>,
    /// Haemoglobin, g/dL: below 11 is anaemia.
    #[validate(range(min = 3.0, max = 25.0))]
    #[schema(minimum = 3.0, maximum = 25.0)]
    pub hb_g_dl: Option<f64>,
    /// Iron-folic acid tablets (*TTD*) given at this visit; default 0.
    #[validate(range(min = 0, max = 120))]
    #[schema(minimum = 0, maximum = 120)]
    pub iron_tablets: Option<i16>,
    /// Supplementary food (*PMT*) given, for a KEK mother; default false.
    pub supplementary_food: Option<bool>,
}

/// A stored antenatal visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-aaaa-7000-8000-000000000001", "pregnancy_id": "0192b7a4-9999-7000-8000-000000000001",
    "visited_on": "2025-02-17", "contact": 1, "gestational_weeks": 6, "trimester": 1, "examiner": "doctor",
    "weight_kg": 44.5, "muac_cm": 22.8, "hb_g_dl": 10.6, "kek": true, "anaemia": true, "iron_tablets": 30,
    "iron_tablets_total": 30, "supplementary_food": true, "voided_at": null, "voided_reason": null,
    "recorded_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11", "created_at": "2025-02-17T03:00:00Z"
}))]
pub struct AncVisitView {
    pub id: AncVisitId,
    pub pregnancy_id: PregnancyId,
    pub visited_on: NaiveDate,
    /// Its number among the living visits (K1 is the first); none when voided.
    pub contact: Option<i16>,
    /// Completed weeks since HPHT on the day.
    pub gestational_weeks: i64,
    /// 1 up to 12 completed weeks, 2 up to 24, 3 after (Permenkes 21/2021).
    pub trimester: u8,
    pub examiner: Examiner,
    pub weight_kg: Option<f64>,
    pub muac_cm: Option<f64>,
    pub hb_g_dl: Option<f64>,
    /// LiLA below 23.5 cm; none when LiLA was not measured.
    pub kek: Option<bool>,
    /// Hb below 11 g/dL; none when Hb was not measured.
    pub anaemia: Option<bool>,
    pub iron_tablets: i16,
    /// Iron tablets given up to and including this visit (living visits), towards 90.
    pub iron_tablets_total: i32,
    pub supplementary_food: bool,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = anc_visits)]
pub(super) struct AncVisitRow {
    id: AncVisitId,
    pregnancy_id: PregnancyId,
    visited_on: NaiveDate,
    examiner: Examiner,
    weight_kg: Option<f64>,
    muac_cm: Option<f64>,
    hb_g_dl: Option<f64>,
    kek: Option<bool>,
    anaemia: Option<bool>,
    iron_tablets: i16,
    supplementary_food: bool,
    #[diesel(skip_insertion)]
    voided_at: Option<DateTime<Utc>>,
    #[diesel(skip_insertion)]
    voided_reason: Option<String>,
    recorded_by: Option<UserId>,
    #[diesel(skip_insertion)]
    created_at: DateTime<Utc>,
}

impl AncVisitRow {
    fn contact(&self, lmp_on: NaiveDate) -> AncContact {
        AncContact {
            gestational_days: pregnancy::gestational_days(lmp_on, self.visited_on),
            examiner: self.examiner,
            iron_tablets: i32::from(self.iron_tablets),
            kek: self.kek,
            anaemia: self.anaemia,
        }
    }

    fn same_as(&self, other: &Self) -> bool {
        self.pregnancy_id == other.pregnancy_id
            && self.visited_on == other.visited_on
            && self.examiner == other.examiner
            && self.weight_kg == other.weight_kg
            && self.muac_cm == other.muac_cm
            && self.hb_g_dl == other.hb_g_dl
            && self.iron_tablets == other.iron_tablets
            && self.supplementary_food == other.supplementary_food
    }
}

/// The visits in date order with their contact numbers and running iron totals (voided ones
/// take neither).
fn views(rows: Vec<AncVisitRow>, lmp_on: NaiveDate) -> Vec<AncVisitView> {
    let (mut contact, mut iron) = (0i16, 0i32);
    rows.into_iter()
        .map(|r| {
            let living = r.voided_at.is_none();
            if living {
                contact += 1;
                iron += i32::from(r.iron_tablets);
            }
            let days = pregnancy::gestational_days(lmp_on, r.visited_on);
            AncVisitView {
                id: r.id,
                pregnancy_id: r.pregnancy_id,
                visited_on: r.visited_on,
                contact: living.then_some(contact),
                gestational_weeks: days / 7,
                trimester: pregnancy::trimester(days),
                examiner: r.examiner,
                weight_kg: r.weight_kg,
                muac_cm: r.muac_cm,
                hb_g_dl: r.hb_g_dl,
                kek: r.kek,
                anaemia: r.anaemia,
                iron_tablets: r.iron_tablets,
                iron_tablets_total: iron,
                supplementary_food: r.supplementary_food,
                voided_at: r.voided_at,
                voided_reason: r.voided_reason,
                recorded_by: r.recorded_by,
                created_at: r.created_at,
            }
        })
        .collect()
}

async fn rows_of(conn: &mut AsyncPgConnection, id: PregnancyId) -> QueryResult<Vec<AncVisitRow>> {
    anc_visits::table
        .filter(anc_visits::pregnancy_id.eq(id))
        .order((anc_visits::visited_on, anc_visits::created_at, anc_visits::id))
        .select(AncVisitRow::as_select())
        .load(conn)
        .await
}

/// The pregnancy's visits, in date order; voided ones only when asked for.
pub async fn list(
    conn: &mut AsyncPgConnection,
    pregnancy: &Visible<super::PregnancyView>,
    include_voided: bool,
) -> QueryResult<Vec<AncVisitView>> {
    let all = views(rows_of(conn, pregnancy.id).await?, pregnancy.lmp_on);
    Ok(all.into_iter().filter(|v| include_voided || v.voided_at.is_none()).collect())
}

/// The living visit of pregnancy `pregnancy_id` on `day`, if there is one (an import's natural
/// key).
pub async fn living_on(
    conn: &mut AsyncPgConnection,
    pregnancy_id: PregnancyId,
    day: NaiveDate,
) -> QueryResult<Option<Uuid>> {
    anc_visits::table
        .filter(anc_visits::pregnancy_id.eq(pregnancy_id))
        .filter(anc_visits::visited_on.eq(day))
        .filter(anc_visits::voided_at.is_null())
        .select(anc_visits::id)
        .first::<AncVisitId>(conn)
        .await
        .optional()
        .map(|found| found.map(|id| id.0))
}

/// Records a visit to open pregnancy `pregnancy_id`, in the caller's transaction: the same
/// visit sent again under its id is the stored one (`false`: nothing written); a different one
/// under a used id is a 409, and so is a visit to a pregnancy that has ended.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    pregnancy_id: PregnancyId,
    body: &CreateAncVisit,
) -> Result<(AncVisitView, bool), ApiError> {
    let pregnancy = super::lock(conn, caller, pregnancy_id).await?;
    let id = body.id.map_or_else(AncVisitId::new, AncVisitId);
    let visit = judge(&pregnancy, id, caller.id, body);
    let existing = anc_visits::table.find(id).select(AncVisitRow::as_select()).first(conn).await.optional()?;
    if let Some(existing) = existing {
        return match existing.same_as(&visit) {
            true => Ok((view_of(conn, &pregnancy, id).await?, false)),
            false => Err(access::id_taken_under(existing.pregnancy_id == pregnancy_id, text!("visit"), id.0)),
        };
    }
    if let Some(ended) = pregnancy.ended_on {
        return Err(ApiError::conflict(text!(
            "the pregnancy ended on %{ended}; antenatal visits are recorded before its outcome",
            ended = ended
        )));
    }
    check(&pregnancy, body)?;
    diesel::insert_into(anc_visits::table)
        .values((&visit, anc_visits::village_code.eq(&pregnancy.village_code)))
        .execute(conn)
        .await?;
    let rows = recount(conn, pregnancy_id, pregnancy.lmp_on).await?;
    audit::record(conn, Some(caller.id), "anc_visit.create", id, json!({ "pregnancy_id": pregnancy_id })).await?;
    Ok((view_among(rows, pregnancy.lmp_on, id)?, true))
}

/// 422 naming each field that does not fit the pregnancy: a visit before HPHT, after the last
/// visit's date, in the future or past 44 weeks.
fn check(pregnancy: &Writable<PregnancyRecord>, body: &CreateAncVisit) -> Result<(), ApiError> {
    let mut errors = FieldErrors::from_validation(body.validate());
    let days = pregnancy::gestational_days(pregnancy.lmp_on, body.visited_on);
    if body.visited_on > latest_local_date() {
        errors.add("visited_on", text!("is in the future"));
    } else if days < 0 {
        errors.add("visited_on", text!("is before HPHT (%{lmp_on})", lmp_on = pregnancy.lmp_on));
    } else if days > MAX_GESTATION_DAYS {
        errors.add("visited_on", text!("is more than 44 weeks after HPHT"));
    } else if let Some(last) = pregnancy.last_visit_on.filter(|last| body.visited_on < *last) {
        errors.add(
            "visited_on",
            text!("is before the pregnancy's last visit (%{last}); visits are recorded in date order", last = last),
        );
    }
    errors.finish()
}

/// The row visit `id` becomes, with KEK and anaemia judged where measured.
fn judge(pregnancy: &PregnancyRecord, id: AncVisitId, by: UserId, body: &CreateAncVisit) -> AncVisitRow {
    AncVisitRow {
        id,
        pregnancy_id: pregnancy.id,
        visited_on: body.visited_on,
        examiner: body.examiner,
        weight_kg: body.weight_kg,
        muac_cm: body.muac_cm,
        hb_g_dl: body.hb_g_dl,
        kek: body.muac_cm.map(pregnancy::is_kek),
        anaemia: body.hb_g_dl.map(pregnancy::is_anaemic),
        iron_tablets: body.iron_tablets.unwrap_or(0),
        supplementary_food: body.supplementary_food.unwrap_or(false),
        voided_at: None,
        voided_reason: None,
        recorded_by: Some(by),
        // Not inserted: the database stamps it.
        created_at: Utc::now(),
    }
}

async fn view_of(
    conn: &mut AsyncPgConnection,
    pregnancy: &PregnancyRecord,
    id: AncVisitId,
) -> Result<AncVisitView, ApiError> {
    view_among(rows_of(conn, pregnancy.id).await?, pregnancy.lmp_on, id)
}

/// Visit `id` as seen among all the pregnancy's visits (its contact number, its running iron).
fn view_among(rows: Vec<AncVisitRow>, lmp_on: NaiveDate, id: AncVisitId) -> Result<AncVisitView, ApiError> {
    views(rows, lmp_on)
        .into_iter()
        .find(|v| v.id == id)
        .ok_or_else(|| ApiError::not_found(text!("no visit %{id} for this pregnancy", id = id)))
}

/// Recounts what pregnancy `id` (HPHT `lmp_on`, as it is now) keeps of its living visits
/// (after a visit, a void or a new HPHT), and returns all its visits, voided ones too. Not a
/// version change: the woman's record is as the caller read it.
pub(super) async fn recount(
    conn: &mut AsyncPgConnection,
    id: PregnancyId,
    lmp_on: NaiveDate,
) -> QueryResult<Vec<AncVisitRow>> {
    let rows = rows_of(conn, id).await?;
    let living: Vec<&AncVisitRow> = rows.iter().filter(|r| r.voided_at.is_none()).collect();
    let contacts: Vec<AncContact> = living.iter().map(|r| r.contact(lmp_on)).collect();
    let sum = AncSummary::of(&contacts);
    diesel::update(pregnancies::table.find(id))
        .set((
            pregnancies::anc_contacts.eq(sum.contacts),
            pregnancies::anc_first_trimester.eq(sum.by_trimester[0]),
            pregnancies::anc_second_trimester.eq(sum.by_trimester[1]),
            pregnancies::anc_third_trimester.eq(sum.by_trimester[2]),
            pregnancies::anc_by_doctor.eq(sum.by_doctor),
            pregnancies::iron_tablets.eq(sum.iron_tablets),
            pregnancies::kek.eq(sum.kek),
            pregnancies::anaemia.eq(sum.anaemia),
            pregnancies::last_visit_on.eq(living.last().map(|r| r.visited_on)),
            pregnancies::anc_k4.eq(sum.k4()),
            pregnancies::anc_k6.eq(sum.k6()),
            pregnancies::iron_complete.eq(sum.iron_complete()),
            pregnancies::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(rows)
}

/// Voids visit `id` of pregnancy `pregnancy_id` for `reason`: it stays, out of every count;
/// 409 when it already is.
pub async fn void(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    pregnancy_id: PregnancyId,
    id: AncVisitId,
    reason: &str,
) -> Result<AncVisitView, ApiError> {
    let pregnancy = super::lock(conn, caller, pregnancy_id).await?;
    let current = anc_visits::table
        .find(id)
        .filter(anc_visits::pregnancy_id.eq(pregnancy_id))
        .select(AncVisitRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(text!("no visit %{id} for this pregnancy", id = id)))?;
    if current.voided_at.is_some() {
        return Err(ApiError::conflict(text!("visit %{id} is already voided", id = id)));
    }
    diesel::update(anc_visits::table.find(id))
        .set((
            anc_visits::voided_at.eq(Utc::now()),
            anc_visits::voided_by.eq(caller.id),
            anc_visits::voided_reason.eq(reason),
        ))
        .execute(conn)
        .await?;
    let rows = recount(conn, pregnancy_id, pregnancy.lmp_on).await?;
    let entry = json!({ "pregnancy_id": pregnancy_id, "reason": reason });
    audit::record(conn, Some(caller.id), "anc_visit.void", id, entry).await?;
    view_among(rows, pregnancy.lmp_on, id)
}
