//! Postpartum visits (*kunjungan nifas*, KF1–KF4) after a delivery: the KF number follows from
//! the days since the birth, outside the 42 days there is none. Each may record the
//! contraception chosen and whether the baby is breastfed exclusively. Never edited; voided.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{PregnancyRecord, PregnancyView};
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::{postpartum_visits, pregnancies};
use crate::domain::pregnancy::{self, POSTPARTUM_DAYS};
use crate::domain::{
    Contraception, Examiner, PostpartumVisitId, PregnancyId, PregnancyOutcome, UserId, latest_local_date,
};
use crate::error::{ApiError, FieldErrors};
use crate::records::access;
use crate::records::access::Visible;

/// A postpartum visit to record; the server derives its KF number.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "id": "0192b7a4-bbbb-7000-8000-000000000001", "visited_on": "2025-10-15", "examiner": "midwife",
    "contraception": "implant", "exclusive_breastfeeding": true
}))]
pub struct CreatePostpartumVisit {
    /// Offline clients may bring their own id: the same visit sent again is answered 200.
    pub id: Option<Uuid>,
    /// Within 42 days of the delivery, not in the future.
    pub visited_on: NaiveDate,
    pub examiner: Examiner,
    /// The contraception chosen, when it was discussed (*KB pascapersalinan*).
    pub contraception: Option<Contraception>,
    /// Whether the baby is breastfed only (after a live birth).
    pub exclusive_breastfeeding: Option<bool>,
}

/// A stored postpartum visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = postpartum_visits)]
#[schema(example = json!({
    "id": "0192b7a4-bbbb-7000-8000-000000000001", "pregnancy_id": "0192b7a4-9999-7000-8000-000000000001",
    "visited_on": "2025-10-15", "kf": 2, "examiner": "midwife", "contraception": "implant",
    "exclusive_breastfeeding": true, "voided_at": null, "voided_reason": null,
    "recorded_by": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11", "created_at": "2025-10-15T03:00:00Z"
}))]
pub struct PostpartumVisitView {
    pub id: PostpartumVisitId,
    pub pregnancy_id: PregnancyId,
    pub visited_on: NaiveDate,
    /// KF1 (6–48 hours: days 0–2), KF2 (days 3–7), KF3 (8–28), KF4 (29–42).
    pub kf: i16,
    pub examiner: Examiner,
    pub contraception: Option<Contraception>,
    pub exclusive_breastfeeding: Option<bool>,
    pub voided_at: Option<DateTime<Utc>>,
    pub voided_reason: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl PostpartumVisitView {
    fn same_as(&self, body: &CreatePostpartumVisit, pregnancy_id: PregnancyId) -> bool {
        self.pregnancy_id == pregnancy_id
            && self.visited_on == body.visited_on
            && self.examiner == body.examiner
            && self.contraception == body.contraception
            && self.exclusive_breastfeeding == body.exclusive_breastfeeding
    }
}

/// The pregnancy's postpartum visits in date order; voided ones only when asked for.
pub async fn list(
    conn: &mut AsyncPgConnection,
    pregnancy: &Visible<PregnancyView>,
    include_voided: bool,
) -> QueryResult<Vec<PostpartumVisitView>> {
    let mut query = postpartum_visits::table
        .filter(postpartum_visits::pregnancy_id.eq(pregnancy.id))
        .select(PostpartumVisitView::as_select())
        .into_boxed();
    if !include_voided {
        query = query.filter(postpartum_visits::voided_at.is_null());
    }
    query.order((postpartum_visits::visited_on, postpartum_visits::created_at)).load(conn).await
}

async fn find_any(conn: &mut AsyncPgConnection, id: PostpartumVisitId) -> QueryResult<Option<PostpartumVisitView>> {
    postpartum_visits::table.find(id).select(PostpartumVisitView::as_select()).first(conn).await.optional()
}

/// The living visit of pregnancy `pregnancy_id` on `day`, if there is one (an import's natural
/// key).
pub async fn living_on(
    conn: &mut AsyncPgConnection,
    pregnancy_id: PregnancyId,
    day: NaiveDate,
) -> QueryResult<Option<Uuid>> {
    postpartum_visits::table
        .filter(postpartum_visits::pregnancy_id.eq(pregnancy_id))
        .filter(postpartum_visits::visited_on.eq(day))
        .filter(postpartum_visits::voided_at.is_null())
        .select(postpartum_visits::id)
        .first::<PostpartumVisitId>(conn)
        .await
        .optional()
        .map(|found| found.map(|id| id.0))
}

/// Records a postpartum visit of pregnancy `pregnancy_id`, in the caller's transaction: the
/// same visit sent again under its id is the stored one (`false`); a different one under a
/// used id is a 409, and so is a visit to a pregnancy without a delivery.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    pregnancy_id: PregnancyId,
    body: &CreatePostpartumVisit,
) -> Result<(PostpartumVisitView, bool), ApiError> {
    let pregnancy = super::lock(conn, caller, pregnancy_id).await?;
    let id = body.id.map_or_else(PostpartumVisitId::new, PostpartumVisitId);
    if let Some(existing) = find_any(conn, id).await? {
        return match existing.same_as(body, pregnancy_id) {
            true => Ok((existing, false)),
            false => Err(access::id_taken_under(existing.pregnancy_id == pregnancy_id, text!("visit"), id.0)),
        };
    }
    let kf = kf_of(&pregnancy, body)?;
    let stored = diesel::insert_into(postpartum_visits::table)
        .values((
            postpartum_visits::id.eq(id),
            postpartum_visits::pregnancy_id.eq(pregnancy_id),
            postpartum_visits::village_code.eq(&pregnancy.village_code),
            postpartum_visits::visited_on.eq(body.visited_on),
            postpartum_visits::kf.eq(kf),
            postpartum_visits::examiner.eq(body.examiner),
            postpartum_visits::contraception.eq(body.contraception),
            postpartum_visits::exclusive_breastfeeding.eq(body.exclusive_breastfeeding),
            postpartum_visits::recorded_by.eq(caller.id),
        ))
        .returning(PostpartumVisitView::as_returning())
        .get_result(conn)
        .await?;
    recount(conn, pregnancy_id).await?;
    let entry = json!({ "pregnancy_id": pregnancy_id, "kf": kf });
    audit::record(conn, Some(caller.id), "postpartum_visit.create", id, entry).await?;
    Ok((stored, true))
}

