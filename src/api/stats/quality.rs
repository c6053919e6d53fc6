//! `GET /api/v1/stats/data-quality`: which measurements to trust, per posyandu, village and tier.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::query::{AreaAsked, AreaQuery, TAG};
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::{PeriodKind, RegionCode};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::tabular::{self, Tabular};
use crate::records::stats::quality::{self, QualityRow};
use crate::records::stats::rates::Disclosure;
use crate::records::stats::skdn::{AreaAsk, AreaLevel};

/// Data quality per area and period, and for the whole region asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QualityStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: AreaLevel,
    /// The kind of the periods; `null`: the whole range is one period.
    pub period: Option<PeriodKind>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// One row per area and period (periods in order, areas by code within each: a
    /// posyandu's code is its village's, a dot and its id); areas with nothing recorded are
    /// left out.
    pub rows: Vec<QualityRow>,
    /// The whole region, one row per period (measurements taken at no posyandu included).
    pub totals: Vec<QualityRow>,
}

/// `GET /api/v1/stats/data-quality`: per posyandu, village or tier and month, the living
/// measurements and how many the checks flagged: a z-score outside WHO's plausible range, a
/// length lower than the child's previous one beyond the tolerance, a weight-for-age jump no
/// child makes in the interval, a reported age that does not fit the birth date; how many an
/// officer checked and how many are held out of prevalence; and the heaping index of the
/// lengths (those ending in .0 or .5 against the two in ten chance gives), with whether heaping
/// is suspected. A posyandu's row counts the measurements taken there; a region's, those of
/// the children registered in it. Kept per month with every write; analysts see counts from 1
/// to 4 below district level as `null`.
#[utoipa::path(
    tag = TAG,
    params(AreaQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Data quality per area and period, and the totals; as CSV, the rows and then the \
            totals under the columns of `QualityStats::COLUMNS` (`flagged_ci95` as `_low`, `_high`)",
            content((QualityStats = "application/json"), (String = "text/csv", example = json!(QUALITY_CSV_EXAMPLE))),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, posyandu rows above a district, no period \
            (a year, or from and to), a range the period kind does not tile"),
    )
)]
#[get("/stats/data-quality")]
pub async fn quality_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<AreaQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let AreaAsked { root, level, span } = query.resolve(&mut conn, &caller).await?;
    let periods = span.periods();
    let ask = AreaAsk { root: root.as_ref(), level, periods: &periods };
    let counted = quality::quality(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let stats = QualityStats {
        region_code: root,
        level,
        period: span.kind(),
        period_start: span.first_day(),
        period_end: span.last_day(),
        rows: counted.rows,
        totals: counted.totals,
    };
    tabular::answer(&req, &stats)
}

const QUALITY_CSV_EXAMPLE: &str = "region_code,posyandu_id,name,level,period_start,period_end,measured,flagged,...\n\
    14.01.01.2009,0192b7a4-0000-7000-8000-0000000000a1,Posyandu Melati,posyandu,2025-02-01,2025-02-28,120,9,...\n";

impl Tabular for QualityStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "posyandu_id",
        "name",
        "level",
        "period_start",
        "period_end",
        "measured",
        "flagged",
        "implausible",
        "length_decrease",
        "weight_jump",
        "age_mismatch",
        "checked",
        "held",
        "heaped",
        "flagged_pct",
        "flagged_ci95_low",
        "flagged_ci95_high",
        "heaping_index",
        "heaping_suspected",
        "suppressed",
    ];

    /// The areas' rows, then the whole region's.
    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().chain(&self.totals).filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}
