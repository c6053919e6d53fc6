//! Measured prevalence (e-PPGBM style): per region and period, each child counted once at their
//! latest valid measurement in the period. Numerators and denominators always come with rates.
//!
//! Calendar periods are read from `prevalence_counts`, which the database keeps in step with
//! every write (migration 000010): a district's breakdown of a year reads a few hundred kept
//! rows whatever the number of children. A range that is not one calendar period is counted
//! from the measurements themselves, and the answer says so.

use super::rates::{Disclosure, Interval, rate, shown};
use super::{Breakdown, Span, code_bounds, code_length, named_areas};
use crate::db::prepared::KeepPrepared;
use crate::domain::{PeriodKind, RegionCode, RegionLevel, series};
use chrono::{Datelike, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One region's figures for one period. For an analyst, counts from 1 to 4 below district
/// level are `null` (and so are the rates they would reveal), with `suppressed: true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01", "region_name": "Kabupaten Kampar", "region_level": "district",
    "period_start": "2024-01-01", "period_end": "2024-12-31",
    "measured": 7200, "stunted": 605, "severely_stunted": 140,
    "stunting_pct": 8.4, "stunting_ci95": {"low": 7.78, "high": 9.07},
    "severe_stunting_pct": 1.94, "severe_stunting_ci95": {"low": 1.65, "high": 2.29},
    "weighed": 7150, "underweight": 500, "underweight_pct": 6.99, "underweight_ci95": {"low": 6.43, "high": 7.6},
    "wasting_measured": 7100, "wasted": 300, "wasting_pct": 4.23, "wasting_ci95": {"low": 3.78, "high": 4.72},
    "left_out_implausible": 12, "left_out_held": 31, "suppressed": false
}))]
pub struct PrevalenceRow {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub region_name: Option<String>,
    pub region_level: Option<RegionLevel>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Children with a valid length/height-for-age in the period (the denominator).
    pub measured: Option<i64>,
    /// Of them, HAZ below −2 (*pendek* and *sangat pendek*).
    pub stunted: Option<i64>,
    /// Of them, HAZ below −3 (*sangat pendek*).
    pub severely_stunted: Option<i64>,
    pub stunting_pct: Option<f64>,
    /// 95% Wilson score interval of `stunting_pct`.
    pub stunting_ci95: Option<Interval>,
    pub severe_stunting_pct: Option<f64>,
    pub severe_stunting_ci95: Option<Interval>,
    /// Children whose latest measurement has a valid weight-for-age.
    pub weighed: Option<i64>,
    /// Of them, WAZ below −2.
    pub underweight: Option<i64>,
    pub underweight_pct: Option<f64>,
    pub underweight_ci95: Option<Interval>,
    /// Children whose latest measurement has a valid weight-for-length/height.
    pub wasting_measured: Option<i64>,
    /// Of them, WHZ below −2.
    pub wasted: Option<i64>,
    pub wasting_pct: Option<f64>,
    pub wasting_ci95: Option<Interval>,
    /// Measurements of the period left out of stunting because their length-for-age is outside
    /// WHO's plausible range (|HAZ| > 6).
    pub left_out_implausible: Option<i64>,
    /// Measurements of the period left out because a data check flagged them and no officer
    /// has checked them yet (`GET /stats/data-quality` says which checks). One measurement may
    /// be left out for both reasons; the child may still count at another measurement.
    pub left_out_held: Option<i64>,
    /// Whether a count from 1 to 4 was withheld (analysts, below district level).
    pub suppressed: bool,
}

/// Measurements of one region and period left out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeftOut {
    pub implausible: i64,
    pub held: i64,
}

impl std::ops::AddAssign for LeftOut {
    fn add_assign(&mut self, other: Self) {
        self.implausible += other.implausible;
        self.held += other.held;
    }
}

/// The counts of one region and period, as kept or counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct Counts {
    #[diesel(sql_type = BigInt)]
    pub measured: i64,
    #[diesel(sql_type = BigInt)]
    pub stunted: i64,
    #[diesel(sql_type = BigInt)]
    pub severely_stunted: i64,
    #[diesel(sql_type = BigInt)]
    pub weighed: i64,
    #[diesel(sql_type = BigInt)]
    pub underweight: i64,
    #[diesel(sql_type = BigInt)]
    pub wasting_measured: i64,
    #[diesel(sql_type = BigInt)]
    pub wasted: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Self) {
        self.measured += other.measured;
        self.stunted += other.stunted;
        self.severely_stunted += other.severely_stunted;
        self.weighed += other.weighed;
        self.underweight += other.underweight;
        self.wasting_measured += other.wasting_measured;
        self.wasted += other.wasted;
    }
}

#[derive(QueryableByName)]
pub struct AreaCounts {
    #[diesel(sql_type = Date)]
    pub period_start: NaiveDate,
    #[diesel(sql_type = Text)]
    pub area: String,
    #[diesel(embed)]
    pub counts: Counts,
}

