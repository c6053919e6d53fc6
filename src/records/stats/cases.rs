//! Case follow-up per region and period: the cases open at the period's end (by severity and
//! whether a TPK is assigned), and those opened, resolved, closed (by reason) and audited in it.
//!
//! Calendar periods are read from `case_counts` (migration 000012), kept by the database in the
//! writing transaction. The flows of a period are one kept row per region; the open cases at
//! its end are the opened minus the ended since the first record: the kept whole years and
//! months before the first period, then a running sum over the periods. A range that is not
//! one calendar period is counted from the cases themselves, and the answer says so.

use super::rates::{Disclosure, shown};
use super::{Breakdown, Span, code_bounds, code_length, named_areas};
use crate::db::prepared::KeepPrepared;
use crate::domain::{RegionCode, RegionLevel};
use chrono::{Datelike, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One region's cases in one period. For an analyst, counts from 1 to 4 below district level
/// are `null`, with `suppressed: true`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01", "region_name": "Kabupaten Kampar", "region_level": "district",
    "period_start": "2024-01-01", "period_end": "2024-12-31",
    "open": 605, "open_stunted": 470, "open_severely_stunted": 135, "open_assigned": 590,
    "opened": 410, "resolved": 380, "closed": 104, "closed_moved_away": 60, "closed_died": 2,
    "closed_reached_60_months": 40, "closed_other": 2, "audited": 96, "suppressed": false
}))]
pub struct CaseCountRow {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub region_name: Option<String>,
    pub region_level: Option<RegionLevel>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Cases open at the end of the period.
    pub open: Option<i64>,
    /// Of them, by the case's current severity: stunted (HAZ from −3 to −2)…
    pub open_stunted: Option<i64>,
    /// …and severely stunted (HAZ below −3).
    pub open_severely_stunted: Option<i64>,
    /// Of them, cases a TPK is (currently) assigned to.
    pub open_assigned: Option<i64>,
    /// Cases opened in the period (a child's first stunted measurement of an episode).
    pub opened: Option<i64>,
    /// Cases resolved in the period (a later measurement at HAZ −2 or above).
    pub resolved: Option<i64>,
    /// Cases closed in the period without resolution, all reasons…
    pub closed: Option<i64>,
    /// …and per reason.
    pub closed_moved_away: Option<i64>,
    pub closed_died: Option<i64>,
    pub closed_reached_60_months: Option<i64>,
    pub closed_other: Option<i64>,
    /// Cases audited (*audit kasus stunting*) in the period.
    pub audited: Option<i64>,
    /// Whether a count from 1 to 4 was withheld (analysts, below district level).
    pub suppressed: bool,
}

/// The counts of one region and period, as kept or counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, QueryableByName)]
pub struct CaseCounts {
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub open_severely_stunted: i64,
    #[diesel(sql_type = BigInt)]
    pub open_assigned: i64,
    #[diesel(sql_type = BigInt)]
    pub opened: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    #[diesel(sql_type = BigInt)]
    pub closed_moved_away: i64,
    #[diesel(sql_type = BigInt)]
    pub closed_died: i64,
    #[diesel(sql_type = BigInt)]
    pub closed_reached_60_months: i64,
    #[diesel(sql_type = BigInt)]
    pub closed_other: i64,
    #[diesel(sql_type = BigInt)]
    pub audited: i64,
}

impl std::ops::AddAssign for CaseCounts {
    fn add_assign(&mut self, other: Self) {
        self.open += other.open;
        self.open_severely_stunted += other.open_severely_stunted;
        self.open_assigned += other.open_assigned;
        self.opened += other.opened;
        self.resolved += other.resolved;
        self.closed_moved_away += other.closed_moved_away;
        self.closed_died += other.closed_died;
        self.closed_reached_60_months += other.closed_reached_60_months;
        self.closed_other += other.closed_other;
        self.audited += other.audited;
    }
}

