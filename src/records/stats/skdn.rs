//! SKDN, the posyandu's monthly weighing, per posyandu, village and every tier above: S
//! under-fives, K with a KMS/KIA book, D weighed, and of D: N grown by the KMS minimum, T not
//! grown, O not weighed last month, B weighed for the first time; 2T (T twice running) and BGM
//! (weight-for-age below −3), with participation D/S, growth N/D and book coverage K/S.
//!
//! Every figure is kept per month by the database in the writing transaction (migration
//! 000033, which defines each one); a longer period adds up its months (child-months: a
//! quarter's D/S is its months' mean participation). S is kept as births per month: the
//! under-fives of a month are the children born in the 60 months up to it. Births are kept per
//! year too (migration 000037): the whole years inside every month's window are read as one
//! row each.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Date, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::code_bounds;
use super::pathway::{month_index, names};
use super::rates::{Disclosure, Interval, rate, shown};
use crate::db::prepared::KeepPrepared;
use crate::domain::{PeriodKind, PosyanduId, RegionCode, RegionLevel, UNDER_FIVE_MONTHS, series};

text_enum! {
    /// The tier of rows that reach down to the posyandu (SKDN, data quality): a region tier, or
    /// the posyandu of the villages.
    pub enum AreaLevel {
        Province = "province",
        District = "district",
        Subdistrict = "subdistrict",
        Village = "village",
        Posyandu = "posyandu",
    }
}

impl AreaLevel {
    /// The region tier the level stands at or below (a posyandu is part of a village).
    pub fn region_level(self) -> RegionLevel {
        match self {
            Self::Province => RegionLevel::Province,
            Self::District => RegionLevel::District,
            Self::Subdistrict => RegionLevel::Subdistrict,
            Self::Village | Self::Posyandu => RegionLevel::Village,
        }
    }

    pub fn of_region(level: RegionLevel) -> Self {
        match level {
            RegionLevel::Province => Self::Province,
            RegionLevel::District => Self::District,
            RegionLevel::Subdistrict => Self::Subdistrict,
            RegionLevel::Village => Self::Village,
        }
    }
}

/// Slots of a month's births: born, with a KIA book.
const BORN: usize = 2;
/// Slots of a month's weighings: weighed, rose, not rose, missed last month, first weighing,
/// 2T, BGM.
const WEIGHED: usize = 7;

/// The nine counts of one area in one period, as slots: S, K, then the weighings' order.
type Tally = [i64; 9];

/// One area in one period. For an analyst, counts from 1 to 4 below district level are `null`
/// (with the rates they would reveal), and `suppressed` is `true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01.01.2009", "posyandu_id": "0192b7a4-0000-7000-8000-0000000000a1",
    "name": "Posyandu Melati", "level": "posyandu", "period_start": "2025-02-01", "period_end": "2025-02-28",
    "under_fives": 64, "kia_book": 60, "weighed": 52, "rose": 41, "not_rose": 6, "missed_last_month": 3,
    "first_weighing": 2, "two_t": 1, "bgm": 0,
    "participation_pct": 81.25, "participation_ci95": {"low": 69.99, "high": 88.98},
    "growth_pct": 78.85, "growth_ci95": {"low": 65.97, "high": 87.76},
    "kia_pct": 93.75, "kia_ci95": {"low": 85.0, "high": 97.54}, "suppressed": false
}))]
pub struct SkdnRow {
    /// The region; for a posyandu, its village. `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    /// The posyandu, for a posyandu's row.
    pub posyandu_id: Option<PosyanduId>,
    /// The region's or the posyandu's name (`null` for the totals).
    pub name: Option<String>,
    pub level: Option<AreaLevel>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// S: under-fives registered here (child-months over a longer period).
    pub under_fives: Option<i64>,
    /// K: of S, those with a KMS or KIA book.
    pub kia_book: Option<i64>,
    /// D: of S, those weighed in the month.
    pub weighed: Option<i64>,
    /// N: of D, weight risen since last month by at least the KMS minimum for the age.
    pub rose: Option<i64>,
    /// T: of D, weighed last month too but not risen enough.
    pub not_rose: Option<i64>,
    /// O: of D, weighed before but not last month.
    pub missed_last_month: Option<i64>,
    /// B: of D, weighed for the first time.
    pub first_weighing: Option<i64>,
    /// 2T: of T, T last month too (refer to the puskesmas).
    pub two_t: Option<i64>,
    /// BGM: of D, weight-for-age below −3 (refer to the puskesmas).
    pub bgm: Option<i64>,
    /// D/S in percent.
    pub participation_pct: Option<f64>,
    pub participation_ci95: Option<Interval>,
    /// N/D in percent.
    pub growth_pct: Option<f64>,
    pub growth_ci95: Option<Interval>,
    /// K/S in percent.
    pub kia_pct: Option<f64>,
    pub kia_ci95: Option<Interval>,
    pub suppressed: bool,
}

