use actix_web::{HttpResponse, get, put, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, ok_with_etag};
use crate::records::person::thresholds::{self, NewThresholds, ThresholdsVersion};

const TAG: &str = "people";

/// `GET /api/v1/catin-thresholds`: every version of the screening thresholds with its source,
/// oldest first; the last judges new screenings (its version is the `ETag`).
#[utoipa::path(
    operation_id = "list_catin_thresholds",
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every version, oldest first", body = Vec<ThresholdsVersion>, headers(("ETag" = String))),
    )
)]
#[get("/catin-thresholds")]
pub async fn list(_caller: Caller, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let versions = thresholds::all(&mut *pool.get().await?).await?;
    let current = versions.last().map_or(0, |v| v.version);
    Ok(ok_with_etag(current, &versions))
}

/// `PUT /api/v1/catin-thresholds`: sets the next version (admins; `If-Match` the current
/// version). Screenings already recorded keep the version they were judged under.
#[utoipa::path(
    operation_id = "set_catin_thresholds",
    tag = TAG,
    params(IfMatch),
    request_body = NewThresholds,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new version", body = ThresholdsVersion, headers(("ETag" = String))),
        (status = 403, description = "Not an admin"),
        (status = 409, description = "Another version was set at the same moment; read them again"),
        (status = 422, description = "A value out of range, the ages out of order, or no source"),
    )
)]
#[put("/catin-thresholds")]
pub async fn set(
    caller: Caller,
    if_match: IfMatch,
    Json(body): Json<NewThresholds>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    FieldErrors::from_validation(body.validate()).finish()?;
    let mut conn = pool.get().await?;
    let version = conn
        .transaction::<_, ApiError, _>(async |conn| thresholds::set(conn, &caller, if_match.expected(), &body).await)
        .await?;
    Ok(ok_with_etag(version.version, &version))
}
