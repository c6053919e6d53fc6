//! The first 1,000 days' statistics: catin screened and at risk (by factor); antenatal care
//! (K1, K4, K6), iron tablets, KEK and anaemia of the pregnancies that ended; babies born with
//! low weight or short; postpartum visits, contraception and exclusive breastfeeding after a
//! delivery; the people a TPK assisted each month. One row per region, period and indicator,
//! each a numerator over a denominator with its Wilson interval, suppressed for analysts as
//! prevalence is.
//!
//! Calendar periods are read from `pathway_counts`, kept by the database with every write
//! (migration 000025); any other range is counted from the rows with the same definitions.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rates::{Disclosure, Interval, rate, shown};
use super::{Breakdown, Span, code_bounds, code_length};
use crate::db::prepared::KeepPrepared;
use crate::domain::{RegionCode, RegionLevel};

text_enum! {
    /// A statistic of the first 1,000 days: its numerator is the measure of the same name.
    pub enum PathwayIndicator {
        /// Catin screenings with at least one risk factor, of `catin_screened`.
        CatinAtRisk = "catin_at_risk",
        /// Screenings of a woman younger than the thresholds allow, of `catin_screened`.
        CatinTooYoung = "catin_too_young",
        CatinTooOld = "catin_too_old",
        CatinUnderweight = "catin_underweight",
        CatinKek = "catin_kek",
        CatinAnaemia = "catin_anaemia",
        CatinSmoke = "catin_smoke",
        /// Pregnancies that ended in the period with at least one antenatal visit, of
        /// `pregnancies_ended`.
        AncK1 = "anc_k1",
        /// … that met K4 (1-1-2 by trimester).
        AncK4 = "anc_k4",
        /// … that met K6 (2-1-3 by trimester, two by a doctor).
        AncK6 = "anc_k6",
        /// … that received at least 90 iron tablets.
        IronTablets90 = "iron_tablets_90",
        /// … with KEK found at a visit.
        PregnantKek = "pregnant_kek",
        /// … with anaemia found at a visit.
        PregnantAnaemia = "pregnant_anaemia",
        /// Babies born alive in the period below 2,500 g, of `babies`.
        LowBirthWeight = "low_birth_weight",
        /// … below 48 cm.
        ShortAtBirth = "short_at_birth",
        /// Deliveries (live births and stillbirths) in the period whose mother had KF1 to KF4,
        /// of `deliveries`.
        KfComplete = "kf_complete",
        /// … whose mother chose a contraception method at a postpartum visit.
        PostpartumContraception = "postpartum_contraception",
        /// Live births whose every breastfeeding answer at a postpartum visit was exclusive, of
        /// `breastfeeding_asked`.
        ExclusiveBreastfeeding = "exclusive_breastfeeding",
        /// People of the pathway visited by a TPK at least once in the month, of
        /// `pathway_people`: those whose records place them in the pathway that month (from a
        /// catin screening to the wedding, from HPHT to 42 days after a delivery, or visited),
        /// and children in the 24 months from the month of their birth. Over a longer period,
        /// person-months: the months' figures added up.
        TpkAssisted = "tpk_assisted",
    }
}

impl PathwayIndicator {
    /// A comma-separated list of names, each as `trim` leaves it (the `indicators` parameter,
    /// read by `api::stats::pathway`), as a JSON Schema pattern.
    pub fn list_pattern() -> String {
        let space = crate::domain::text::TRIMMED_PATTERN;
        let name = Self::ALL.iter().map(|indicator| indicator.as_str()).collect::<Vec<_>>().join("|");
        format!("^{space}({name}){space}(,{space}({name}){space})*$")
    }

