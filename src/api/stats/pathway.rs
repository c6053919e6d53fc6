//! `GET /api/v1/stats/pathway`: the first 1,000 days.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query::{StatsQuery, TAG};
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::{CountSource, PeriodKind, RegionCode, RegionLevel};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::tabular::{self, Tabular};
use crate::records::stats::pathway::{self, PathwayIndicator, PathwayRow};
use crate::records::stats::rates::Disclosure;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndicatorQuery {
    /// Only these indicators, comma-separated (default: every one, in the order of
    /// `PathwayIndicator`).
    #[param(example = "anc_k6,low_birth_weight")]
    pub indicators: Option<String>,
}

impl IndicatorQuery {
    fn parse(&self) -> Result<Vec<PathwayIndicator>, ApiError> {
        let Some(list) = self.indicators.as_deref() else {
            return Ok(PathwayIndicator::ALL.to_vec());
        };
        let mut chosen = Vec::new();
        for name in list.split(',').map(str::trim) {
            let indicator = name.parse::<PathwayIndicator>().map_err(|e| {
                ApiError::invalid("indicators", text!("`%{name}`: %{reason}", name = name, reason => e.into()))
            })?;
            if !chosen.contains(&indicator) {
                chosen.push(indicator);
            }
        }
        Ok(chosen)
    }
}

/// The first 1,000 days per region, period and indicator, and for the whole region asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PathwayStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    /// The kind of the periods; `null` for a range that is not one calendar period.
    pub period: Option<PeriodKind>,
    pub source: CountSource,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// One row per region and period (periods in order, regions by code within each), each
    /// with the indicators in the order asked; regions with nothing recorded in a period are
    /// left out.
    pub rows: Vec<PathwayRow>,
    /// The whole region, one row per period.
    pub totals: Vec<PathwayRow>,
}

/// `GET /api/v1/stats/pathway`: the first 1,000 days. Catin screenings at risk and each risk
/// factor (of the screenings taken in the period); K1, K4, K6, at least 90 iron tablets, KEK and
/// anaemia (of the pregnancies that ended in the period); low birth weight and short at birth
/// (of the babies born alive); KF1–KF4 complete and postpartum contraception (of the
/// deliveries); exclusive breastfeeding (of the live births whose mothers were asked). Voided
/// and removed records are left out; each rate has its numerator, denominator and 95% Wilson
/// interval; analysts see counts from 1 to 4 below district level as `null`.
#[utoipa::path(
    tag = TAG,
    params(StatsQuery, IndicatorQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts and rates per region and period, and the totals; as CSV, one line per \
            region, period and indicator, the rows and then the totals, under the columns of `PathwayStats::COLUMNS` \
            (`ci95` as `ci95_low`, `ci95_high`)",
            content((PathwayStats = "application/json"), (String = "text/csv", example = json!(PATHWAY_CSV_EXAMPLE))),
            headers(("ETag" = String, description = "Changes whenever the answer does"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 404, description = "No region has this code"),
        (status = 422, description = "A malformed region, a level above it, no period (a year, or from and to), a range the period kind does not tile, an unknown indicator"),
    )
)]
#[get("/stats/pathway")]
pub async fn pathway_stats(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<StatsQuery>,
    Query(chosen): Query<IndicatorQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let parsed = query.parse()?;
    let indicators = chosen.parse()?;
    let mut conn = pool.get().await?;
    let asked = query.resolve(&mut conn, &caller, parsed).await?;
    let disclosure = Disclosure::new(caller.sees_small_counts());
    let counted = pathway::pathway(&mut conn, &asked.breakdown(), &indicators, disclosure).await?;
    let span = &asked.span;
    let stats = PathwayStats {
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

const PATHWAY_CSV_EXAMPLE: &str = "region_code,region_name,region_level,period_start,period_end,indicator,numerator,...\n\
    14.01.01,Bangkinang,subdistrict,2025-01-01,2025-12-31,anc_k6,212,...\n";

impl Tabular for PathwayStats {
    const COLUMNS: &'static [&'static str] = &[
        "region_code",
        "region_name",
        "region_level",
        "period_start",
        "period_end",
        "indicator",
        "numerator",
        "denominator",
        "pct",
        "ci95_low",
        "ci95_high",
        "suppressed",
    ];

    /// The regions' rows, then the whole region's: one line per indicator, named beside it.
    fn rows(&self) -> Vec<serde_json::Value> {
        let mut lines = Vec::new();
        for row in self.rows.iter().chain(&self.totals) {
            let Ok(serde_json::Value::Object(mut place)) = serde_json::to_value(row) else { continue };
            place.remove("indicators");
            for indicator in &row.indicators {
                let Ok(serde_json::Value::Object(rate)) = serde_json::to_value(indicator) else { continue };
                let mut line = place.clone();
                line.extend(rate);
                lines.push(serde_json::Value::Object(line));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document's pattern for `indicators` allows exactly the lists `parse` reads.
    #[test]
    fn the_indicators_pattern_allows_what_parse_reads() {
        let schema = serde_json::json!({"type": "string", "pattern": PathwayIndicator::list_pattern()});
        let pattern = jsonschema::validator_for(&schema).unwrap();
        for list in [
            "anc_k6",
            "anc_k6,low_birth_weight",
            " anc_k6 ,\tanc_k6",
            "tpk_assisted",
            "",
            "anc_k6,",
            ",anc_k6",
            "ANC_K6",
            "anc_k6;anc_k4",
            "anc_k6 anc_k4",
            "anc",
        ] {
            let query = IndicatorQuery { indicators: Some(list.to_owned()) };
            assert_eq!(pattern.is_valid(&serde_json::json!(list)), query.parse().is_ok(), "{list:?}");
        }
    }
}
