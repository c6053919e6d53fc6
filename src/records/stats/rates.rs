//! Rates as dashboards show them: a percentage, its 95% Wilson score interval, and the small
//! counts an analyst must not see.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::RegionLevel;

/// A 95% confidence interval of a percentage (Wilson score interval), in percent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"low": 7.8, "high": 9.06}))]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The normal quantile of a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `part` of `whole` in percent, two decimals; `None` for an empty whole. The same rounding as
/// `intervention::coverage_pct`, so a rate reads alike on every endpoint.
pub fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 100.0)
}

/// The Wilson score interval of `part` successes in `whole` trials, in percent. Unlike the
/// textbook p ± z·se it stays inside 0–100 and is honest for small villages and rare events.
/// `None` for an empty whole or a part outside it.
pub fn wilson(part: i64, whole: i64) -> Option<Interval> {
    if whole <= 0 || part < 0 || part > whole {
        return None;
    }
    let (x, n) = (part as f64, whole as f64);
    let p = x / n;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        low: round2(((centre - half) * 100.0).max(0.0)),
        high: round2(((centre + half) * 100.0).min(100.0)),
    })
}

/// The percentage and its interval of two counts as shown: none when either was withheld.
pub fn rate(part: Option<i64>, whole: Option<i64>) -> (Option<f64>, Option<Interval>) {
    match (part, whole) {
        (Some(part), Some(whole)) => (pct(part, whole), wilson(part, whole)),
        _ => (None, None),
    }
}

/// Counts from 1 to 4 are withheld below district level from callers who may not see them;
/// 0 and 5 or more are shown (see docs/API.md, "Small counts").
#[derive(Debug, Clone, Copy)]
pub struct Disclosure {
    small_counts: bool,
}

impl Disclosure {
    pub fn new(sees_small_counts: bool) -> Self {
        Self { small_counts: sees_small_counts }
    }

    /// Whether this row's counts are checked at all: only rows below district level are.
    pub fn guards(self, level: Option<RegionLevel>) -> bool {
        !self.small_counts && level.is_some_and(|level| level > RegionLevel::District)
    }
}

/// `count`, or `None` when it is a small count a guarded row withholds.
pub fn shown(count: i64, guarded: bool) -> Option<i64> {
    (!guarded || !(1..=4).contains(&count)).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_intervals_match_published_values() {
        // Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 → 0.2553–0.3662;
        // 15/148 → 0.0624–0.1605; 0/20 → 0–0.1611; 1/29 → 0.0061–0.1718.
        assert_eq!(wilson(81, 263), Some(Interval { low: 25.53, high: 36.62 }));
        assert_eq!(wilson(15, 148), Some(Interval { low: 6.24, high: 16.05 }));
        assert_eq!(wilson(0, 20), Some(Interval { low: 0.0, high: 16.11 }));
        assert_eq!(wilson(1, 29), Some(Interval { low: 0.61, high: 17.18 }));
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
    }

    #[test]
    fn small_counts_are_withheld_only_below_district_level() {
        let analyst = Disclosure::new(false);
        assert!(!analyst.guards(Some(RegionLevel::District)));
        assert!(analyst.guards(Some(RegionLevel::Village)));
        assert!(!Disclosure::new(true).guards(Some(RegionLevel::Village)));
        assert_eq!(shown(3, true), None);
        assert_eq!(shown(0, true), Some(0));
        assert_eq!(shown(5, true), Some(5));
        assert_eq!(shown(3, false), Some(3));
    }
}
