//! `GET /api/v1/stats/teams`: TPPS and TPK teams per region.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query::TAG;
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::{RegionCode, RegionLevel, latest_local_date, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Query;
use crate::http::tabular::{self, Tabular};
use crate::records::stats::breakdown;
use crate::records::stats::teams::{self as team_counts, TeamCountRow};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamStatsQuery {
    /// The region to break down (default: the caller's scope).
    #[param(example = "14.01")]
    pub region: Option<String>,
    /// The tier of the rows (default: the tier right below the region).
    pub level: Option<RegionLevel>,
    /// `true`: only lokus villages of `year`.
    pub lokus: Option<bool>,
    /// The year of the lokus list (default: the current year).
    pub year: Option<i32>,
}

/// Team counts per region and for the whole region asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"region_code": "14.01", "level": "subdistrict",
    "rows": [{"region_code": "14.01.01", "region_name": "Bangkinang", "region_level": "subdistrict",
              "tpps": 1, "tpk_active": 24, "tpk_inactive": 0, "villages": 12, "villages_with_tpk": 12}],
    "total": {"region_code": "14.01", "region_name": null, "region_level": "district",
              "tpps": 22, "tpk_active": 479, "tpk_inactive": 0, "villages": 250, "villages_with_tpk": 250}}))]
pub struct TeamStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub rows: Vec<TeamCountRow>,
    pub total: TeamCountRow,
}

/// `GET /api/v1/stats/teams`: TPPS and TPK teams per region (Kampar: 479 TPK), and how many
/// villages have an active TPK.
#[utoipa::path(
    tag = TAG,
    params(TeamStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts per region, and the total; as CSV, the rows then the total under \
            `TeamStats::COLUMNS`",
            content((TeamStats = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, or a year out of range"),
    )
)]
#[get("/stats/teams")]
pub async fn team_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<TeamStatsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    if let Some(year) = query.year {
        errors.check("year", year_bounds(year));
    }
    errors.finish()?;
    let mut conn = pool.get().await?;
    let (root, level) = breakdown(&mut conn, &caller, region, query.level).await?;
    let lokus_year = query
        .lokus
        .unwrap_or(false)
        .then(|| query.year.unwrap_or_else(|| chrono::Datelike::year(&latest_local_date())));
    let (rows, total) = team_counts::teams(&mut conn, root.as_ref(), level, lokus_year).await?;
    tabular::answer(&req, &TeamStats { region_code: root, level, rows, total })
}

impl Tabular for TeamStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "region_name",
        "region_level",
        "tpps",
        "tpk_active",
        "tpk_inactive",
        "villages",
        "villages_with_tpk",
    ];

    /// The regions' rows, then the whole region's.
    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().chain([&self.total]).filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}
