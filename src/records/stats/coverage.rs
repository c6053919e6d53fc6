//! Intervention coverage per region, type and period.
//!
//! Calendar periods are read from `coverage_counts` (migration 000011), kept in step with every
//! activity and monthly report in the writing transaction; a range that is not one calendar
//! period is summed from the activities and reports themselves.

use crate::db::prepared::KeepPrepared;
use std::collections::HashMap;

use super::rates::{Disclosure, Interval, shown, wilson};
use super::{Breakdown, Span, code_bounds, code_length, named_areas};
use crate::domain::{CountUnit, InterventionCategory, RegionCode, RegionLevel};
use crate::records::intervention::types::InterventionType;
use crate::records::intervention::{self, coverage_pct, gap_pct};
use chrono::{Datelike, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One type in one region: numerator and denominator beside the rate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01.01", "region_name": "Bangkinang", "region_level": "subdistrict",
    "type_code": "growth_monitoring", "type_name_en": "Under-fives with growth monitored",
    "period_start": "2024-01-01", "period_end": "2024-12-31",
    "unit": "persons", "activities": 14, "target": 1680, "reached": 1344, "coverage_pct": 80.0,
    "coverage_ci95": {"low": 78.03, "high": 81.83}, "national_target_pct": 90.0, "gap_pct": 10.0,
    "suppressed": false
}))]
pub struct CoverageRow {
    pub region_code: RegionCode,
    pub region_name: String,
    /// The row's tier; a row above the requested level holds region-wide activities.
    pub region_level: RegionLevel,
    pub type_code: String,
    pub type_name_en: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub unit: CountUnit,
    /// How many activities whose dates touch the period add up here.
    pub activities: i64,
    /// Sum of the activities' targets (*sasaran*); `null` when withheld (see `suppressed`).
    pub target: Option<i64>,
    /// Sum of the reports for months inside the period; `null` when withheld.
    pub reached: Option<i64>,
    pub coverage_pct: Option<f64>,
    /// 95% Wilson interval of `coverage_pct`, for people and households reached out of a
    /// target of them (not for tablets or visits, nor where more were reached than targeted).
    pub coverage_ci95: Option<Interval>,
    pub national_target_pct: Option<f64>,
    pub gap_pct: Option<f64>,
    /// Whether a count of 1 to 4 people was withheld (analysts, below district level).
    pub suppressed: bool,
}

/// One type over the whole region asked for, in one period. A region below district level
/// withholds its small counts from analysts as its rows do.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TypeTotal {
    pub type_code: String,
    pub type_name_en: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub unit: CountUnit,
    pub activities: i64,
    pub target: Option<i64>,
    pub reached: Option<i64>,
    pub coverage_pct: Option<f64>,
    pub coverage_ci95: Option<Interval>,
    pub national_target_pct: Option<f64>,
    pub gap_pct: Option<f64>,
    pub suppressed: bool,
}

/// One category's rows, and its totals per type for the whole region.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryCoverage {
    pub category: InterventionCategory,
    pub rows: Vec<CoverageRow>,
    pub totals: Vec<TypeTotal>,
}

/// One area's counts for one type and period, as the queries below sum them.
#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Text)]
    type_code: String,
    #[diesel(sql_type = BigInt)]
    activities: i64,
    #[diesel(sql_type = BigInt)]
    target: i64,
    #[diesel(sql_type = BigInt)]
    reached: i64,
}

/// The Wilson interval where coverage is a share of people: `reached` of `target` persons or
/// households, no more reached than targeted.
fn interval(unit: CountUnit, reached: i64, target: i64) -> Option<Interval> {
    matches!(unit, CountUnit::Persons | CountUnit::Households).then(|| wilson(reached, target)).flatten()
}