/// Where a region stands in one period.
struct Place {
    region_code: Option<RegionCode>,
    region_name: Option<String>,
    region_level: Option<RegionLevel>,
    period: (NaiveDate, NaiveDate),
}

impl PrevalenceRow {
    fn new(place: Place, counts: Counts, left_out: LeftOut, disclosure: Disclosure) -> Self {
        let guarded = disclosure.guards(place.region_level);
        let show = |count| shown(count, guarded);
        let (measured, stunted, severely_stunted) =
            (show(counts.measured), show(counts.stunted), show(counts.severely_stunted));
        let (weighed, underweight) = (show(counts.weighed), show(counts.underweight));
        let (wasting_measured, wasted) = (show(counts.wasting_measured), show(counts.wasted));
        let (stunting_pct, stunting_ci95) = rate(stunted, measured);
        let (severe_stunting_pct, severe_stunting_ci95) = rate(severely_stunted, measured);
        let (underweight_pct, underweight_ci95) = rate(underweight, weighed);
        let (wasting_pct, wasting_ci95) = rate(wasted, wasting_measured);
        let (left_out_implausible, left_out_held) = (show(left_out.implausible), show(left_out.held));
        let suppressed = [
            measured,
            stunted,
            severely_stunted,
            weighed,
            underweight,
            wasting_measured,
            wasted,
            left_out_implausible,
            left_out_held,
        ]
        .iter()
        .any(Option::is_none);
        Self {
            region_code: place.region_code,
            region_name: place.region_name,
            region_level: place.region_level,
            period_start: place.period.0,
            period_end: place.period.1,
            measured,
            stunted,
            severely_stunted,
            stunting_pct,
            stunting_ci95,
            severe_stunting_pct,
            severe_stunting_ci95,
            weighed,
            underweight,
            underweight_pct,
            underweight_ci95,
            wasting_measured,
            wasted,
            wasting_pct,
            wasting_ci95,
            left_out_implausible,
            left_out_held,
            suppressed,
        }
    }
}

/// Rows per region at `level` and period, and one total per period for the region itself.
#[derive(Debug)]
pub struct Prevalence {
    pub rows: Vec<PrevalenceRow>,
    pub totals: Vec<PrevalenceRow>,
}

/// Prevalence per region at `level` and period inside `root`.
pub async fn prevalence(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    disclosure: Disclosure,
) -> anyhow::Result<Prevalence> {
    let counted = match ask.span {
        Span::Calendar { kind, starts } => kept(conn, ask, kind.as_str(), starts).await?,
        Span::Range { from, to } => from_rows(conn, ask, *from, *to).await?,
    };
    let periods = ask.span.periods();
    let mut left_out = left_out(conn, ask, &periods).await?;
    let names = named_areas(conn, counted.iter().map(|c| c.area.as_str())).await?;
    let mut totals: Vec<(Counts, LeftOut)> = vec![Default::default(); periods.len()];
    let mut rows = Vec::with_capacity(counted.len());
    for c in counted {
        let index = periods.iter().position(|p| p.0 == c.period_start).unwrap_or_default();
        let left = left_out.remove(&(index, c.area.clone())).unwrap_or_default();
        totals[index].0 += c.counts;
        totals[index].1 += left;
        let named = names.get(&c.area).ok_or_else(|| anyhow::anyhow!("no region has code {}", c.area))?;
        let place = Place {
            region_code: Some(named.code.clone()),
            region_name: Some(named.name.clone()),
            region_level: Some(named.level),
            period: periods[index],
        };
        rows.push(PrevalenceRow::new(place, c.counts, left, disclosure));
    }
    // Areas whose every measurement was left out still add to the totals.
    for ((index, _), left) in left_out {
        totals[index].1 += left;
    }
    let totals = periods
        .iter()
        .zip(totals)
        .map(|(&period, (counts, left))| {
            let place = Place {
                region_code: ask.root.cloned(),
                region_name: None,
                region_level: ask.root.map(RegionCode::level),
                period,
            };
            PrevalenceRow::new(place, counts, left, disclosure)
        })
        .collect();
    Ok(Prevalence { rows, totals })
}

#[derive(QueryableByName)]
struct KeptLeftOut {
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = BigInt)]
    implausible: i64,
    #[diesel(sql_type = BigInt)]
    held: i64,
}

