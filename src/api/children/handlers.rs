use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::Datelike;
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{ChildView, CreateChild, ListChildrenQuery, NewChild, RemovalReason, UpdateChild};
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::domain::{
    ChildId, IhsNumber, Nik, NikKey, PersonId, PosyanduId, RegionCode, check_child_birth_date, latest_local_date,
};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag, or_current};
use crate::records::child::{self, ChildChanges, ChildFilter};
use crate::records::region;

const TAG: &str = "children";

/// `GET /api/v1/children`: children in the caller's scope (or a region inside it).
#[utoipa::path(
    operation_id = "list_children",
    tag = TAG,
    params(ListChildrenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of children, by village code, then id", body = Page<ChildView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "An analyst (no child-level data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/children")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListChildrenQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<ChildView>>, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    let name_contains = text::search(&mut errors, query.q.as_deref());
    if let (Some(from), Some(to)) = (query.born_from, query.born_to)
        && from > to
    {
        errors.add("born_to", text!("must not be before born_from"));
    }
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = ChildFilter {
        sex: query.sex,
        born_from: query.born_from,
        born_to: query.born_to,
        name_contains,
        has_open_case: query.has_open_case,
        lokus_year: query.lokus.unwrap_or(false).then(|| latest_local_date().year()),
    };
    let rows = child::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |c| (c.village_code.clone(), c.id))))
}

/// `POST /api/v1/children`: registers a child in a village of the caller's scope.
#[utoipa::path(
    operation_id = "create_child",
    tag = TAG,
    request_body = CreateChild,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = ChildView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same child was already registered with this id (a retry)", body = ChildView),
        (status = 403, description = "An analyst, or a village outside the caller's scope"),
        (status = 409, description = "The NIK belongs to another child, or the id to a different one (`existing_id` names it when the caller's scope holds it)"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[post("/children")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreateChild>,
    pool: web::Data<DbPool>,
    nik_key: web::Data<NikKey>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let village = errors.check("village_code", RegionCode::parse_village(&body.village_code));
    let nik = body.nik.as_deref().and_then(|n| errors.check("nik", Nik::parse(n)));
    let name = body.name.trim().to_owned();
    errors.check("birth_date", check_child_birth_date(body.birth_date));
    let village = errors.finish_with(village)?;
    caller.require_in_scope(&village)?;

    let id = body.id.map_or_else(ChildId::new, ChildId);
    let nik_hash = nik.map(|n| n.keyed_hash(&nik_key));
    let mother_name = text::given(body.mother_name.as_deref());
    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &village, "village_code").await?;
    let new = NewChild {
        id,
        village_code: &village,
        sex: body.sex,
        birth_date: body.birth_date,
        name: &name,
        mother_name,
        mother_id: body.mother_id.map(PersonId),
        nik_hash,
        posyandu_id: body.posyandu_id.map(PosyanduId),
        kia_book: body.kia_book,
        created_by: caller.id,
    };
    let (child, created) =
        conn.transaction::<_, ApiError, _>(async |conn| child::register(conn, &caller, &new).await).await?;
    if created {
        Ok(created_with_etag(format!("/api/v1/children/{}", child.id), child.version, &child))
    } else {
        Ok(ok_with_etag(child.version, &child))
    }
}

/// `GET /api/v1/children/{id}`: one child.
#[utoipa::path(
    operation_id = "get_child",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The child", body = ChildView, headers(("ETag" = String))),
        (status = 403, description = "An analyst, or a child outside the caller's scope"),
        (status = 404, description = "No such child (or it was deleted)"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/children/{id}")]
pub async fn get(caller: Caller, path: web::Path<ChildId>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let child = child::find(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(child.version, &*child))
}

/// `PATCH /api/v1/children/{id}`: corrects or moves a child (needs `If-Match`). A new sex or
/// birth date rescores every measurement and recomputes the cases.
#[utoipa::path(
    operation_id = "update_child",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Child id"),
        IfMatch,
    ),
    request_body = UpdateChild,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = ChildView, headers(("ETag" = String))),
        (status = 403, description = "An analyst, a child or village outside the caller's scope, or a cadre setting an IHS number"),
        (status = 404, description = "No such child"),
        (status = 409, description = "The NIK or IHS number belongs to another child"),
        (status = 422, description = "Invalid fields, or a birth date that puts a measurement before birth or past 60 months"),
    )
)]
#[patch("/children/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<ChildId>,
    if_match: IfMatch,
    Json(body): Json<UpdateChild>,
    pool: web::Data<DbPool>,
    nik_key: web::Data<NikKey>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let village = body.village_code.as_deref().map(|v| errors.check("village_code", RegionCode::parse_village(v)));
    let nik = match &body.nik {
        Some(Some(raw)) => Some(errors.check("nik", Nik::parse(raw)).map(|n| n.keyed_hash(&nik_key))),
        Some(None) => Some(None),
        None => None,
    };
    let ihs_number = body.ihs_number.as_ref().map(|given| {
        given.as_deref().and_then(|raw| errors.check("ihs_number", IhsNumber::parse(raw)).map(IhsNumber::into_inner))
    });
    let name = body.name.as_deref().map(str::trim).map(str::to_owned);
    if let Some(birth_date) = body.birth_date {
        errors.check("birth_date", check_child_birth_date(birth_date));
    }
    errors.finish()?;
    let village = village.flatten();
    if let Some(village) = &village {
        caller.require_in_scope(village)?;
    }

    let id = *path;
    let mut conn = pool.get().await?;
    if let Some(village) = &village {
        region::require_known(&mut conn, village, "village_code").await?;
    }
    let changes = ChildChanges {
        village_code: village,
        sex: body.sex,
        birth_date: body.birth_date,
        name,
        mother_name: body.mother_name.map(|m| text::given(m.as_deref()).map(str::to_owned)),
        mother_id: body.mother_id.map(|m| m.map(PersonId)),
        nik_hash: nik,
        posyandu_id: body.posyandu_id.map(|p| p.map(PosyanduId)),
        kia_book: body.kia_book,
        ihs_number,
    };
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            child::change(conn, &caller, id, if_match.expected(), &changes).await
        })
        .await;
    let child = or_current(written, async || Ok(child::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(ok_with_etag(child.version, &child))
}

/// `DELETE /api/v1/children/{id}`: removes a child with a reason (needs `If-Match`). The record
/// stays in the database but leaves every list and aggregate.
#[utoipa::path(
    operation_id = "delete_child",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Child id"),
        IfMatch,
    ),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "An analyst or an integration, or a child outside the caller's scope"),
        (status = 404, description = "No such child"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/children/{id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<ChildId>,
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
            child::remove(conn, &caller, id, if_match.expected(), &reason).await
        })
        .await;
    or_current(removed, async || Ok(child::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}
