//! What a z-score means: WHO's implausibility limits and the categories of Permenkes 2/2020
//! (Standar Antropometri Anak), with their Indonesian labels.

use crate::domain::ZScore;
use crate::i18n::{Lang, Text};

text_enum! {
    /// Permenkes 2/2020 categories, by indicator.
    pub enum GrowthCategory {
        /// Length/height-for-age below −3: *sangat pendek*.
        SeverelyStunted = "severely_stunted",
        /// Length/height-for-age −3 to below −2: *pendek*.
        Stunted = "stunted",
        /// Within the normal band of its indicator.
        Normal = "normal",
        /// Length/height-for-age above +3: *tinggi*.
        Tall = "tall",
        /// Weight-for-age below −3: *berat badan sangat kurang*.
        SeverelyUnderweight = "severely_underweight",
        /// Weight-for-age −3 to below −2: *berat badan kurang*.
        Underweight = "underweight",
        /// Weight-for-age above +1: *risiko berat badan lebih*.
        RiskOfOverweight = "risk_of_overweight",
        /// Weight-for-length/height below −3: *gizi buruk*.
        SeverelyWasted = "severely_wasted",
        /// Weight-for-length/height −3 to below −2: *gizi kurang*.
        Wasted = "wasted",
        /// Weight-for-length/height above +1 to +2: *berisiko gizi lebih*.
        PossibleRiskOfOverweight = "possible_risk_of_overweight",
        /// Weight-for-length/height above +2 to +3: *gizi lebih*.
        Overweight = "overweight",
        /// Weight-for-length/height above +3: *obesitas*.
        Obese = "obese",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    LengthForAge,
    WeightForAge,
    WeightForLength,
}

/// Permenkes 2/2020's cut-offs below the median, the same for every indicator: a z-score
/// below `BELOW_MODERATE` (−2 SD) is stunted, underweight or wasted, below `BELOW_SEVERE`
/// (−3 SD) severely so. The SQL that counts prevalence writes them as `< -2` and `< -3`;
/// `tests/api/prevalence.rs` holds every such comparison in the schema and the queries to
/// these two.
pub const BELOW_MODERATE: f64 = -2.0;
pub const BELOW_SEVERE: f64 = -3.0;

impl Indicator {
    /// WHO's limits of biological plausibility: HAZ outside ±6, WAZ below −6 or above +5,
    /// WHZ outside ±5. Such a value is kept and flagged, and left out of prevalence.
    pub fn is_implausible(self, z: ZScore) -> bool {
        let z = z.value();
        match self {
            Self::LengthForAge => !(-6.0..=6.0).contains(&z),
            Self::WeightForAge => !(-6.0..=5.0).contains(&z),
            Self::WeightForLength => !(-5.0..=5.0).contains(&z),
        }
    }

    pub fn category(self, z: ZScore) -> GrowthCategory {
        use GrowthCategory::*;
        let z = z.value();
        match self {
            Self::LengthForAge if z < BELOW_SEVERE => SeverelyStunted,
            Self::LengthForAge if z < BELOW_MODERATE => Stunted,
            Self::LengthForAge if z > 3.0 => Tall,
            Self::WeightForAge if z < BELOW_SEVERE => SeverelyUnderweight,
            Self::WeightForAge if z < BELOW_MODERATE => Underweight,
            Self::WeightForAge if z > 1.0 => RiskOfOverweight,
            Self::WeightForLength if z < BELOW_SEVERE => SeverelyWasted,
            Self::WeightForLength if z < BELOW_MODERATE => Wasted,
            Self::WeightForLength if z > 3.0 => Obese,
            Self::WeightForLength if z > 2.0 => Overweight,
            Self::WeightForLength if z > 1.0 => PossibleRiskOfOverweight,
            _ => Normal,
        }
    }

    /// The category's name; the catalogue holds its Permenkes 2/2020 name in Indonesian.
    pub fn label(self, category: GrowthCategory) -> Text {
        use GrowthCategory::*;
        match (self, category) {
            (_, SeverelyStunted) => text!("severely stunted"),
            (_, Stunted) => text!("stunted"),
            (_, Tall) => text!("tall"),
            (_, SeverelyUnderweight) => text!("severely underweight"),
            (_, Underweight) => text!("underweight"),
            (_, RiskOfOverweight) => text!("risk of overweight"),
            (_, SeverelyWasted) => text!("severely wasted"),
            (_, Wasted) => text!("wasted"),
            (_, PossibleRiskOfOverweight) => text!("possible risk of overweight"),
            (_, Overweight) => text!("overweight"),
            (_, Obese) => text!("obese"),
            (Self::LengthForAge, Normal) => text!("normal length or height for age"),
            (Self::WeightForAge, Normal) => text!("normal weight for age"),
            (Self::WeightForLength, Normal) => text!("normal weight for length or height"),
        }
    }

    /// The category's name in Permenkes 2/2020 (`label_id` in answers, FHIR's `text`).
    pub fn label_id(self, category: GrowthCategory) -> String {
        self.label(category).render(Lang::Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(v: f64) -> ZScore {
        ZScore::new(v).unwrap()
    }

    #[test]
    fn stunting_bands_follow_permenkes() {
        let haz = Indicator::LengthForAge;
        assert_eq!(haz.category(z(-3.01)), GrowthCategory::SeverelyStunted);
        assert_eq!(haz.category(z(-3.0)), GrowthCategory::Stunted);
        assert_eq!(haz.category(z(-2.01)), GrowthCategory::Stunted);
        assert_eq!(haz.category(z(-2.0)), GrowthCategory::Normal);
        assert_eq!(haz.category(z(3.0)), GrowthCategory::Normal);
        assert_eq!(haz.category(z(3.01)), GrowthCategory::Tall);
        assert_eq!(haz.label_id(GrowthCategory::Stunted), "pendek");
    }

    #[test]
    fn wasting_and_underweight_bands() {
        assert_eq!(Indicator::WeightForLength.category(z(-2.5)), GrowthCategory::Wasted);
        assert_eq!(Indicator::WeightForLength.category(z(2.5)), GrowthCategory::Overweight);
        assert_eq!(Indicator::WeightForLength.category(z(1.5)), GrowthCategory::PossibleRiskOfOverweight);
        assert_eq!(Indicator::WeightForAge.category(z(-3.5)), GrowthCategory::SeverelyUnderweight);
        assert_eq!(Indicator::WeightForAge.label_id(GrowthCategory::Normal), "berat badan normal");
    }

    #[test]
    fn implausibility_limits_are_who_s() {
        assert!(Indicator::LengthForAge.is_implausible(z(-6.01)));
        assert!(!Indicator::LengthForAge.is_implausible(z(6.0)));
        assert!(Indicator::WeightForAge.is_implausible(z(5.01)));
        assert!(!Indicator::WeightForAge.is_implausible(z(-6.0)));
        assert!(Indicator::WeightForLength.is_implausible(z(-5.01)));
    }
}
