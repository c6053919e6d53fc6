//! What the worklist's rules need to know about one village, read in one snapshot: a query per
//! kind of record, each through its village index and bounded by the rules' own windows, so a
//! village's facts cost the same in a country of a million children as in a test database.
//! Each takes the connection shared, so the worklist sends them all in one pipeline.

use chrono::{Days, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{Array, Bool, Date, Int2, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::prepared::KeepPrepared;
use crate::domain::PregnancyOutcome;
use crate::domain::pregnancy::POSTPARTUM_DAYS;
use crate::domain::worklist::{
    TPK_VISITS_LOOKBACK_DAYS, referral_months_from, under_five_born_from, visits_listed_until, weddings_until,
};

/// An under-five of the village (or posyandu).
#[derive(Debug, QueryableByName)]
pub struct ChildFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Date)]
    pub birth_date: NaiveDate,
}

/// The under-fives of `village` (of one posyandu when `posyandu` is given) on `on`.
pub async fn children(
    mut conn: &AsyncPgConnection,
    village: &str,
    posyandu: Option<Uuid>,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<ChildFacts>> {
    // SQL: one optional filter in one prepared text; the village index serves both.
    diesel::sql_query(
        "SELECT c.id, c.name, c.birth_date FROM children c \
         WHERE c.village_code = $1 AND c.deleted_at IS NULL AND c.birth_date >= $3 AND c.birth_date <= $4 \
           AND ($2::uuid IS NULL OR c.posyandu_id = $2)",
    )
    .bind::<Text, _>(village)
    .bind::<Nullable<SqlUuid>, _>(posyandu)
    .bind::<Date, _>(under_five_born_from(on))
    .bind::<Date, _>(on)
    .prepared()
    .load(&mut conn)
    .await
}

/// A child's latest weighed month of this month and last, as SKDN judged it.
#[derive(Debug, QueryableByName)]
pub struct WeighedFacts {
    #[diesel(sql_type = SqlUuid)]
    pub child_id: Uuid,
    #[diesel(sql_type = Date)]
    pub month: NaiveDate,
    #[diesel(sql_type = Bool)]
    pub two_t: bool,
    #[diesel(sql_type = Bool)]
    pub bgm: bool,
    /// The day of that weighing, when it found 2T or BGM.
    #[diesel(sql_type = Nullable<Date>)]
    pub flagged_on: Option<NaiveDate>,
    /// The latest referral recorded for a flagged child: a `puskesmas_referral` service or a
    /// TPK visit that referred her.
    #[diesel(sql_type = Nullable<Date>)]
    pub referred_on: Option<NaiveDate>,
}

/// The weighed months of this month and last of the village's children (of one posyandu's when
/// given), the latest of each.
/// Read apart from the children and matched by id: one range of the village index (which
/// carries the flags) instead of a probe per child, and no join for a generic plan to misjudge
/// (one estimated a single child and rescanned the months for each of 620).
pub async fn weighed(
    mut conn: &AsyncPgConnection,
    village: &str,
    posyandu: Option<Uuid>,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<WeighedFacts>> {
    // SQL: DISTINCT ON for each child's latest month, then correlated subqueries for the
    // flagged ones among them alone.
    diesel::sql_query(
        "SELECT w.child_id, w.month, w.two_t, w.bgm, \
                CASE WHEN w.two_t OR w.bgm THEN ( \
                    SELECT max(m.measured_on) FROM measurements m \
                    WHERE m.child_id = w.child_id AND m.voided_at IS NULL AND m.weight_kg IS NOT NULL \
                      AND m.measured_on >= w.month AND m.measured_on < (w.month + interval '1 month')::date) END AS flagged_on, \
                CASE WHEN w.two_t OR w.bgm THEN greatest( \
                    (SELECT max(s.given_on) FROM child_services s \
                     WHERE s.child_id = w.child_id AND s.type_code = 'puskesmas_referral'), \
                    (SELECT max(t.visited_on) FROM tpk_visits t \
                     WHERE t.child_id = w.child_id AND t.referral AND t.voided_at IS NULL)) END AS referred_on \
         FROM ( \
             SELECT DISTINCT ON (k.child_id) k.child_id, k.month, k.two_t, k.bgm FROM weighing_months k \
             WHERE k.village_code = $1 AND k.month >= $2 AND k.month <= $3 AND ($4::uuid IS NULL OR k.posyandu_id = $4) \
             ORDER BY k.child_id, k.month DESC) w",
    )
    .bind::<Text, _>(village)
    .bind::<Date, _>(referral_months_from(on))
    .bind::<Date, _>(on)
    .bind::<Nullable<SqlUuid>, _>(posyandu)
    .prepared()
    .load(&mut conn)
    .await
}

/// An open stunting case of the village.
#[derive(Debug, QueryableByName)]
pub struct CaseFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub child_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Date)]
    pub latest_measured_on: NaiveDate,
    /// The last day anything was done about it: a change to the case (a measurement moves it
    /// too), or a TPK visit to the child.
    #[diesel(sql_type = Date)]
    pub followed_up_on: NaiveDate,
}

