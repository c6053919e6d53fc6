use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::{AsyncPgConnection, ReadPool};
use crate::domain::{CountSource, Month, PeriodKind, RegionCode, RegionLevel, latest_local_date, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Query;
use crate::http::tabular::{self, Tabular};
use crate::records::region as regions;
use crate::records::stats::budgets::{self, BudgetRow};
use crate::records::stats::coverage::{self, CategoryCoverage};
use crate::records::stats::families::{self as family_counts, FamilyCountRow};
use crate::records::stats::prevalence::{self as measured, PrevalenceRow};
use crate::records::stats::rates::Disclosure;
use crate::records::stats::teams::{self as team_counts, TeamCountRow};
use crate::records::stats::{Breakdown, Span};

pub(super) const TAG: &str = "stats";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The region to break down (default: the caller's scope; all of Indonesia for national
    /// accounts).
    #[param(example = "14.01")]
    pub region: Option<String>,
    /// The tier of the rows (default: the tier right below the region).
    pub level: Option<RegionLevel>,
    /// A calendar year…
    #[param(example = 2024, minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// …or a range of months, `from` and `to` (`2024-01`).
    pub from: Option<Month>,
    pub to: Option<Month>,
    /// A time series: one row per region (and type) and period of this kind; the year or range
    /// must start and end on its boundaries (at most 120 periods). Without it, a year or a
    /// range that is exactly one calendar period is read from the kept counts, any other range
    /// is counted from the records, and `source` says which.
    pub period: Option<PeriodKind>,
    /// `true`: only lokus (priority) villages designated for the period's year.
    pub lokus: Option<bool>,
}

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
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    let span = parse_span(&mut errors, query.year, query.from, query.to, query.period);
    let span = errors.finish_with(span)?;
    let mut conn = pool.get().await?;
    let (root, level) = breakdown(&mut conn, &caller, region, query.level).await?;
    let ask = Breakdown { root: root.as_ref(), level, span: &span, lokus: query.lokus.unwrap_or(false) };
    let categories = coverage::coverage(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let stats = InterventionStats {
        region_code: root,
        level,
        period: span.kind(),
        source: source_of(&span),
        period_start: span.first_day(),
        period_end: span.last_day(),
        categories,
    };
    tabular::answer(&req, &stats)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearStatsQuery {
    /// The region to break down (default: the caller's scope; all of Indonesia for national
    /// accounts).
    #[param(example = "14")]
    pub region: Option<String>,
    /// The tier of the rows (default: the tier right below the region).
    pub level: Option<RegionLevel>,
    /// The (fiscal) year.
    #[param(example = 2024)]
    pub year: i32,
    /// `true`: only lokus villages of the year (for budgets: budgets of lokus villages and
    /// lines that name one).
    pub lokus: Option<bool>,
}

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
/// child where cases are recorded.
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
    let rows = budgets::budgets(&mut conn, root.as_ref(), level, query.year, query.lokus.unwrap_or(false)).await?;
    tabular::answer(&req, &BudgetStats { region_code: root, level, fiscal_year: query.year, rows })
}

/// The region a breakdown covers (narrowed to the caller's scope) and the tier of its rows.
pub(super) async fn breakdown(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    region: Option<RegionCode>,
    level: Option<RegionLevel>,
) -> Result<(Option<RegionCode>, RegionLevel), ApiError> {
    let root = caller.aggregate_scope(region)?.code().cloned();
    // Rows at the region's own tier are allowed (one row).
    // The nation's rows are its provinces; a region's are the tier right below it.
    let (highest, below) = match &root {
        None => (RegionLevel::Province, RegionLevel::Province),
        Some(code) => (code.level(), code.level().below().first().copied().unwrap_or(code.level())),
    };
    let level = match level {
        Some(level) if level >= highest => level,
        Some(_) => return Err(ApiError::invalid("level", "must be the region's tier or one below it")),
        None => below,
    };
    if let Some(code) = &root
        && !regions::exists(conn, code).await?
    {
        return Err(ApiError::not_found(format!("no region has code {code}")));
    }
    Ok((root, level))
}

/// The region and tier of a breakdown for one year, checked; every invalid parameter listed.
async fn resolve_year(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    query: &YearStatsQuery,
) -> Result<(Option<RegionCode>, RegionLevel), ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.check("year", year_bounds(query.year));
    errors.finish()?;
    breakdown(conn, caller, region, query.level).await
}

/// The periods asked for: a `year` or `from`..`to`, as periods of `kind` when one is given.
pub(super) fn parse_span(
    errors: &mut FieldErrors,
    year: Option<i32>,
    from: Option<Month>,
    to: Option<Month>,
    kind: Option<PeriodKind>,
) -> Option<Span> {
    let range = parse_period(errors, year, from, to);
    range.and_then(|(from, to)| errors.check("period", Span::new(kind, from, to)))
}

