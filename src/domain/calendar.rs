use chrono::{Duration, NaiveDate, Utc};

use crate::i18n::Text;

/// Today's date in Indonesia's easternmost time zone (WIT, UTC+9): the latest date any user
/// can legitimately write down. Using UTC would turn a Jayapura cadre's morning measurement
/// into one "from the future".
pub fn latest_local_date() -> NaiveDate {
    (Utc::now() + Duration::hours(9)).date_naive()
}

/// A child is an under-five in the 60 calendar months from the month of her birth (SKDN's S,
/// and whom the posyandu weighs).
pub const UNDER_FIVE_MONTHS: u32 = 60;

/// A child is under 18 (Law 35/2014 on child protection).
const CHILD_YEARS: u32 = 18;
/// Nobody the programme serves is older.
const PERSON_YEARS: u32 = 100;

/// A child's birth date: neither in the future nor more than 18 years ago.
pub fn check_child_birth_date(birth_date: NaiveDate) -> Result<(), Text> {
    check_birth_date(birth_date, CHILD_YEARS)
}

/// A person's birth date: neither in the future nor more than 100 years ago.
pub fn check_person_birth_date(birth_date: NaiveDate) -> Result<(), Text> {
    check_birth_date(birth_date, PERSON_YEARS)
}

/// A birth date in the future, or more than `years` years ago (`1900-01-01`, `0000-01-01`), is
/// a typing error.
fn check_birth_date(birth_date: NaiveDate, years: u32) -> Result<(), Text> {
    let today = latest_local_date();
    if birth_date > today {
        return Err(text!("is in the future"));
    }
    match today.checked_sub_months(chrono::Months::new(12 * years)) {
        Some(oldest) if birth_date < oldest => Err(text!("is more than %{years} years ago", years = years)),
        _ => Ok(()),
    }
}

/// The years a period may name: the programme's horizon, with room.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// 1 January to 31 December of `year` (within `YEARS`).
pub fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), Text> {
    match (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31)) {
        (Some(start), Some(end)) if YEARS.contains(&year) => Ok((start, end)),
        _ => Err(text!("must be a year between 2000 and 2100")),
    }
}