    /// The measure counting what the indicator is a share of.
    pub fn denominator(self) -> &'static str {
        use PathwayIndicator::*;
        match self {
            CatinAtRisk | CatinTooYoung | CatinTooOld | CatinUnderweight | CatinKek | CatinAnaemia | CatinSmoke => {
                "catin_screened"
            }
            AncK1 | AncK4 | AncK6 | IronTablets90 | PregnantKek | PregnantAnaemia => "pregnancies_ended",
            LowBirthWeight | ShortAtBirth => "babies",
            KfComplete | PostpartumContraception => "deliveries",
            ExclusiveBreastfeeding => "breastfeeding_asked",
            TpkAssisted => "pathway_people",
        }
    }
}

/// One indicator of a region in a period. For an analyst, counts from 1 to 4 below district
/// level are `null` (and the rate they would reveal), with `suppressed: true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "indicator": "anc_k6", "numerator": 212, "denominator": 340, "pct": 62.35, "ci95": {"low": 57.1, "high": 67.33},
    "suppressed": false
}))]
pub struct IndicatorRate {
    pub indicator: PathwayIndicator,
    pub numerator: Option<i64>,
    /// What the indicator is a share of (see `PathwayIndicator`).
    pub denominator: Option<i64>,
    pub pct: Option<f64>,
    /// 95% Wilson score interval of `pct`.
    pub ci95: Option<Interval>,
    /// Whether a count from 1 to 4 was withheld (analysts, below district level).
    pub suppressed: bool,
}

/// One region in one period: the region named once, and each indicator asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01.01", "region_name": "Bangkinang", "region_level": "subdistrict",
    "period_start": "2025-01-01", "period_end": "2025-12-31",
    "indicators": [{"indicator": "anc_k6", "numerator": 212, "denominator": 340, "pct": 62.35,
                    "ci95": {"low": 57.1, "high": 67.33}, "suppressed": false}]
}))]
pub struct PathwayRow {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub region_name: Option<String>,
    pub region_level: Option<RegionLevel>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// One per indicator, in the order asked for.
    pub indicators: Vec<IndicatorRate>,
}

/// Rows per region at `level` and period; one total per period for the region itself.
#[derive(Debug)]
pub struct Pathway {
    pub rows: Vec<PathwayRow>,
    pub totals: Vec<PathwayRow>,
}

/// A kept or recounted value of one measure in one village or region and period.
#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Date)]
    period_start: NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Text)]
    measure: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    level: String,
}

/// The measures `indicators` need: their numerators and denominators, sorted.
fn measures(indicators: &[PathwayIndicator]) -> Vec<String> {
    let mut names: Vec<String> =
        indicators.iter().flat_map(|i| [i.as_str().to_owned(), i.denominator().to_owned()]).collect();
    names.sort();
    names.dedup();
    names
}

