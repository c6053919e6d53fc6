//! What a cadre or a TPK does next: every rule of the worklist with its window, in one place.
//! Pure: the records layer fetches a village's facts and asks these functions what is due on a
//! day, so each window's edges are unit-tested here.
//!
//! A rule answers `Some(Due)` when its item belongs on the list that day. An item is `refer`
//! (a child to send to the puskesmas now), `overdue` (its day has passed) or `due` (its day is
//! today or ahead, within the rule's notice). Windows set by regulation cite it; the others are
//! the programme's choices and say so.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::UNDER_FIVE_MONTHS;
use super::pregnancy::{K6_CONTACTS, KF_LAST_DAYS, PregnancyOutcome, TRIMESTER_LAST_DAYS, kf_number};

text_enum! {
    /// Why someone is on the worklist, and what to do (the item's `href`). Declared in the
    /// order that breaks ties between items of the same urgency and day.
    pub enum Reason {
        /// Weight-for-age below −3 (*BGM*) at the latest weighing (this month or last), and no
        /// referral since: `POST /children/{id}/services` with `puskesmas_referral`, or a TPK
        /// visit with `referral`.
        ReferBgm = "refer_bgm",
        /// Weight not risen by the KMS minimum two months running (*2T*), and no referral since:
        /// as `refer_bgm`.
        ReferTwoT = "refer_two_t",
        /// A postpartum visit (KF1–KF4) whose window is open and not yet made:
        /// `POST /pregnancies/{id}/postpartum-visits` before `due_on`, when the window closes.
        PostpartumVisit = "postpartum_visit",
        /// An antenatal contact the K6 standard asks for in this trimester, or one missed and
        /// not made up: `POST /pregnancies/{id}/anc-visits`.
        AntenatalVisit = "antenatal_visit",
        /// A stunted child (an open case) whose length is due to be measured again:
        /// `POST /children/{id}/measurements`.
        Remeasure = "remeasure",
        /// An open case nobody followed up for 30 days: `PATCH /cases/{id}` (notes, a team), a
        /// measurement or a TPK visit.
        CaseFollowUp = "case_follow_up",
        /// An under-five not weighed this month: `POST /children/{id}/measurements`.
        NotWeighed = "not_weighed",
        /// The visit a TPK said it would make next: `POST /tpk-visits`.
        TpkVisit = "tpk_visit",
        /// A bride- or groom-to-be whose wedding is near, not screened for it:
        /// `POST /people/{id}/screenings`.
        CatinScreening = "catin_screening",
        /// A family on the province's list of families at risk, not verified yet:
        /// `PUT /families-at-risk/{id}/verification`.
        FamilyVerification = "family_verification",
    }
}

text_enum! {
    /// Whom an item is about.
    pub enum Subject {
        /// A child (`/children/{id}`).
        Child = "child",
        /// A woman or a catin (`/people/{id}`).
        Person = "person",
        /// A family at risk (`/families-at-risk/{id}`).
        Family = "family",
    }
}

text_enum! {
    /// How urgent an item is; the list is ordered by it, then by `due_on`.
    pub enum Urgency {
        /// A child to refer to the puskesmas now.
        Refer = "refer",
        /// Its day has passed.
        Overdue = "overdue",
        /// Due today or within the rule's notice.
        Due = "due",
    }
}

/// An item a rule puts on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub reason: Reason,
    pub urgency: Urgency,
    pub due_on: NaiveDate,
}

impl Due {
    /// `overdue` once `due_on` has passed, `due` until then.
    fn dated(reason: Reason, due_on: NaiveDate, on: NaiveDate) -> Self {
        let urgency = if due_on < on { Urgency::Overdue } else { Urgency::Due };
        Self { reason, urgency, due_on }
    }

    /// Days since `due_on` (0 until it passes).
    pub fn days_overdue(&self, on: NaiveDate) -> i64 {
        (on - self.due_on).num_days().max(0)
    }
}

