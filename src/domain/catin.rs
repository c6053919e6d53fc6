//! The catin screening's verdict (BKKBN Elsimil): which risk factors a bride- or groom-to-be
//! has, judged by one version of the thresholds. Pure, so every edge is unit-tested.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Sex;

text_enum! {
    /// A risk factor the screening found.
    pub enum CatinRisk {
        /// A woman younger than the thresholds' `min_age_women`.
        TooYoung = "too_young",
        /// A woman older than `max_age_women`.
        TooOld = "too_old",
        /// Body mass index below `min_bmi` (*kurus*).
        Underweight = "underweight",
        /// A woman's mid-upper-arm circumference below `min_muac_cm`: chronic energy
        /// deficiency (*KEK*).
        Kek = "kek",
        /// Haemoglobin below `min_hb_women` or `min_hb_men`.
        Anaemia = "anaemia",
        /// Smokes, or is exposed to smoke at home.
        Smoke = "smoke",
    }
}

/// One version of the thresholds (table `catin_thresholds`). "Below" is strict: a value equal
/// to a threshold is not a risk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CatinThresholds {
    pub min_age_women: i16,
    pub max_age_women: i16,
    pub min_bmi: f64,
    pub min_muac_cm: f64,
    pub min_hb_women: f64,
    pub min_hb_men: f64,
}

/// What a screening measured, as the verdict needs it; `None` was not measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatinFindings {
    pub sex: Sex,
    pub age_years: i16,
    pub bmi: Option<f64>,
    pub muac_cm: Option<f64>,
    pub hb_g_dl: Option<f64>,
    pub smokes: bool,
    pub smoke_exposed: bool,
}

/// Body mass index, one decimal: weight over height squared.
pub fn bmi(height_cm: f64, weight_kg: f64) -> f64 {
    let metres = height_cm / 100.0;
    (weight_kg / (metres * metres) * 10.0).round() / 10.0
}

/// Completed years between `birth` and `on`.
pub fn age_years(birth: chrono::NaiveDate, on: chrono::NaiveDate) -> i32 {
    on.years_since(birth).map_or(-1, |years| years as i32)
}

/// The risk factors of `findings` under `t`, in the order of `CatinRisk`. Age and LiLA are
/// judged for women only (the sources give no thresholds for men); a value not measured
/// raises no factor.
pub fn risks(findings: &CatinFindings, t: &CatinThresholds) -> Vec<CatinRisk> {
    let woman = findings.sex == Sex::Female;
    let min_hb = if woman { t.min_hb_women } else { t.min_hb_men };
    [
        (CatinRisk::TooYoung, woman && findings.age_years < t.min_age_women),
        (CatinRisk::TooOld, woman && findings.age_years > t.max_age_women),
        (CatinRisk::Underweight, findings.bmi.is_some_and(|bmi| bmi < t.min_bmi)),
        (CatinRisk::Kek, woman && findings.muac_cm.is_some_and(|muac| muac < t.min_muac_cm)),
        (CatinRisk::Anaemia, findings.hb_g_dl.is_some_and(|hb| hb < min_hb)),
        (CatinRisk::Smoke, findings.smokes || findings.smoke_exposed),
    ]
    .into_iter()
    .filter_map(|(risk, found)| found.then_some(risk))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: CatinThresholds = CatinThresholds {
        min_age_women: 20,
        max_age_women: 35,
        min_bmi: 18.5,
        min_muac_cm: 23.5,
        min_hb_women: 12.0,
        min_hb_men: 13.0,
    };

    fn healthy(sex: Sex) -> CatinFindings {
        CatinFindings {
            sex,
            age_years: 25,
            bmi: Some(21.0),
            muac_cm: Some(26.0),
            hb_g_dl: Some(14.0),
            smokes: false,
            smoke_exposed: false,
        }
    }

    #[test]
    fn each_threshold_is_strict_at_its_edge() {
        let woman = healthy(Sex::Female);
        let cases = [
            (CatinFindings { age_years: 19, ..woman }, vec![CatinRisk::TooYoung]),
            (CatinFindings { age_years: 20, ..woman }, vec![]),
            (CatinFindings { age_years: 35, ..woman }, vec![]),
            (CatinFindings { age_years: 36, ..woman }, vec![CatinRisk::TooOld]),
            (CatinFindings { bmi: Some(18.4), ..woman }, vec![CatinRisk::Underweight]),
            (CatinFindings { bmi: Some(18.5), ..woman }, vec![]),
            (CatinFindings { muac_cm: Some(23.4), ..woman }, vec![CatinRisk::Kek]),
            (CatinFindings { muac_cm: Some(23.5), ..woman }, vec![]),
            (CatinFindings { hb_g_dl: Some(11.9), ..woman }, vec![CatinRisk::Anaemia]),
            (CatinFindings { hb_g_dl: Some(12.0), ..woman }, vec![]),
            (CatinFindings { smoke_exposed: true, ..woman }, vec![CatinRisk::Smoke]),
        ];
        for (findings, expected) in cases {
            assert_eq!(risks(&findings, &FIRST), expected, "{findings:?}");
        }
    }

    #[test]
    fn age_and_lila_are_for_women_and_men_have_their_own_haemoglobin() {
        let man = CatinFindings { age_years: 18, muac_cm: Some(20.0), hb_g_dl: Some(12.9), ..healthy(Sex::Male) };
        assert_eq!(risks(&man, &FIRST), vec![CatinRisk::Anaemia]);
        assert_eq!(risks(&CatinFindings { hb_g_dl: Some(13.0), ..man }, &FIRST), vec![]);
    }

    #[test]
    fn what_was_not_measured_raises_nothing_and_every_factor_can_show_at_once() {
        let unmeasured = CatinFindings { bmi: None, muac_cm: None, hb_g_dl: None, ..healthy(Sex::Female) };
        assert!(risks(&unmeasured, &FIRST).is_empty());
        let all = CatinFindings {
            age_years: 17,
            bmi: Some(16.0),
            muac_cm: Some(21.0),
            hb_g_dl: Some(9.0),
            smokes: true,
            ..healthy(Sex::Female)
        };
        let found = risks(&all, &FIRST);
        assert_eq!(
            found,
            vec![CatinRisk::TooYoung, CatinRisk::Underweight, CatinRisk::Kek, CatinRisk::Anaemia, CatinRisk::Smoke]
        );
    }

    #[test]
    fn another_version_judges_the_same_findings_differently() {
        let woman = CatinFindings { hb_g_dl: Some(11.5), ..healthy(Sex::Female) };
        assert_eq!(risks(&woman, &FIRST), vec![CatinRisk::Anaemia]);
        assert!(risks(&woman, &CatinThresholds { min_hb_women: 11.0, ..FIRST }).is_empty());
    }

    #[test]
    fn bmi_and_age_are_computed_as_the_screening_form_does() {
        assert_eq!(bmi(155.0, 44.0), 18.3);
        assert_eq!(bmi(160.0, 51.2), 20.0);
        let date = |s: &str| s.parse().unwrap();
        assert_eq!(age_years(date("2005-06-15"), date("2025-06-14")), 19);
        assert_eq!(age_years(date("2005-06-15"), date("2025-06-15")), 20);
    }
}
