//! Aggregates for dashboards, computed by PostgreSQL (GROUP BY over region-code prefixes),
//! never by looping over rows in Rust. No personal data.

pub mod budgets;
pub mod cases;
pub mod coverage;
pub mod families;
pub mod pathway;
pub mod prevalence;
pub mod quality;
pub mod rates;
pub mod skdn;
pub mod summary;
pub mod teams;

use chrono::NaiveDate;

use diesel_async::AsyncPgConnection;

use crate::auth::Caller;
use crate::domain::{PeriodKind, RegionCode, RegionLevel, series};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::records::region;

/// What a breakdown asks for: inside `root` (all of Indonesia when `None`), rows at `level`.
#[derive(Debug, Clone)]
pub struct Breakdown<'a> {
    pub root: Option<&'a RegionCode>,
    pub level: RegionLevel,
    pub span: &'a Span,
    /// Only lokus villages designated for the period's year (a range: any year it touches).
    pub lokus: bool,
}

/// The periods an aggregate answers for.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    /// Whole calendar periods of one kind, in order: answered from the kept counts.
    Calendar { kind: PeriodKind, starts: Vec<NaiveDate> },
    /// A range that is not one whole calendar period: computed from the rows.
    Range { from: NaiveDate, to: NaiveDate },
}

/// A series may hold at most this many periods (ten years of months).
pub const MAX_PERIODS: usize = 120;

impl Span {
    /// `[from, to]` as periods of `kind` (an error when it does not tile the range), or, with
    /// no kind, as the one calendar period it is, if it is one.
    pub fn new(kind: Option<PeriodKind>, from: NaiveDate, to: NaiveDate) -> Result<Self, Text> {
        match kind {
            Some(kind) => match series(kind, from, to) {
                Some(starts) if starts.len() <= MAX_PERIODS => Ok(Self::Calendar { kind, starts }),
                Some(_) => Err(text!("a series holds at most 120 periods")),
                None => Err(text!("from and to must start and end on the period's boundaries")),
            },
            None => Ok(match PeriodKind::exactly(from, to) {
                Some(kind) => Self::Calendar { kind, starts: vec![from] },
                None => Self::Range { from, to },
            }),
        }
    }

    /// Each period's first and last day.
    pub fn periods(&self) -> Vec<(NaiveDate, NaiveDate)> {
        match self {
            Self::Calendar { kind, starts } => starts.iter().map(|&s| (s, kind.end_of(s))).collect(),
            Self::Range { from, to } => vec![(*from, *to)],
        }
    }

    pub fn first_day(&self) -> NaiveDate {
        match self {
            Self::Calendar { starts, .. } => starts.first().copied().unwrap_or(NaiveDate::MIN),
            Self::Range { from, .. } => *from,
        }
    }

    pub fn last_day(&self) -> NaiveDate {
        match self {
            Self::Calendar { kind, starts } => starts.last().map_or(NaiveDate::MAX, |&s| kind.end_of(s)),
            Self::Range { to, .. } => *to,
        }
    }

    /// The kind of its periods; `None` for a range computed from the rows.
    pub fn kind(&self) -> Option<PeriodKind> {
        match self {
            Self::Calendar { kind, .. } => Some(*kind),
            Self::Range { .. } => None,
        }
    }
}

/// Characters of a code at each tier: `14`, `14.01`, `14.01.01`, `14.01.01.2001`. Grouping by
/// `left(code, n)` groups every row under its region at that tier.
pub fn code_length(level: RegionLevel) -> i32 {
    match level {
        RegionLevel::Province => 2,
        RegionLevel::District => 5,
        RegionLevel::Subdistrict => 8,
        RegionLevel::Village => 13,
    }
}

/// The half-open range of codes under `root`; all of Indonesia when `None` (every code starts
/// with a digit, and ':' sorts right after '9').
pub fn code_bounds(root: Option<&RegionCode>) -> (String, String) {
    match root {
        Some(code) => (code.to_string(), code.subtree_end()),
        None => ("0".to_owned(), ":".to_owned()),
    }
}

/// The regions named by `areas` (codes as the SQL grouped them), looked up in one statement.
/// A series names the same few areas in every period: probed by key in its SQL, each of its
/// rows cost two index lookups (4 of the 9 ms of a national month series of cases).
pub(super) async fn named_areas<'a>(
    conn: &mut AsyncPgConnection,
    areas: impl Iterator<Item = &'a str>,
) -> anyhow::Result<std::collections::HashMap<String, region::RegionRef>> {
    let mut codes: Vec<RegionCode> = areas.map(RegionCode::parse).collect::<Result<_, _>>()?;
    codes.sort();
    codes.dedup();
    Ok(region::refs(conn, &codes).await?.into_iter().map(|r| (r.code.to_string(), r)).collect())
}

/// The select-list columns `region_name` and `region_level` of the area in column `area`,
/// each probed by key. Joined instead, a generic plan (one that does not know how small the
/// subtree is) hashed all 91,599 regions to name a subdistrict's one row: 185–190 ms a call.
pub(super) fn region_named(area: &str) -> String {
    format!(
        "(SELECT g.name FROM regions g WHERE g.code = {area}) AS region_name, \
         (SELECT g.level FROM regions g WHERE g.code = {area}) AS region_level"
    )
}

/// The region a breakdown covers (narrowed to the caller's scope) and the tier of its rows.
pub async fn breakdown(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    region: Option<RegionCode>,
    level: Option<RegionLevel>,
) -> Result<(Option<RegionCode>, RegionLevel), ApiError> {
    let root = caller.aggregate_scope(region)?.code().cloned();
    // Rows at the region's own tier are allowed (one row).
    // The nation's rows are its provinces; a region's are the tier right below it.
    let (highest, below) = match &root {
        None => (RegionLevel::Province, RegionLevel::Province),
        Some(code) => (code.level(), code.level().below().first().copied().unwrap_or(code.level())),
    };
    let level = match level {
        Some(level) if level >= highest => level,
        Some(_) => return Err(ApiError::invalid("level", text!("must be the region's tier or one below it"))),
        None => below,
    };
    if let Some(code) = &root
        && !region::exists(conn, code).await?
    {
        return Err(ApiError::not_found(text!("no region has code %{code}", code = code)));
    }
    Ok((root, level))
}
