use actix_web::{HttpResponse, delete, get, post, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::{PersonId, ScreeningId};
use crate::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::precondition::created_or_stored_at;
use crate::records::person;
use crate::records::person::screening::{self, CreateScreening, ScreeningView};

const TAG: &str = "people";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListScreeningsQuery {
    /// Include voided screenings (default false).
    pub include_voided: Option<bool>,
}

/// `GET /api/v1/people/{id}/screenings`: the person's catin screenings, oldest first.
#[utoipa::path(
    operation_id = "list_screenings",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id"), ListScreeningsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Her screenings, oldest first", body = Vec<ScreeningView>),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/people/{id}/screenings")]
pub async fn list(
    caller: Caller,
    path: web::Path<PersonId>,
    Query(query): Query<ListScreeningsQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<ScreeningView>>, ApiError> {
    let mut conn = pool.get().await?;
    let person = person::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(screening::list(&mut conn, &person, query.include_voided.unwrap_or(false)).await?))
}

/// `POST /api/v1/people/{id}/screenings`: records a catin screening; the server computes age,
/// BMI, each risk factor and the verdict under the current thresholds.
#[utoipa::path(
    operation_id = "create_screening",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = CreateScreening,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded and judged", body = ScreeningView, headers(("Location" = String))),
        (status = 200, description = "The same screening was already recorded with this id (a retry)", body = ScreeningView),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person"),
        (status = 409, description = "A different screening already has this id"),
        (status = 422, description = "Invalid fields: a date in the future or before birth, an age outside 10–80, a wedding before the screening, a value out of range"),
    )
)]
#[post("/people/{id}/screenings")]
pub async fn create(
    caller: Caller,
    path: web::Path<PersonId>,
    Json(body): Json<CreateScreening>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let person_id = *path;
    let mut conn = pool.get().await?;
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |conn| screening::record(conn, &caller, person_id, &body).await)
        .await?;
    Ok(created_or_stored_at(created, format!("/api/v1/people/{person_id}/screenings/{}", view.id), &view))
}

/// `DELETE /api/v1/people/{id}/screenings/{screening_id}`: voids a wrong screening, with a
/// reason. It stays on record, out of every count.
#[utoipa::path(
    operation_id = "void_screening",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id"), ("screening_id" = Uuid, Path, description = "Screening id")),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Voided", body = ScreeningView),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person or screening"),
        (status = 409, description = "Already voided"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/people/{id}/screenings/{screening_id}")]
pub async fn void(
    caller: Caller,
    path: web::Path<(PersonId, ScreeningId)>,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<ScreeningView>, ApiError> {
    caller.require_child_data()?;
    body.validate()?;
    let (person_id, id) = path.into_inner();
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let view = conn
        .transaction::<_, ApiError, _>(async |conn| screening::void(conn, &caller, person_id, id, &reason).await)
        .await?;
    Ok(web::Json(view))
}
