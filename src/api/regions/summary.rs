//! `GET /api/v1/regions/{code}/summary`: one call per dashboard.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::{RegionCode, Scope, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Query;
use crate::http::tabular;
use crate::records::region::{self, unknown};
use crate::records::stats::rates::Disclosure;
use crate::records::stats::summary::{self as dashboard, RegionDashboard};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The calendar (and fiscal) year.
    #[param(example = 2024, minimum = 2000, maximum = 2100)]
    pub year: i32,
}

/// `GET /api/v1/regions/{code}/summary?year=`: every tile of a region's dashboard in one answer:
/// measured prevalence with its five-year trend, the official figures reported over the same
/// years and the target; cases; coverage by category; budget ceiling, realised and absorption;
/// convergence progress; lokus villages; TPPS and TPK; families-at-risk verification. Each tile
/// is the region's total from the same counts as `stats/*`, so a tile and its drill-down agree.
/// No personal data: analysts may call it (small counts below district level withheld).
#[utoipa::path(
    tag = "stats",
    params(("code" = String, Path, description = "Region code, or `national`", example = "14.01"), SummaryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The region's dashboard", body = RegionDashboard,
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope (`national`: national accounts only)"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region code, or a year out of range"),
    )
)]
#[get("/regions/{code}/summary")]
pub async fn region_summary(
    req: HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    Query(query): Query<SummaryQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let root = match path.as_str() {
        "national" => Some(None),
        raw => errors.check("code", RegionCode::parse(raw)).map(Some),
    };
    errors.check("year", year_bounds(query.year));
    let root = errors.finish_with(root)?;
    match &root {
        Some(code) => caller.require_in_scope(code)?,
        None if caller.scope == Scope::National => {}
        None => return Err(ApiError::forbidden(text!("only national accounts see the national summary"))),
    }
    let mut conn = pool.get().await?;
    let name = match &root {
        Some(code) => region::find(&mut conn, code).await?.ok_or_else(|| unknown(code))?.name,
        None => "Indonesia".to_owned(),
    };
    let disclosure = Disclosure::new(caller.sees_small_counts());
    let dashboard = dashboard::summary(&mut conn, root.as_ref(), name, query.year, disclosure).await?;
    tabular::answer_json(&req, &dashboard)
}
