use actix_web::{HttpResponse, get, put, web};
use diesel_async::AsyncConnection;

use crate::api::regions;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::error::ApiError;
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, ok_with_etag};
use crate::records::lokus::{self, LokusList, LokusReplacement};

const TAG: &str = "convergence";

/// `GET /api/v1/lokus/{district}/{year}`: the district's lokus villages for the year.
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The list (empty, version 0, until decided)", body = LokusList, headers(("ETag" = String))),
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 422, description = "Not a district code, or a year out of range"),
    )
)]
#[get("/lokus/{district}/{year}")]
pub async fn get_lokus(
    caller: Caller,
    path: web::Path<(String, i32)>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let (district, year) = regions::district_and_year(&path)?;
    caller.require_overlap(&district)?;
    let list = lokus::find(&mut *pool.get().await?, &district, year).await?;
    Ok(ok_with_etag(list.version, &list))
}

/// `PUT /api/v1/lokus/{district}/{year}`: sets the whole list and the decision behind it (the
/// district's officers; `If-Match: "0"` for the first list of a year).
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
        IfMatch,
    ),
    request_body = LokusReplacement,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = LokusList, headers(("ETag" = String))),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No district has this code"),
        (status = 422, description = "Invalid fields, or villages outside the district, unknown or repeated"),
    )
)]
#[put("/lokus/{district}/{year}")]
pub async fn replace(
    caller: Caller,
    path: web::Path<(String, i32)>,
    if_match: IfMatch,
    Json(body): Json<LokusReplacement>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let (district, year) = regions::district_and_year(&path)?;
    caller.require_district_officer(&district)?;
    let mut conn = pool.get().await?;
    let list = conn
        .transaction::<_, ApiError, _>(async |conn| {
            lokus::set(conn, &caller, (&district, year), if_match.expected(), &body).await
        })
        .await?;
    Ok(ok_with_etag(list.version, &list))
}
