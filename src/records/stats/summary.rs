//! One region's dashboard in one answer: each tile is the region's own total from the same
//! readers the stats endpoints use (kept counts where they exist), so a tile and its drill-down
//! always agree.

use super::budgets::{self, Money};
use super::cases::{self, CaseCountRow};
use super::coverage::{self, TypeTotal};
use super::families;
use super::pathway::{self, IndicatorRate, PathwayIndicator};
use super::prevalence::{self, PrevalenceRow};
use super::rates::Disclosure;
use super::teams::{self, TeamCountRow};
use super::{Breakdown, Span, code_bounds};
use crate::db::prepared::use_generic_plans;
use crate::db::schema::lokus_villages;
use crate::domain::{InterventionCategory, PeriodKind, RegionCode, RegionLevel};
use crate::records::convergence;
use crate::records::figure::{self, SurveyFigure, Target};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Years of trend beside the year asked for.
const TREND_YEARS: i32 = 5;

/// Measured prevalence, its trend and the official figures beside it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PrevalenceTile {
    /// The year's measured prevalence (each child once, at their latest valid measurement).
    pub measured: PrevalenceRow,
    /// Measured prevalence of each of the last five years, the year asked for last.
    pub trend: Vec<PrevalenceRow>,
    /// The region's own official figures (surveys, e-PPGBM reports) over the same years, by
    /// year and source: the reported series beside the measured one.
    pub reported: Vec<SurveyFigure>,
    /// The target for the year: the region's own, or the nearest one above it.
    pub target: Option<Target>,
}

/// Coverage of one category's intervention types over the region.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CoverageTile {
    pub category: InterventionCategory,
    /// Types with activities in the year.
    pub types: i64,
    /// Of them, types at or above their national target.
    pub types_at_target: i64,
    /// Each type's total for the year.
    pub totals: Vec<TypeTotal>,
}

/// The eight convergence actions over the region's districts (its own district below that tier).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConvergenceTile {
    pub districts: i64,
    /// Actions done, summed over the districts (at most 8 each).
    pub actions_done: i64,
    /// Districts with all eight actions done.
    pub districts_all_done: i64,
    /// Mean of the province's assessment scores, over districts assessed.
    pub mean_assessment_score: Option<f64>,
}

/// The families-at-risk list of the year and how far its verification has got. Withheld from
/// analysts below district level as on `/stats/families-at-risk`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FamiliesTile {
    pub families: Option<i64>,
    /// Families not yet checked by a cadre.
    pub pending: Option<i64>,
    /// Families checked (verified, not found or not at risk) per 100 on the list.
    pub verification_pct: Option<f64>,
    pub suppressed: bool,
}

/// The first 1,000 days of the year: the region's total of each indicator (`/stats/pathway`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PathwayTile {
    /// Each indicator, in the order of `PathwayIndicator`.
    pub indicators: Vec<IndicatorRate>,
}

/// Every tile of a region's dashboard for one year. No personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionDashboard {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub region_name: String,
    pub region_level: Option<RegionLevel>,
    pub year: i32,
    pub prevalence: PrevalenceTile,
    /// Cases open at the year's end, and those opened, resolved, closed and audited in it.
    pub cases: CaseCountRow,
    /// Specific, then sensitive.
    pub coverage: Vec<CoverageTile>,
    /// Approved budgets of the fiscal year: ceiling, realised, absorption.
    pub budget: Money,
    pub convergence: ConvergenceTile,
    /// Lokus (priority) villages designated for the year.
    pub lokus_villages: i64,
    /// TPPS and TPK teams, and villages with an active TPK.
    pub teams: TeamCountRow,
    pub families_at_risk: FamiliesTile,
    pub first_1000_days: PathwayTile,
}

/// The dashboard of `root` (all of Indonesia when `None`) for `year`, every tile read from one
/// snapshot.
pub async fn summary(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    region_name: String,
    year: i32,
    disclosure: Disclosure,
) -> anyhow::Result<RegionDashboard> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| tiles(conn, root, region_name, year, disclosure).await)
        .await
}