/// What a breakdown down to the posyandu asks for (SKDN, data quality): inside `root` (all of
/// Indonesia when `None`), rows at `level`, for each of `periods` (first and last day, whole
/// months).
pub struct AreaAsk<'a> {
    pub root: Option<&'a RegionCode>,
    pub level: AreaLevel,
    pub periods: &'a [(NaiveDate, NaiveDate)],
}

/// Rows per area and period, and the root region's own row per period.
pub struct Skdn {
    pub rows: Vec<SkdnRow>,
    pub totals: Vec<SkdnRow>,
}

#[derive(QueryableByName)]
/// One area's kept row of one month, or its births of a whole year (`whole_year`, the month its
/// first; the weighings then 0).
struct Kept {
    #[diesel(sql_type = Bool)]
    whole_year: bool,
    #[diesel(sql_type = Text)]
    tier: String,
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = BigInt)]
    born: i64,
    #[diesel(sql_type = BigInt)]
    born_kia: i64,
    #[diesel(sql_type = BigInt)]
    weighed: i64,
    #[diesel(sql_type = BigInt)]
    rose: i64,
    #[diesel(sql_type = BigInt)]
    not_rose: i64,
    #[diesel(sql_type = BigInt)]
    missed_last: i64,
    #[diesel(sql_type = BigInt)]
    new: i64,
    #[diesel(sql_type = BigInt)]
    two_t: i64,
    #[diesel(sql_type = BigInt)]
    bgm: i64,
}

#[derive(QueryableByName)]
struct PosyanduName {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    name: String,
}

/// One area's kept rows by month: births from 59 months before the first month asked (but
/// those of the whole years, which every month counts alike), the weighings of the months asked.
struct ByMonth {
    /// Index 0: 59 months before the first month asked.
    born: Vec<[i64; BORN]>,
    /// The births of the whole years.
    born_in_whole_years: [i64; BORN],
    /// Index 0: the first month asked.
    weighed: Vec<[i64; WEIGHED]>,
}

impl ByMonth {
    fn new(months: usize) -> Self {
        let before = UNDER_FIVE_MONTHS as usize - 1;
        Self {
            born: vec![[0; BORN]; months + before],
            born_in_whole_years: [0; BORN],
            weighed: vec![[0; WEIGHED]; months],
        }
    }

    /// Adds a kept row; `first` is the first month asked (`month_index`). The weighings of a
    /// month before it are not asked for; the births of a month of the whole years are in
    /// their year's row.
    fn add(&mut self, k: &Kept, first: i32, whole: &WholeYears) {
        if k.whole_year {
            self.born_in_whole_years[0] += k.born;
            self.born_in_whole_years[1] += k.born_kia;
            return;
        }
        let offset = month_index(k.month) - first;
        if let Some(born) = usize::try_from(offset + UNDER_FIVE_MONTHS as i32 - 1)
            .ok()
            .filter(|_| !whole.holds(k.month))
            .and_then(|i| self.born.get_mut(i))
        {
            born[0] += k.born;
            born[1] += k.born_kia;
        }
        if let Some(weighed) = usize::try_from(offset).ok().and_then(|i| self.weighed.get_mut(i)) {
            let counts = [k.weighed, k.rose, k.not_rose, k.missed_last, k.new, k.two_t, k.bgm];
            for (slot, n) in counts.into_iter().enumerate() {
                weighed[slot] += n;
            }
        }
    }