/// How long before its day an item appears, where the rule has no window of its own: a week
/// to plan the rounds (programme choice).
pub const NOTICE_DAYS: u64 = 7;
/// A stunted child's length is measured again a month after the last measurement, as the
/// posyandu weighs every month, so a case resolves as soon as the child catches up (programme
/// choice).
pub const REMEASURE_DAYS: u64 = 30;
/// An open case is followed up at least every 30 days (programme choice, the window).
pub const FOLLOW_UP_DAYS: u64 = 30;
/// A family on the province's list is verified within 30 days of its arrival (programme
/// choice).
pub const VERIFY_DAYS: u64 = 30;
/// The catin screening is due about three months before the wedding (BKKBN Elsimil) and is
/// listed a month before that.
pub const SCREEN_BEFORE_WEDDING_DAYS: u64 = 90;
pub const SCREENING_NOTICE_DAYS: u64 = 30;
/// A screening counts for a wedding up to six months ahead (programme choice: Elsimil asks
/// for it three months ahead; an earlier one still informs the advice).
pub const SCREENING_VALID_DAYS: u64 = 180;
/// An antenatal contact is listed a month before its trimester ends (programme choice).
pub const ANC_NOTICE_DAYS: u64 = 30;
/// TPK visits older than this no longer put their next visit on the list.
pub const TPK_VISITS_LOOKBACK_DAYS: u64 = 365;

fn month_of(on: NaiveDate) -> NaiveDate {
    on.with_day(1).unwrap_or(on)
}

fn after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX)
}

fn before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(NaiveDate::MIN)
}

/// The earliest birth date of a child under five in `on`'s month, as SKDN counts S: born in
/// that month or the 59 before it.
pub fn under_five_born_from(on: NaiveDate) -> NaiveDate {
    month_of(on).checked_sub_months(Months::new(UNDER_FIVE_MONTHS - 1)).unwrap_or(NaiveDate::MIN)
}

/// The month before `on`'s: a referral found at last month's weighing is still to make.
pub fn referral_months_from(on: NaiveDate) -> NaiveDate {
    month_of(on).checked_sub_months(Months::new(1)).unwrap_or(NaiveDate::MIN)
}

/// An under-five not weighed in `on`'s month (`last_weighed`: the month or day of her latest
/// weighing) is due by its last day.
pub fn not_weighed(on: NaiveDate, birth_date: NaiveDate, last_weighed: Option<NaiveDate>) -> Option<Due> {
    let weighed_this_month = last_weighed.is_some_and(|weighed| month_of(weighed) == month_of(on));
    if weighed_this_month || birth_date > on || birth_date < under_five_born_from(on) {
        return None;
    }
    let month_end = month_of(on).checked_add_months(Months::new(1)).and_then(|next| next.pred_opt())?;
    Some(Due::dated(Reason::NotWeighed, month_end, on))
}

/// A child's latest weighing of this month or last, as SKDN judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weighing {
    pub weighed_on: NaiveDate,
    pub two_t: bool,
    pub bgm: bool,
}

/// A BGM or 2T weighing is a referral from the day of the weighing until one is recorded on
/// or after it (BGM first: it is the graver finding).
pub fn referral(on: NaiveDate, latest: Option<Weighing>, referred_on: Option<NaiveDate>) -> Option<Due> {
    let weighing = latest.filter(|w| w.weighed_on >= referral_months_from(on) && w.weighed_on <= on)?;
    if referred_on.is_some_and(|referred| referred >= weighing.weighed_on) {
        return None;
    }
    let reason = match (weighing.bgm, weighing.two_t) {
        (true, _) => Reason::ReferBgm,
        (false, true) => Reason::ReferTwoT,
        (false, false) => return None,
    };
    Some(Due { reason, urgency: Urgency::Refer, due_on: weighing.weighed_on })
}

