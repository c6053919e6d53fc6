use actix_web::{HttpResponse, delete, get, post, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use super::handlers::TAG;
use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::{AncVisitId, PregnancyId};
use crate::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::precondition::created_or_stored_at;
use crate::records::pregnancy::{self, anc, anc::AncVisitView, anc::CreateAncVisit};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListVisitsQuery {
    /// Include voided visits (default false).
    pub include_voided: Option<bool>,
}

/// `GET /api/v1/pregnancies/{id}/anc-visits`: the antenatal visits in date order, each with its
/// contact number, trimester and running iron-tablet total.
#[utoipa::path(
    operation_id = "list_anc_visits",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id"), ListVisitsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Its visits, in date order", body = Vec<AncVisitView>),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/pregnancies/{id}/anc-visits")]
pub async fn list(
    caller: Caller,
    path: web::Path<PregnancyId>,
    Query(query): Query<ListVisitsQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<AncVisitView>>, ApiError> {
    let mut conn = pool.get().await?;
    let found = pregnancy::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(anc::list(&mut conn, &found, query.include_voided.unwrap_or(false)).await?))
}

/// `POST /api/v1/pregnancies/{id}/anc-visits`: records an antenatal visit of an open pregnancy,
/// in date order; the server judges KEK and anaemia and keeps the pregnancy's K1/K4/K6 and
/// iron-tablet counts.
#[utoipa::path(
    operation_id = "create_anc_visit",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id")),
    request_body = CreateAncVisit,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = AncVisitView, headers(("Location" = String))),
        (status = 200, description = "The same visit was already recorded with this id (a retry)", body = AncVisitView),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 409, description = "The pregnancy has ended, or a different visit has this id"),
        (status = 422, description = "Invalid fields: a date before HPHT or the last visit, in the future or past 44 weeks; a value out of range"),
    )
)]
#[post("/pregnancies/{id}/anc-visits")]
pub async fn create(
    caller: Caller,
    path: web::Path<PregnancyId>,
    Json(body): Json<CreateAncVisit>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let id = *path;
    let mut conn = pool.get().await?;
    let (view, created) =
        conn.transaction::<_, ApiError, _>(async |conn| anc::record(conn, &caller, id, &body).await).await?;
    Ok(created_or_stored_at(created, format!("/api/v1/pregnancies/{id}/anc-visits/{}", view.id), &view))
}

/// `DELETE /api/v1/pregnancies/{id}/anc-visits/{visit_id}`: voids a wrong visit, with a reason;
/// the pregnancy's counts are recounted without it.
#[utoipa::path(
    operation_id = "void_anc_visit",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id"), ("visit_id" = Uuid, Path, description = "Visit id")),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Voided", body = AncVisitView),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy or visit"),
        (status = 409, description = "Already voided"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/pregnancies/{id}/anc-visits/{visit_id}")]
pub async fn void(
    caller: Caller,
    path: web::Path<(PregnancyId, AncVisitId)>,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<AncVisitView>, ApiError> {
    caller.require_child_data()?;
    body.validate()?;
    let (pregnancy_id, id) = path.into_inner();
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |conn| anc::void(conn, &caller, pregnancy_id, id, &reason).await)
        .await?;
    Ok(web::Json(view))
}