/// Coverage per region at `level`, type and period inside `root`, grouped by category
/// (specific first), with one total per type and period.
pub async fn coverage(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    disclosure: Disclosure,
) -> anyhow::Result<Vec<CategoryCoverage>> {
    let sums = match ask.span {
        Span::Calendar { kind, starts } => kept(conn, ask, kind.as_str(), starts).await?,
        Span::Range { from, to } => from_rows(conn, ask, *from, *to).await?,
    };
    let periods = ask.span.periods();
    // Names and type details are joined here, not in SQL: the planner, expecting a few rows
    // where a month series has thousands, looked each region up once per row.
    let types: HashMap<String, InterventionType> =
        intervention::types::list(conn).await?.into_iter().map(|t| (t.code.clone(), t)).collect();
    let regions = named_areas(conn, sums.iter().map(|s| s.area.as_str())).await?;
    let mut sums: Vec<(&InterventionType, Sum)> = sums
        .into_iter()
        .map(|sum| types.get(&sum.type_code).map(|t| (t, sum)).ok_or_else(|| anyhow::anyhow!("unknown type")))
        .collect::<anyhow::Result<_>>()?;
    sums.sort_by(|(a, x), (b, y)| order(a, x).cmp(&order(b, y)));
    let mut groups: Vec<CategoryCoverage> = Vec::new();
    for (kind, sum) in sums {
        let category = kind.category;
        let period =
            periods.iter().find(|p| p.0 == sum.period_start).copied().unwrap_or((sum.period_start, sum.period_start));
        let area = regions.get(&sum.area).ok_or_else(|| anyhow::anyhow!("no region has code {}", sum.area))?;
        let (region_level, unit) = (area.level, kind.unit);
        let guarded = disclosure.guards(Some(region_level));
        let (target, reached) = (shown(sum.target, guarded), shown(sum.reached, guarded));
        let counted = target.zip(reached);
        let coverage = counted.and_then(|(target, reached)| coverage_pct(reached, target));
        let row = CoverageRow {
            region_code: area.code.clone(),
            region_name: area.name.clone(),
            region_level,
            type_code: sum.type_code,
            type_name_en: kind.name_en.clone(),
            period_start: period.0,
            period_end: period.1,
            unit,
            activities: sum.activities,
            target,
            reached,
            coverage_pct: coverage,
            coverage_ci95: counted.and_then(|(target, reached)| interval(unit, reached, target)),
            national_target_pct: kind.national_target_pct,
            gap_pct: gap_pct(coverage, kind.national_target_pct),
            suppressed: counted.is_none(),
        };
        let totals = Total { target: sum.target, reached: sum.reached };
        match groups.iter_mut().find(|g| g.category == category) {
            Some(group) => group.add(row, totals),
            None => {
                let mut group = CategoryCoverage { category, rows: Vec::new(), totals: Vec::new() };
                group.add(row, totals);
                groups.push(group);
            }
        }
    }
    let guarded = disclosure.guards(ask.root.map(RegionCode::level));
    for group in &mut groups {
        for total in &mut group.totals {
            let counted = total
                .target
                .zip(total.reached)
                .filter(|&(target, reached)| shown(target, guarded).is_some() && shown(reached, guarded).is_some());
            (total.target, total.reached, total.suppressed) = match counted {
                Some((target, reached)) => (Some(target), Some(reached), false),
                None => (None, None, true),
            };
            total.coverage_pct = counted.and_then(|(target, reached)| coverage_pct(reached, target));
            total.coverage_ci95 = counted.and_then(|(target, reached)| interval(total.unit, reached, target));
            total.gap_pct = gap_pct(total.coverage_pct, total.national_target_pct);
        }
    }
    Ok(groups)
}

/// Specific interventions first, then by type, period and region.
fn order<'a>(kind: &InterventionType, sum: &'a Sum) -> (bool, &'a str, NaiveDate, &'a str) {
    (kind.category != InterventionCategory::Specific, &sum.type_code, sum.period_start, &sum.area)
}

/// A row's counts before any is withheld: totals add every row.
struct Total {
    target: i64,
    reached: i64,
}

impl CategoryCoverage {
    /// Adds a row, and its counts to its type's total for the period.
    fn add(&mut self, row: CoverageRow, counts: Total) {
        let same = |t: &&mut TypeTotal| t.type_code == row.type_code && t.period_start == row.period_start;
        match self.totals.iter_mut().find(same) {
            Some(total) => {
                total.activities += row.activities;
                total.target = total.target.map(|target| target + counts.target);
                total.reached = total.reached.map(|reached| reached + counts.reached);
            }
            None => self.totals.push(TypeTotal {
                type_code: row.type_code.clone(),
                type_name_en: row.type_name_en.clone(),
                period_start: row.period_start,
                period_end: row.period_end,
                unit: row.unit,
                activities: row.activities,
                target: Some(counts.target),
                reached: Some(counts.reached),
                coverage_pct: None,
                coverage_ci95: None,
                national_target_pct: row.national_target_pct,
                gap_pct: None,
                suppressed: false,
            }),
        }
        self.rows.push(row);
    }
}

/// What both queries below answer with, in no order (`coverage` sorts and names the rows).
const SUMMED: &str = "SELECT period_start, area, type_code, activities, target, reached FROM per_area";

