//! `GET /api/v1/stats/interventions`: intervention coverage per region and type.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::query::{StatsQuery, TAG};
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::{CountSource, PeriodKind, RegionCode, RegionLevel};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::tabular::{self, Tabular};
use crate::records::stats::coverage::{self, CategoryCoverage};
use crate::records::stats::rates::Disclosure;

/// Coverage of interventions, per region and type, grouped by category.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01", "level": "subdistrict", "period": "year", "source": "kept",
    "period_start": "2024-01-01", "period_end": "2024-12-31",
    "categories": [{"category": "specific", "rows": [], "totals": []}]
}))]
pub struct InterventionStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    /// The kind of the periods; `null` for a range that is not one calendar period.
    pub period: Option<PeriodKind>,
    pub source: CountSource,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub categories: Vec<CategoryCoverage>,
}

/// `GET /api/v1/stats/interventions`: target, reached, coverage and gap to the national
/// target per child region and type. Village reports add up to subdistricts and districts.
#[utoipa::path(
    tag = TAG,
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Coverage, specific then sensitive; as CSV, one row per region and type \
            under `InterventionStats::COLUMNS`",
            content((InterventionStats = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above the region, or no period (a year, or from and to)"),
    )
)]
#[get("/stats/interventions")]
pub async fn interventions(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<StatsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let parsed = query.parse()?;
    let mut conn = pool.get().await?;
    let asked = query.resolve(&mut conn, &caller, parsed).await?;
    let (ask, span) = (asked.breakdown(), &asked.span);
    let categories = coverage::coverage(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let stats = InterventionStats {
        region_code: asked.root.clone(),
        level: asked.level,
        period: span.kind(),
        source: asked.source(),
        period_start: span.first_day(),
        period_end: span.last_day(),
        categories,
    };
    tabular::answer(&req, &stats)
}

impl Tabular for InterventionStats {
    const COLUMNS: &'static [&'static str] = &[
        "category",
        "region_code",
        "region_name",
        "region_level",
        "type_code",
        "type_name_en",
        "period_start",
        "period_end",
        "unit",
        "activities",
        "target",
        "reached",
        "coverage_pct",
        "coverage_ci95_low",
        "coverage_ci95_high",
        "national_target_pct",
        "gap_pct",
        "suppressed",
    ];

    /// One row per region and type, its category first.
    fn rows(&self) -> Vec<serde_json::Value> {
        let mut rows = Vec::new();
        for group in &self.categories {
            for row in &group.rows {
                let mut line = serde_json::Map::new();
                line.insert("category".into(), serde_json::json!(group.category));
                if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(row) {
                    line.extend(fields);
                }
                rows.push(serde_json::Value::Object(line));
            }
        }
        rows
    }
}