/// Open cases of `village`: of one posyandu's children, or assigned to one team.
pub async fn open_cases(
    mut conn: &AsyncPgConnection,
    village: &str,
    posyandu: Option<Uuid>,
    team: Option<Uuid>,
) -> diesel::QueryResult<Vec<CaseFacts>> {
    // Days as Indonesia's easternmost zone counts them, like every date a user writes down.
    // SQL: a correlated max over the child's TPK visits; the DSL cannot express `greatest`.
    diesel::sql_query(
        "SELECT k.id, k.child_id, c.name, k.latest_measured_on, \
                greatest((k.updated_at AT TIME ZONE 'Asia/Jayapura')::date, k.latest_measured_on, \
                         (SELECT max(t.visited_on) FROM tpk_visits t \
                          WHERE t.child_id = k.child_id AND t.voided_at IS NULL)) AS followed_up_on \
         FROM cases k JOIN children c ON c.id = k.child_id AND c.deleted_at IS NULL \
         WHERE k.village_code = $1 AND k.status = 'open' \
           AND ($2::uuid IS NULL OR c.posyandu_id = $2) AND ($3::uuid IS NULL OR k.assigned_team_id = $3)",
    )
    .bind::<Text, _>(village)
    .bind::<Nullable<SqlUuid>, _>(posyandu)
    .bind::<Nullable<SqlUuid>, _>(team)
    .prepared()
    .load(&mut conn)
    .await
}

/// A family of the village's latest list (this year's or last year's) still pending.
#[derive(Debug, QueryableByName)]
pub struct FamilyFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub family_key: String,
    /// The day its list arrived.
    #[diesel(sql_type = Date)]
    pub listed_on: NaiveDate,
}

pub async fn pending_families(
    mut conn: &AsyncPgConnection,
    village: &str,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<FamilyFacts>> {
    use chrono::Datelike;
    // SQL: DISTINCT ON keeps each family's latest list before its status is judged.
    diesel::sql_query(
        "SELECT id, family_key, listed_on FROM ( \
             SELECT DISTINCT ON (f.family_key) f.id, f.family_key, f.verification, \
                    (f.created_at AT TIME ZONE 'Asia/Jayapura')::date AS listed_on \
             FROM families_at_risk f \
             WHERE f.year IN ($2, $2 - 1) AND f.village_code = $1 \
             ORDER BY f.family_key, f.year DESC) latest \
         WHERE verification = 'pending'",
    )
    .bind::<Text, _>(village)
    .bind::<diesel::sql_types::Integer, _>(on.year())
    .prepared()
    .load(&mut conn)
    .await
}

/// A pregnancy of the village still open, or delivered within the postpartum period.
#[derive(Debug, QueryableByName)]
pub struct PregnancyFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub person_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Date)]
    pub lmp_on: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<PregnancyOutcome>,
    #[diesel(sql_type = Nullable<Date>)]
    pub ended_on: Option<NaiveDate>,
    #[diesel(sql_type = Array<Int2>)]
    pub by_trimester: Vec<i16>,
    #[diesel(sql_type = Nullable<Date>)]
    pub last_visit_on: Option<NaiveDate>,
    #[diesel(sql_type = Int2)]
    pub kf_done: i16,
}