/// The measurements left out per period (its index) and area, from the data-quality counts
/// kept per month (migration 000035): at the breakdown's own tier, or from its villages for
/// lokus villages.
async fn left_out(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    periods: &[(NaiveDate, NaiveDate)],
) -> anyhow::Result<BTreeMap<(usize, String), LeftOut>> {
    let (Some(&(first, _)), Some(&(_, last))) = (periods.first(), periods.last()) else {
        return Ok(BTreeMap::new());
    };
    let (low, high) = code_bounds(ask.root);
    let tier = if ask.lokus { RegionLevel::Village } else { ask.level };
    // Each month an equality on the key, so the region range bounds each month's index scan
    // (a range of months made it read every area of the tier: a subdistrict's villages took
    // half a second at a million children).
    let months = series(PeriodKind::Month, first, last).unwrap_or_default();
    // SQL: one index range scan of the area range per kept month; lokus villages probed by key.
    let kept: Vec<KeptLeftOut> = diesel::sql_query(
        "SELECT k.month, k.area, k.implausible_haz AS implausible, k.held FROM quality_counts k \
         WHERE k.tier = $1 AND k.month = ANY ($2) AND k.area >= $3 AND k.area < $4 \
           AND (k.implausible_haz, k.held) <> (0, 0) \
           AND (NOT $5 OR EXISTS (SELECT 1 FROM lokus_villages l WHERE l.village_code = k.area \
                                  AND l.year = extract(year FROM k.month)::integer))",
    )
    .bind::<Text, _>(tier.as_str())
    .bind::<Array<Date>, _>(&months)
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Bool, _>(ask.lokus)
    .prepared()
    .load(conn)
    .await?;
    let width = usize::try_from(code_length(ask.level)).unwrap_or(13);
    let mut left_out: BTreeMap<(usize, String), LeftOut> = BTreeMap::new();
    for k in kept {
        let Some(index) = periods.iter().position(|&(start, end)| start <= k.month && k.month <= end) else {
            continue;
        };
        let area = k.area.get(..width).unwrap_or(&k.area).to_owned();
        *left_out.entry((index, area)).or_default() += LeftOut { implausible: k.implausible, held: k.held };
    }
    Ok(left_out)
}

/// The kept rows of the periods, summed per area: district rows for a breakdown by province
/// or district, village rows below that (and for lokus villages). Each period is an equality on
/// the key, so the region range bounds the index scan: a subdistrict reads its own villages.
async fn kept(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    kind: &str,
    starts: &[NaiveDate],
) -> anyhow::Result<Vec<AreaCounts>> {
    let (low, high) = code_bounds(ask.root);
    let tier = if ask.level <= RegionLevel::District && !ask.lokus { "district" } else { "village" };
    // SQL: kept counts grouped by a computed area and period (a GROUP BY expression).
    Ok(diesel::sql_query(
        "WITH per_area AS ( \
           SELECT k.period_start, left(k.region_code, $1) AS area, \
                  sum(k.measured)::bigint AS measured, sum(k.stunted)::bigint AS stunted, \
                  sum(k.severely_stunted)::bigint AS severely_stunted, sum(k.weighed)::bigint AS weighed, \
                  sum(k.underweight)::bigint AS underweight, sum(k.wasting_measured)::bigint AS wasting_measured, \
                  sum(k.wasted)::bigint AS wasted \
           FROM prevalence_counts k \
           WHERE k.tier = $2 AND k.period = $3 AND k.period_start = ANY ($4) \
             AND k.region_code >= $5 AND k.region_code < $6 \
             AND (NOT $7 OR EXISTS (SELECT 1 FROM lokus_villages l WHERE l.village_code = k.region_code \
                                    AND l.year = extract(year FROM k.period_start)::integer)) \
           GROUP BY 1, 2 HAVING sum(k.measured) > 0 \
         ) \
         SELECT p.* FROM per_area p ORDER BY p.period_start, p.area",
    )
    .bind::<Integer, _>(code_length(ask.level))
    .bind::<Text, _>(tier)
    .bind::<Text, _>(kind)
    .bind::<Array<Date>, _>(starts)
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Bool, _>(ask.lokus)
    .prepared()
    .load(conn)
    .await?)
}

/// Counted from the measurements: a range that is not one calendar period has no kept rows
/// (public for the benchmark, which compares the kept answer with this one).
pub async fn from_rows(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<AreaCounts>> {
    let (low, high) = code_bounds(ask.root);
    let lokus_years = ask.lokus.then(|| (from.year(), to.year()));
    // SQL: DISTINCT ON each child's latest measurement, then grouped by a computed area.
    Ok(diesel::sql_query(
        "WITH latest AS ( \
           SELECT DISTINCT ON (m.child_id) c.village_code, m.haz, m.waz, m.whz, \
                  m.waz_implausible, m.whz_implausible \
           FROM measurements m JOIN children c ON c.id = m.child_id \
           WHERE m.voided_at IS NULL AND c.deleted_at IS NULL \
             AND m.haz IS NOT NULL AND NOT m.haz_implausible AND NOT m.held \
             AND m.measured_on >= $4 AND m.measured_on <= $5 \
             AND c.village_code >= $2 AND c.village_code < $3 \
             AND ($6::integer IS NULL OR c.village_code IN ( \
                   SELECT village_code FROM lokus_villages WHERE year BETWEEN $6 AND $7)) \
           ORDER BY m.child_id, m.measured_on DESC, m.created_at DESC, m.id DESC \
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
         SELECT $4 AS period_start, p.* FROM per_area p ORDER BY p.area",
    )
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