/// The visit's KF number: 409 unless the pregnancy ended in a delivery the mother survived;
/// 422 for a date outside the 42 days, or breastfeeding after a stillbirth.
fn kf_of(pregnancy: &PregnancyRecord, body: &CreatePostpartumVisit) -> Result<i16, ApiError> {
    let (Some(outcome @ (PregnancyOutcome::LiveBirth | PregnancyOutcome::Stillbirth)), Some(delivered)) =
        (pregnancy.outcome, pregnancy.ended_on)
    else {
        return Err(ApiError::conflict(text!(
            "postpartum visits follow a delivery: record the pregnancy's outcome (a live birth or a stillbirth) first"
        )));
    };
    let mut errors = FieldErrors::default();
    let days = (body.visited_on - delivered).num_days();
    let kf = pregnancy::kf_number(days);
    if body.visited_on > latest_local_date() {
        errors.add("visited_on", text!("is in the future"));
    } else if kf.is_none() {
        errors.add(
            "visited_on",
            text!(
                "is %{days} days after the delivery (%{delivered}); KF visits are within %{postpartum_days} days",
                days = days,
                delivered = delivered,
                postpartum_days = POSTPARTUM_DAYS
            ),
        );
    }
    if outcome == PregnancyOutcome::Stillbirth && body.exclusive_breastfeeding.is_some() {
        errors.add("exclusive_breastfeeding", text!("has no meaning after a stillbirth"));
    }
    errors.finish()?;
    Ok(kf.unwrap_or_default())
}

/// Recounts what pregnancy `id` keeps of its living postpartum visits: the KF numbers done,
/// the latest contraception recorded, and whether every breastfeeding answer was exclusive.
async fn recount(conn: &mut AsyncPgConnection, id: PregnancyId) -> QueryResult<()> {
    let living: Vec<(i16, Option<Contraception>, Option<bool>)> = postpartum_visits::table
        .filter(postpartum_visits::pregnancy_id.eq(id))
        .filter(postpartum_visits::voided_at.is_null())
        .order((postpartum_visits::visited_on, postpartum_visits::created_at))
        .select((postpartum_visits::kf, postpartum_visits::contraception, postpartum_visits::exclusive_breastfeeding))
        .load(conn)
        .await?;
    let kf_done = living.iter().fold(0i16, |mask, (kf, ..)| mask | (1 << (kf - 1)));
    let answers: Vec<bool> = living.iter().filter_map(|(.., answer)| *answer).collect();
    diesel::update(pregnancies::table.find(id))
        .set((
            pregnancies::kf_done.eq(kf_done),
            pregnancies::contraception.eq(living.iter().rev().find_map(|(_, method, _)| *method)),
            pregnancies::breastfeeding_exclusive.eq((!answers.is_empty()).then(|| answers.iter().all(|a| *a))),
            pregnancies::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Voids postpartum visit `id` of pregnancy `pregnancy_id` for `reason`; 409 when it already is.
pub async fn void(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    pregnancy_id: PregnancyId,
    id: PostpartumVisitId,
    reason: &str,
) -> Result<PostpartumVisitView, ApiError> {
    super::lock(conn, caller, pregnancy_id).await?;
    let current = find_any(conn, id)
        .await?
        .filter(|v| v.pregnancy_id == pregnancy_id)
        .ok_or_else(|| ApiError::not_found(text!("no postpartum visit %{id} for this pregnancy", id = id)))?;
    if current.voided_at.is_some() {
        return Err(ApiError::conflict(text!("visit %{id} is already voided", id = id)));
    }
    let row = diesel::update(postpartum_visits::table.find(id))
        .set((
            postpartum_visits::voided_at.eq(Utc::now()),
            postpartum_visits::voided_by.eq(caller.id),
            postpartum_visits::voided_reason.eq(reason),
        ))
        .returning(PostpartumVisitView::as_returning())
        .get_result(conn)
        .await?;
    recount(conn, pregnancy_id).await?;
    let entry = json!({ "pregnancy_id": pregnancy_id, "reason": reason });
    audit::record(conn, Some(caller.id), "postpartum_visit.void", id, entry).await?;
    Ok(row)
}
