//! The vocabulary of interventions (Perpres 72/2021, DOMAIN.md "Interventions").

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

text_enum! {
    /// *Spesifik*: the health sector, direct causes. *Sensitif*: other sectors.
    pub enum InterventionCategory {
        Specific = "specific",
        Sensitive = "sensitive",
    }
}

text_enum! {
    pub enum TargetGroup {
        /// Brides- and grooms-to-be (*calon pengantin*).
        Catin = "catin",
        Pregnant = "pregnant",
        /// Post-partum and breastfeeding mothers.
        Postpartum = "postpartum",
        /// Children 0–23 months (*baduta*).
        UnderTwo = "under_two",
        /// Children 0–59 months (*balita*).
        UnderFive = "under_five",
        AdolescentGirls = "adolescent_girls",
        FamilyAtRisk = "family_at_risk",
        /// The village or community as a whole.
        Community = "community",
    }
}

impl TargetGroup {
    /// Whether a service of this group is given to one child, and to which ages (in days).
    pub fn child_ages(self) -> Option<std::ops::RangeInclusive<i64>> {
        match self {
            Self::UnderTwo => Some(0..=730),
            Self::UnderFive => Some(0..=1826),
            _ => None,
        }
    }
}

text_enum! {
    /// What an intervention counts.
    pub enum CountUnit {
        Persons = "persons",
        Tablets = "tablets",
        Packages = "packages",
        Visits = "visits",
        Households = "households",
        Sessions = "sessions",
        Villages = "villages",
        Documents = "documents",
    }
}

text_enum! {
    pub enum AgencySector {
        Health = "health",
        FamilyPlanning = "family_planning",
        Planning = "planning",
        VillageDevelopment = "village_development",
        PublicWorks = "public_works",
        Social = "social",
        Education = "education",
        FoodSecurity = "food_security",
        CivilRegistration = "civil_registration",
        Other = "other",
    }
}

/// A calendar month, written `2024-08`; stored as its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ToSchema)]
#[schema(value_type = String, example = "2024-08", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
pub struct Month(NaiveDate);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthError;
text_error!(MonthError, |_e| text!("must be a month like 2024-08"));

impl Month {
    pub fn parse(input: &str) -> Result<Self, MonthError> {
        let (year, month) = input.split_once('-').ok_or(MonthError)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(MonthError);
        }
        let (year, month) = (year.parse().map_err(|_| MonthError)?, month.parse().map_err(|_| MonthError)?);
        NaiveDate::from_ymd_opt(year, month, 1).map(Self).ok_or(MonthError)
    }

    pub fn of(date: NaiveDate) -> Self {
        Self(date.with_day(1).unwrap_or(date))
    }

    pub fn first_day(self) -> NaiveDate {
        self.0
    }

    pub fn last_day(self) -> NaiveDate {
        let next = if self.0.month() == 12 {
            NaiveDate::from_ymd_opt(self.0.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.0.year(), self.0.month() + 1, 1)
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(self.0)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m"))
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_strictly_and_know_their_ends() {
        let m = Month::parse("2024-02").unwrap();
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
        assert_eq!(Month::parse("2024-12").unwrap().last_day(), NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
        for bad in ["2024-13", "2024-8", "24-08", "2024/08", "2024-08-01", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_child_groups_have_child_ages() {
        assert_eq!(TargetGroup::UnderTwo.child_ages(), Some(0..=730));
        assert!(TargetGroup::Pregnant.child_ages().is_none());
    }
}
