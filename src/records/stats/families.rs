//! Families at risk per region: how many, what puts them at risk, and how far the villages
//! have got with verifying the province's list. Read from `family_counts` (one row per
//! village and year, kept by a trigger), never from the millions of families themselves.

use super::{code_bounds, code_length, region_named};
use crate::db::prepared::KeepPrepared;
use crate::domain::{RegionCode, RegionLevel};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One region's families at risk for a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, QueryableByName)]
#[schema(example = json!({
    "region_code": "62.03", "region_name": "Kabupaten Kapuas", "region_level": "district",
    "families": 12000, "pending": 4000, "verified": 7000, "not_found": 500, "not_at_risk": 500,
    "verification_pct": 66.67, "with_pregnant_woman": 900, "with_under_two": 4100, "with_under_five": 11000,
    "no_safe_water": 5200, "no_proper_latrine": 4800, "mother_under_20": 600, "mother_over_35": 1900,
    "births_under_2_years_apart": 2100, "more_than_3_children": 1500
}))]
pub struct FamilyCountRow {
    #[diesel(sql_type = Text)]
    pub region_code: RegionCode,
    #[diesel(sql_type = Text)]
    pub region_name: String,
    #[diesel(sql_type = Text)]
    pub region_level: RegionLevel,
    #[diesel(sql_type = BigInt)]
    pub families: i64,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub verified: i64,
    #[diesel(sql_type = BigInt)]
    pub not_found: i64,
    #[diesel(sql_type = BigInt)]
    pub not_at_risk: i64,
    /// Families checked (verified, not found or not at risk) per 100 on the list.
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub verification_pct: f64,
    #[diesel(sql_type = BigInt)]
    pub with_pregnant_woman: i64,
    #[diesel(sql_type = BigInt)]
    pub with_under_two: i64,
    #[diesel(sql_type = BigInt)]
    pub with_under_five: i64,
    #[diesel(sql_type = BigInt)]
    pub no_safe_water: i64,
    #[diesel(sql_type = BigInt)]
    pub no_proper_latrine: i64,
    #[diesel(sql_type = BigInt)]
    pub mother_under_20: i64,
    #[diesel(sql_type = BigInt)]
    pub mother_over_35: i64,
    #[diesel(sql_type = BigInt)]
    pub births_under_2_years_apart: i64,
    #[diesel(sql_type = BigInt)]
    pub more_than_3_children: i64,
}

/// Rows per region at `level` inside `root` for `year` (lokus villages only when `lokus`).
pub async fn families(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    level: RegionLevel,
    year: i32,
    lokus: bool,
) -> anyhow::Result<Vec<FamilyCountRow>> {
    let (low, high) = code_bounds(root);
    // SQL: grouped by a computed area, named by key (`region_named`), a GROUP BY expression.
    Ok(diesel::sql_query(format!(
        "SELECT f.area AS region_code, {named}, f.families, f.pending, \
                f.verified, f.not_found, f.not_at_risk, \
                round(100.0 * (f.families - f.pending) / f.families, 2)::double precision AS verification_pct, \
                f.with_pregnant_woman, f.with_under_two, f.with_under_five, f.no_safe_water, f.no_proper_latrine, \
                f.mother_under_20, f.mother_over_35, f.births_under_2_years_apart, f.more_than_3_children \
         FROM ( \
           SELECT left(village_code, $1) AS area, sum(families)::bigint AS families, \
                  sum(pending)::bigint AS pending, sum(verified)::bigint AS verified, \
                  sum(not_found)::bigint AS not_found, sum(not_at_risk)::bigint AS not_at_risk, \
                  sum(with_pregnant_woman)::bigint AS with_pregnant_woman, \
                  sum(with_under_two)::bigint AS with_under_two, sum(with_under_five)::bigint AS with_under_five, \
                  sum(no_safe_water)::bigint AS no_safe_water, sum(no_proper_latrine)::bigint AS no_proper_latrine, \
                  sum(mother_under_20)::bigint AS mother_under_20, sum(mother_over_35)::bigint AS mother_over_35, \
                  sum(births_under_2_years_apart)::bigint AS births_under_2_years_apart, \
                  sum(more_than_3_children)::bigint AS more_than_3_children \
           FROM family_counts \
           WHERE year = $4 AND families > 0 AND village_code >= $2 AND village_code < $3 \
             AND (NOT $5 OR village_code IN (SELECT village_code FROM lokus_villages WHERE year = $4)) \
           GROUP BY 1 \
         ) f ORDER BY 1",
        named = region_named("f.area"),
    ))
    .bind::<Integer, _>(code_length(level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Integer, _>(year)
    .bind::<Bool, _>(lokus)
    .prepared()
    .load(conn)
    .await?)
}
