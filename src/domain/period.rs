//! The calendar periods dashboards ask for, and the series of them a trend chart reads.

use chrono::{Datelike, Months, NaiveDate};

text_enum! {
    /// A calendar period: counts are kept for each of them.
    pub enum PeriodKind {
        Month = "month",
        Quarter = "quarter",
        /// January–June or July–December.
        Semester = "semester",
        Year = "year",
    }
}

text_enum! {
    /// Where an aggregate's counts came from.
    pub enum CountSource {
        /// Kept per calendar period in the writing transaction: every committed write included.
        Kept = "kept",
        /// Counted from the records, for a range that is not one calendar period.
        Rows = "rows",
    }
}

impl PeriodKind {
    pub fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Semester => 6,
            Self::Year => 12,
        }
    }

    /// The first day of the period `day` falls in.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        let month0 = day.month0() / self.months() * self.months();
        NaiveDate::from_ymd_opt(day.year(), month0 + 1, 1).unwrap_or(day)
    }

    /// The last day of the period starting on `start`.
    pub fn end_of(self, start: NaiveDate) -> NaiveDate {
        start.checked_add_months(Months::new(self.months())).and_then(|d| d.pred_opt()).unwrap_or(start)
    }

    /// The calendar period `[from, to]` is exactly, the shortest kind first; `None` when the
    /// range is not one calendar period.
    pub fn exactly(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        Self::ALL.iter().copied().find(|kind| kind.start_of(from) == from && kind.end_of(from) == to)
    }
}

/// The periods of one kind that tile `[from, to]` exactly, in order; `None` when the range
/// does not start and end on the kind's boundaries.
pub fn series(kind: PeriodKind, from: NaiveDate, to: NaiveDate) -> Option<Vec<NaiveDate>> {
    if kind.start_of(from) != from || kind.end_of(kind.start_of(to)) != to {
        return None;
    }
    let mut starts = Vec::new();
    let mut start = from;
    while start <= to {
        starts.push(start);
        start = start.checked_add_months(Months::new(kind.months()))?;
    }
    Some(starts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn periods_know_their_bounds() {
        assert_eq!(PeriodKind::Quarter.start_of(day(2024, 8, 17)), day(2024, 7, 1));
        assert_eq!(PeriodKind::Quarter.end_of(day(2024, 7, 1)), day(2024, 9, 30));
        assert_eq!(PeriodKind::Semester.start_of(day(2024, 6, 30)), day(2024, 1, 1));
        assert_eq!(PeriodKind::Semester.end_of(day(2024, 7, 1)), day(2024, 12, 31));
        assert_eq!(PeriodKind::Month.end_of(day(2024, 2, 1)), day(2024, 2, 29));
        assert_eq!(PeriodKind::Year.start_of(day(2024, 12, 31)), day(2024, 1, 1));
    }

    #[test]
    fn a_range_is_a_calendar_period_only_when_it_fits_one_exactly() {
        assert_eq!(PeriodKind::exactly(day(2024, 3, 1), day(2024, 3, 31)), Some(PeriodKind::Month));
        assert_eq!(PeriodKind::exactly(day(2024, 4, 1), day(2024, 6, 30)), Some(PeriodKind::Quarter));
        assert_eq!(PeriodKind::exactly(day(2024, 1, 1), day(2024, 6, 30)), Some(PeriodKind::Semester));
        assert_eq!(PeriodKind::exactly(day(2024, 1, 1), day(2024, 12, 31)), Some(PeriodKind::Year));
        assert_eq!(PeriodKind::exactly(day(2024, 2, 1), day(2024, 4, 30)), None);
        assert_eq!(PeriodKind::exactly(day(2024, 1, 1), day(2025, 12, 31)), None);
    }

    #[test]
    fn a_series_tiles_the_range_or_refuses_it() {
        let quarters = series(PeriodKind::Quarter, day(2023, 7, 1), day(2024, 6, 30)).unwrap();
        assert_eq!(quarters, vec![day(2023, 7, 1), day(2023, 10, 1), day(2024, 1, 1), day(2024, 4, 1)]);
        assert_eq!(series(PeriodKind::Month, day(2024, 1, 1), day(2024, 12, 31)).unwrap().len(), 12);
        assert!(series(PeriodKind::Quarter, day(2024, 2, 1), day(2024, 6, 30)).is_none());
        assert!(series(PeriodKind::Semester, day(2024, 1, 1), day(2024, 9, 30)).is_none());
    }
}
