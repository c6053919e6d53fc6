//! `GET /api/v1/stats/cases`: case follow-up per region and period.

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
use crate::records::stats::cases::{self as case_counts, CaseCountRow};
use crate::records::stats::rates::Disclosure;

/// Cases per region and period, and for the whole region asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    /// The kind of the periods; `null` for a range that is not one calendar period.
    pub period: Option<PeriodKind>,
    pub source: CountSource,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// One row per region and period (periods in order, regions by code within each); a region
    /// with no case open at the end and none opened, ended or audited in the period is left out.
    pub rows: Vec<CaseCountRow>,
    /// The whole region, one row per period.
    pub totals: Vec<CaseCountRow>,
}

/// `GET /api/v1/stats/cases`: per region and period, the cases open at the period's end (by
/// severity, and how many a TPK follows), and those opened, resolved, closed (by reason) and
/// audited in it. Void cases and removed children's cases are left out. No personal data:
/// analysts may call it, and see counts from 1 to 4 below district level as `null`.
#[utoipa::path(
    tag = TAG,
    params(StatsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts per region and period, and the totals; as CSV, the rows and then the \
            totals under `CaseStats::COLUMNS`",
            content((CaseStats = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, no period (a year, or from and to), or a range the period kind does not tile"),
    )
)]
#[get("/stats/cases")]
pub async fn case_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<StatsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let parsed = query.parse()?;
    let mut conn = pool.get().await?;
    let asked = query.resolve(&mut conn, &caller, parsed).await?;
    let (ask, span) = (asked.breakdown(), &asked.span);
    let counted = case_counts::cases(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let stats = CaseStats {
        region_code: asked.root.clone(),
        level: asked.level,
        period: span.kind(),
        source: asked.source(),
        period_start: span.first_day(),
        period_end: span.last_day(),
        rows: counted.rows,
        totals: counted.totals,
    };
    tabular::answer(&req, &stats)
}

impl Tabular for CaseStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "region_name",
        "region_level",
        "period_start",
        "period_end",
        "open",
        "open_stunted",
        "open_severely_stunted",
        "open_assigned",
        "opened",
        "resolved",
        "closed",
        "closed_moved_away",
        "closed_died",
        "closed_reached_60_months",
        "closed_other",
        "audited",
        "suppressed",
    ];

    /// The regions' rows, then the whole region's.
    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().chain(&self.totals).filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::tabular::columns_of;
    use utoipa::PartialSchema;

    #[test]
    fn the_csv_columns_are_the_row_fields() {
        use utoipa::openapi::{RefOr, Schema};
        let RefOr::T(Schema::Object(row)) = CaseCountRow::schema() else { panic!("an object schema") };
        assert_eq!(columns_of(&row.example.expect("an example")), CaseStats::COLUMNS);
    }
}
