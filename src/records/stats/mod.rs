//! Aggregates for dashboards, computed by PostgreSQL (GROUP BY over region-code prefixes),
//! never by looping over rows in Rust. No personal data.

pub mod budgets;
pub mod coverage;
pub mod families;
pub mod prevalence;
pub mod teams;

use crate::domain::{RegionCode, RegionLevel};

/// `lokus=true` on a stats endpoint: only the lokus villages designated for a year from
/// `first` to `last` (the years the period touches).
#[derive(Debug, Clone, Copy)]
pub struct LokusYears {
    pub first: i32,
    pub last: i32,
}

impl LokusYears {
    pub fn of_period(lokus: Option<bool>, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Option<Self> {
        use chrono::Datelike;
        lokus.unwrap_or(false).then(|| Self { first: from.year(), last: to.year() })
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