pub async fn pregnancies(
    mut conn: &AsyncPgConnection,
    village: &str,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<PregnancyFacts>> {
    let delivered_from = on.checked_sub_days(Days::new(POSTPARTUM_DAYS.unsigned_abs())).unwrap_or(NaiveDate::MIN);
    // SQL: the OR over a nullable end date reaches the village index through a bitmap.
    diesel::sql_query(
        "SELECT p.id, p.person_id, pe.name, p.lmp_on, p.outcome, p.ended_on, \
                ARRAY[p.anc_first_trimester, p.anc_second_trimester, p.anc_third_trimester] AS by_trimester, \
                p.last_visit_on, p.kf_done \
         FROM pregnancies p JOIN people pe ON pe.id = p.person_id AND pe.deleted_at IS NULL \
         WHERE p.village_code = $1 AND p.deleted_at IS NULL AND p.lmp_on <= $3 \
           AND (p.ended_on IS NULL OR p.ended_on >= $2)",
    )
    .bind::<Text, _>(village)
    .bind::<Date, _>(delivered_from)
    .bind::<Date, _>(on)
    .prepared()
    .load(&mut conn)
    .await
}

/// A bride- or groom-to-be of the village whose wedding is within the catin rule's reach.
#[derive(Debug, QueryableByName)]
pub struct CatinFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Date)]
    pub wedding_planned_on: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    pub screened_on: Option<NaiveDate>,
    #[diesel(sql_type = Bool)]
    pub pregnant: bool,
}

pub async fn coming_weddings(
    mut conn: &AsyncPgConnection,
    village: &str,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<CatinFacts>> {
    // SQL: correlated subqueries for the latest screening and an open pregnancy.
    diesel::sql_query(
        "SELECT pe.id, pe.name, pe.wedding_planned_on, \
                (SELECT max(s.screened_on) FROM catin_screenings s \
                 WHERE s.person_id = pe.id AND s.voided_at IS NULL) AS screened_on, \
                EXISTS (SELECT 1 FROM pregnancies p \
                        WHERE p.person_id = pe.id AND p.deleted_at IS NULL AND p.ended_on IS NULL) AS pregnant \
         FROM people pe \
         WHERE pe.village_code = $1 AND pe.deleted_at IS NULL \
           AND pe.wedding_planned_on >= $2 AND pe.wedding_planned_on <= $3",
    )
    .bind::<Text, _>(village)
    .bind::<Date, _>(on)
    .bind::<Date, _>(weddings_until(on))
    .prepared()
    .load(&mut conn)
    .await
}

/// The latest TPK visit of the last year to each living person or child of the village, when
/// the next visit it set is near enough to list.
#[derive(Debug, QueryableByName)]
pub struct VisitFacts {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub team_id: Uuid,
    /// The person visited, or else the child.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub person_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub child_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Date)]
    pub next_visit_on: NaiveDate,
}

pub async fn latest_visits(
    mut conn: &AsyncPgConnection,
    village: &str,
    on: NaiveDate,
) -> diesel::QueryResult<Vec<VisitFacts>> {
    let from = on.checked_sub_days(Days::new(TPK_VISITS_LOOKBACK_DAYS)).unwrap_or(NaiveDate::MIN);
    // SQL: DISTINCT ON picks each subject's latest visit; only the visits the rule can list are
    // named, from whichever record they name (a removed one drops out).
    diesel::sql_query(
        "SELECT v.id, v.team_id, v.person_id, v.child_id, coalesce(pe.name, c.name) AS name, v.next_visit_on \
         FROM ( \
             SELECT DISTINCT ON (coalesce(t.person_id, t.child_id)) t.id, t.team_id, t.person_id, t.child_id, \
                    t.next_visit_on \
             FROM tpk_visits t \
             WHERE t.village_code = $1 AND t.voided_at IS NULL AND t.visited_on >= $2 AND t.visited_on <= $3 \
             ORDER BY coalesce(t.person_id, t.child_id), t.visited_on DESC, t.created_at DESC) v \
         LEFT JOIN people pe ON pe.id = v.person_id AND pe.deleted_at IS NULL \
         LEFT JOIN children c ON c.id = v.child_id AND c.deleted_at IS NULL \
         WHERE v.next_visit_on <= $4 AND (pe.id IS NOT NULL OR c.id IS NOT NULL)",
    )
    .bind::<Text, _>(village)
    .bind::<Date, _>(from)
    .bind::<Date, _>(on)
    .bind::<Date, _>(visits_listed_until(on))
    .prepared()
    .load(&mut conn)
    .await
}