/// `indicators` per region at `level` and period inside `root`.
pub async fn pathway(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    indicators: &[PathwayIndicator],
    disclosure: Disclosure,
) -> anyhow::Result<Pathway> {
    let wanted = measures(indicators);
    let length = code_length(ask.level) as usize;
    let counted = match ask.span {
        Span::Calendar { kind, starts } => kept(conn, ask, kind.as_str(), starts, &wanted).await?,
        Span::Range { from, to } => from_rows(conn, ask, *from, *to, &wanted).await?,
    };
    // Per period and area, then for the whole region per period: each wanted measure's sum.
    let slot = |measure: &str| wanted.binary_search_by(|m| m.as_str().cmp(measure)).ok();
    let mut areas: BTreeMap<(NaiveDate, String), Vec<i64>> = BTreeMap::new();
    let mut totals: BTreeMap<NaiveDate, Vec<i64>> = BTreeMap::new();
    for c in counted {
        let Some(i) = slot(&c.measure) else { continue };
        let mut area = c.area;
        area.truncate(length);
        areas.entry((c.period_start, area)).or_insert_with(|| vec![0; wanted.len()])[i] += c.value;
        totals.entry(c.period_start).or_insert_with(|| vec![0; wanted.len()])[i] += c.value;
    }
    let periods = ask.span.periods();
    // Children under two are people of the pathway: the kept births of the 23 months before
    // each month and the month itself (a range's rows count them directly).
    if let (Span::Calendar { .. }, Some(people)) = (ask.span, slot(PEOPLE)) {
        for born in births(conn, ask).await? {
            let mut area = born.area;
            area.truncate(length);
            for &(start, end) in &periods {
                let months = months_under_two(born.month, start, end);
                if months == 0 || born.lokus_years.as_ref().is_some_and(|years| !years.contains(&start.year())) {
                    continue;
                }
                let add = born.value * months;
                areas.entry((start, area.clone())).or_insert_with(|| vec![0; wanted.len()])[people] += add;
                totals.entry(start).or_insert_with(|| vec![0; wanted.len()])[people] += add;
            }
        }
    }
    let names = names(conn, areas.keys().map(|(_, area)| area.as_str())).await?;
    let period_of = |start: NaiveDate| periods.iter().copied().find(|p| p.0 == start).unwrap_or((start, start));
    let rate_of = |values: &[i64], level: Option<RegionLevel>| -> Vec<IndicatorRate> {
        let guarded = disclosure.guards(level);
        let value = |measure: &str| shown(slot(measure).map_or(0, |i| values[i]), guarded);
        indicators
            .iter()
            .map(|&indicator| {
                let (numerator, denominator) = (value(indicator.as_str()), value(indicator.denominator()));
                let (pct, ci95) = rate(numerator, denominator);
                let suppressed = numerator.is_none() || denominator.is_none();
                IndicatorRate { indicator, numerator, denominator, pct, ci95, suppressed }
            })
            .collect()
    };
    let mut rows = Vec::with_capacity(areas.len());
    for ((start, code), values) in areas {
        // Counts of an area with nothing recorded cancel out to zeros: left out, as unrecorded.
        if values.iter().all(|&v| v == 0) {
            continue;
        }
        let (region_code, name, level) =
            names.get(&code).cloned().ok_or_else(|| anyhow::anyhow!("no region {code}"))?;
        let (period_start, period_end) = period_of(start);
        rows.push(PathwayRow {
            region_code: Some(region_code),
            region_name: Some(name),
            region_level: Some(level),
            period_start,
            period_end,
            indicators: rate_of(&values, Some(level)),
        });
    }
    let root_level = ask.root.map(RegionCode::level);
    let none = vec![0; wanted.len()];
    let totals = periods
        .iter()
        .map(|&(period_start, period_end)| PathwayRow {
            region_code: ask.root.cloned(),
            region_name: None,
            region_level: root_level,
            period_start,
            period_end,
            indicators: rate_of(totals.get(&period_start).unwrap_or(&none), root_level),
        })
        .collect();
    Ok(Pathway { rows, totals })
}

/// The code, name and tier of each of `codes` (a breakdown's few areas, probed by key, each
/// parsed once however many periods it has).
pub(super) async fn names<'a>(
    conn: &mut AsyncPgConnection,
    codes: impl Iterator<Item = &'a str>,
) -> anyhow::Result<BTreeMap<String, (RegionCode, String, RegionLevel)>> {
    let mut codes: Vec<&str> = codes.collect();
    // Areas repeat once per period: one probe each.
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        return Ok(BTreeMap::new());
    }
    // SQL: one probe of the regions' key per area, in one round trip.
    let named: Vec<Named> = diesel::sql_query("SELECT code, name, level FROM regions WHERE code = ANY ($1)")
        .bind::<Array<Text>, _>(codes)
        .prepared()
        .load(conn)
        .await?;
    named.into_iter().map(|n| Ok((n.code.clone(), (RegionCode::parse(&n.code)?, n.name, n.level.parse()?)))).collect()
}

/// The measure of the people of the pathway: women and men by their months (kept), children
/// under two by their births.
const PEOPLE: &str = "pathway_people";

/// A child is under two in the 24 calendar months from the month of its birth.
const MONTHS_UNDER_TWO: i32 = 24;

