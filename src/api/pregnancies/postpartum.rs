use actix_web::{HttpResponse, delete, get, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::handlers::TAG;
use super::visits::ListVisitsQuery;
use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::{PostpartumVisitId, PregnancyId};
use crate::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::precondition::created_or_stored_at;
use crate::records::pregnancy::{self, postpartum, postpartum::CreatePostpartumVisit, postpartum::PostpartumVisitView};

/// `GET /api/v1/pregnancies/{id}/postpartum-visits`: the postpartum visits (KF1–KF4) in date
/// order.
#[utoipa::path(
    operation_id = "list_postpartum_visits",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id"), ListVisitsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its visits, in date order", body = Vec<PostpartumVisitView>),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/pregnancies/{id}/postpartum-visits")]
pub async fn list(
    caller: Caller,
    path: web::Path<PregnancyId>,
    Query(query): Query<ListVisitsQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<PostpartumVisitView>>, ApiError> {
    let mut conn = pool.get().await?;
    let found = pregnancy::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(postpartum::list(&mut conn, &found, query.include_voided.unwrap_or(false)).await?))
}

/// `POST /api/v1/pregnancies/{id}/postpartum-visits`: records a postpartum visit within 42 days
/// of the delivery; the server derives its KF number from the days since the birth.
#[utoipa::path(
    operation_id = "create_postpartum_visit",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id")),
    request_body = CreatePostpartumVisit,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = PostpartumVisitView, headers(("Location" = String))),
        (status = 200, description = "The same visit was already recorded with this id (a retry)", body = PostpartumVisitView),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 409, description = "The pregnancy has no delivery yet (or ended otherwise), or a different visit has this id"),
        (status = 422, description = "Invalid fields: a date outside the 42 days after the delivery or in the future; breastfeeding after a stillbirth"),
    )
)]
#[post("/pregnancies/{id}/postpartum-visits")]
pub async fn create(
    caller: Caller,
    path: web::Path<PregnancyId>,
    Json(body): Json<CreatePostpartumVisit>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let id = *path;
    let mut conn = pool.get().await?;
    let (view, created) =
        conn.transaction::<_, ApiError, _>(async |conn| postpartum::record(conn, &caller, id, &body).await).await?;
    Ok(created_or_stored_at(created, format!("/api/v1/pregnancies/{id}/postpartum-visits/{}", view.id), &view))
}

/// `DELETE /api/v1/pregnancies/{id}/postpartum-visits/{visit_id}`: voids a wrong visit, with a
/// reason.
#[utoipa::path(
    operation_id = "void_postpartum_visit",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id"), ("visit_id" = Uuid, Path, description = "Visit id")),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Voided", body = PostpartumVisitView),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy or visit"),
        (status = 409, description = "Already voided"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/pregnancies/{id}/postpartum-visits/{visit_id}")]
pub async fn void(
    caller: Caller,
    path: web::Path<(PregnancyId, PostpartumVisitId)>,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<PostpartumVisitView>, ApiError> {
    caller.require_child_data()?;
    body.validate()?;
    let (pregnancy_id, id) = path.into_inner();
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |conn| postpartum::void(conn, &caller, pregnancy_id, id, &reason).await)
        .await?;
    Ok(web::Json(view))
}