/// A stunted child (open case) is measured again `REMEASURE_DAYS` after the last time, listed
/// `NOTICE_DAYS` ahead.
pub fn remeasure(on: NaiveDate, last_measured_on: NaiveDate) -> Option<Due> {
    let due_on = after(last_measured_on, REMEASURE_DAYS);
    (before(due_on, NOTICE_DAYS) <= on).then(|| Due::dated(Reason::Remeasure, due_on, on))
}

/// An open case is listed once `FOLLOW_UP_DAYS` have passed since anything was done about it
/// (a change to the case, a measurement, a TPK visit to the child).
pub fn case_follow_up(on: NaiveDate, followed_up_on: NaiveDate) -> Option<Due> {
    let due_on = after(followed_up_on, FOLLOW_UP_DAYS);
    (due_on <= on).then(|| Due::dated(Reason::CaseFollowUp, due_on, on))
}

/// A family at risk still `pending` is listed from the day its list arrived, due
/// `VERIFY_DAYS` later.
pub fn family_verification(on: NaiveDate, listed_on: NaiveDate) -> Due {
    Due::dated(Reason::FamilyVerification, after(listed_on, VERIFY_DAYS), on)
}

/// What the antenatal rule needs of an open pregnancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Antenatal {
    pub lmp_on: NaiveDate,
    /// Contacts made in each trimester.
    pub by_trimester: [i16; 3],
    pub last_visit_on: Option<NaiveDate>,
}

/// K6 asks for contacts in each trimester. A trimester that ended short of them with no contact
/// since makes the pregnancy overdue from that trimester's last day (the first such after her
/// last contact), until she is seen. Otherwise a trimester still short is due by its last day,
/// listed `ANC_NOTICE_DAYS` ahead, or at once when she was never seen.
pub fn antenatal_visit(on: NaiveDate, pregnancy: Antenatal) -> Option<Due> {
    let day = (on - pregnancy.lmp_on).num_days();
    if day < 0 {
        return None;
    }
    let end_of = |end_day: i64| pregnancy.lmp_on.checked_add_days(Days::new(end_day.unsigned_abs()));
    for (trimester, (needed, end_day)) in K6_CONTACTS.into_iter().zip(TRIMESTER_LAST_DAYS).enumerate() {
        let end = end_of(end_day)?;
        let short = pregnancy.by_trimester[trimester] < needed;
        if day > end_day && short && pregnancy.last_visit_on.is_none_or(|last| last <= end) {
            return Some(Due::dated(Reason::AntenatalVisit, end, on));
        }
        if day <= end_day {
            if !short {
                return None;
            }
            let listed = pregnancy.last_visit_on.is_none() || before(end, ANC_NOTICE_DAYS) <= on;
            return listed.then(|| Due::dated(Reason::AntenatalVisit, end, on));
        }
    }
    None
}

/// After a delivery, the KF visit whose window holds `on` is due by the window's last day,
/// unless made (`kf_done`: bit k−1 for KFk). A window that closed is missed, not overdue: the
/// next one is what can still be done.
pub fn postpartum_visit(
    on: NaiveDate,
    outcome: PregnancyOutcome,
    delivered_on: NaiveDate,
    kf_done: i16,
) -> Option<Due> {
    if !matches!(outcome, PregnancyOutcome::LiveBirth | PregnancyOutcome::Stillbirth) {
        return None;
    }
    let kf = kf_number((on - delivered_on).num_days())?;
    if kf_done & (1 << (kf - 1)) != 0 {
        return None;
    }
    let end = KF_LAST_DAYS[usize::try_from(kf - 1).ok()?];
    Some(Due::dated(Reason::PostpartumVisit, delivered_on.checked_add_days(Days::new(end.unsigned_abs()))?, on))
}

/// The latest wedding date the catin rule lists on `on`.
pub fn weddings_until(on: NaiveDate) -> NaiveDate {
    after(on, SCREEN_BEFORE_WEDDING_DAYS + SCREENING_NOTICE_DAYS)
}