#[derive(QueryableByName)]
pub struct AreaCaseCounts {
    #[diesel(sql_type = Date)]
    pub period_start: NaiveDate,
    #[diesel(sql_type = Text)]
    pub area: String,
    #[diesel(embed)]
    pub counts: CaseCounts,
}

impl CaseCountRow {
    fn new(
        region: (Option<RegionCode>, Option<String>, Option<RegionLevel>),
        period: (NaiveDate, NaiveDate),
        c: CaseCounts,
        disclosure: Disclosure,
    ) -> Self {
        let guarded = disclosure.guards(region.2);
        let show = |count| shown(count, guarded);
        let closed = c.closed_moved_away + c.closed_died + c.closed_reached_60_months + c.closed_other;
        let counts = [
            show(c.open),
            show(c.open - c.open_severely_stunted),
            show(c.open_severely_stunted),
            show(c.open_assigned),
            show(c.opened),
            show(c.resolved),
            show(closed),
            show(c.closed_moved_away),
            show(c.closed_died),
            show(c.closed_reached_60_months),
            show(c.closed_other),
            show(c.audited),
        ];
        let suppressed = counts.iter().any(Option::is_none);
        let [
            open,
            open_stunted,
            open_severely_stunted,
            open_assigned,
            opened,
            resolved,
            closed,
            closed_moved_away,
            closed_died,
            closed_reached_60_months,
            closed_other,
            audited,
        ] = counts;
        Self {
            region_code: region.0,
            region_name: region.1,
            region_level: region.2,
            period_start: period.0,
            period_end: period.1,
            open,
            open_stunted,
            open_severely_stunted,
            open_assigned,
            opened,
            resolved,
            closed,
            closed_moved_away,
            closed_died,
            closed_reached_60_months,
            closed_other,
            audited,
            suppressed,
        }
    }
}

/// Rows per region at `level` and period, and one total per period for the region itself.
#[derive(Debug)]
pub struct Cases {
    pub rows: Vec<CaseCountRow>,
    pub totals: Vec<CaseCountRow>,
}

/// Cases per region at `level` and period inside `root`.
pub async fn cases(conn: &mut AsyncPgConnection, ask: &Breakdown<'_>, disclosure: Disclosure) -> anyhow::Result<Cases> {
    let periods = ask.span.periods();
    let counted = match ask.span {
        Span::Calendar { kind, .. } => kept(conn, ask, kind.as_str(), &periods).await?,
        Span::Range { from, to } => from_rows(conn, ask, *from, *to).await?,
    };
    let names = named_areas(conn, counted.iter().map(|c| c.area.as_str())).await?;
    let mut totals: Vec<CaseCounts> = vec![CaseCounts::default(); periods.len()];
    let mut rows = Vec::with_capacity(counted.len());
    for c in counted {
        let index = periods.iter().position(|p| p.0 == c.period_start).unwrap_or_default();
        totals[index] += c.counts;
        let named = names.get(&c.area).ok_or_else(|| anyhow::anyhow!("no region has code {}", c.area))?;
        let region = (Some(named.code.clone()), Some(named.name.clone()), Some(named.level));
        rows.push(CaseCountRow::new(region, periods[index], c.counts, disclosure));
    }
    let root = (ask.root.cloned(), None, ask.root.map(RegionCode::level));
    let totals = periods
        .iter()
        .zip(totals)
        .map(|(&period, counts)| CaseCountRow::new(root.clone(), period, counts, disclosure))
        .collect();
    Ok(Cases { rows, totals })
}