/// The kept rows of the periods: province rows for a breakdown by province, district and
/// upper rows by district, subdistrict and upper_subdistrict rows by subdistrict, the regions'
/// own rows by village (and for lokus villages). An activity of a tier above `level` stays in
/// its own row, so nothing is counted twice or lost. One tier per scan:
/// with `tier IN (…)` PostgreSQL 15 filters the periods instead of seeking them.
async fn kept(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    kind: &str,
    starts: &[NaiveDate],
) -> anyhow::Result<Vec<Sum>> {
    let (low, high) = code_bounds(ask.root);
    let (first, second) = match ask.level {
        _ if ask.lokus => ("own", "own"),
        RegionLevel::Province => ("province", "province"),
        RegionLevel::District => ("district", "upper"),
        RegionLevel::Subdistrict => ("subdistrict", "upper_subdistrict"),
        RegionLevel::Village => ("own", "own"),
    };
    // SQL: CTEs whose tier is chosen at run time, grouped by a computed area.
    Ok(diesel::sql_query(format!(
        "WITH picked AS ( \
           SELECT k.* FROM coverage_counts k \
           WHERE k.tier = $6 AND k.period = $2 AND k.period_start = ANY ($3) \
             AND k.region_code >= $4 AND k.region_code < $5 \
             AND (NOT $8 OR EXISTS (SELECT 1 FROM lokus_villages l WHERE l.village_code = k.region_code \
                                    AND l.year = extract(year FROM k.period_start)::integer)) \
           UNION ALL \
           SELECT k.* FROM coverage_counts k \
           WHERE $7 <> $6 AND k.tier = $7 AND k.period = $2 AND k.period_start = ANY ($3) \
             AND k.region_code >= $4 AND k.region_code < $5 \
         ), per_area AS ( \
           SELECT period_start, \
                  CASE WHEN length(region_code) >= $1 THEN left(region_code, $1) ELSE region_code END AS area, \
                  type_code, sum(activities)::bigint AS activities, sum(target)::bigint AS target, \
                  sum(reached)::bigint AS reached \
           FROM picked GROUP BY 1, 2, 3 HAVING sum(activities) > 0 \
         ) {SUMMED}"
    ))
    .bind::<Integer, _>(code_length(ask.level))
    .bind::<Text, _>(kind)
    .bind::<Array<Date>, _>(starts)
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Text, _>(first)
    .bind::<Text, _>(second)
    .bind::<Bool, _>(ask.lokus)
    .prepared()
    .load(conn)
    .await?)
}

/// Summed from the activities and reports: a range that is not one calendar period has no
/// kept rows. An activity whose whole period lies inside the range contributes its kept
/// `reached` total; only those straddling its edges have their reports summed.
async fn from_rows(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<Sum>> {
    let (low, high) = code_bounds(ask.root);
    let lokus_years = ask.lokus.then(|| (from.year(), to.year()));
    // SQL: activities prorated over a range and grouped by a computed area (CTEs, GROUP BY expression).
    Ok(diesel::sql_query(format!(
        "WITH acts AS ( \
           SELECT i.id, i.type_code, i.target, i.reached, \
                  i.period_start >= date_trunc('month', $4::date) AND i.period_end <= $5 AS inside, \
                  CASE WHEN length(i.region_code) >= $1 THEN left(i.region_code, $1) ELSE i.region_code END AS area \
           FROM interventions i \
           WHERE i.deleted_at IS NULL AND i.region_code >= $2 AND i.region_code < $3 \
             AND i.period_start <= $5 AND i.period_end >= $4 \
             AND ($6::integer IS NULL OR i.region_code IN ( \
                   SELECT village_code FROM lokus_villages WHERE year BETWEEN $6 AND $7)) \
         ), per_area AS ( \
           SELECT $4::date AS period_start, a.area, a.type_code, count(*) AS activities, \
                  sum(a.target)::bigint AS target, \
                  sum(CASE WHEN a.inside THEN a.reached ELSE ( \
                        SELECT coalesce(sum(r.reached), 0) FROM intervention_reports r \
                        WHERE r.intervention_id = a.id AND r.superseded_at IS NULL \
                          AND r.month >= date_trunc('month', $4::date) AND r.month <= $5) END)::bigint AS reached \
           FROM acts a GROUP BY a.area, a.type_code \
         ) {SUMMED}"
    ))
    .bind::<Integer, _>(code_length(ask.level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<Integer>, _>(lokus_years.map(|y| y.0))
    .bind::<Nullable<Integer>, _>(lokus_years.map(|y| y.1))
    .load(conn)
    .await?)
}
