//! Team counts per region: TPPS teams, TPK teams active and not, and villages with a TPK.

use super::{code_bounds, code_length, region_named};
use crate::db::prepared::KeepPrepared;
use crate::domain::{RegionCode, RegionLevel};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One region's teams. A TPPS of a tier above the rows' tier stays in its own row.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, QueryableByName)]
#[schema(example = json!({"region_code": "14.01", "region_name": "Kabupaten Kampar", "region_level": "district",
    "tpps": 22, "tpk_active": 479, "tpk_inactive": 3, "villages": 250, "villages_with_tpk": 250}))]
pub struct TeamCountRow {
    /// `null` in the total for all of Indonesia.
    #[diesel(sql_type = Nullable<Text>)]
    pub region_code: Option<RegionCode>,
    #[diesel(sql_type = Nullable<Text>)]
    pub region_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub region_level: Option<RegionLevel>,
    /// Active TPPS teams.
    #[diesel(sql_type = BigInt)]
    pub tpps: i64,
    #[diesel(sql_type = BigInt)]
    pub tpk_active: i64,
    #[diesel(sql_type = BigInt)]
    pub tpk_inactive: i64,
    /// Villages in the region (lokus villages only, with `lokus=true`).
    #[diesel(sql_type = BigInt)]
    pub villages: i64,
    /// Of them, villages with at least one active TPK.
    #[diesel(sql_type = BigInt)]
    pub villages_with_tpk: i64,
}

/// Rows per region at `level` inside `root`, and their total.
pub async fn teams(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    level: RegionLevel,
    lokus_year: Option<i32>,
) -> anyhow::Result<(Vec<TeamCountRow>, TeamCountRow)> {
    let (low, high) = code_bounds(root);
    let rows: Vec<TeamCountRow> = match lokus_year {
        None => kept(conn, code_length(level), &low, &high).await?,
        Some(year) => of_lokus(conn, code_length(level), &low, &high, year).await?,
    };
    let region_name = match root {
        Some(code) => crate::records::region::find(conn, code).await?.map(|r| r.name),
        None => Some("Indonesia".to_owned()),
    };
    let mut total = TeamCountRow {
        region_code: root.cloned(),
        region_name,
        region_level: root.map(RegionCode::level),
        ..TeamCountRow::default()
    };
    for row in &rows {
        total.tpps += row.tpps;
        total.tpk_active += row.tpk_active;
        total.tpk_inactive += row.tpk_inactive;
        total.villages += row.villages;
        total.villages_with_tpk += row.villages_with_tpk;
    }
    Ok((rows, total))
}

/// From the kept counts (migration 000027): each region's row at the tier, its villages, and
/// the regions between the root and the tier that have TPPS of their own.
async fn kept(conn: &mut AsyncPgConnection, length: i32, low: &str, high: &str) -> anyhow::Result<Vec<TeamCountRow>> {
    // Villages are counted from the regions at village level, kept above it: one statement
    // each, as a generic plan of `$1 = 13 AND …` scanned every region for a national answer.
    // The tier's code length is written into the statement, not bound: with `length(…) = $1`
    // PostgreSQL's generic plan (taken after five executions, per connection) walked the
    // primary key over every region of the range instead of the tier's index (23 ms nationally
    // instead of 1).
    let villages = match length {
        13 => {
            "SELECT code AS area, 1::bigint AS villages FROM regions \
               WHERE level = 'village' AND retired_at IS NULL AND code >= $1 AND code < $2"
        }
        _ => &format!(
            "SELECT region_code AS area, villages FROM village_counts \
              WHERE length(region_code) = {length} AND region_code >= $1 AND region_code < $2"
        ),
    };
    // Each area is named by key (`region_named`): joined, the generic plan PostgreSQL chose
    // after five national executions hashed every region, up to 280 ms under load.
    // SQL: a FULL JOIN of kept team and village counts by region, the DSL cannot write it.
    Ok(diesel::sql_query(format!(
        "WITH k AS ( \
           SELECT region_code AS area, tpps, tpk_active, tpk_inactive, villages_with_tpk FROM team_counts \
           WHERE length(region_code) = {length} AND region_code >= $1 AND region_code < $2 \
           UNION ALL \
           SELECT region_code, own_tpps, 0, 0, 0 FROM team_counts \
           WHERE length(region_code) < {length} AND own_tpps > 0 AND region_code >= $1 AND region_code < $2 \
         ), v AS ({villages}) \
         SELECT a.area AS region_code, {named}, \
                coalesce(k.tpps, 0) AS tpps, coalesce(k.tpk_active, 0) AS tpk_active, \
                coalesce(k.tpk_inactive, 0) AS tpk_inactive, coalesce(v.villages, 0) AS villages, \
                coalesce(k.villages_with_tpk, 0) AS villages_with_tpk \
         FROM k FULL JOIN v ON v.area = k.area CROSS JOIN LATERAL (SELECT coalesce(k.area, v.area) AS area) a \
         WHERE (k.tpps, k.tpk_active, k.tpk_inactive) IS DISTINCT FROM (0, 0, 0) OR v.villages IS NOT NULL \
         ORDER BY 1",
        named = region_named("a.area"),
    ))
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .prepared()
    .load(conn)
    .await?)
}

/// Counted from the teams of the year's lokus villages (a few per district).
async fn of_lokus(
    conn: &mut AsyncPgConnection,
    length: i32,
    low: &str,
    high: &str,
    year: i32,
) -> anyhow::Result<Vec<TeamCountRow>> {
    // SQL: grouped by an area computed from each row's code, a GROUP BY expression the DSL cannot write.
    Ok(diesel::sql_query(
        "WITH lokus AS (SELECT village_code FROM lokus_villages WHERE year = $4), \
         t AS ( \
           SELECT left(region_code, $1) AS area, kind, active, region_code \
           FROM teams WHERE region_code >= $2 AND region_code < $3 AND region_code IN (SELECT village_code FROM lokus) \
         ), per_team AS ( \
           SELECT area, count(*) FILTER (WHERE kind = 'tpps' AND active) AS tpps, \
                  count(*) FILTER (WHERE kind = 'tpk' AND active) AS tpk_active, \
                  count(*) FILTER (WHERE kind = 'tpk' AND NOT active) AS tpk_inactive, \
                  count(DISTINCT region_code) FILTER (WHERE kind = 'tpk' AND active) AS villages_with_tpk \
           FROM t GROUP BY area \
         ), v AS ( \
           SELECT left(code, $1) AS area, count(*) AS villages FROM regions \
           WHERE level = 'village' AND retired_at IS NULL AND code >= $2 AND code < $3 \
             AND code IN (SELECT village_code FROM lokus) \
           GROUP BY 1 \
         ) \
         SELECT coalesce(p.area, v.area) AS region_code, g.name AS region_name, g.level AS region_level, \
                coalesce(p.tpps, 0) AS tpps, coalesce(p.tpk_active, 0) AS tpk_active, \
                coalesce(p.tpk_inactive, 0) AS tpk_inactive, coalesce(v.villages, 0) AS villages, \
                coalesce(p.villages_with_tpk, 0) AS villages_with_tpk \
         FROM per_team p FULL JOIN v ON v.area = p.area \
         JOIN regions g ON g.code = coalesce(p.area, v.area) \
         ORDER BY 1",
    )
    .bind::<Integer, _>(length)
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .bind::<Integer, _>(year)
    .prepared()
    .load(conn)
    .await?)
}