pub(super) fn month_index(day: NaiveDate) -> i32 {
    day.year() * 12 + day.month0() as i32
}

/// How many months of `[start, end]` a child born in `born` (a month's first day) is under two.
fn months_under_two(born: NaiveDate, start: NaiveDate, end: NaiveDate) -> i64 {
    let first = month_index(born).max(month_index(start));
    let last = (month_index(born) + MONTHS_UNDER_TWO - 1).min(month_index(end));
    i64::from((last - first + 1).max(0))
}

/// The tier of kept rows a breakdown reads: its own, or villages for lokus villages.
fn kept_tier(ask: &Breakdown<'_>) -> &'static str {
    match ask.level {
        _ if ask.lokus => "village",
        RegionLevel::Province => "province",
        RegionLevel::District => "district",
        RegionLevel::Subdistrict => "subdistrict",
        RegionLevel::Village => "village",
    }
}

/// Children born in one month in one area, kept as `children_born`.
#[derive(QueryableByName)]
struct Born {
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = BigInt)]
    value: i64,
    /// For a lokus breakdown, the years the village is a lokus.
    #[diesel(sql_type = Nullable<Array<Integer>>)]
    lokus_years: Option<Vec<i32>>,
}

/// The kept births of every month in which a child under two in the periods was born.
async fn births(conn: &mut AsyncPgConnection, ask: &Breakdown<'_>) -> anyhow::Result<Vec<Born>> {
    let (low, high) = code_bounds(ask.root);
    let first = ask.span.first_day().with_day(1).and_then(|d| d.checked_sub_months(chrono::Months::new(23)));
    // A lokus breakdown reads village rows: only the lokus villages' (the years are checked
    // against each period by the caller), not every village of the region.
    let (lokus, only_lokus) = match ask.lokus {
        true => (
            "ARRAY(SELECT l.year FROM lokus_villages l WHERE l.village_code = k.region_code)",
            " AND EXISTS (SELECT 1 FROM lokus_villages l WHERE l.village_code = k.region_code)",
        ),
        false => ("NULL::integer[]", ""),
    };
    // SQL: one index-only range scan of the births' own index (migration 000030), as plain rows.
    Ok(diesel::sql_query(format!(
        "SELECT k.period_start AS month, k.region_code AS area, k.value, {lokus} AS lokus_years \
         FROM pathway_counts k \
         WHERE k.measure = 'children_born' AND k.tier = $1 AND k.period = 'month' \
           AND k.region_code >= $2 AND k.region_code < $3 AND k.period_start BETWEEN $4 AND $5{only_lokus}"
    ))
    .bind::<Text, _>(kept_tier(ask))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Date, _>(first.unwrap_or(NaiveDate::MIN))
    .bind::<Date, _>(ask.span.last_day())
    .prepared()
    .load(conn)
    .await?)
}

/// The kept rows of the periods as they are: the breakdown's own tier (village rows for lokus
/// villages, summed into areas by the caller).
async fn kept(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    kind: &str,
    starts: &[NaiveDate],
    measures: &[String],
) -> anyhow::Result<Vec<Counted>> {
    let (low, high) = code_bounds(ask.root);
    let tier = kept_tier(ask);
    // The key orders measure before region: naming the measures keeps a subtree's range a
    // range of the index for each. A statement with the lokus filter or without, not a
    // parameter that switches it off: a generic plan of `NOT $6 OR …` read whole subtrees.
    let mut sql = String::from(
        "SELECT k.period_start, k.region_code AS area, k.measure, k.value FROM pathway_counts k \
         WHERE k.tier = $1 AND k.period = $2 AND k.period_start = ANY ($3) AND k.measure = ANY ($6) \
           AND k.region_code >= $4 AND k.region_code < $5",
    );
    if ask.lokus {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM lokus_villages l WHERE l.village_code = k.region_code \
               AND l.year = extract(year FROM k.period_start)::integer)",
        );
    }
    // SQL: an index-only range scan of the kept counts, as plain rows: grouping them here
    // costs PostgreSQL more than the service.
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(tier)
        .bind::<Text, _>(kind)
        .bind::<Array<Date>, _>(starts)
        .bind::<Text, _>(&low)
        .bind::<Text, _>(&high)
        .bind::<Array<Text>, _>(measures)
        .prepared()
        .load(conn)
        .await?)
}

