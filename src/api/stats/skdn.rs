//! `GET /api/v1/stats/skdn`: the posyandu's monthly weighing.

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
use crate::records::stats::rates::Disclosure;
use crate::records::stats::skdn::{self, AreaAsk, AreaLevel, SkdnRow};

/// SKDN per area and period, and for the whole region asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SkdnStats {
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
    pub rows: Vec<SkdnRow>,
    /// The whole region, one row per period (children with no posyandu included).
    pub totals: Vec<SkdnRow>,
}

/// `GET /api/v1/stats/skdn`: SKDN per posyandu, village or tier and month. S under-fives
/// registered in the area (living children in the 60 months from their birth month), K with a
/// KMS/KIA book, D weighed in the month (once each, at the month's latest weighing), N grown
/// by the KMS minimum for the age since last month (KBM, Permenkes 155/2010), T not grown, O
/// not weighed last month, B weighed for the first time, 2T and BGM to refer; participation
/// D/S, growth N/D and book coverage K/S with their 95% Wilson intervals. Counted where each
/// child is registered now; kept per month with every write; analysts see counts from 1 to 4
/// below district level as `null`.
#[utoipa::path(
    tag = TAG,
    params(AreaQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "SKDN per area and period, and the totals; as CSV, the rows and then the totals \
            under the columns of `SkdnStats::COLUMNS` (each `ci95` as `_ci95_low`, `_ci95_high`)",
            content((SkdnStats = "application/json"), (String = "text/csv", example = json!(SKDN_CSV_EXAMPLE))),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, posyandu rows above a district, no period \
            (a year, or from and to), a range the period kind does not tile"),
    )
)]
#[get("/stats/skdn")]
pub async fn skdn_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<AreaQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let AreaAsked { root, level, span } = query.resolve(&mut conn, &caller).await?;
    let periods = span.periods();
    let ask = AreaAsk { root: root.as_ref(), level, periods: &periods };
    let counted = skdn::skdn(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let stats = SkdnStats {
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

const SKDN_CSV_EXAMPLE: &str = "region_code,posyandu_id,name,level,period_start,period_end,under_fives,kia_book,weighed,rose,...\n\
    14.01.01.2009,0192b7a4-0000-7000-8000-0000000000a1,Posyandu Melati,posyandu,2025-02-01,2025-02-28,64,60,52,41,...\n";

impl Tabular for SkdnStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "posyandu_id",
        "name",
        "level",
        "period_start",
        "period_end",
        "under_fives",
        "kia_book",
        "weighed",
        "rose",
        "not_rose",
        "missed_last_month",
        "first_weighing",
        "two_t",
        "bgm",
        "participation_pct",
        "participation_ci95_low",
        "participation_ci95_high",
        "growth_pct",
        "growth_ci95_low",
        "growth_ci95_high",
        "kia_pct",
        "kia_ci95_low",
        "kia_ci95_high",
        "suppressed",
    ];

    /// The areas' rows, then the whole region's.
    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().chain(&self.totals).filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}