/// The kept tier a breakdown reads: a province's or district's own rows, village rows below
/// that and for lokus villages.
fn tier(ask: &Breakdown<'_>) -> &'static str {
    match ask.level {
        _ if ask.lokus => "village",
        RegionLevel::Province => "province",
        RegionLevel::District => "district",
        RegionLevel::Subdistrict | RegionLevel::Village => "village",
    }
}

/// The kept rows, per area (per village for lokus villages, picked per period's year): the
/// flows of each period, and the open cases at its end as a running sum: the net openings
/// before the first period (whole years, then that year's months) plus each period's own. The
/// periods of a series are contiguous, so that running sum is exact. `kept` is inlined into
/// both of its readers, so each scans only its own periods (materialised, it read every kept
/// row of the region: ten times slower).
async fn kept(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    kind: &str,
    periods: &[(NaiveDate, NaiveDate)],
) -> anyhow::Result<Vec<AreaCaseCounts>> {
    let (low, high) = code_bounds(ask.root);
    let starts: Vec<NaiveDate> = periods.iter().map(|p| p.0).collect();
    // SQL: a CTE grouped by a computed area over an array of periods, which the DSL cannot write.
    Ok(diesel::sql_query(
        "WITH kept AS NOT MATERIALIZED ( \
           SELECT CASE WHEN $7 THEN k.region_code ELSE left(k.region_code, $1) END AS unit, k.* \
           FROM case_counts k \
           WHERE k.tier = $2 AND k.region_code >= $5 AND k.region_code < $6 \
         ), flows AS ( \
           SELECT unit, period_start, sum(opened) AS opened, sum(resolved) AS resolved, \
                  sum(closed_moved_away) AS closed_moved_away, sum(closed_died) AS closed_died, \
                  sum(closed_reached_60_months) AS closed_reached_60_months, sum(closed_other) AS closed_other, \
                  sum(audited) AS audited, sum(net_open) AS net_open, sum(net_open_severe) AS net_open_severe, \
                  sum(net_open_assigned) AS net_open_assigned \
           FROM kept WHERE period = $3 AND period_start = ANY ($4) GROUP BY 1, 2 \
         ), before AS ( \
           SELECT unit, sum(net_open) AS open, sum(net_open_severe) AS severe, sum(net_open_assigned) AS assigned \
           FROM kept \
           WHERE (period = 'year' AND period_start < date_trunc('year', ($4::date[])[1])) \
              OR (period = 'month' AND period_start >= date_trunc('year', ($4::date[])[1]) \
                  AND period_start < ($4::date[])[1]) \
           GROUP BY 1 \
         ), grid AS ( \
           SELECT u.unit, p.period_start \
           FROM (SELECT unit FROM flows UNION SELECT unit FROM before) u \
           CROSS JOIN unnest($4::date[]) AS p (period_start) \
         ), series AS ( \
           SELECT g.unit, g.period_start, \
                  coalesce(b.open, 0) + sum(coalesce(f.net_open, 0)) OVER w AS open, \
                  coalesce(b.severe, 0) + sum(coalesce(f.net_open_severe, 0)) OVER w AS open_severely_stunted, \
                  coalesce(b.assigned, 0) + sum(coalesce(f.net_open_assigned, 0)) OVER w AS open_assigned, \
                  coalesce(f.opened, 0) AS opened, coalesce(f.resolved, 0) AS resolved, \
                  coalesce(f.closed_moved_away, 0) AS closed_moved_away, coalesce(f.closed_died, 0) AS closed_died, \
                  coalesce(f.closed_reached_60_months, 0) AS closed_reached_60_months, \
                  coalesce(f.closed_other, 0) AS closed_other, coalesce(f.audited, 0) AS audited \
           FROM grid g LEFT JOIN flows f USING (unit, period_start) LEFT JOIN before b USING (unit) \
           WINDOW w AS (PARTITION BY g.unit ORDER BY g.period_start) \
         ), per_area AS ( \
           SELECT period_start, left(unit, $1) AS area, \
                  sum(open)::bigint AS open, sum(open_severely_stunted)::bigint AS open_severely_stunted, \
                  sum(open_assigned)::bigint AS open_assigned, sum(opened)::bigint AS opened, \
                  sum(resolved)::bigint AS resolved, sum(closed_moved_away)::bigint AS closed_moved_away, \
                  sum(closed_died)::bigint AS closed_died, \
                  sum(closed_reached_60_months)::bigint AS closed_reached_60_months, \
                  sum(closed_other)::bigint AS closed_other, sum(audited)::bigint AS audited \
           FROM series s \
           WHERE NOT $7 OR EXISTS (SELECT 1 FROM lokus_villages l WHERE l.village_code = s.unit \
                                   AND l.year = extract(year FROM s.period_start)::integer) \
           GROUP BY 1, 2 \
         ) \
         SELECT p.* FROM per_area p \
         WHERE p.open <> 0 OR p.opened <> 0 OR p.resolved <> 0 OR p.audited <> 0 \
            OR p.closed_moved_away + p.closed_died + p.closed_reached_60_months + p.closed_other <> 0 \
         ORDER BY 1, 2",
    )
    .bind::<Integer, _>(code_length(ask.level))
    .bind::<Text, _>(tier(ask))
    .bind::<Text, _>(kind)
    .bind::<Array<Date>, _>(&starts)
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Bool, _>(ask.lokus)
    .prepared()
    .load(conn)
    .await?)
}

/// Counted from the cases: a range that is not one calendar period has no kept rows (public for
/// the benchmark, which compares the kept answer with this one).
pub async fn from_rows(
    conn: &mut AsyncPgConnection,
    ask: &Breakdown<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> anyhow::Result<Vec<AreaCaseCounts>> {
    let (low, high) = code_bounds(ask.root);
    let lokus_years = ask.lokus.then(|| (from.year(), to.year()));
    // SQL: per-child events summed over a range and grouped by a computed area (CTE, GROUP BY expression).
    Ok(diesel::sql_query(
        "WITH per_area AS ( \
           SELECT left(c.village_code, $1) AS area, \
                  sum(e.net)::bigint AS open, \
                  coalesce(sum(e.net) FILTER (WHERE c.severity = 'severely_stunted'), 0)::bigint AS open_severely_stunted, \
                  coalesce(sum(e.net) FILTER (WHERE c.assigned_team_id IS NOT NULL), 0)::bigint AS open_assigned, \
                  coalesce(sum(e.opened) FILTER (WHERE e.day >= $4), 0)::bigint AS opened, \
                  coalesce(sum(e.resolved) FILTER (WHERE e.day >= $4), 0)::bigint AS resolved, \
                  count(*) FILTER (WHERE e.day >= $4 AND e.closed = 'moved_away') AS closed_moved_away, \
                  count(*) FILTER (WHERE e.day >= $4 AND e.closed = 'died') AS closed_died, \
                  count(*) FILTER (WHERE e.day >= $4 AND e.closed = 'reached_60_months') AS closed_reached_60_months, \
                  count(*) FILTER (WHERE e.day >= $4 AND e.closed = 'other') AS closed_other, \
                  coalesce(sum(e.audited) FILTER (WHERE e.day >= $4), 0)::bigint AS audited \
           FROM cases c JOIN children ch ON ch.id = c.child_id AND ch.deleted_at IS NULL \
                CROSS JOIN LATERAL case_events(c) e \
           WHERE c.status <> 'void' AND c.opened_on <= $5 AND e.day <= $5 \
             AND c.village_code >= $2 AND c.village_code < $3 \
             AND ($6::integer IS NULL OR c.village_code IN ( \
                   SELECT village_code FROM lokus_villages WHERE year BETWEEN $6 AND $7)) \
           GROUP BY 1 \
         ) \
         SELECT $4 AS period_start, p.* FROM per_area p \
         WHERE p.open <> 0 OR p.opened <> 0 OR p.resolved <> 0 OR p.audited <> 0 \
            OR p.closed_moved_away + p.closed_died + p.closed_reached_60_months + p.closed_other <> 0 \
         ORDER BY p.area",
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
