use chrono::{Duration, NaiveDate, Utc};

/// Today's date in Indonesia's easternmost time zone (WIT, UTC+9): the latest date any user
/// can legitimately write down. Using UTC would turn a Jayapura cadre's morning measurement
/// into one "from the future".
pub fn latest_local_date() -> NaiveDate {
    (Utc::now() + Duration::hours(9)).date_naive()
}
