//! DHIS2's ISO period codes for the calendar periods we keep counts of: `202502` (a month),
//! `2025Q1`, `2025S1` (January–June) and `2025`.

use chrono::{Datelike, NaiveDate};

use crate::domain::{PeriodKind, YEARS};
use crate::i18n::Text;

/// One calendar period, as DHIS2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
}

/// What `Period::parse` reads, as the contract states it.
pub const PATTERN: &str = "^(20[0-9]{2}|2100)(0[1-9]|1[0-2]|Q[1-4]|S[1-2])?$";

pub fn expected() -> Text {
    text!("must be a DHIS2 period: 202502 (month), 2025Q1 (quarter), 2025S1 (semester) or 2025 (year)")
}

impl Period {
    /// Reads `202502`, `2025Q1`, `2025S1` or `2025` (years 2000 to 2100).
    pub fn parse(code: &str) -> Result<Self, Text> {
        let (year, rest) = code.split_at_checked(4).ok_or_else(expected)?;
        if !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(expected());
        }
        let year: i32 = year.parse().map_err(|_| expected())?;
        if !YEARS.contains(&year) {
            return Err(text!("must be a period of a year between 2000 and 2100"));
        }
        let number = |digits: &str| digits.parse::<u32>().ok().filter(|_| digits.bytes().all(|b| b.is_ascii_digit()));
        let (kind, month) = match rest.as_bytes() {
            [] => (PeriodKind::Year, Some(1)),
            [b'Q', _] => (PeriodKind::Quarter, number(&rest[1..]).filter(|q| (1..=4).contains(q)).map(|q| q * 3 - 2)),
            [b'S', _] => (PeriodKind::Semester, number(&rest[1..]).filter(|s| (1..=2).contains(s)).map(|s| s * 6 - 5)),
            [_, _] => (PeriodKind::Month, number(rest).filter(|m| (1..=12).contains(m))),
            _ => return Err(expected()),
        };
        let start = month.and_then(|m| NaiveDate::from_ymd_opt(year, m, 1)).ok_or_else(expected)?;
        Ok(Self { kind, start })
    }

    /// The period of `kind` starting on `start`.
    pub fn new(kind: PeriodKind, start: NaiveDate) -> Self {
        Self { kind, start }
    }

    pub fn end(self) -> NaiveDate {
        self.kind.end_of(self.start)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, month) = (self.start.year(), self.start.month());
        match self.kind {
            PeriodKind::Month => write!(f, "{year}{month:02}"),
            PeriodKind::Quarter => write!(f, "{year}Q{}", month.div_ceil(3)),
            PeriodKind::Semester => write!(f, "{year}S{}", month.div_ceil(6)),
            PeriodKind::Year => write!(f, "{year}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn reads_and_writes_the_four_kinds() {
        for (code, kind, start) in [
            ("202502", PeriodKind::Month, day(2025, 2)),
            ("202512", PeriodKind::Month, day(2025, 12)),
            ("2025Q1", PeriodKind::Quarter, day(2025, 1)),
            ("2025Q4", PeriodKind::Quarter, day(2025, 10)),
            ("2025S1", PeriodKind::Semester, day(2025, 1)),
            ("2025S2", PeriodKind::Semester, day(2025, 7)),
            ("2025", PeriodKind::Year, day(2025, 1)),
        ] {
            let period = Period::parse(code).unwrap();
            assert_eq!(period, Period { kind, start }, "{code}");
            assert_eq!(period.to_string(), code);
        }
        assert_eq!(Period::parse("2025Q3").unwrap().end(), NaiveDate::from_ymd_opt(2025, 9, 30).unwrap());
    }

    #[test]
    fn refuses_what_is_not_one_of_them() {
        for code in [
            "", "25", "202513", "202500", "2025Q0", "2025Q5", "2025S3", "2025W1", "2025-02", "1999", "2101", "+202",
            "2025Q+", "2025BiW1",
        ] {
            assert!(Period::parse(code).is_err(), "{code}");
        }
    }
}
