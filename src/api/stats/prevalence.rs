//! `GET /api/v1/stats/prevalence`: measured stunting, underweight and wasting.

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
use crate::records::stats::prevalence::{self as measured, PrevalenceRow};
use crate::records::stats::rates::Disclosure;

/// Measured prevalence per region and period, and for the whole region asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PrevalenceStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    /// The kind of the periods; `null` for a range that is not one calendar period.
    pub period: Option<PeriodKind>,
    pub source: CountSource,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// One row per region and period (periods in order, regions by code within each).
    pub rows: Vec<PrevalenceRow>,
    /// The whole region, one row per period.
    pub totals: Vec<PrevalenceRow>,
    /// The whole region when the answer covers one period; `null` for a series.
    pub total: Option<PrevalenceRow>,
}

/// `GET /api/v1/stats/prevalence`: stunting (and underweight and wasting) from routine
/// measurements: each child counted once, at their latest valid measurement in the period;
/// implausible values, voided measurements and removed children left out. Every rate comes
/// with its numerator, denominator and 95% Wilson interval; analysts see counts from 1 to 4
/// below district level as `null` (`suppressed: true`).
#[utoipa::path(
    tag = TAG,
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts and rates per region and period, and the totals; as CSV, the rows \
            and then the totals under the columns of `PrevalenceStats::COLUMNS` (nested fields as `parent_child`)",
            content((PrevalenceStats = "application/json"), (String = "text/csv", example = json!(PREVALENCE_CSV_EXAMPLE))),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, no period (a year, or from and to), or a range the period kind does not tile"),
    )
)]
#[get("/stats/prevalence")]
pub async fn prevalence(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<StatsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let parsed = query.parse()?;
    let mut conn = pool.get().await?;
    let asked = query.resolve(&mut conn, &caller, parsed).await?;
    let (ask, span) = (asked.breakdown(), &asked.span);
    let counted = measured::prevalence(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let source = asked.source();
    let total = match counted.totals.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    let stats = PrevalenceStats {
        region_code: asked.root.clone(),
        level: asked.level,
        period: span.kind(),
        source,
        period_start: span.first_day(),
        period_end: span.last_day(),
        rows: counted.rows,
        totals: counted.totals,
        total,
    };
    tabular::answer(&req, &stats)
}

const PREVALENCE_CSV_EXAMPLE: &str = "region_code,region_name,region_level,period_start,period_end,measured,stunted,...\n\
    14.01.01,Bangkinang,subdistrict,2024-01-01,2024-12-31,412,37,...\n";

impl Tabular for PrevalenceStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "region_name",
        "region_level",
        "period_start",
        "period_end",
        "measured",
        "stunted",
        "severely_stunted",
        "stunting_pct",
        "stunting_ci95_low",
        "stunting_ci95_high",
        "severe_stunting_pct",
        "severe_stunting_ci95_low",
        "severe_stunting_ci95_high",
        "weighed",
        "underweight",
        "underweight_pct",
        "underweight_ci95_low",
        "underweight_ci95_high",
        "wasting_measured",
        "wasted",
        "wasting_pct",
        "wasting_ci95_low",
        "wasting_ci95_high",
        "left_out_implausible",
        "left_out_held",
        "suppressed",
    ];

    /// The regions' rows, then the whole region's.
    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().chain(&self.totals).filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}
