//! A pregnancy's calendar and judgments (the KIA book, Permenkes 21/2021): the due date and
//! gestational age from HPHT, the trimester of a visit, KEK and anaemia, the K1/K4/K6 standards
//! of antenatal care, the KF windows after delivery and a newborn's flags. Pure, so every edge
//! is unit-tested; the records layer applies them.

use chrono::{Days, NaiveDate};

text_enum! {
    /// How a pregnancy ended. Any outcome closes it.
    pub enum PregnancyOutcome {
        /// At least one baby born alive: each becomes a child record linked to the mother.
        LiveBirth = "live_birth",
        /// Born dead at 22 weeks or later.
        Stillbirth = "stillbirth",
        /// Lost before 22 weeks (*keguguran*).
        Miscarriage = "miscarriage",
        /// The mother died during pregnancy or delivery; babies born alive are still recorded.
        MaternalDeath = "maternal_death",
    }
}

text_enum! {
    /// Who examined the woman at a visit.
    pub enum Examiner {
        Doctor = "doctor",
        Midwife = "midwife",
        Nurse = "nurse",
    }
}

text_enum! {
    /// The contraception method chosen after delivery (*KB pascapersalinan*).
    pub enum Contraception {
        /// Asked, and none chosen.
        NoMethod = "none",
        Iud = "iud",
        Implant = "implant",
        Injectable = "injectable",
        Pill = "pill",
        Condom = "condom",
        /// Lactational amenorrhoea (*MAL*).
        LactationalAmenorrhoea = "lactational_amenorrhoea",
        Tubectomy = "tubectomy",
        Vasectomy = "vasectomy",
    }
}

text_enum! {
    /// Where on the pathway a person stood when a TPK visited her.
    pub enum PathwayStage {
        /// Neither pregnant nor postpartum: assisted as a bride- or groom-to-be.
        Catin = "catin",
        Pregnant = "pregnant",
        /// Within 42 days after a delivery.
        Postpartum = "postpartum",
        ChildUnderTwo = "child_under_two",
    }
}

/// A pregnancy as a person's stage needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PregnancySpan {
    pub lmp_on: NaiveDate,
    pub outcome: Option<PregnancyOutcome>,
    pub ended_on: Option<NaiveDate>,
}

impl PregnancySpan {
    /// Whether `on` is in the 42 days after this pregnancy's delivery (a live birth or a
    /// stillbirth), the day of the delivery included.
    pub fn delivered_within_postpartum(&self, on: NaiveDate) -> bool {
        matches!(self.outcome, Some(PregnancyOutcome::LiveBirth | PregnancyOutcome::Stillbirth))
            && self.ended_on.is_some_and(|ended| (0..=POSTPARTUM_DAYS).contains(&(on - ended).num_days()))
    }
}

/// A woman's stage on `on`: pregnant from HPHT until the day before the outcome, postpartum
/// from a delivery's day through the 42 days after it, otherwise catin.
pub fn stage_on(on: NaiveDate, pregnancies: &[PregnancySpan]) -> PathwayStage {
    let pregnant = pregnancies.iter().any(|p| p.lmp_on <= on && p.ended_on.is_none_or(|ended| on < ended));
    let postpartum = pregnancies.iter().any(|p| p.delivered_within_postpartum(on));
    match (pregnant, postpartum) {
        (true, _) => PathwayStage::Pregnant,
        (false, true) => PathwayStage::Postpartum,
        (false, false) => PathwayStage::Catin,
    }
}

/// Naegele's rule: the due date is HPHT + 280 days.
pub const GESTATION_DAYS: u64 = 280;
/// Gestational age no visit or delivery exceeds (44 weeks): a later date is a typing error.
pub const MAX_GESTATION_DAYS: i64 = 44 * 7;
/// Below 22 weeks a loss is a miscarriage, from 22 weeks a stillbirth (WHO ICD-11).
pub const STILLBIRTH_FROM_DAYS: i64 = 22 * 7;
/// LiLA below this is chronic energy deficiency (*KEK*), Kemenkes.
pub const KEK_MUAC_CM: f64 = 23.5;
/// Hb below this is anaemia in pregnancy (WHO 2011; Kemenkes).
pub const ANAEMIA_HB_G_DL: f64 = 11.0;
/// Iron-folic acid tablets (*TTD*) a pregnancy should receive (Kemenkes).
pub const IRON_TABLETS_TARGET: i32 = 90;
/// Below this birth weight a baby is low birth weight (*BBLR*, WHO).
pub const LOW_BIRTH_WEIGHT_G: i32 = 2500;
/// Below this birth length a baby is short at birth (Kemenkes).
pub const SHORT_AT_BIRTH_CM: f64 = 48.0;
/// What a birth weight and length can be; outside, a typing error.
pub const MIN_BIRTH_WEIGHT_G: i32 = 300;
pub const MAX_BIRTH_WEIGHT_G: i32 = 7000;
pub const MIN_BIRTH_LENGTH_CM: f64 = 20.0;
pub const MAX_BIRTH_LENGTH_CM: f64 = 65.0;
/// The postpartum period (*nifas*).
pub const POSTPARTUM_DAYS: i64 = 42;