pub(super) fn source_of(span: &Span) -> CountSource {
    match span {
        Span::Calendar { .. } => CountSource::Kept,
        Span::Range { .. } => CountSource::Rows,
    }
}

/// A calendar `year`, or a range of months `from`..`to`.
fn parse_period(
    errors: &mut FieldErrors,
    year: Option<i32>,
    from: Option<Month>,
    to: Option<Month>,
) -> Option<(NaiveDate, NaiveDate)> {
    match (year, from, to) {
        (Some(year), None, None) => errors.check("year", year_bounds(year)),
        (None, Some(from), Some(to)) if from <= to => Some((from.first_day(), to.last_day())),
        (None, Some(_), Some(_)) => {
            errors.add("to", "is before from");
            None
        }
        _ => {
            errors.add("year", "give either a year, or both from and to");
            None
        }
    }
}

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
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    let span = parse_span(&mut errors, query.year, query.from, query.to, query.period);
    let span = errors.finish_with(span)?;
    let mut conn = pool.get().await?;
    let (root, level) = breakdown(&mut conn, &caller, region, query.level).await?;
    let ask = Breakdown { root: root.as_ref(), level, span: &span, lokus: query.lokus.unwrap_or(false) };
    let counted = measured::prevalence(&mut conn, &ask, Disclosure::new(caller.sees_small_counts())).await?;
    let source = source_of(&span);
    let total = match counted.totals.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    let stats = PrevalenceStats {
        region_code: root,
        level,
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
        "suppressed",
    ];

    /// The regions' rows, then the whole region's.
    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().chain(&self.totals).filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}

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

/// Families at risk per region for a year, and their verification.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"region_code": "62", "level": "district", "year": 2022, "rows": [{
    "region_code": "62.03", "region_name": "Kabupaten Kapuas", "region_level": "district",
    "families": 12000, "pending": 4000, "verified": 7000, "not_found": 500, "not_at_risk": 500,
    "verification_pct": 66.67, "with_pregnant_woman": 900, "with_under_two": 4100, "with_under_five": 11000,
    "no_safe_water": 5200, "no_proper_latrine": 4800, "mother_under_20": 600, "mother_over_35": 1900,
    "births_under_2_years_apart": 2100, "more_than_3_children": 1500}]}))]
pub struct FamilyStats {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub level: RegionLevel,
    pub year: i32,
    pub rows: Vec<FamilyCountRow>,
}

/// `GET /api/v1/stats/families-at-risk`: families at risk per region for a year, by risk
/// factor and household member, and the verification progress (use `level=district` for the
/// province's progress per district).
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
    let rows =
        family_counts::families(&mut conn, root.as_ref(), level, query.year, query.lokus.unwrap_or(false)).await?;
    tabular::answer(&req, &FamilyStats { region_code: root, level, year: query.year, rows })
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
    ];

    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
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
    ];

    fn rows(&self) -> Vec<serde_json::Value> {
        self.rows.iter().filter_map(|row| serde_json::to_value(row).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::tabular::columns_of;
    use crate::records::stats::coverage::CoverageRow;
    use utoipa::PartialSchema;

    /// The example a type's schema carries.
    fn example_of<T: PartialSchema>() -> serde_json::Value {
        use utoipa::openapi::{RefOr, Schema};
        match T::schema() {
            RefOr::T(Schema::Object(object)) => object.example.clone(),
            // A struct with flattened fields is an allOf.
            RefOr::T(Schema::AllOf(all)) => all.example.clone(),
            _ => None,
        }
        .expect("the type has an example")
    }

    /// The flattened scalar fields of a row: what a CSV line holds.
    fn scalar_columns(row: &serde_json::Value) -> Vec<String> {
        let mut row = row.clone();
        row.as_object_mut().unwrap().retain(|_, v| !v.is_array());
        columns_of(&row)
    }

    #[test]
    fn the_csv_columns_are_the_row_fields() {
        assert_eq!(columns_of(&example_of::<PrevalenceRow>()), PrevalenceStats::COLUMNS);
        assert_eq!(scalar_columns(&example_of::<BudgetRow>()), BudgetStats::COLUMNS);
        let mut coverage = serde_json::json!({"category": "specific"});
        coverage.as_object_mut().unwrap().extend(example_of::<CoverageRow>().as_object().unwrap().clone());
        assert_eq!(columns_of(&coverage), InterventionStats::COLUMNS);
        let teams = example_of::<TeamStats>();
        assert_eq!(columns_of(&teams["rows"][0]), TeamStats::COLUMNS);
        let families = example_of::<FamilyStats>();
        assert_eq!(columns_of(&families["rows"][0]), FamilyStats::COLUMNS);
    }
}
