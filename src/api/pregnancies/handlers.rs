use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::{PersonId, PregnancyId};
use crate::error::ApiError;
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag, or_current};
use crate::records::person;
use crate::records::pregnancy::{self, OpenPregnancy, PregnancyView};

pub(super) const TAG: &str = "pregnancies";

/// `GET /api/v1/people/{id}/pregnancies`: her pregnancies, oldest first.
#[utoipa::path(
    operation_id = "list_pregnancies",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Her pregnancies, oldest first", body = Vec<PregnancyView>),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/people/{id}/pregnancies")]
pub async fn list(
    caller: Caller,
    path: web::Path<PersonId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<PregnancyView>>, ApiError> {
    let mut conn = pool.get().await?;
    let woman = person::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(pregnancy::list_of(&mut conn, &woman).await?))
}

/// `POST /api/v1/people/{id}/pregnancies`: opens a pregnancy from HPHT; the server derives the
/// due date. One open pregnancy per woman.
#[utoipa::path(
    operation_id = "create_pregnancy",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id")),
    request_body = OpenPregnancy,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Opened", body = PregnancyView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same pregnancy was already opened with this id (a retry)", body = PregnancyView),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person"),
        (status = 409, description = "She has an open pregnancy (`existing_id` names it), or the id is another pregnancy's"),
        (status = 422, description = "Invalid fields: a man, HPHT in the future, before her tenth birthday or before her previous pregnancy ended"),
    )
)]
#[post("/people/{id}/pregnancies")]
pub async fn create(
    caller: Caller,
    path: web::Path<PersonId>,
    Json(body): Json<OpenPregnancy>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let person_id = *path;
    let mut conn = pool.get().await?;
    let (view, created) =
        conn.transaction::<_, ApiError, _>(async |conn| pregnancy::open(conn, &caller, person_id, &body).await).await?;
    match created {
        true => Ok(created_with_etag(format!("/api/v1/pregnancies/{}", view.id), view.version, &view)),
        false => Ok(ok_with_etag(view.version, &view)),
    }
}

/// `GET /api/v1/pregnancies/{id}`: one pregnancy with its antenatal progress, babies and
/// postpartum progress.
#[utoipa::path(
    operation_id = "get_pregnancy",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pregnancy", body = PregnancyView, headers(("ETag" = String))),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy (or it was removed)"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/pregnancies/{id}")]
pub async fn get(
    caller: Caller,
    path: web::Path<PregnancyId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let view = pregnancy::find(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(view.version, &*view))
}

/// A correction of an open pregnancy.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "lmp_on": "2025-01-13" }))]
pub struct UpdatePregnancy {
    /// The corrected HPHT; the due date and every visit's trimester follow.
    pub lmp_on: NaiveDate,
}

/// `PATCH /api/v1/pregnancies/{id}`: corrects the HPHT of an open pregnancy (needs `If-Match`).
#[utoipa::path(
    operation_id = "update_pregnancy",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id"), IfMatch),
    request_body = UpdatePregnancy,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Corrected", body = PregnancyView, headers(("ETag" = String))),
        (status = 403, description = "An analyst, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 409, description = "The pregnancy has ended"),
        (status = 422, description = "HPHT in the future, after a visit, or putting a visit past 44 weeks"),
    )
)]
#[patch("/pregnancies/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<PregnancyId>,
    if_match: IfMatch,
    Json(body): Json<UpdatePregnancy>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let id = *path;
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            pregnancy::correct_lmp(conn, &caller, id, if_match.expected(), body.lmp_on).await
        })
        .await;
    let view = or_current(written, async || Ok(pregnancy::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `DELETE /api/v1/pregnancies/{id}`: removes a pregnancy entered in error, with a reason
/// (needs `If-Match`). It stays in the database with its visits, out of every list and count; a
/// child born of it keeps its own record.
#[utoipa::path(
    operation_id = "delete_pregnancy",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Pregnancy id"), IfMatch),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "An analyst or an integration, or a woman outside the caller's scope"),
        (status = 404, description = "No such pregnancy"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/pregnancies/{id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<PregnancyId>,
    if_match: IfMatch,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_removal()?;
    body.validate()?;
    let id = *path;
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let removed = conn
        .transaction::<_, ApiError, _>(async |conn| {
            pregnancy::remove(conn, &caller, id, if_match.expected(), &reason).await
        })
        .await;
    or_current(removed, async || Ok(pregnancy::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}
