//! `GET /api/v1/stats/families-at-risk`: families at risk and their verification.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::query::{TAG, YearStatsQuery, resolve_year};
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::{RegionCode, RegionLevel};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::tabular::{self, Tabular};
use crate::records::stats::families::{self as family_counts, FamilyCountRow};
use crate::records::stats::rates::Disclosure;

/// Families at risk per region for a year, and their verification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"region_code": "62", "level": "district", "year": 2022, "rows": [{
    "region_code": "62.03", "region_name": "Kabupaten Kapuas", "region_level": "district",
    "families": 12000, "pending": 4000, "verified": 7000, "not_found": 500, "not_at_risk": 500,
    "verification_pct": 66.67, "with_pregnant_woman": 900, "with_under_two": 4100, "with_under_five": 11000,
    "no_safe_water": 5200, "no_proper_latrine": 4800, "mother_under_20": 600, "mother_over_35": 1900,
    "births_under_2_years_apart": 2100, "more_than_3_children": 1500, "suppressed": false}]}))]
pub struct FamilyStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub year: i32,
    pub rows: Vec<FamilyCountRow>,
}

/// `GET /api/v1/stats/families-at-risk`: families at risk per region for a year, by risk
/// factor and household member, and the verification progress (use `level=district` for the
/// province's progress per district). For analysts, counts from 1 to 4 below district level are
/// withheld (`suppressed: true`).
#[utoipa::path(
    tag = TAG,
    params(YearStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per region with families on the list; as CSV, under \
            `FamilyStats::COLUMNS`",
            content((FamilyStats = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, or a missing year"),
    )
)]
#[get("/stats/families-at-risk")]
pub async fn family_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<YearStatsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let (root, level) = resolve_year(&mut conn, &caller, &query).await?;
    let lokus = query.lokus.unwrap_or(false);
    let disclosure = Disclosure::new(caller.sees_small_counts());
    let rows = family_counts::families(&mut conn, root.as_ref(), level, query.year, lokus, disclosure).await?;
    tabular::answer(&req, &FamilyStats { region_code: root, level, year: query.year, rows })
}

impl Tabular for FamilyStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "region_name",
        "region_level",
        "families",
        "pending",
        "verified",
        "not_found",
        "not_at_risk",
        "verification_pct",
        "with_pregnant_woman",
        "with_under_two",
        "with_under_five",
        "no_safe_water",
        "no_proper_latrine",
        "mother_under_20",
        "mother_over_35",
        "births_under_2_years_apart",
        "more_than_3_children",
        "suppressed",
    ];

    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}
