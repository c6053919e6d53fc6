use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{
    ChildrenQuery, CreateRegion, ListRegionsQuery, RegionDetail, RegionSummary, RenameRegion, RetireRegion,
};
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::domain::RegionCode;
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag};
use crate::records::region::{self, RegionFilter, lifecycle, unknown};

const TAG: &str = "regions";

/// `GET /api/v1/regions`: regions filtered by tier, parent, subtree and name, in code order.
#[utoipa::path(
    operation_id = "list_regions",
    tag = TAG,
    params(ListRegionsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of regions", body = Page<RegionSummary>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 422, description = "A malformed region code or parameter"),
    )
)]
#[get("/regions")]
pub async fn list(
    _caller: Caller,
    Query(query): Query<ListRegionsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<RegionSummary>>, ApiError> {
    let mut errors = FieldErrors::default();
    let parent = query.parent.as_deref().and_then(|p| errors.check("parent", RegionCode::parse(p)));
    let within = query.within.as_deref().and_then(|w| errors.check("within", RegionCode::parse(w)));
    let name_contains = text::search(&mut errors, query.q.as_deref());
    errors.finish()?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = RegionFilter {
        level: query.level,
        parent,
        within,
        name_contains,
        include_retired: query.include_retired.unwrap_or(false),
    };
    let rows = region::list(&mut *pool.get().await?, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |r| r.code.to_string())))
}

/// `GET /api/v1/regions/{code}`: the region, its ancestors and how many regions of each lower
/// tier it contains. Retired regions stay readable.
#[utoipa::path(
    operation_id = "get_region",
    tag = TAG,
    params(("code" = String, Path, description = "Region code", example = "14.01")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The region", body = RegionDetail,
            headers(("ETag" = String, description = "The region's version, for If-Match"))),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region code"),
    )
)]
#[get("/regions/{code}")]
pub async fn get(_caller: Caller, path: web::Path<String>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let code = parse_code(&path)?;
    let detail = region::detail(&mut *pool.get().await?, &code).await?.ok_or_else(|| unknown(&code))?;
    Ok(ok_with_etag(detail.version, &detail))
}

/// `GET /api/v1/regions/{code}/children`: the regions directly under this one.
#[utoipa::path(
    tag = TAG,
    params(("code" = String, Path, description = "Region code", example = "14.01"), ChildrenQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of child regions", body = Page<RegionSummary>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region code or parameter"),
    )
)]
#[get("/regions/{code}/children")]
pub async fn children(
    _caller: Caller,
    path: web::Path<String>,
    Query(query): Query<ChildrenQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Page<RegionSummary>>, ApiError> {
    let code = parse_code(&path)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let mut conn = pool.get().await?;
    if !region::exists(&mut conn, &code).await? {
        return Err(unknown(&code));
    }
    let filter = RegionFilter {
        parent: Some(code),
        include_retired: query.include_retired.unwrap_or(false),
        ..RegionFilter::default()
    };
    let rows = region::list(&mut conn, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |r| r.code.to_string())))
}

/// `POST /api/v1/regions`: adds a region (admin only). Its parent must exist and be active.
#[utoipa::path(
    operation_id = "create_region",
    tag = TAG,
    request_body = CreateRegion,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = RegionDetail,
            headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an admin"),
        (status = 409, description = "A region with this code exists"),
        (status = 422, description = "Invalid fields, or no active parent"),
    )
)]
#[post("/regions")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreateRegion>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let code = errors.check("code", RegionCode::parse(&body.code));
    let name = body.name.trim();
    let code = errors.finish_with(code)?;

    let mut conn = pool.get().await?;
    let detail =
        conn.transaction::<_, ApiError, _>(async |conn| lifecycle::create(conn, &caller, &code, name).await).await?;
    Ok(created_with_etag(format!("/api/v1/regions/{}", detail.code), detail.version, &detail))
}

/// `PATCH /api/v1/regions/{code}`: renames a region (admin only; needs `If-Match`).
#[utoipa::path(
    tag = TAG,
    params(
        ("code" = String, Path, description = "Region code", example = "14.01"),
        IfMatch,
    ),
    request_body = RenameRegion,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Renamed", body = RegionDetail, headers(("ETag" = String))),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/regions/{code}")]
pub async fn rename(
    caller: Caller,
    path: web::Path<String>,
    if_match: IfMatch,
    Json(body): Json<RenameRegion>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let code = parse_code(&path)?;
    body.validate()?;
    let name = body.name.trim();

    let mut conn = pool.get().await?;
    let detail = conn
        .transaction::<_, ApiError, _>(async |conn| {
            lifecycle::rename(conn, &caller, &code, if_match.expected(), name).await
        })
        .await?;
    Ok(ok_with_etag(detail.version, &detail))
}

/// `POST /api/v1/regions/{code}/retire`: marks a region as no longer existing (admin only).
/// Its code stays readable in old data and can name the regions that replaced it.
#[utoipa::path(
    tag = TAG,
    params(("code" = String, Path, description = "Region code", example = "14.01.22")),
    request_body = RetireRegion,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Retired", body = RegionDetail, headers(("ETag" = String))),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No region has this code"),
        (status = 409, description = "Already retired, or active regions remain under it"),
        (status = 422, description = "Invalid or unknown successor codes"),
    )
)]
#[post("/regions/{code}/retire")]
pub async fn retire(
    caller: Caller,
    path: web::Path<String>,
    Json(body): Json<RetireRegion>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let code = parse_code(&path)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let successors: Vec<RegionCode> = body
        .replaced_by
        .iter()
        .enumerate()
        .filter_map(|(i, s)| errors.check(&format!("replaced_by[{i}]"), RegionCode::parse(s)))
        .collect();
    if successors.contains(&code) {
        errors.add("replaced_by", text!("a region cannot replace itself"));
    }
    errors.finish()?;

    let mut conn = pool.get().await?;
    let detail = conn
        .transaction::<_, ApiError, _>(async |conn| {
            lifecycle::retire(conn, &caller, &code, &successors, body.include_descendants).await
        })
        .await?;
    Ok(ok_with_etag(detail.version, &detail))
}

fn parse_code(raw: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(raw).map_err(|e| ApiError::invalid("code", e.into()))
}