/// Counted from the screenings, pregnancies, person-months and children under two (the months
/// starting in the range) by the functions that keep the counts: a range that is not one calendar period has
/// no kept rows.
async fn from_rows(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    from: NaiveDate,
    to: NaiveDate,
    measures: &[String],
) -> anyhow::Result<Vec<Counted>> {
    let (low, high) = code_bounds(ask.root);
    let lokus_years = ask.lokus.then(|| (from.year(), to.year()));
    // SQL: LATERAL calls of the row functions that keep pathway_counts, grouped by a computed area.
    Ok(diesel::sql_query(
        "WITH counted AS ( \
           SELECT x.* FROM catin_screenings r, LATERAL pathway_of_screening(r) x \
           WHERE r.screened_on BETWEEN $4 AND $5 AND r.village_code >= $2 AND r.village_code < $3 \
           UNION ALL \
           SELECT x.* FROM pregnancies r, LATERAL pathway_of_pregnancy(r) x \
           WHERE r.ended_on BETWEEN $4 AND $5 AND r.village_code >= $2 AND r.village_code < $3 \
           UNION ALL \
           SELECT x.* FROM pathway_months r, LATERAL pathway_of_month(r) x \
           WHERE r.month BETWEEN $4 AND $5 AND r.village_code >= $2 AND r.village_code < $3 \
           UNION ALL \
           SELECT m, c.village_code, 'pathway_people', 1 \
           FROM children c, months_spanned(c.birth_date, (date_trunc('month', c.birth_date) + interval '23 months')::date) m \
           WHERE 'pathway_people' = ANY ($8) AND c.deleted_at IS NULL AND c.birth_date > $4 - interval '24 months' \
             AND c.birth_date <= $5 AND m BETWEEN $4 AND $5 AND c.village_code >= $2 AND c.village_code < $3 \
         ), per_area AS ( \
           SELECT left(c.village_code, $1) AS area, c.measure, sum(c.n)::bigint AS value FROM counted c \
           WHERE c.measure = ANY ($8) AND ($6::integer IS NULL OR c.village_code IN ( \
                   SELECT village_code FROM lokus_villages WHERE year BETWEEN $6 AND $7)) \
           GROUP BY 1, 2 HAVING sum(c.n) <> 0 \
         ) \
         SELECT $4 AS period_start, p.* FROM per_area p",
    )
    .bind::<Integer, _>(code_length(ask.level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Nullable<Integer>, _>(lokus_years.map(|y| y.0))
    .bind::<Nullable<Integer>, _>(lokus_years.map(|y| y.1))
    .bind::<Array<Text>, _>(measures)
    .load(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_child_is_under_two_in_the_24_months_from_its_birth_month() {
        let born = day("2024-03-01");
        assert_eq!(months_under_two(born, day("2024-01-01"), day("2024-12-31")), 10, "March to December");
        assert_eq!(months_under_two(born, day("2025-01-01"), day("2025-12-31")), 12);
        assert_eq!(months_under_two(born, day("2026-01-01"), day("2026-12-31")), 2, "January and February");
        assert_eq!(months_under_two(born, day("2026-02-01"), day("2026-02-28")), 1, "its 24th month");
        assert_eq!(months_under_two(born, day("2026-03-01"), day("2026-03-31")), 0, "two years old");
        assert_eq!(months_under_two(born, day("2024-02-01"), day("2024-02-29")), 0, "not born yet");
    }
}
