//! The codes a SATUSEHAT Observation carries: LOINC for what was measured, HL7's observation
//! categories, and for a growth reading the nutritional status in `interpretation`, coded in
//! Kemenkes' clinical terms (`terminology.kemkes.go.id/CodeSystem/clinical-term`) where its
//! published table gives a code, and always in HL7's ObservationInterpretation with our
//! Indonesian label as text.

use serde_json::{Value, json};

use crate::growth::{GrowthCategory, Indicator};

pub const BODY_WEIGHT: (&str, &str) = ("29463-7", "Body weight");
pub const BODY_HEIGHT: (&str, &str) = ("8302-2", "Body height");
pub const BODY_HEIGHT_LYING: (&str, &str) = ("8306-3", "Body height --lying");
pub const BODY_HEIGHT_STANDING: (&str, &str) = ("8308-9", "Body height --standing");
pub const MUAC: (&str, &str) = ("56072-2", "Circumference Mid upper arm");
pub const HAEMOGLOBIN: (&str, &str) = ("718-7", "Hemoglobin [Mass/volume] in Blood");

const KEMENKES_CLINICAL_TERM: &str = "http://terminology.kemkes.go.id/CodeSystem/clinical-term";
const HL7_INTERPRETATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

/// HL7's observation category.
#[derive(Debug, Clone, Copy)]
pub enum Category {
    VitalSigns,
    Laboratory,
}

impl Category {
    pub(super) fn coding(self) -> super::Coding<'static> {
        let (code, display) = match self {
            Self::VitalSigns => ("vital-signs", "Vital Signs"),
            Self::Laboratory => ("laboratory", "Laboratory"),
        };
        super::Coding { system: "http://terminology.hl7.org/CodeSystem/observation-category", code, display }
    }
}

/// Kemenkes' clinical-term code and display for a growth category, from SATUSEHAT's
/// "Lampiran Terminologi Gizi Tumbang" (weight-for-age and length/height-for-age). Categories
/// the table gives no code for here carry HL7's code and the text only.
pub fn kemenkes_term(category: GrowthCategory) -> Option<(&'static str, &'static str)> {
    use GrowthCategory::*;
    match category {
        SeverelyUnderweight => Some(("OI000007", "Berat Badan Sangat Kurang")),
        Underweight => Some(("OI000008", "Berat Badan Kurang")),
        RiskOfOverweight => Some(("OI000010", "Risiko Berat Badan Lebih")),
        SeverelyStunted => Some(("OI000011", "Sangat Pendek")),
        Stunted => Some(("OI000012", "Pendek")),
        _ => None,
    }
}

/// HL7's reading of a category: critically low, low, normal or high.
fn hl7_code(category: GrowthCategory) -> (&'static str, &'static str) {
    use GrowthCategory::*;
    match category {
        SeverelyStunted | SeverelyUnderweight | SeverelyWasted => ("LL", "Critical low"),
        Stunted | Underweight | Wasted => ("L", "Low"),
        Normal => ("N", "Normal"),
        Tall | RiskOfOverweight | PossibleRiskOfOverweight | Overweight | Obese => ("H", "High"),
    }
}

/// The `interpretation` of a reading in `category` of `indicator`.
pub fn growth_interpretation(indicator: Indicator, category: GrowthCategory) -> Value {
    let mut codings = Vec::new();
    let kemenkes = match (indicator, category) {
        (Indicator::WeightForAge, GrowthCategory::Normal) => Some(("OI000009", "Berat Badan Normal")),
        _ => kemenkes_term(category),
    };
    if let Some((code, display)) = kemenkes {
        codings.push(json!({ "system": KEMENKES_CLINICAL_TERM, "code": code, "display": display }));
    }
    let (code, display) = hl7_code(category);
    codings.push(json!({ "system": HL7_INTERPRETATION, "code": code, "display": display }));
    json!({ "coding": codings, "text": indicator.label_id(category) })
}

/// The `interpretation` of a mother's reading judged against a cut-off: low (`text` names the
/// finding, such as KEK or anaemia) or normal.
pub fn flag_interpretation(low: bool, finding: &str) -> Value {
    let (code, display, text) =
        if low { ("L", "Low", finding.to_owned()) } else { ("N", "Normal", "normal".to_owned()) };
    json!({ "coding": [{ "system": HL7_INTERPRETATION, "code": code, "display": display }], "text": text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(interpretation: &Value) -> Vec<(&str, &str)> {
        interpretation["coding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["system"].as_str().unwrap(), c["code"].as_str().unwrap()))
            .collect()
    }

    #[test]
    fn a_growth_category_carries_kemenkes_term_where_published_and_hl7_always() {
        let stunted = growth_interpretation(Indicator::LengthForAge, GrowthCategory::Stunted);
        assert_eq!(codes(&stunted), [(KEMENKES_CLINICAL_TERM, "OI000012"), (HL7_INTERPRETATION, "L")]);
        assert_eq!(stunted["text"], "pendek");
        let normal_weight = growth_interpretation(Indicator::WeightForAge, GrowthCategory::Normal);
        assert_eq!(codes(&normal_weight), [(KEMENKES_CLINICAL_TERM, "OI000009"), (HL7_INTERPRETATION, "N")]);
        let normal_height = growth_interpretation(Indicator::LengthForAge, GrowthCategory::Normal);
        assert_eq!(codes(&normal_height), [(HL7_INTERPRETATION, "N")], "no published code: HL7 and text only");
        let severe = growth_interpretation(Indicator::WeightForAge, GrowthCategory::SeverelyUnderweight);
        assert_eq!(codes(&severe), [(KEMENKES_CLINICAL_TERM, "OI000007"), (HL7_INTERPRETATION, "LL")]);
    }

    #[test]
    fn every_category_reads_as_low_normal_or_high() {
        for &category in GrowthCategory::ALL {
            assert!(["LL", "L", "N", "H"].contains(&hl7_code(category).0), "{category:?}");
        }
    }
}
