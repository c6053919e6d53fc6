//! How measurements make stunting cases: pure, so the rules are tested without a database.
//!
//! Walking a child's valid measurements (not voided, HAZ computed and plausible) in date
//! order: a HAZ below −2 with no case running opens one; later stunted measurements keep its
//! severity and latest reading current; the first HAZ of −2 or more resolves it. A case an
//! officer closed by hand ends on its closing date, and a stunted measurement after that
//! date opens a new case. Recomputing from scratch after every write or void keeps the
//! case list in agreement with the measurements, whatever order they arrived in.

use crate::domain::{CaseSeverity, MeasurementId};
use crate::growth;
use chrono::NaiveDate;

/// HAZ below this is stunting; below the severe cut-off, severe stunting.
const STUNTED_BELOW: f64 = growth::BELOW_MODERATE;
const SEVERELY_BELOW: f64 = growth::BELOW_SEVERE;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub measurement: MeasurementId,
    pub measured_on: NaiveDate,
    pub haz: f64,
}

/// One case as the measurements describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub opened: Reading,
    pub latest: Reading,
    pub severity: CaseSeverity,
    pub resolved: Option<Reading>,
    /// Set when the stored case this episode continues was closed by hand.
    pub closed_on: Option<NaiveDate>,
}

impl Episode {
    fn open(reading: Reading) -> Self {
        Self { opened: reading, latest: reading, severity: severity(reading.haz), resolved: None, closed_on: None }
    }
}

fn severity(haz: f64) -> CaseSeverity {
    if haz < SEVERELY_BELOW { CaseSeverity::SeverelyStunted } else { CaseSeverity::Stunted }
}

/// The episodes `readings` (sorted by date) describe. `closures[k]` is the hand-closing date
/// of the k-th stored case, if it was closed by hand: the k-th episode continues that case.
pub fn episodes(readings: &[Reading], closures: &[Option<NaiveDate>]) -> Vec<Episode> {
    let mut done: Vec<Episode> = Vec::new();
    let mut current: Option<Episode> = None;
    for &reading in readings {
        // A reading after the hand-closing date of the running case ends that case first.
        let closure = closures.get(done.len()).copied().flatten();
        if let Some(closed_on) = closure.filter(|closed_on| reading.measured_on > *closed_on)
            && let Some(mut episode) = current.take()
        {
            episode.closed_on = Some(closed_on);
            done.push(episode);
        }
        match current.as_mut() {
            None if reading.haz < STUNTED_BELOW => current = Some(Episode::open(reading)),
            None => {}
            Some(episode) => {
                episode.latest = reading;
                if reading.haz < STUNTED_BELOW {
                    episode.severity = severity(reading.haz);
                } else {
                    episode.resolved = Some(reading);
                    done.extend(current.take());
                }
            }
        }
    }
    if let Some(mut episode) = current {
        episode.closed_on = closures.get(done.len()).copied().flatten();
        done.push(episode);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d.into())
    }

    fn reading(d: u32, haz: f64) -> Reading {
        Reading { measurement: MeasurementId(uuid::Uuid::from_u128(d.into())), measured_on: day(d), haz }
    }

    #[test]
    fn normal_growth_opens_nothing() {
        assert!(episodes(&[reading(0, -1.0), reading(30, 0.5)], &[]).is_empty());
    }

    #[test]
    fn open_then_still_stunted_then_resolved() {
        let rs = [reading(0, -1.5), reading(30, -2.4), reading(60, -3.2), reading(90, -1.9), reading(120, -1.8)];
        let eps = episodes(&rs, &[]);
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].opened, rs[1]);
        assert_eq!(eps[0].severity, CaseSeverity::SeverelyStunted, "kept current until resolved");
        assert_eq!(eps[0].resolved, Some(rs[3]));
        assert_eq!(eps[0].latest, rs[3]);
    }

    #[test]
    fn a_relapse_opens_a_second_case() {
        let rs = [reading(0, -2.5), reading(30, -1.0), reading(60, -2.2)];
        let eps = episodes(&rs, &[]);
        assert_eq!(eps.len(), 2);
        assert!(eps[0].resolved.is_some());
        assert_eq!(eps[1].opened, rs[2]);
        assert_eq!(eps[1].resolved, None);
    }

    #[test]
    fn severity_follows_the_latest_stunted_reading() {
        let eps = episodes(&[reading(0, -3.5), reading(30, -2.5)], &[]);
        assert_eq!(eps[0].severity, CaseSeverity::Stunted);
    }

    #[test]
    fn a_case_closed_by_hand_ends_and_later_stunting_opens_a_new_one() {
        let rs = [reading(0, -2.5), reading(10, -2.6), reading(40, -2.7)];
        let eps = episodes(&rs, &[Some(day(20))]);
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[0].closed_on, Some(day(20)));
        assert_eq!(eps[0].latest, rs[1]);
        assert_eq!(eps[1].opened, rs[2]);
        assert_eq!(eps[1].closed_on, None);
    }

    #[test]
    fn a_closure_with_nothing_after_it_keeps_the_case_closed() {
        let eps = episodes(&[reading(0, -2.5)], &[Some(day(5))]);
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].closed_on, Some(day(5)));
    }

    #[test]
    fn voiding_the_opening_reading_moves_the_opening_later() {
        let all = [reading(0, -2.5), reading(30, -2.3)];
        assert_eq!(episodes(&all, &[])[0].opened, all[0]);
        assert_eq!(episodes(&all[1..], &[])[0].opened, all[1]);
        assert!(episodes(&[reading(30, -1.0)], &[]).is_empty());
    }
}