/// The estimated delivery date (*HPL*).
pub fn due_date(lmp: NaiveDate) -> NaiveDate {
    lmp + Days::new(GESTATION_DAYS)
}

/// Gestational age in days on `on` (negative before HPHT).
pub fn gestational_days(lmp: NaiveDate, on: NaiveDate) -> i64 {
    (on - lmp).num_days()
}

/// The last gestational day of each trimester, as Permenkes 21/2021 counts them for K6: the
/// first up to 12 completed weeks, the second up to 24, the third to the due date (and past it,
/// until the outcome).
pub const TRIMESTER_LAST_DAYS: [i64; 3] = [12 * 7 + 6, 24 * 7 + 6, GESTATION_DAYS as i64];

/// The contacts K6 asks for in each trimester (Permenkes 21/2021).
pub const K6_CONTACTS: [i16; 3] = [2, 1, 3];

/// The trimester of a day of pregnancy (`TRIMESTER_LAST_DAYS`).
pub fn trimester(gestational_days: i64) -> u8 {
    let [first, second, _] = TRIMESTER_LAST_DAYS;
    match gestational_days {
        day if day <= first => 1,
        day if day <= second => 2,
        _ => 3,
    }
}

/// LiLA below `KEK_MUAC_CM`.
pub fn is_kek(muac_cm: f64) -> bool {
    muac_cm < KEK_MUAC_CM
}

/// Hb below `ANAEMIA_HB_G_DL`.
pub fn is_anaemic(hb_g_dl: f64) -> bool {
    hb_g_dl < ANAEMIA_HB_G_DL
}

/// One antenatal visit as the standards count it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AncContact {
    pub gestational_days: i64,
    pub examiner: Examiner,
    pub iron_tablets: i32,
    pub kek: Option<bool>,
    pub anaemia: Option<bool>,
}

/// What a pregnancy's antenatal visits add up to: kept on the pregnancy, recounted from its
/// living visits on every write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AncSummary {
    pub contacts: i16,
    /// Contacts in the first, second and third trimester.
    pub by_trimester: [i16; 3],
    pub by_doctor: i16,
    pub iron_tablets: i32,
    /// KEK or anaemia found at any visit.
    pub kek: bool,
    pub anaemia: bool,
}

impl AncSummary {
    pub fn of(contacts: &[AncContact]) -> Self {
        contacts.iter().fold(Self::default(), |mut sum, visit| {
            sum.contacts += 1;
            sum.by_trimester[usize::from(trimester(visit.gestational_days)) - 1] += 1;
            sum.by_doctor += i16::from(visit.examiner == Examiner::Doctor);
            sum.iron_tablets += visit.iron_tablets;
            sum.kek |= visit.kek == Some(true);
            sum.anaemia |= visit.anaemia == Some(true);
            sum
        })
    }

    /// K1: at least one contact.
    pub fn k1(&self) -> bool {
        self.contacts >= 1
    }

    /// K4: at least one contact in the first trimester, one in the second, two in the third.
    pub fn k4(&self) -> bool {
        let [first, second, third] = self.by_trimester;
        first >= 1 && second >= 1 && third >= 2
    }

    /// K6 (Permenkes 21/2021): at least two contacts in the first trimester, one in the second,
    /// three in the third, and at least two of them with a doctor.
    pub fn k6(&self) -> bool {
        self.by_trimester.iter().zip(K6_CONTACTS).all(|(&made, needed)| made >= needed) && self.by_doctor >= 2
    }

    /// At least `IRON_TABLETS_TARGET` iron tablets.
    pub fn iron_complete(&self) -> bool {
        self.iron_tablets >= IRON_TABLETS_TARGET
    }
}

/// The last day after delivery of each postpartum window: KF1 6–48 hours (the day of birth to
/// the second day, as a date cannot tell hours), KF2 days 3–7, KF3 8–28, KF4 29–42.
pub const KF_LAST_DAYS: [i64; 4] = [2, 7, 28, POSTPARTUM_DAYS];

/// The postpartum visit (KF1–KF4) a visit `days` after delivery is (`KF_LAST_DAYS`); `None`
/// outside the postpartum period.
pub fn kf_number(days_after_birth: i64) -> Option<i16> {
    if days_after_birth < 0 {
        return None;
    }
    let window = KF_LAST_DAYS.iter().position(|&last| days_after_birth <= last)?;
    i16::try_from(window + 1).ok()
}

/// KF complete: each of KF1 to KF4 done at least once.
pub fn kf_complete(done: &[i16]) -> bool {
    (1..=4).all(|kf| done.contains(&kf))
}

