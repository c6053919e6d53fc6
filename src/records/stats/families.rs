//! Families at risk per region: how many, what puts them at risk, and how far the villages
//! have got with verifying the province's list. Read from `family_counts` (one row per
//! village and year, kept by a trigger), never from the millions of families themselves.

use super::rates::{Disclosure, pct, shown};
use super::{code_bounds, code_length, region_named};
use crate::db::prepared::KeepPrepared;
use crate::domain::{RegionCode, RegionLevel};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One region's families at risk for a year. For analysts, a count from 1 to 4 in a row below
/// district level is `null` (and so is the verification it would reveal), with `suppressed: true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "62.03", "region_name": "Kabupaten Kapuas", "region_level": "district",
    "families": 12000, "pending": 4000, "verified": 7000, "not_found": 500, "not_at_risk": 500,
    "verification_pct": 66.67, "with_pregnant_woman": 900, "with_under_two": 4100, "with_under_five": 11000,
    "no_safe_water": 5200, "no_proper_latrine": 4800, "mother_under_20": 600, "mother_over_35": 1900,
    "births_under_2_years_apart": 2100, "more_than_3_children": 1500, "suppressed": false
}))]
pub struct FamilyCountRow {
    pub region_code: RegionCode,
    pub region_name: String,
    pub region_level: RegionLevel,
    pub families: Option<i64>,
    pub pending: Option<i64>,
    pub verified: Option<i64>,
    pub not_found: Option<i64>,
    pub not_at_risk: Option<i64>,
    /// Families checked (verified, not found or not at risk) per 100 on the list.
    pub verification_pct: Option<f64>,
    pub with_pregnant_woman: Option<i64>,
    pub with_under_two: Option<i64>,
    pub with_under_five: Option<i64>,
    pub no_safe_water: Option<i64>,
    pub no_proper_latrine: Option<i64>,
    pub mother_under_20: Option<i64>,
    pub mother_over_35: Option<i64>,
    pub births_under_2_years_apart: Option<i64>,
    pub more_than_3_children: Option<i64>,
    /// Some counts are withheld from this caller (see above).
    pub suppressed: bool,
}

/// A region's sums as read, before anything is withheld.
#[derive(QueryableByName)]
struct Tally {
    #[diesel(sql_type = Text)]
    region_code: RegionCode,
    #[diesel(sql_type = Text)]
    region_name: String,
    #[diesel(sql_type = Text)]
    region_level: RegionLevel,
    #[diesel(sql_type = BigInt)]
    families: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    verified: i64,
    #[diesel(sql_type = BigInt)]
    not_found: i64,
    #[diesel(sql_type = BigInt)]
    not_at_risk: i64,
    #[diesel(sql_type = BigInt)]
    with_pregnant_woman: i64,
    #[diesel(sql_type = BigInt)]
    with_under_two: i64,
    #[diesel(sql_type = BigInt)]
    with_under_five: i64,
    #[diesel(sql_type = BigInt)]
    no_safe_water: i64,
    #[diesel(sql_type = BigInt)]
    no_proper_latrine: i64,
    #[diesel(sql_type = BigInt)]
    mother_under_20: i64,
    #[diesel(sql_type = BigInt)]
    mother_over_35: i64,
    #[diesel(sql_type = BigInt)]
    births_under_2_years_apart: i64,
    #[diesel(sql_type = BigInt)]
    more_than_3_children: i64,
}

impl Tally {
    fn disclosed(self, disclosure: Disclosure) -> FamilyCountRow {
        let guarded = disclosure.guards(Some(self.region_level));
        let show = |count| shown(count, guarded);
        let counts = [
            self.families,
            self.pending,
            self.verified,
            self.not_found,
            self.not_at_risk,
            self.with_pregnant_woman,
            self.with_under_two,
            self.with_under_five,
            self.no_safe_water,
            self.no_proper_latrine,
            self.mother_under_20,
            self.mother_over_35,
            self.births_under_2_years_apart,
            self.more_than_3_children,
        ];
        let checked = self.families - self.pending;
        FamilyCountRow {
            suppressed: counts.iter().any(|&count| show(count).is_none()),
            // The share checked reveals the counts checked and pending: shown only with them.
            verification_pct: [self.families, self.pending, checked]
                .iter()
                .all(|&count| show(count).is_some())
                .then(|| pct(checked, self.families))
                .flatten(),
            families: show(self.families),
            pending: show(self.pending),
            verified: show(self.verified),
            not_found: show(self.not_found),
            not_at_risk: show(self.not_at_risk),
            with_pregnant_woman: show(self.with_pregnant_woman),
            with_under_two: show(self.with_under_two),
            with_under_five: show(self.with_under_five),
            no_safe_water: show(self.no_safe_water),
            no_proper_latrine: show(self.no_proper_latrine),
            mother_under_20: show(self.mother_under_20),
            mother_over_35: show(self.mother_over_35),
            births_under_2_years_apart: show(self.births_under_2_years_apart),
            more_than_3_children: show(self.more_than_3_children),
            region_code: self.region_code,
            region_name: self.region_name,
            region_level: self.region_level,
        }
    }
}

/// Rows per region at `level` inside `root` for `year` (lokus villages only when `lokus`).
pub async fn families(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    level: RegionLevel,
    year: i32,
    lokus: bool,
    disclosure: Disclosure,
) -> anyhow::Result<Vec<FamilyCountRow>> {
    let (low, high) = code_bounds(root);
    // SQL: grouped by a computed area, named by key (`region_named`), a GROUP BY expression.
    let tallies: Vec<Tally> = diesel::sql_query(format!(
        "SELECT f.area AS region_code, {named}, f.families, f.pending, \
                f.verified, f.not_found, f.not_at_risk, \
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
    .await?;
    Ok(tallies.into_iter().map(|tally| tally.disclosed(disclosure)).collect())
}