    /// The tally of each period: S and K of each month (the births of the 60 months up to it)
    /// and its weighings, added up over the period's months (`period_of` each month's period).
    fn tallies(&self, period_of: &[usize], periods: usize) -> Vec<Tally> {
        let window = UNDER_FIVE_MONTHS as usize;
        // Running sums of the births: a month's under-fives in two subtractions.
        let mut running = vec![[0_i64; BORN]; self.born.len() + 1];
        for (i, born) in self.born.iter().enumerate() {
            for slot in 0..BORN {
                running[i + 1][slot] = running[i][slot] + born[slot];
            }
        }
        let mut tallies = vec![[0; 9]; periods];
        for (month, &period) in period_of.iter().enumerate() {
            let tally = &mut tallies[period];
            for slot in 0..BORN {
                tally[slot] += running[month + window][slot] - running[month][slot] + self.born_in_whole_years[slot];
            }
            for (slot, n) in self.weighed[month].iter().enumerate() {
                tally[BORN + slot] += n;
            }
        }
        tallies
    }
}

/// The calendar years inside a span of months (each a year's first day): births every month
/// asked counts alike, read from the years' kept rows.
struct WholeYears(Vec<NaiveDate>);

impl WholeYears {
    /// The years from the first January at or after `from` to the last December at or
    /// before `to` (both first days of months).
    fn inside(from: NaiveDate, to: NaiveDate) -> Self {
        let first = if from.month() == 1 { from.year() } else { from.year() + 1 };
        let last = if to.month() == 12 { to.year() } else { to.year() - 1 };
        Self((first..=last).filter_map(|y| NaiveDate::from_ymd_opt(y, 1, 1)).collect())
    }

    fn holds(&self, month: NaiveDate) -> bool {
        self.0.iter().any(|y| y.year() == month.year())
    }

    fn years(&self) -> &[NaiveDate] {
        &self.0
    }
}

