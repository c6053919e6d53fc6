use actix_web::{HttpResponse, get, put, web};
use diesel_async::AsyncConnection;
use serde_json::json;
use validator::Validate;

use crate::api::regions;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::text;
use crate::domain::{RegionCode, RegionLevel};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, ok_with_etag};
use crate::records::lokus::{self, LokusList, LokusReplacement};
use crate::records::region;
use crate::records::write;

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
    let mut errors = FieldErrors::from_validation(body.validate());
    let mut villages: Vec<(RegionCode, Option<String>)> = Vec::with_capacity(body.villages.len());
    for (i, entry) in body.villages.iter().enumerate() {
        let field = format!("villages[{i}].village_code");
        match RegionCode::parse(&entry.village_code) {
            Ok(code) if code.level() != RegionLevel::Village => errors.add(&field, "must be a village code"),
            Ok(code) if !district.contains(&code) => errors.add(&field, format!("is not in district {district}")),
            Ok(code) if villages.iter().any(|(c, _)| *c == code) => errors.add(&field, "is listed twice"),
            Ok(code) => {
                let reason = text::given(entry.reason.as_deref()).map(str::to_owned);
                villages.push((code, reason));
            }
            Err(e) => errors.add(&field, e.to_string()),
        }
    }
    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &district, "district")
        .await
        .map_err(|_| ApiError::not_found(format!("no district has code {district}")))?;
    let codes: Vec<&RegionCode> = villages.iter().map(|(c, _)| c).collect();
    for unknown in lokus::unknown_villages(&mut conn, &codes).await? {
        let i = body.villages.iter().position(|e| e.village_code == unknown.as_str()).unwrap_or_default();
        errors.add(&format!("villages[{i}].village_code"), format!("no village has code {unknown}"));
    }
    errors.finish()?;
    let list = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let key = format!("{district}/{year}");
            let changes = json!({"villages": villages.len(), "decision": body.decision.trim()});
            write::keyed(
                conn,
                &caller,
                if_match.expected(),
                ("lokus.replace", key.as_str(), |_| changes),
                async |conn| Ok(lokus::lock_decision(conn, &district, year).await?),
                |version: &i32| *version,
                async |conn, current| {
                    let existed = current.is_some();
                    lokus::replace(conn, &district, year, &body, &villages, existed, caller.id).await?;
                    Ok(lokus::find(conn, &district, year).await?)
                },
            )
            .await
        })
        .await?;
    Ok(ok_with_etag(list.version, &list))
}
