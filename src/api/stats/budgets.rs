//! `GET /api/v1/stats/budgets`: budgets, spending and absorption per region.

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
use crate::records::stats::budgets::{self, BudgetRow};
use crate::records::stats::rates::Disclosure;

/// Budgets per region, by funding source, agency and category.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BudgetStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub fiscal_year: i32,
    pub rows: Vec<BudgetRow>,
}

/// `GET /api/v1/stats/budgets`: ceilings, spending and absorption of approved budgets per child
/// region, by funding source, by agency and by specific/sensitive; with spending per stunted
/// child where cases are recorded. For analysts, 1 to 4 stunted children below district level
/// are withheld, with the spending per child (`suppressed: true`).
#[utoipa::path(
    tag = TAG,
    params(YearStatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per region; as CSV, under `BudgetStats::COLUMNS` (the breakdowns by \
            source, agency and category are in the JSON only)",
            content((BudgetStats = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, or a missing year"),
    )
)]
#[get("/stats/budgets")]
pub async fn budget_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<YearStatsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let (root, level) = resolve_year(&mut conn, &caller, &query).await?;
    let lokus = query.lokus.unwrap_or(false);
    let disclosure = Disclosure::new(caller.sees_small_counts());
    let rows = budgets::budgets(&mut conn, root.as_ref(), level, query.year, lokus, disclosure).await?;
    tabular::answer(&req, &BudgetStats { region_code: root, level, fiscal_year: query.year, rows })
}

impl Tabular for BudgetStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "region_name",
        "region_level",
        "ceiling",
        "realised",
        "absorption_pct",
        "stunted_children",
        "realised_per_stunted_child",
        "suppressed",
    ];

    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}
