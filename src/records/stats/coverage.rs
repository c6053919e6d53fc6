//! Intervention coverage per region and type.

use super::{LokusYears, code_bounds, code_length};
use crate::domain::{CountUnit, InterventionCategory, RegionCode, RegionLevel};
use crate::records::intervention::{coverage_pct, gap_pct};
use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Date, Double, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One type in one region: numerator and denominator beside the rate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01.01", "region_name": "Bangkinang", "region_level": "subdistrict",
    "type_code": "growth_monitoring", "type_name_en": "Under-fives with growth monitored",
    "unit": "persons", "activities": 14, "target": 1680, "reached": 1344, "coverage_pct": 80.0,
    "national_target_pct": 90.0, "gap_pct": 10.0
}))]
pub struct CoverageRow {
    pub region_code: RegionCode,
    pub region_name: String,
    /// The row's tier; a row above the requested level holds region-wide activities.
    pub region_level: RegionLevel,
    pub type_code: String,
    pub type_name_en: String,
    pub unit: CountUnit,
    /// How many activities add up here.
    pub activities: i64,
    /// Sum of the activities' targets (*sasaran*).
    pub target: i64,
    /// Sum of the reports for months inside the period.
    pub reached: i64,
    pub coverage_pct: Option<f64>,
    pub national_target_pct: Option<f64>,
    pub gap_pct: Option<f64>,
}

/// One type over the whole region asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TypeTotal {
    pub type_code: String,
    pub type_name_en: String,
    pub unit: CountUnit,
    pub activities: i64,
    pub target: i64,
    pub reached: i64,
    pub coverage_pct: Option<f64>,
    pub national_target_pct: Option<f64>,
    pub gap_pct: Option<f64>,
}

/// One category's rows, and its totals per type for the whole region.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CategoryCoverage {
    pub category: InterventionCategory,
    pub rows: Vec<CoverageRow>,
    pub totals: Vec<TypeTotal>,
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = Text)]
    region_code: String,
    #[diesel(sql_type = Text)]
    region_name: String,
    #[diesel(sql_type = Text)]
    region_level: String,
    #[diesel(sql_type = Text)]
    type_code: String,
    #[diesel(sql_type = Text)]
    type_name_en: String,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    unit: String,
    #[diesel(sql_type = Nullable<Double>)]
    national_target_pct: Option<f64>,
    #[diesel(sql_type = BigInt)]
    activities: i64,
    #[diesel(sql_type = BigInt)]
    target: i64,
    #[diesel(sql_type = BigInt)]
    reached: i64,
}

/// Coverage of the activities inside `root` (all of Indonesia when `None`) whose period
/// touches [from, to], grouped by region at `level` and by type. An activity of a tier above
/// `level` stays in its own row, so nothing is counted twice or lost. An activity whose whole
/// period lies inside [from, to] contributes its kept `reached` total; only activities that
/// straddle the edges have their monthly reports summed, so a national yearly figure reads
/// the activities, not every report.
pub async fn coverage(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    level: RegionLevel,
    from: NaiveDate,
    to: NaiveDate,
    lokus: Option<LokusYears>,
) -> anyhow::Result<Vec<CategoryCoverage>> {
    let (low, high) = code_bounds(root);
    let sums: Vec<Sum> = diesel::sql_query(
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
           SELECT a.area, a.type_code, count(*) AS activities, sum(a.target) AS target, \
                  sum(CASE WHEN a.inside THEN a.reached ELSE ( \
                        SELECT coalesce(sum(r.reached), 0) FROM intervention_reports r \
                        WHERE r.intervention_id = a.id AND r.superseded_at IS NULL \
                          AND r.month >= date_trunc('month', $4::date) AND r.month <= $5) END) AS reached \
           FROM acts a GROUP BY a.area, a.type_code \
         ) \
         SELECT p.area AS region_code, g.name AS region_name, g.level AS region_level, p.type_code, \
                t.name_en AS type_name_en, t.category, t.unit, t.national_target_pct, \
                p.activities, p.target::bigint AS target, p.reached::bigint AS reached \
         FROM per_area p \
         JOIN intervention_types t ON t.code = p.type_code \
         JOIN regions g ON g.code = p.area \
         ORDER BY t.category DESC, p.type_code, p.area",
    )
    .bind::<diesel::sql_types::Integer, _>(code_length(level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<diesel::sql_types::Integer>, _>(lokus.map(|l| l.first))
    .bind::<Nullable<diesel::sql_types::Integer>, _>(lokus.map(|l| l.last))
    .load(conn)
    .await?;

    let mut groups: Vec<CategoryCoverage> = Vec::new();
    for sum in sums {
        let category: InterventionCategory = sum.category.parse()?;
        let row = CoverageRow {
            region_code: RegionCode::parse(&sum.region_code)?,
            region_name: sum.region_name,
            region_level: sum.region_level.parse()?,
            type_code: sum.type_code,
            type_name_en: sum.type_name_en,
            unit: sum.unit.parse()?,
            activities: sum.activities,
            target: sum.target,
            reached: sum.reached,
            coverage_pct: coverage_pct(sum.reached, sum.target),
            national_target_pct: sum.national_target_pct,
            gap_pct: gap_pct(coverage_pct(sum.reached, sum.target), sum.national_target_pct),
        };
        match groups.iter_mut().find(|g| g.category == category) {
            Some(group) => group.rows.push(row),
            None => groups.push(CategoryCoverage { category, rows: vec![row], totals: Vec::new() }),
        }
    }
    for group in &mut groups {
        group.totals = totals(&group.rows);
    }
    Ok(groups)
}

/// Per type, the sum of the rows: the whole region's figure.
fn totals(rows: &[CoverageRow]) -> Vec<TypeTotal> {
    let mut out: Vec<TypeTotal> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|t| t.type_code == row.type_code) {
            Some(total) => {
                total.activities += row.activities;
                total.target += row.target;
                total.reached += row.reached;
            }
            None => out.push(TypeTotal {
                type_code: row.type_code.clone(),
                type_name_en: row.type_name_en.clone(),
                unit: row.unit,
                activities: row.activities,
                target: row.target,
                reached: row.reached,
                coverage_pct: None,
                national_target_pct: row.national_target_pct,
                gap_pct: None,
            }),
        }
    }
    for total in &mut out {
        total.coverage_pct = coverage_pct(total.reached, total.target);
        total.gap_pct = gap_pct(total.coverage_pct, total.national_target_pct);
    }
    out
}
