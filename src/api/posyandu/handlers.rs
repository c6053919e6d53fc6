use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{ListPosyanduQuery, NewPosyandu, Posyandu, PosyanduChanges};
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{PosyanduId, RegionCode, RegionLevel};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag, or_current};
use crate::records::posyandu::{self, PosyanduFilter, PosyanduWrite};
use crate::records::region;

const TAG: &str = "posyandu";

/// `GET /api/v1/posyandu`: the posyandu in the caller's scope.
#[utoipa::path(
    operation_id = "list_posyandu",
    tag = TAG,
    params(ListPosyanduQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of posyandu, by village code, then id", body = Page<Posyandu>),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "A malformed region, limit or cursor"),
    )
)]
#[get("/posyandu")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListPosyanduQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<Posyandu>>, ApiError> {
    let region = query
        .region
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("region", e.into()))?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = PosyanduFilter { active: query.active };
    let rows = posyandu::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |p: &Posyandu| (p.village_code.clone(), p.id))))
}

/// `GET /api/v1/posyandu/{id}`: one posyandu.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Posyandu id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The posyandu", body = Posyandu, headers(("ETag" = String))),
        (status = 403, description = "The posyandu's village is outside the caller's scope"),
        (status = 404, description = "No such posyandu"),
    )
)]
#[get("/posyandu/{id}")]
pub async fn get_posyandu(
    caller: Caller,
    path: web::Path<PosyanduId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let found = posyandu::find(&mut *pool.get().await?, &caller, *path).await?.into_inner();
    Ok(ok_with_etag(found.version, &found))
}

/// `POST /api/v1/posyandu`: registers a posyandu in a village of the caller's scope (officers,
/// the village's cadres).
#[utoipa::path(
    operation_id = "create_posyandu",
    tag = TAG,
    request_body = NewPosyandu,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Posyandu, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "A retry: the posyandu with this id, already registered", body = Posyandu),
        (status = 403, description = "Neither an officer nor a cadre, or a village outside the caller's scope"),
        (status = 409, description = "The id belongs to another posyandu"),
        (status = 422, description = "Invalid fields: a region that is not a known village, a blank name"),
    )
)]
#[post("/posyandu")]
pub async fn create(
    caller: Caller,
    Json(body): Json<NewPosyandu>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Posyandu)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let village = errors.check("village_code", RegionCode::parse(&body.village_code));
    if village.as_ref().is_some_and(|v| v.level() != RegionLevel::Village) {
        errors.add("village_code", text!("must be a village"));
    }
    let village = errors.finish_with(village)?;
    caller.require_in_scope(&village)?;
    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &village, "village_code").await?;
    let id = body.id.unwrap_or_default();
    let write = PosyanduWrite { id, village: &village, name: body.name.trim(), active: body.active.unwrap_or(true) };
    let (created, new) =
        conn.transaction::<_, ApiError, _>(async |conn| posyandu::create(conn, &caller, &write).await).await?;
    Ok(if new {
        created_with_etag(format!("/api/v1/posyandu/{id}"), created.version, &created)
    } else {
        ok_with_etag(created.version, &created)
    })
}

/// `PATCH /api/v1/posyandu/{id}`: renames a posyandu or marks it inactive (officers, the
/// village's cadres; needs `If-Match`). Posyandu are never deleted: children and measurements
/// keep pointing at them.
#[utoipa::path(
    operation_id = "update_posyandu",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Posyandu id"),
        IfMatch,
    ),
    request_body = PosyanduChanges,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = Posyandu, headers(("ETag" = String))),
        (status = 403, description = "Neither an officer nor a cadre, or a posyandu outside the caller's scope"),
        (status = 404, description = "No such posyandu"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/posyandu/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<PosyanduId>,
    if_match: IfMatch,
    Json(body): Json<PosyanduChanges>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Posyandu)?;
    let id = *path;
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            posyandu::change(conn, &caller, id, if_match.expected(), &body).await
        })
        .await;
    let found = or_current(written, async || Ok(posyandu::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(ok_with_etag(found.version, &found))
}
