//! When a day's reading happened, as SATUSEHAT wants it: an instant in UTC. We keep only the
//! day a child was weighed or a mother visited, so the instant is that day's local noon in the
//! province's time zone: whichever zone a reader converts to, in Indonesia or in UTC, the date
//! stays the one the cadre wrote down.

use chrono::{NaiveDate, NaiveTime, TimeDelta};

use crate::domain::RegionCode;

/// Hours ahead of UTC in the province of `region`: WIT (+9) in Maluku and Papua, WITA (+8) in
/// Bali, Nusa Tenggara, Sulawesi and south, east and north Kalimantan, WIB (+7) elsewhere.
fn utc_offset_hours(region: &RegionCode) -> i64 {
    match &region.as_str()[..2] {
        "81" | "82" | "91" | "92" | "93" | "94" | "95" | "96" => 9,
        "51" | "52" | "53" | "63" | "64" | "65" | "71" | "72" | "73" | "74" | "75" | "76" => 8,
        _ => 7,
    }
}

/// Local noon of `day` in `region`, in UTC (`2025-02-14T05:00:00Z` in Jawa).
pub fn effective_instant(day: NaiveDate, region: &RegionCode) -> String {
    let noon = day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon is a time"));
    let utc = noon - TimeDelta::hours(utc_offset_hours(region));
    format!("{}Z", utc.format("%Y-%m-%dT%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: &str, region: &str) -> String {
        effective_instant(day.parse().unwrap(), &RegionCode::parse(region).unwrap())
    }

    #[test]
    fn is_local_noon_in_utc_and_keeps_the_date() {
        assert_eq!(at("2025-02-14", "33.74.01.1001"), "2025-02-14T05:00:00Z");
        assert_eq!(at("2025-02-14", "73.71.01.1001"), "2025-02-14T04:00:00Z");
        assert_eq!(at("2025-02-14", "91.71.01.1001"), "2025-02-14T03:00:00Z");
        assert_eq!(at("2025-01-01", "62.01"), "2025-01-01T05:00:00Z");
    }
}