async fn tiles(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    region_name: String,
    year: i32,
    disclosure: Disclosure,
) -> anyhow::Result<RegionDashboard> {
    // Every reader is asked for the region's own tier, and answers with its total.
    let level = root.map_or(RegionLevel::Province, RegionCode::level);
    let january = |y| NaiveDate::from_ymd_opt(y, 1, 1);
    let trend_span = Span::Calendar {
        kind: PeriodKind::Year,
        starts: (year - TREND_YEARS + 1..=year).filter_map(january).collect(),
    };
    let year_span = Span::Calendar { kind: PeriodKind::Year, starts: january(year).into_iter().collect() };
    let ask = |span| Breakdown { root, level, span, lokus: false };

    // Every reader's statement is prepared on the connection. Planned for its values on every
    // call (PostgreSQL's choice for most of them), they spent a third of the database's time
    // of a national summary in the planner. Their generic plans read the same index ranges at
    // every tier (docs/benchmarks.md): each probes region names by key, never a join that a
    // plan blind to the subtree's size would answer by hashing every region.
    use_generic_plans(conn).await?;
    let trend = prevalence::prevalence(conn, &ask(&trend_span), disclosure).await?.totals;
    let measured = trend.last().cloned().ok_or_else(|| anyhow::anyhow!("a trend of no year"))?;
    let prevalence = PrevalenceTile {
        measured,
        trend,
        reported: figure::series_of(conn, root, year - TREND_YEARS + 1, year).await?,
        target: figure::nearest_target(conn, &figure::nearest_first(root), year).await?,
    };
    let cases = cases::cases(conn, &ask(&year_span), disclosure).await?.totals.remove(0);
    let mut year_total = pathway::pathway(conn, &ask(&year_span), PathwayIndicator::ALL, disclosure).await?.totals;
    let first_1000_days =
        PathwayTile { indicators: year_total.pop().map(|total| total.indicators).unwrap_or_default() };
    let coverage = coverage::coverage(conn, &ask(&year_span), disclosure)
        .await?
        .into_iter()
        .map(|group| CoverageTile {
            category: group.category,
            types: group.totals.len() as i64,
            types_at_target: group
                .totals
                .iter()
                .filter(|t| matches!((t.coverage_pct, t.national_target_pct), (Some(c), Some(n)) if c >= n))
                .count() as i64,
            totals: group.totals,
        })
        .collect();
    let budget =
        Money::sum(budgets::budgets(conn, root, level, year, false, disclosure).await?.iter().map(|row| &row.money));
    let convergence = convergence_tile(conn, root, year).await?;
    let (_, teams) = teams::teams(conn, root, level, None).await?;
    let families = families_tile(families::families(conn, root, level, year, false, disclosure).await?);
    Ok(RegionDashboard {
        region_code: root.cloned(),
        region_name,
        region_level: root.map(RegionCode::level),
        year,
        prevalence,
        cases,
        coverage,
        budget,
        convergence,
        lokus_villages: lokus_villages(conn, root, year).await?,
        teams,
        families_at_risk: families,
        first_1000_days,
    })
}

/// The region's own row (withheld as on `/stats/families-at-risk`), or for all of Indonesia the
/// sum of its provinces, which are never withheld.
fn families_tile(rows: Vec<families::FamilyCountRow>) -> FamiliesTile {
    if let [row] = rows.as_slice() {
        return FamiliesTile {
            families: row.families,
            pending: row.pending,
            verification_pct: row.verification_pct,
            suppressed: row.suppressed,
        };
    }
    let listed = rows.iter().filter_map(|row| row.families).sum();
    let pending = rows.iter().filter_map(|row| row.pending).sum();
    FamiliesTile {
        families: Some(listed),
        pending: Some(pending),
        verification_pct: super::rates::pct(listed - pending, listed),
        suppressed: false,
    }
}

/// Convergence over the districts in `root`, or the district `root` lies in.
async fn convergence_tile(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    year: i32,
) -> anyhow::Result<ConvergenceTile> {
    let district = root.map(|code| code.at_most(RegionLevel::District));
    let (low, high) = code_bounds(district.as_ref());
    let totals = convergence::progress_totals(conn, &low, &high, year).await?;
    Ok(ConvergenceTile {
        districts: totals.districts,
        actions_done: totals.actions_done,
        districts_all_done: totals.districts_all_done,
        mean_assessment_score: totals.mean_assessment_score.map(|mean| (mean * 100.0).round() / 100.0),
    })
}

async fn lokus_villages(conn: &mut AsyncPgConnection, root: Option<&RegionCode>, year: i32) -> anyhow::Result<i64> {
    let (low, high) = code_bounds(root);
    Ok(lokus_villages::table
        .filter(lokus_villages::year.eq(year))
        .filter(lokus_villages::village_code.ge(low).and(lokus_villages::village_code.lt(high)))
        .count()
        .get_result(conn)
        .await?)
}