/// SKDN of `ask`, from the kept counts.
pub async fn skdn(conn: &mut AsyncPgConnection, ask: &AreaAsk<'_>, disclosure: Disclosure) -> anyhow::Result<Skdn> {
    // Periods are whole months: each month of them, and of the 59 before them.
    let months = match (ask.periods.first(), ask.periods.last()) {
        (Some(&(first, _)), Some(&(_, last))) => series(PeriodKind::Month, first, last).unwrap_or_default(),
        _ => Vec::new(),
    };
    let (Some(&first_month), Some(&last_month)) = (<[NaiveDate]>::first(&months), <[NaiveDate]>::last(&months)) else {
        return Ok(Skdn { rows: Vec::new(), totals: Vec::new() });
    };
    let born_from = first_month - Months::new(UNDER_FIVE_MONTHS - 1);
    let whole = WholeYears::inside(last_month - Months::new(UNDER_FIVE_MONTHS - 1), first_month);
    let birth_months: Vec<NaiveDate> = series(PeriodKind::Month, born_from, PeriodKind::Month.end_of(last_month))
        .unwrap_or_default()
        .into_iter()
        .filter(|&m| !whole.holds(m) || m >= first_month)
        .collect();
    let row_tier = ask.level.as_str();
    let total_tier = ask.root.map_or("province", |r| AreaLevel::of_region(r.level()).as_str());
    let (low, high) = code_bounds(ask.root);
    // SQL: index range scans of the kept rows of each month, as plain rows: the months of
    // the periods and the 59 before them (their births are under-fives of the periods), those
    // of the whole years as one row a year.
    let kept: Vec<Kept> = diesel::sql_query(
        "SELECT false AS whole_year, k.tier, k.area, k.month, k.born, k.born_kia, k.weighed, k.rose, k.not_rose, \
                k.missed_last, k.new, k.two_t, k.bgm \
         FROM skdn_counts k WHERE k.tier = ANY ($1) AND k.month = ANY ($2) AND k.area >= $3 AND k.area < $4 \
         UNION ALL \
         SELECT true, y.tier, y.area, y.year, y.born, y.born_kia, 0, 0, 0, 0, 0, 0, 0 \
         FROM skdn_born_years y WHERE y.tier = ANY ($1) AND y.year = ANY ($5) AND y.area >= $3 AND y.area < $4",
    )
    .bind::<Array<Text>, _>(vec![row_tier, total_tier])
    .bind::<Array<Date>, _>(&birth_months)
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Array<Date>, _>(whole.years())
    .prepared()
    .load(conn)
    .await?;

    // Each area's rows by month, and the root's; each row read once.
    let first = month_index(first_month);
    let mut areas: BTreeMap<String, ByMonth> = BTreeMap::new();
    let mut total = ByMonth::new(months.len());
    for k in &kept {
        if k.tier == row_tier {
            match areas.get_mut(k.area.as_str()) {
                Some(area) => area.add(k, first, &whole),
                None => areas.entry(k.area.clone()).or_insert_with(|| ByMonth::new(months.len())).add(k, first, &whole),
            }
        }
        if k.tier == total_tier {
            total.add(k, first, &whole);
        }
    }
    // The period of each month asked.
    let period_of: Vec<usize> = months
        .iter()
        .map(|&m| ask.periods.iter().position(|&(start, end)| start <= m && m <= end).unwrap_or(0))
        .collect();
    let per_area: Vec<(String, Vec<Tally>)> =
        areas.into_iter().map(|(area, by)| (area, by.tallies(&period_of, ask.periods.len()))).collect();

    let named = area_names(conn, ask.level, per_area.iter().map(|(area, _)| area.as_str())).await?;
    let guarded_rows = disclosure.guards(Some(ask.level.region_level()));
    let mut rows = Vec::with_capacity(per_area.len() * ask.periods.len());
    for (period, &dates) in ask.periods.iter().enumerate() {
        for (area, tallies) in &per_area {
            // An area whose children all moved away or aged out by the period: left out.
            if tallies[period].iter().all(|&v| v == 0) {
                continue;
            }
            let place = named.get(area).cloned().unwrap_or((None, None, None));
            rows.push(row(tallies[period], guarded_rows, place, Some(ask.level), dates));
        }
    }
    let totals = total.tallies(&period_of, ask.periods.len());
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
    Ok(Skdn { rows, totals })
}

/// An area's region (a posyandu's village), posyandu and name.
pub(super) type Place = (Option<RegionCode>, Option<PosyanduId>, Option<String>);

/// Each area's region code, posyandu and name, probed by key.
pub(super) async fn area_names<'a>(
    conn: &mut AsyncPgConnection,
    level: AreaLevel,
    areas: impl Iterator<Item = &'a str>,
) -> anyhow::Result<BTreeMap<String, Place>> {
    let mut areas: Vec<&str> = areas.collect();
    areas.sort_unstable();
    areas.dedup();
    if level != AreaLevel::Posyandu {
        let named = names(conn, areas.into_iter()).await?;
        return Ok(named.into_iter().map(|(area, (code, name, _))| (area, (Some(code), None, Some(name)))).collect());
    }
    // A posyandu's area is its village's code, a dot and its id.
    let split: Vec<(&str, Uuid)> = areas
        .iter()
        .filter_map(|a| a.split_at_checked(13).and_then(|(v, id)| Some((v, id.strip_prefix('.')?.parse().ok()?))))
        .collect();
    let ids: Vec<Uuid> = split.iter().map(|(_, id)| *id).collect();
    // SQL: one probe of the posyandu key per area, in one round trip.
    let found: Vec<PosyanduName> = diesel::sql_query("SELECT id, name FROM posyandu WHERE id = ANY ($1)")
        .bind::<Array<SqlUuid>, _>(&ids)
        .prepared()
        .load(conn)
        .await?;
    let by_id: BTreeMap<Uuid, String> = found.into_iter().map(|p| (p.id, p.name)).collect();
    Ok(split
        .into_iter()
        .map(|(village, id)| {
            let place = (RegionCode::parse(village).ok(), Some(PosyanduId(id)), by_id.get(&id).cloned());
            (format!("{village}.{id}"), place)
        })
        .collect())
}

