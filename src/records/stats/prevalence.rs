//! Measured prevalence (e-PPGBM style): per region and period, each child counted once at their
//! latest valid measurement in the period. Numerators and denominators always come with rates.

use super::{LokusYears, code_bounds, code_length};
use crate::domain::{RegionCode, RegionLevel};
use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One region's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01", "region_name": "Kabupaten Kampar", "region_level": "district",
    "measured": 7200, "stunted": 605, "severely_stunted": 140, "stunting_pct": 8.4, "severe_stunting_pct": 1.94,
    "weighed": 7150, "underweight": 500, "underweight_pct": 6.99,
    "wasting_measured": 7100, "wasted": 300, "wasting_pct": 4.23
}))]
pub struct PrevalenceRow {
    pub region_code: Option<RegionCode>,
    pub region_name: Option<String>,
    pub region_level: Option<RegionLevel>,
    /// Children with a valid length/height-for-age in the period (the denominator).
    pub measured: i64,
    /// Of them, HAZ below −2 (*pendek* and *sangat pendek*).
    pub stunted: i64,
    /// Of them, HAZ below −3 (*sangat pendek*).
    pub severely_stunted: i64,
    pub stunting_pct: Option<f64>,
    pub severe_stunting_pct: Option<f64>,
    /// Children whose latest measurement has a valid weight-for-age.
    pub weighed: i64,
    /// Of them, WAZ below −2.
    pub underweight: i64,
    pub underweight_pct: Option<f64>,
    /// Children whose latest measurement has a valid weight-for-length/height.
    pub wasting_measured: i64,
    /// Of them, WHZ below −2.
    pub wasted: i64,
    pub wasting_pct: Option<f64>,
}

#[derive(QueryableByName)]
struct Counts {
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Text)]
    region_name: String,
    #[diesel(sql_type = Text)]
    region_level: String,
    #[diesel(sql_type = BigInt)]
    measured: i64,
    #[diesel(sql_type = BigInt)]
    stunted: i64,
    #[diesel(sql_type = BigInt)]
    severely_stunted: i64,
    #[diesel(sql_type = BigInt)]
    weighed: i64,
    #[diesel(sql_type = BigInt)]
    underweight: i64,
    #[diesel(sql_type = BigInt)]
    wasting_measured: i64,
    #[diesel(sql_type = BigInt)]
    wasted: i64,
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 100.0)
}

impl PrevalenceRow {
    fn with_rates(mut self) -> Self {
        self.stunting_pct = pct(self.stunted, self.measured);
        self.severe_stunting_pct = pct(self.severely_stunted, self.measured);
        self.underweight_pct = pct(self.underweight, self.weighed);
        self.wasting_pct = pct(self.wasted, self.wasting_measured);
        self
    }
}

/// Rows per region at `level` inside `root` (all of Indonesia when `None`), and their total.
pub async fn prevalence(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    level: RegionLevel,
    from: NaiveDate,
    to: NaiveDate,
    lokus: Option<LokusYears>,
) -> anyhow::Result<(Vec<PrevalenceRow>, PrevalenceRow)> {
    let (low, high) = code_bounds(root);
    let counts: Vec<Counts> = diesel::sql_query(
        "WITH latest AS ( \
           SELECT DISTINCT ON (m.child_id) c.village_code, m.haz, m.waz, m.whz, \
                  m.waz_implausible, m.whz_implausible \
           FROM measurements m JOIN children c ON c.id = m.child_id \
           WHERE m.voided_at IS NULL AND c.deleted_at IS NULL \
             AND m.haz IS NOT NULL AND NOT m.haz_implausible \
             AND m.measured_on >= $4 AND m.measured_on <= $5 \
             AND c.village_code >= $2 AND c.village_code < $3 \
             AND ($6::integer IS NULL OR c.village_code IN ( \
                   SELECT village_code FROM lokus_villages WHERE year BETWEEN $6 AND $7)) \
           ORDER BY m.child_id, m.measured_on DESC, m.created_at DESC \
         ), per_area AS ( \
           SELECT left(village_code, $1) AS area, count(*) AS measured, \
                  count(*) FILTER (WHERE haz < -2) AS stunted, \
                  count(*) FILTER (WHERE haz < -3) AS severely_stunted, \
                  count(*) FILTER (WHERE waz IS NOT NULL AND NOT waz_implausible) AS weighed, \
                  count(*) FILTER (WHERE waz < -2 AND NOT waz_implausible) AS underweight, \
                  count(*) FILTER (WHERE whz IS NOT NULL AND NOT whz_implausible) AS wasting_measured, \
                  count(*) FILTER (WHERE whz < -2 AND NOT whz_implausible) AS wasted \
           FROM latest GROUP BY 1 \
         ) \
         SELECT p.area, g.name AS region_name, g.level AS region_level, p.measured, p.stunted, \
                p.severely_stunted, p.weighed, p.underweight, p.wasting_measured, p.wasted \
         FROM per_area p JOIN regions g ON g.code = p.area ORDER BY p.area",
    )
    .bind::<Integer, _>(code_length(level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<Integer>, _>(lokus.map(|l| l.first))
    .bind::<Nullable<Integer>, _>(lokus.map(|l| l.last))
    .load(conn)
    .await?;

    let mut total = PrevalenceRow::default();
    let mut rows = Vec::with_capacity(counts.len());
    for c in counts {
        total.measured += c.measured;
        total.stunted += c.stunted;
        total.severely_stunted += c.severely_stunted;
        total.weighed += c.weighed;
        total.underweight += c.underweight;
        total.wasting_measured += c.wasting_measured;
        total.wasted += c.wasted;
        rows.push(
            PrevalenceRow {
                region_code: Some(RegionCode::parse(&c.area)?),
                region_name: Some(c.region_name),
                region_level: Some(c.region_level.parse()?),
                measured: c.measured,
                stunted: c.stunted,
                severely_stunted: c.severely_stunted,
                weighed: c.weighed,
                underweight: c.underweight,
                wasting_measured: c.wasting_measured,
                wasted: c.wasted,
                ..PrevalenceRow::default()
            }
            .with_rates(),
        );
    }
    total.region_code = root.cloned();
    total.region_level = root.map(RegionCode::level);
    Ok((rows, total.with_rates()))
}