/// A bride- or groom-to-be not pregnant and not screened in the `SCREENING_VALID_DAYS` before
/// the wedding is due for screening `SCREEN_BEFORE_WEDDING_DAYS` before it, listed
/// `SCREENING_NOTICE_DAYS` earlier, and stays overdue up to the wedding day.
pub fn catin_screening(
    on: NaiveDate,
    wedding: NaiveDate,
    screened_on: Option<NaiveDate>,
    pregnant: bool,
) -> Option<Due> {
    let screened = screened_on.is_some_and(|screened| screened >= before(wedding, SCREENING_VALID_DAYS));
    if pregnant || screened || wedding < on || wedding > weddings_until(on) {
        return None;
    }
    Some(Due::dated(Reason::CatinScreening, before(wedding, SCREEN_BEFORE_WEDDING_DAYS), on))
}

/// The latest next-visit day the TPK rule lists on `on`.
pub fn visits_listed_until(on: NaiveDate) -> NaiveDate {
    after(on, NOTICE_DAYS)
}

/// The next visit a TPK set at its latest visit, listed `NOTICE_DAYS` ahead.
pub fn tpk_visit(on: NaiveDate, next_visit_on: NaiveDate) -> Option<Due> {
    (next_visit_on <= visits_listed_until(on)).then(|| Due::dated(Reason::TpkVisit, next_visit_on, on))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn days(d: NaiveDate, n: i64) -> NaiveDate {
        d + chrono::Duration::days(n)
    }

    #[test]
    fn under_fives_not_weighed_this_month_are_due_by_its_last_day() {
        let on = date("2025-03-10");
        let due = not_weighed(on, date("2024-01-15"), None).unwrap();
        assert_eq!((due.reason, due.urgency, due.due_on), (Reason::NotWeighed, Urgency::Due, date("2025-03-31")));
        assert_eq!(not_weighed(on, date("2024-01-15"), Some(date("2025-03-01"))), None);
        assert!(not_weighed(on, date("2024-01-15"), Some(date("2025-02-28"))).is_some(), "last month's weighing");
        // Born in the month 59 months back: still under five; a month earlier: not.
        assert!(not_weighed(on, date("2020-04-30"), None).is_some());
        assert_eq!(not_weighed(on, date("2020-03-31"), None), None);
        // Born this month: due; born after `on`: not yet.
        assert!(not_weighed(on, on, None).is_some());
        assert_eq!(not_weighed(on, days(on, 1), None), None);
        assert_eq!(not_weighed(date("2024-02-29"), date("2024-01-01"), None).unwrap().due_on, date("2024-02-29"));
    }

    #[test]
    fn a_bgm_or_2t_weighing_is_a_referral_until_one_is_recorded() {
        let on = date("2025-03-10");
        let bgm = Weighing { weighed_on: date("2025-02-01"), two_t: true, bgm: true };
        let due = referral(on, Some(bgm), None).unwrap();
        assert_eq!((due.reason, due.urgency, due.due_on), (Reason::ReferBgm, Urgency::Refer, date("2025-02-01")));
        assert_eq!(due.days_overdue(on), 37);
        let two_t = Weighing { bgm: false, ..bgm };
        assert_eq!(referral(on, Some(two_t), None).unwrap().reason, Reason::ReferTwoT);
        assert_eq!(referral(on, Some(Weighing { two_t: false, ..two_t }), None), None);
        // A referral on the day of the weighing clears it; one the day before does not.
        assert_eq!(referral(on, Some(bgm), Some(date("2025-02-01"))), None);
        assert!(referral(on, Some(bgm), Some(date("2025-01-31"))).is_some());
        // Last month's weighing counts from its first day; the month before does not.
        assert_eq!(referral(on, Some(Weighing { weighed_on: date("2025-01-31"), ..bgm }), None), None);
        assert_eq!(referral(on, None, None), None);
    }

    #[test]
    fn a_stunted_child_is_remeasured_a_month_on_listed_a_week_ahead() {
        let last = date("2025-02-01");
        let on_due = days(last, 30);
        assert_eq!(remeasure(days(on_due, -8), last), None);
        let listed = remeasure(days(on_due, -7), last).unwrap();
        assert_eq!((listed.urgency, listed.due_on), (Urgency::Due, on_due));
        assert_eq!(remeasure(on_due, last).unwrap().urgency, Urgency::Due);
        let late = remeasure(days(on_due, 1), last).unwrap();
        assert_eq!((late.urgency, late.days_overdue(days(on_due, 1))), (Urgency::Overdue, 1));
    }

    #[test]
    fn an_open_case_is_listed_after_30_days_without_follow_up() {
        let last = date("2025-02-01");
        assert_eq!(case_follow_up(days(last, 29), last), None);
        let due = case_follow_up(days(last, 30), last).unwrap();
        assert_eq!((due.reason, due.urgency, due.due_on), (Reason::CaseFollowUp, Urgency::Due, days(last, 30)));
        assert_eq!(case_follow_up(days(last, 31), last).unwrap().urgency, Urgency::Overdue);
    }

    #[test]
    fn a_family_at_risk_is_due_30_days_after_its_list_arrived() {
        let listed = date("2025-01-10");
        assert_eq!(family_verification(listed, listed).urgency, Urgency::Due);
        assert_eq!(family_verification(days(listed, 30), listed).urgency, Urgency::Due);
        let late = family_verification(days(listed, 31), listed);
        assert_eq!(
            (late.urgency, late.due_on, late.days_overdue(days(listed, 31))),
            (Urgency::Overdue, days(listed, 30), 1)
        );
    }

    fn pregnancy(by_trimester: [i16; 3], last_visit_on: Option<NaiveDate>) -> Antenatal {
        Antenatal { lmp_on: date("2025-01-01"), by_trimester, last_visit_on }
    }

    #[test]
    fn antenatal_contacts_follow_k6_trimester_by_trimester() {
        let lmp = date("2025-01-01");
        let t1_end = days(lmp, 90);
        let t2_end = days(lmp, 174);
        let due_date = days(lmp, 280);
        // Never seen: due by the end of the first trimester, listed at once.
        let first = antenatal_visit(days(lmp, 20), pregnancy([0, 0, 0], None)).unwrap();
        assert_eq!((first.urgency, first.due_on), (Urgency::Due, t1_end));
        // Seen once: the second first-trimester contact is listed a month before the end.
        let seen = pregnancy([1, 0, 0], Some(days(lmp, 50)));
        assert_eq!(antenatal_visit(days(t1_end, -31), seen), None);
        assert_eq!(antenatal_visit(days(t1_end, -30), seen).unwrap().due_on, t1_end);
        assert_eq!(antenatal_visit(t1_end, seen).unwrap().urgency, Urgency::Due);
        // The trimester ended short with no contact since: overdue from its last day.
        let late = antenatal_visit(days(t1_end, 1), seen).unwrap();
        assert_eq!((late.urgency, late.due_on), (Urgency::Overdue, t1_end));
        // A contact after it clears the shortfall; the second trimester's one is then due.
        let made_up = pregnancy([1, 1, 0], Some(days(t1_end, 1)));
        assert_eq!(antenatal_visit(days(t1_end, 2), made_up), None);
        assert_eq!(antenatal_visit(days(t2_end, -30), made_up), None, "the second trimester has its contact");
        // Never seen by the second trimester: overdue since the end of the first.
        assert_eq!(antenatal_visit(days(lmp, 150), pregnancy([0, 0, 0], None)).unwrap().due_on, t1_end);
        // Third trimester: three contacts by the due date; past it, overdue.
        let third = pregnancy([2, 1, 2], Some(days(lmp, 240)));
        assert_eq!(antenatal_visit(days(due_date, -31), third), None);
        assert_eq!(antenatal_visit(days(due_date, -30), third).unwrap().due_on, due_date);
        assert_eq!(antenatal_visit(days(due_date, 1), third).unwrap().urgency, Urgency::Overdue);
        assert_eq!(antenatal_visit(days(due_date, 1), pregnancy([2, 1, 3], Some(days(lmp, 270)))), None);
        assert_eq!(antenatal_visit(days(lmp, -1), pregnancy([0, 0, 0], None)), None);
    }

    #[test]
    fn the_open_kf_window_is_due_by_its_last_day() {
        let born = date("2025-03-01");
        let live = PregnancyOutcome::LiveBirth;
        for (kf, (&end, start)) in KF_LAST_DAYS.iter().zip([0, 3, 8, 29]).enumerate() {
            let kf = kf as i16 + 1;
            assert_eq!(kf_number(start), Some(kf));
            assert_eq!(kf_number(end), Some(kf), "KF{kf} ends on day {end}");
            for day in [start, end] {
                let due = postpartum_visit(days(born, day), live, born, 0).unwrap();
                assert_eq!(
                    (due.reason, due.urgency, due.due_on),
                    (Reason::PostpartumVisit, Urgency::Due, days(born, end))
                );
                assert_eq!(postpartum_visit(days(born, day), live, born, 1 << (kf - 1)), None, "KF{kf} made");
            }
        }
        assert_eq!(postpartum_visit(days(born, 43), live, born, 0), None);
        assert_eq!(postpartum_visit(days(born, -1), live, born, 0), None);
        assert!(postpartum_visit(born, PregnancyOutcome::Stillbirth, born, 0).is_some());
        assert_eq!(postpartum_visit(born, PregnancyOutcome::Miscarriage, born, 0), None);
        assert_eq!(postpartum_visit(born, PregnancyOutcome::MaternalDeath, born, 0), None);
    }

    #[test]
    fn a_catin_is_screened_three_months_before_the_wedding() {
        let wedding = date("2025-09-01");
        let due_on = days(wedding, -90);
        assert_eq!(catin_screening(days(wedding, -121), wedding, None, false), None);
        let listed = catin_screening(days(wedding, -120), wedding, None, false).unwrap();
        assert_eq!((listed.reason, listed.urgency, listed.due_on), (Reason::CatinScreening, Urgency::Due, due_on));
        assert_eq!(catin_screening(days(due_on, 1), wedding, None, false).unwrap().urgency, Urgency::Overdue);
        assert!(catin_screening(wedding, wedding, None, false).is_some());
        assert_eq!(catin_screening(days(wedding, 1), wedding, None, false), None);
        assert_eq!(weddings_until(days(wedding, -120)), wedding);
        // A screening in the 180 days before the wedding counts; an older one does not.
        assert_eq!(catin_screening(due_on, wedding, Some(days(wedding, -180)), false), None);
        assert!(catin_screening(due_on, wedding, Some(days(wedding, -181)), false).is_some());
        assert_eq!(catin_screening(due_on, wedding, None, true), None);
    }

    #[test]
    fn the_next_tpk_visit_is_listed_a_week_ahead() {
        let next = date("2025-03-20");
        assert_eq!(tpk_visit(days(next, -8), next), None);
        assert_eq!(tpk_visit(days(next, -7), next).unwrap().urgency, Urgency::Due);
        assert_eq!(tpk_visit(days(next, 1), next).unwrap().urgency, Urgency::Overdue);
    }

    #[test]
    fn referrals_come_first_then_overdue_then_due() {
        assert!(Urgency::Refer < Urgency::Overdue && Urgency::Overdue < Urgency::Due);
        assert_eq!(Reason::ALL[0], Reason::ReferBgm);
    }
}