/// A newborn's flags: low birth weight, short at birth.
pub fn birth_flags(weight_g: i32, length_cm: f64) -> (bool, bool) {
    (weight_g < LOW_BIRTH_WEIGHT_G, length_cm < SHORT_AT_BIRTH_CM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_due_date_is_280_days_after_hpht() {
        assert_eq!(due_date(date("2025-01-01")), date("2025-10-08"));
        assert_eq!(gestational_days(date("2025-01-01"), date("2025-01-15")), 14);
    }

    #[test]
    fn trimesters_turn_after_12_and_24_completed_weeks() {
        assert_eq!(trimester(0), 1);
        assert_eq!(trimester(12 * 7 + 6), 1);
        assert_eq!(trimester(13 * 7), 2);
        assert_eq!(trimester(24 * 7 + 6), 2);
        assert_eq!(trimester(25 * 7), 3);
        assert_eq!(trimester(MAX_GESTATION_DAYS), 3);
    }

    #[test]
    fn kek_and_anaemia_are_strictly_below_their_thresholds() {
        assert!(is_kek(23.4) && !is_kek(23.5));
        assert!(is_anaemic(10.9) && !is_anaemic(11.0));
    }

    fn visit(week: i64, examiner: Examiner) -> AncContact {
        AncContact { gestational_days: week * 7, examiner, iron_tablets: 30, kek: None, anaemia: None }
    }

    #[test]
    fn k6_needs_two_one_three_and_two_doctors() {
        use Examiner::{Doctor, Midwife};
        let six = [
            visit(8, Doctor),
            visit(11, Midwife),
            visit(20, Midwife),
            visit(28, Doctor),
            visit(32, Midwife),
            visit(36, Midwife),
        ];
        let sum = AncSummary::of(&six);
        assert_eq!(sum.by_trimester, [2, 1, 3]);
        assert!(sum.k1() && sum.k4() && sum.k6());
        assert_eq!(sum.iron_tablets, 180);
        assert!(sum.iron_complete());

        let one_doctor = [six[0], six[1], six[2], visit(28, Midwife), six[4], six[5]];
        assert!(!AncSummary::of(&one_doctor).k6());
        let late_start = [six[2], six[3], six[4], six[5], visit(38, Doctor), visit(39, Doctor)];
        let late = AncSummary::of(&late_start);
        assert!(late.k1() && !late.k4() && !late.k6());
        assert_eq!(AncSummary::of(&[]), AncSummary::default());
        assert!(!AncSummary::default().k1());
    }

    #[test]
    fn kek_or_anaemia_at_any_visit_marks_the_pregnancy_and_iron_counts_to_90() {
        let visits = [
            AncContact { kek: Some(true), iron_tablets: 60, ..visit(10, Examiner::Midwife) },
            AncContact { anaemia: Some(false), iron_tablets: 29, ..visit(20, Examiner::Midwife) },
        ];
        let sum = AncSummary::of(&visits);
        assert!(sum.kek && !sum.anaemia);
        assert_eq!(sum.iron_tablets, 89);
        assert!(!sum.iron_complete());
    }

    #[test]
    fn kf_windows_cover_the_42_days_after_birth() {
        let expected = [(0, Some(1)), (2, Some(1)), (3, Some(2)), (7, Some(2)), (8, Some(3)), (28, Some(3))];
        for (days, kf) in expected.into_iter().chain([(29, Some(4)), (42, Some(4)), (43, None), (-1, None)]) {
            assert_eq!(kf_number(days), kf, "day {days}");
        }
        assert!(kf_complete(&[1, 2, 3, 4, 2]));
        assert!(!kf_complete(&[1, 2, 4]));
    }

    #[test]
    fn a_woman_is_pregnant_until_the_outcome_then_postpartum_for_42_days() {
        let delivered = PregnancySpan {
            lmp_on: date("2025-01-01"),
            outcome: Some(PregnancyOutcome::LiveBirth),
            ended_on: Some(date("2025-10-01")),
        };
        let stage = |on: &str, spans: &[PregnancySpan]| stage_on(date(on), spans);
        assert_eq!(stage("2024-12-31", &[delivered]), PathwayStage::Catin);
        assert_eq!(stage("2025-01-01", &[delivered]), PathwayStage::Pregnant);
        assert_eq!(stage("2025-09-30", &[delivered]), PathwayStage::Pregnant);
        assert_eq!(stage("2025-10-01", &[delivered]), PathwayStage::Postpartum);
        assert_eq!(stage("2025-11-12", &[delivered]), PathwayStage::Postpartum);
        assert_eq!(stage("2025-11-13", &[delivered]), PathwayStage::Catin);
        let lost = PregnancySpan { outcome: Some(PregnancyOutcome::Miscarriage), ..delivered };
        assert_eq!(stage("2025-10-02", &[lost]), PathwayStage::Catin);
        let open = PregnancySpan { lmp_on: date("2025-11-01"), outcome: None, ended_on: None };
        assert_eq!(stage("2025-11-05", &[delivered, open]), PathwayStage::Pregnant);
    }

    #[test]
    fn a_newborn_is_flagged_strictly_below_2500_g_and_48_cm() {
        assert_eq!(birth_flags(2499, 48.0), (true, false));
        assert_eq!(birth_flags(2500, 47.9), (false, true));
        assert_eq!(birth_flags(3200, 50.0), (false, false));
    }
}
