//! Data quality per posyandu, village and every tier above, per month: how many measurements
//! the checks flagged (WHO's implausible z-scores and the data checks of
//! `crate::domain::quality`), how many an officer checked and how many are held out of
//! prevalence, and the heaping index of the lengths. Kept per month by the database in the
//! writing transaction (migration 000035); a longer period adds up its months.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Date, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::code_bounds;
use super::pathway::month_index;
use super::rates::{Disclosure, Interval, rate, shown};
use super::skdn::{AreaAsk, AreaLevel, Place, area_names};
use crate::db::prepared::KeepPrepared;
use crate::domain::quality::{heaping_index, heaping_suspected};
use crate::domain::{PeriodKind, PosyanduId, RegionCode, series};

/// The kept measures, in the order of `quality_counts`.
const MEASURES: usize = 9;
type Tally = [i64; MEASURES];

/// One area in one period. For an analyst, counts from 1 to 4 below district level are `null`
/// (with the rates and index they would reveal), and `suppressed` is `true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01.01.2009", "posyandu_id": "0192b7a4-0000-7000-8000-0000000000a1",
    "name": "Posyandu Melati", "level": "posyandu", "period_start": "2025-02-01", "period_end": "2025-02-28",
    "measured": 120, "flagged": 9, "implausible": 1, "length_decrease": 6, "weight_jump": 2, "age_mismatch": 0,
    "checked": 3, "held": 5, "heaped": 66, "flagged_pct": 7.5, "flagged_ci95": {"low": 4.0, "high": 13.64},
    "heaping_index": 275.0, "heaping_suspected": true, "suppressed": false
}))]
pub struct QualityRow {
    /// The region; for a posyandu, its village. `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    /// The posyandu, for a posyandu's row.
    pub posyandu_id: Option<PosyanduId>,
    /// The region's or the posyandu's name (`null` for the totals).
    pub name: Option<String>,
    pub level: Option<AreaLevel>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Living measurements taken in the period: at the posyandu for a posyandu's row, of the
    /// children registered in the region for a region's.
    pub measured: Option<i64>,
    /// Of them, those with any flag: an implausible z-score or a data check's.
    pub flagged: Option<i64>,
    /// With a z-score outside WHO's plausible range.
    pub implausible: Option<i64>,
    /// Flagged `length_decrease`.
    pub length_decrease: Option<i64>,
    /// Flagged `weight_jump`.
    pub weight_jump: Option<i64>,
    /// Flagged `age_mismatch`.
    pub age_mismatch: Option<i64>,
    /// Flagged by a data check and checked by an officer: counted again.
    pub checked: Option<i64>,
    /// Flagged by a data check and not yet checked: left out of prevalence and cases.
    pub held: Option<i64>,
    /// Lengths ending in .0 or .5.
    pub heaped: Option<i64>,
    /// `flagged` of `measured`, in percent.
    pub flagged_pct: Option<f64>,
    pub flagged_ci95: Option<Interval>,
    /// Lengths ending in .0 or .5 against the two in ten chance gives: 100 is none, 500 every
    /// length (Whipple's index read on the tenths of a centimetre).
    pub heaping_index: Option<f64>,
    /// The 95% interval's lower end of the index is 125 ("rough" in the UN's bands) or more.
    pub heaping_suspected: Option<bool>,
    pub suppressed: bool,
}

/// Rows per area and period, and the root region's own row per period.
pub struct Quality {
    pub rows: Vec<QualityRow>,
    pub totals: Vec<QualityRow>,
}

#[derive(QueryableByName)]
/// One area's kept row of one month.
struct Kept {
    #[diesel(sql_type = Text)]
    tier: String,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = Array<BigInt>)]
    counts: Vec<i64>,
}

