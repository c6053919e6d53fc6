//! DHIS2 aggregate exchange: our kept aggregates as data values, and survey figures and
//! intervention reports read from them. Pure mapping: the data sets and data elements we
//! publish (by code: DHIS2's `idScheme=CODE`), the period codes, and the wire shapes of a data
//! value set and of an import summary. Org units are Kemendagri codes, the nation `national`.

pub mod period;
mod wire;

pub use period::Period;
pub use wire::{Conflict, DataValue, DataValueSet, ImportCount, ImportOptions, ImportSummary, ImportWebMessage, Value};

text_enum! {
    /// A data set: the data elements one exchange carries.
    pub enum DataSet {
        /// Measured prevalence: children measured and found stunted, underweight, wasted.
        Prevalence = "STUNTING_PREVALENCE",
        /// Official survey figures (SSGI, SKI, …) per region and year; importable.
        Survey = "STUNTING_SURVEY",
        /// Intervention targets and monthly reach per type; reach importable.
        Interventions = "STUNTING_INTERVENTIONS",
    }
}

text_enum! {
    /// A data element, by its code.
    pub enum DataElement {
        /// Children with a valid length/height-for-age (HAZ) in the period.
        Measured = "STUNTING_MEASURED",
        /// Of them, HAZ below −2.
        Stunted = "STUNTING_STUNTED",
        /// Of them, HAZ below −3.
        SeverelyStunted = "STUNTING_SEVERELY_STUNTED",
        /// Children with a valid weight-for-age.
        Weighed = "STUNTING_WEIGHED",
        /// Of them, WAZ below −2.
        Underweight = "STUNTING_UNDERWEIGHT",
        /// Children with a valid weight-for-length/height.
        WastingMeasured = "STUNTING_WASTING_MEASURED",
        /// Of them, WHZ below −2.
        Wasted = "STUNTING_WASTED",
        /// A survey's stunting prevalence, in percent.
        SurveyStuntingPct = "SURVEY_STUNTING_PCT",
        /// A survey's count of stunted children.
        SurveyStunted = "SURVEY_STUNTED",
        /// The children a survey's count is out of.
        SurveyMeasured = "SURVEY_MEASURED",
        /// The activities' targets (*sasaran*) of an intervention type.
        InterventionTarget = "INTERVENTION_TARGET",
        /// Reached by an intervention type, the sum of monthly reports.
        InterventionReached = "INTERVENTION_REACHED",
    }
}

impl DataElement {
    pub fn data_set(self) -> DataSet {
        match self {
            Self::Measured
            | Self::Stunted
            | Self::SeverelyStunted
            | Self::Weighed
            | Self::Underweight
            | Self::WastingMeasured
            | Self::Wasted => DataSet::Prevalence,
            Self::SurveyStuntingPct | Self::SurveyStunted | Self::SurveyMeasured => DataSet::Survey,
            Self::InterventionTarget | Self::InterventionReached => DataSet::Interventions,
        }
    }
}

text_enum! {
    /// What an import may do with values already kept.
    pub enum ImportStrategy {
        /// Take new values and replace kept ones (DHIS2's default).
        CreateAndUpdate = "CREATE_AND_UPDATE",
        /// Only new values; one already kept is ignored, with a conflict.
        Create = "CREATE",
        /// Only values already kept; a new one is ignored, with a conflict.
        Update = "UPDATE",
    }
}

/// The org unit code of all of Indonesia (Kemendagri codes start at the provinces).
pub const NATIONAL: &str = "national";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_data_set_has_its_elements() {
        for set in DataSet::ALL {
            assert!(DataElement::ALL.iter().any(|e| e.data_set() == *set), "{set:?}");
        }
        assert_eq!("STUNTING_STUNTED".parse::<DataElement>().unwrap().data_set(), DataSet::Prevalence);
    }
}
