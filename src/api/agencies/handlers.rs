use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::{DbPool, ReadPool};
use crate::domain::{AgencyId, RegionCode, RegionLevel};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag};
use crate::records::agency::{self, Agency, AgencyChanges, ListAgenciesQuery, NewAgency};
use crate::records::region;

const TAG: &str = "interventions";

/// `GET /api/v1/agencies?district=`: a district's agencies.
#[utoipa::path(
    operation_id = "list_agencies",
    tag = TAG,
    params(ListAgenciesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The district's agencies by short name", body = Vec<Agency>),
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 422, description = "No district given, or not a district code"),
    )
)]
#[get("/agencies")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListAgenciesQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Vec<Agency>>, ApiError> {
    let district = match query.district.as_deref() {
        Some(raw) => parse_district(raw)?,
        // A caller at or under a district means that district.
        None => caller
            .scope
            .code()
            .and_then(|code| code.ancestors().into_iter().chain([code.clone()]).nth(1))
            .ok_or_else(|| ApiError::invalid("district", text!("is required")))?,
    };
    if !caller.scope.overlaps(&district) {
        return Err(ApiError::forbidden(text!("district %{district} is outside your scope", district = district)));
    }
    Ok(web::Json(agency::list(&mut *pool.get().await?, &district).await?))
}

/// `POST /api/v1/agencies`: adds an agency to a district (its officers, admins).
#[utoipa::path(
    operation_id = "create_agency",
    tag = TAG,
    request_body = NewAgency,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = Agency, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an officer of this district (or its province), nor an admin"),
        (status = 409, description = "The district already has an agency with this short name"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[post("/agencies")]
pub async fn create(
    caller: Caller,
    Json(body): Json<NewAgency>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Agency)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let district = errors.check(
        "district_code",
        parse_district(&body.district_code).map_err(|_| text!("must be a district code like 14.01")),
    );
    let district = errors.finish_with(district)?;
    caller.require_in_scope(&district)?;
    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &district, "district_code").await?;
    let agency =
        conn.transaction::<_, ApiError, _>(async |conn| agency::create(conn, &caller, &district, &body).await).await?;
    Ok(created_with_etag(format!("/api/v1/agencies/{}", agency.id), agency.version, &agency))
}

/// `PATCH /api/v1/agencies/{id}`: renames or re-sectors an agency (needs `If-Match`).
#[utoipa::path(
    operation_id = "update_agency",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Agency id"),
        IfMatch,
    ),
    request_body = AgencyChanges,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = Agency, headers(("ETag" = String))),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No such agency"),
        (status = 409, description = "The short name is taken in the district"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/agencies/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<AgencyId>,
    if_match: IfMatch,
    Json(body): Json<AgencyChanges>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Agency)?;
    body.validate()?;
    let id = *path;
    let mut conn = pool.get().await?;
    let agency = conn
        .transaction::<_, ApiError, _>(async |conn| agency::change(conn, &caller, id, if_match.expected(), &body).await)
        .await?;
    Ok(ok_with_etag(agency.version, &agency))
}

/// `DELETE /api/v1/agencies/{id}`: removes an agency no activity names (needs `If-Match`).
#[utoipa::path(
    operation_id = "delete_agency",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Agency id"),
        IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No such agency"),
        (status = 409, description = "Activities or budget lines name it as responsible"),
    )
)]
#[delete("/agencies/{id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<AgencyId>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Agency)?;
    let id = *path;
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| agency::remove(conn, &caller, id, if_match.expected()).await)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn parse_district(raw: &str) -> Result<RegionCode, ApiError> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| c.level() == RegionLevel::District)
        .ok_or_else(|| ApiError::invalid("district", text!("must be a district code like 14.01")))
}
