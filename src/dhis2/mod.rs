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
        /// The posyandu's monthly weighing: S, K, D, N and the rest of the KMS tally.
        Skdn = "STUNTING_SKDN",
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
        /// S: under-fives registered (child-months over a period longer than a month).
        SkdnS = "SKDN_S",
        /// K: of S, those with a KMS or KIA book.
        SkdnK = "SKDN_K",
        /// D: of S, those weighed.
        SkdnD = "SKDN_D",
        /// N: of D, weight risen by the KMS minimum since last month.
        SkdnN = "SKDN_N",
        /// T: of D, weighed last month too but not risen enough.
        SkdnT = "SKDN_T",
        /// O: of D, weighed before but not last month.
        SkdnO = "SKDN_O",
        /// B: of D, weighed for the first time.
        SkdnB = "SKDN_B",
        /// 2T: of T, not risen two months running.
        Skdn2T = "SKDN_2T",
        /// BGM: of D, weight-for-age below −3.
        SkdnBgm = "SKDN_BGM",
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
            Self::SkdnS
            | Self::SkdnK
            | Self::SkdnD
            | Self::SkdnN
            | Self::SkdnT
            | Self::SkdnO
            | Self::SkdnB
            | Self::Skdn2T
            | Self::SkdnBgm => DataSet::Skdn,
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

/// The org unit of a region, or of the nation (`None`).
pub fn org_unit(region: Option<&crate::domain::RegionCode>) -> &str {
    region.map_or(NATIONAL, crate::domain::RegionCode::as_str)
}

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
