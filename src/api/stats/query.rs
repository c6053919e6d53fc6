//! What every aggregate asks: a region and tier, and a year or a range of months.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::domain::{CountSource, Month, PeriodKind, RegionCode, RegionLevel, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::records::stats::skdn::AreaLevel;
use crate::records::stats::{Breakdown, Span, breakdown};

pub(super) const TAG: &str = "stats";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The region to break down (default: the caller's scope; all of Indonesia for national
    /// accounts).
    #[param(example = "14.01")]
    pub region: Option<String>,
    /// The tier of the rows (default: the tier right below the region).
    pub level: Option<RegionLevel>,
    /// A calendar year, or instead a range of months (`from` and `to`): one of the two, not
    /// both (a 422 on `year`).
    #[param(example = 2024, minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// The range's first month (`2024-01`), with `to` and without `year`.
    pub from: Option<Month>,
    /// The range's last month, not before `from`.
    pub to: Option<Month>,
    /// A time series: one row per region (and type) and period of this kind; the year or range
    /// must start and end on its boundaries (at most 120 periods). Without it, a year or a
    /// range that is exactly one calendar period is read from the kept counts, any other range
    /// is counted from the records, and `source` says which.
    pub period: Option<PeriodKind>,
    /// `true`: only lokus (priority) villages designated for the period's year.
    pub lokus: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearStatsQuery {
    /// The region to break down (default: the caller's scope; all of Indonesia for national
    /// accounts).
    #[param(example = "14")]
    pub region: Option<String>,
    /// The tier of the rows (default: the tier right below the region).
    pub level: Option<RegionLevel>,
    /// The (fiscal) year.
    #[param(example = 2024)]
    pub year: i32,
    /// `true`: only lokus villages of the year (for budgets: budgets of lokus villages and
    /// lines that name one).
    pub lokus: Option<bool>,
}

impl StatsQuery {
    /// The region and periods asked for, checked; every invalid parameter listed.
    pub(super) fn parse(&self) -> Result<(Option<RegionCode>, Span), ApiError> {
        let mut errors = FieldErrors::default();
        let region = self.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
        let span = parse_span(&mut errors, self.year, self.from, self.to, self.period);
        let span = errors.finish_with(span)?;
        Ok((region, span))
    }

    /// The breakdown asked for, narrowed to the caller (`parse`d first, so that a bad
    /// parameter is answered before a connection is taken).
    pub(super) async fn resolve(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        (region, span): (Option<RegionCode>, Span),
    ) -> Result<Asked, ApiError> {
        let (root, level) = breakdown(conn, caller, region, self.level).await?;
        Ok(Asked { root, level, span, lokus: self.lokus.unwrap_or(false) })
    }
}

/// A period aggregate's question, checked and narrowed to the caller.
pub(super) struct Asked {
    pub root: Option<RegionCode>,
    pub level: RegionLevel,
    pub span: Span,
    pub lokus: bool,
}

impl Asked {
    pub fn breakdown(&self) -> Breakdown<'_> {
        Breakdown { root: self.root.as_ref(), level: self.level, span: &self.span, lokus: self.lokus }
    }

    /// Where the counts come from: kept per calendar period, or counted from the rows.
    pub fn source(&self) -> CountSource {
        match self.span {
            Span::Calendar { .. } => CountSource::Kept,
            Span::Range { .. } => CountSource::Rows,
        }
    }
}

/// The region and tier of a breakdown for one year, checked; every invalid parameter listed.
pub(super) async fn resolve_year(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    query: &YearStatsQuery,
) -> Result<(Option<RegionCode>, RegionLevel), ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.check("year", year_bounds(query.year));
    errors.finish()?;
    breakdown(conn, caller, region, query.level).await
}

/// What the statistics that reach down to the posyandu ask (SKDN, data quality).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// The region to break down (default: the caller's scope; all of Indonesia for national
    /// accounts).
    #[param(example = "14.01.01.2009")]
    pub region: Option<String>,
    /// The tier of the rows (default: the tier right below the region); `posyandu` for a
    /// district or a smaller region.
    pub level: Option<AreaLevel>,
    /// A calendar year, or instead a range of months (`from` and `to`): one of the two, not
    /// both (a 422 on `year`).
    #[param(example = 2025, minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// The range's first month (`2025-01`), with `to` and without `year`.
    pub from: Option<Month>,
    /// The range's last month, not before `from`.
    pub to: Option<Month>,
    /// A time series: one row per area and period of this kind (`month` for each month);
    /// without it, the whole year or range is one period. A period longer than a month adds up
    /// its months.
    pub period: Option<PeriodKind>,
}

/// An `AreaQuery` checked: the region (`None`: all of Indonesia), the tier of the rows and the
/// periods.
pub(super) struct AreaAsked {
    pub root: Option<RegionCode>,
    pub level: AreaLevel,
    pub span: Span,
}

impl AreaQuery {
    /// Checks the query against the caller's scope; every invalid parameter listed.
    pub(super) async fn resolve(&self, conn: &mut AsyncPgConnection, caller: &Caller) -> Result<AreaAsked, ApiError> {
        let mut errors = FieldErrors::default();
        let region = self.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
        let span = parse_span(&mut errors, self.year, self.from, self.to, self.period);
        let span = errors.finish_with(span)?;
        let (root, region_level) = breakdown(conn, caller, region, self.level.map(AreaLevel::region_level)).await?;
        let level = match self.level {
            Some(AreaLevel::Posyandu) if root.as_ref().is_none_or(|r| r.level() < RegionLevel::District) => {
                return Err(ApiError::invalid("level", text!("posyandu rows are for a district or a smaller region")));
            }
            Some(level) => level,
            None => AreaLevel::of_region(region_level),
        };
        Ok(AreaAsked { root, level, span })
    }
}

/// The periods asked for: a `year` or `from`..`to`, as periods of `kind` when one is given.
pub(super) fn parse_span(
    errors: &mut FieldErrors,
    year: Option<i32>,
    from: Option<Month>,
    to: Option<Month>,
    kind: Option<PeriodKind>,
) -> Option<Span> {
    let range = parse_period(errors, year, from, to);
    range.and_then(|(from, to)| errors.check("period", Span::new(kind, from, to)))
}

/// A calendar `year`, or a range of months `from`..`to`.
fn parse_period(
    errors: &mut FieldErrors,
    year: Option<i32>,
    from: Option<Month>,
    to: Option<Month>,
) -> Option<(NaiveDate, NaiveDate)> {
    match (year, from, to) {
        (Some(year), None, None) => errors.check("year", year_bounds(year)),
        (None, Some(from), Some(to)) if from <= to => Some((from.first_day(), to.last_day())),
        (None, Some(_), Some(_)) => {
            errors.add("to", text!("is before from"));
            None
        }
        _ => {
            errors.add("year", text!("give either a year, or both from and to"));
            None
        }
    }
}