/// Data quality of `ask`, from the kept counts.
pub async fn quality(
    conn: &mut AsyncPgConnection,
    ask: &AreaAsk<'_>,
    disclosure: Disclosure,
) -> anyhow::Result<Quality> {
    let months = match (ask.periods.first(), ask.periods.last()) {
        (Some(&(first, _)), Some(&(_, last))) => series(PeriodKind::Month, first, last).unwrap_or_default(),
        _ => Vec::new(),
    };
    let row_tier = ask.level.as_str();
    let total_tier = ask.root.map_or("province", |r| AreaLevel::of_region(r.level()).as_str());
    let (low, high) = code_bounds(ask.root);
    // SQL: index range scans of the kept rows of each month asked; the measures as one array.
    let kept: Vec<Kept> = diesel::sql_query(
        "SELECT k.tier, k.area, k.month, ARRAY[k.measured, k.flagged, k.implausible, k.length_decrease, \
                k.weight_jump, k.age_mismatch, k.checked, k.held, k.heaped] AS counts \
         FROM quality_counts k WHERE k.tier = ANY ($1) AND k.month = ANY ($2) AND k.area >= $3 AND k.area < $4",
    )
    .bind::<Array<Text>, _>(vec![row_tier, total_tier])
    .bind::<Array<Date>, _>(&months)
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .prepared()
    .load(conn)
    .await?;

    // The period of each month asked, by its index.
    let period_of: BTreeMap<i32, usize> = months
        .iter()
        .map(|&m| (month_index(m), ask.periods.iter().position(|&(start, end)| start <= m && m <= end).unwrap_or(0)))
        .collect();
    let mut areas: BTreeMap<String, Vec<Tally>> = BTreeMap::new();
    let mut totals = vec![[0; MEASURES]; ask.periods.len()];
    for k in &kept {
        let Some(&period) = period_of.get(&month_index(k.month)) else { continue };
        let add = |tally: &mut Tally| tally.iter_mut().zip(&k.counts).for_each(|(sum, n)| *sum += n);
        if k.tier == row_tier {
            match areas.get_mut(k.area.as_str()) {
                Some(tallies) => add(&mut tallies[period]),
                None => {
                    add(&mut areas.entry(k.area.clone()).or_insert_with(|| vec![[0; MEASURES]; ask.periods.len()])
                        [period])
                }
            }
        }
        if k.tier == total_tier {
            add(&mut totals[period]);
        }
    }

    let named = area_names(conn, ask.level, areas.keys().map(String::as_str)).await?;
    let guarded_rows = disclosure.guards(Some(ask.level.region_level()));
    let mut rows = Vec::with_capacity(areas.len() * ask.periods.len());
    for (period, &dates) in ask.periods.iter().enumerate() {
        for (area, tallies) in &areas {
            // An area whose measurements were all voided or moved away: left out.
            if tallies[period].iter().all(|&v| v == 0) {
                continue;
            }
            let place = named.get(area).cloned().unwrap_or((None, None, None));
            rows.push(row(tallies[period], guarded_rows, place, Some(ask.level), dates));
        }
    }
    let root_level = ask.root.map(RegionCode::level);
    let guarded_total = disclosure.guards(root_level);
    let totals = ask
        .periods
        .iter()
        .zip(totals)
        .map(|(&dates, tally)| {
            row(tally, guarded_total, (ask.root.cloned(), None, None), root_level.map(AreaLevel::of_region), dates)
        })
        .collect();
    Ok(Quality { rows, totals })
}

/// The row of one tally, with its rates, as the caller may see it.
fn row(
    tally: Tally,
    guarded: bool,
    (region_code, posyandu_id, name): Place,
    level: Option<AreaLevel>,
    (period_start, period_end): (NaiveDate, NaiveDate),
) -> QualityRow {
    let [measured, flagged, implausible, length_decrease, weight_jump, age_mismatch, checked, held, heaped] =
        tally.map(|v| shown(v, guarded));
    let (flagged_pct, flagged_ci95) = rate(flagged, measured);
    // Both `None` without lengths, or when a count they come from is withheld.
    let heaping = heaped.zip(measured).and_then(|(h, m)| Some((heaping_index(h, m)?, heaping_suspected(h, m))));
    QualityRow {
        region_code,
        posyandu_id,
        name,
        level,
        period_start,
        period_end,
        measured,
        flagged,
        implausible,
        length_decrease,
        weight_jump,
        age_mismatch,
        checked,
        held,
        heaped,
        flagged_pct,
        flagged_ci95,
        heaping_index: heaping.map(|(index, _)| index),
        heaping_suspected: heaping.map(|(_, suspected)| suspected),
        suppressed: tally.iter().any(|&v| shown(v, guarded).is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month() -> (NaiveDate, NaiveDate) {
        ("2025-02-01".parse().unwrap(), "2025-02-28".parse().unwrap())
    }

    #[test]
    fn the_heaping_index_and_the_share_flagged_come_from_the_tally() {
        let shown_row = row([120, 9, 1, 6, 2, 0, 3, 5, 66], false, (None, None, None), None, month());
        assert_eq!((shown_row.flagged_pct, shown_row.heaping_index), (Some(7.5), Some(275.0)));
        assert_eq!(shown_row.heaping_suspected, Some(true));
        assert!(!shown_row.suppressed);
    }

    #[test]
    fn a_small_count_hides_itself_and_what_it_would_reveal() {
        let guarded = row([120, 9, 1, 6, 2, 0, 3, 5, 3], true, (None, None, None), None, month());
        assert_eq!((guarded.implausible, guarded.age_mismatch, guarded.measured), (None, Some(0), Some(120)));
        assert_eq!((guarded.heaped, guarded.heaping_index, guarded.heaping_suspected), (None, None, None));
        assert!(guarded.suppressed);
    }
}