/// The row of one tally, with its rates, as the caller may see it.
fn row(
    tally: Tally,
    guarded: bool,
    (region_code, posyandu_id, name): Place,
    level: Option<AreaLevel>,
    (period_start, period_end): (NaiveDate, NaiveDate),
) -> SkdnRow {
    let [under_fives, kia_book, weighed, rose, not_rose, missed_last_month, first_weighing, two_t, bgm] =
        tally.map(|v| shown(v, guarded));
    let (participation_pct, participation_ci95) = rate(weighed, under_fives);
    let (growth_pct, growth_ci95) = rate(rose, weighed);
    let (kia_pct, kia_ci95) = rate(kia_book, under_fives);
    let suppressed = tally.iter().any(|&v| shown(v, guarded).is_none());
    SkdnRow {
        region_code,
        posyandu_id,
        name,
        level,
        period_start,
        period_end,
        under_fives,
        kia_book,
        weighed,
        rose,
        not_rose,
        missed_last_month,
        first_weighing,
        two_t,
        bgm,
        participation_pct,
        participation_ci95,
        growth_pct,
        growth_ci95,
        kia_pct,
        kia_ci95,
        suppressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn whole_years_are_those_inside_every_months_window() {
        let years =
            |from, to| -> Vec<i32> { WholeYears::inside(day(from), day(to)).0.iter().map(|d| d.year()).collect() };
        // 12 months of 2025: windows from 2020-02..2025-01 to 2021-01..2025-12.
        assert_eq!(years("2021-01-01", "2025-01-01"), [2021, 2022, 2023, 2024]);
        // One June: the 60 months 2020-07..2025-06.
        assert_eq!(years("2020-07-01", "2025-06-01"), [2021, 2022, 2023, 2024]);
        // One December: its window is five whole years, its own among them.
        assert_eq!(years("2020-01-01", "2024-12-01"), [2020, 2021, 2022, 2023, 2024]);
        // A series longer than the window shares no whole year.
        assert!(years("2024-01-01", "2023-06-01").is_empty());
        let whole = WholeYears::inside(day("2021-01-01"), day("2025-01-01"));
        assert!(whole.holds(day("2021-01-01")) && whole.holds(day("2024-12-01")));
        assert!(!whole.holds(day("2020-12-01")) && !whole.holds(day("2025-01-01")));
    }

    #[test]
    fn a_small_count_hides_itself_and_the_rates_it_would_reveal() {
        let shown_row = row(
            [64, 60, 52, 41, 6, 3, 2, 1, 0],
            false,
            (None, None, None),
            None,
            (day("2025-02-01"), day("2025-02-28")),
        );
        assert_eq!((shown_row.participation_pct, shown_row.growth_pct), (Some(81.25), Some(78.85)));
        assert!(!shown_row.suppressed);
        let guarded = row(
            [64, 60, 52, 41, 6, 3, 2, 1, 0],
            true,
            (None, None, None),
            None,
            (day("2025-02-01"), day("2025-02-28")),
        );
        assert_eq!(
            (guarded.two_t, guarded.first_weighing, guarded.bgm, guarded.under_fives),
            (None, None, Some(0), Some(64))
        );
        assert!(guarded.suppressed);
        let few =
            row([3, 3, 3, 3, 0, 0, 0, 0, 0], true, (None, None, None), None, (day("2025-02-01"), day("2025-02-28")));
        assert_eq!((few.participation_pct, few.growth_pct, few.kia_pct), (None, None, None));
    }
}
