//! The first 1,000 days for `GET /exports/{kind}`: catin screenings, pregnancies with what
//! their visits and outcome add up to, and the TPK's visits, each in the order of its village
//! index. Voided screenings and visits are included (with `voided_at`), so a mirror learns of
//! voids; removed pregnancies are not.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Date, Double, Integer, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::records::export::{Key, Paged};

/// A catin screening as exported, with the verdict it was given.
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct ScreeningExport {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub person_id: Uuid,
    #[diesel(sql_type = Text)]
    pub village_code: String,
    #[diesel(sql_type = Date)]
    pub screened_on: NaiveDate,
    #[diesel(sql_type = Nullable<Date>)]
    pub wedding_planned_on: Option<NaiveDate>,
    #[diesel(sql_type = SmallInt)]
    pub age_years: i16,
    #[diesel(sql_type = Nullable<Double>)]
    pub height_cm: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub weight_kg: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub bmi: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub muac_cm: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub hb_g_dl: Option<f64>,
    #[diesel(sql_type = Bool)]
    pub smokes: bool,
    #[diesel(sql_type = Bool)]
    pub smoke_exposed: bool,
    #[diesel(sql_type = Integer)]
    pub thresholds_version: i32,
    /// The risk factors, separated by `;` (one CSV cell).
    #[diesel(sql_type = Text)]
    pub risk_factors: String,
    #[diesel(sql_type = Bool)]
    pub at_risk: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub voided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Screenings of the scope's living people, taken in the period.
impl Paged for ScreeningExport {
    const SQL: &'static str = "SELECT s.id, s.person_id, s.village_code, s.screened_on, s.wedding_planned_on, s.age_years, \
                s.height_cm, s.weight_kg, s.bmi, s.muac_cm, s.hb_g_dl, s.smokes, s.smoke_exposed, s.thresholds_version, \
                array_to_string(s.risk_factors, ';') AS risk_factors, s.at_risk, s.voided_at, s.created_at \
         FROM catin_screenings s JOIN people p ON p.id = s.person_id AND p.deleted_at IS NULL \
         WHERE s.village_code >= $1 AND s.village_code < $2 AND (s.village_code, s.id) > ($3, $4) \
           AND ($6::date IS NULL OR s.screened_on >= $6) AND ($7::date IS NULL OR s.screened_on <= $7) \
         ORDER BY s.village_code, s.id LIMIT $8";

    const COLUMNS: &'static [&'static str] = &[
        "id",
        "person_id",
        "village_code",
        "screened_on",
        "wedding_planned_on",
        "age_years",
        "height_cm",
        "weight_kg",
        "bmi",
        "muac_cm",
        "hb_g_dl",
        "smokes",
        "smoke_exposed",
        "thresholds_version",
        "risk_factors",
        "at_risk",
        "voided_at",
        "created_at",
    ];

    fn key(&self) -> Key {
        (self.village_code.clone(), self.id, Uuid::nil())
    }
}

/// A pregnancy as exported: its dates, outcome and what its living visits and outcome add up to.
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct PregnancyExport {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub person_id: Uuid,
    #[diesel(sql_type = Text)]
    pub village_code: String,
    #[diesel(sql_type = Date)]
    pub lmp_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub due_on: NaiveDate,
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub ended_on: Option<NaiveDate>,
    #[diesel(sql_type = SmallInt)]
    pub anc_contacts: i16,
    #[diesel(sql_type = Bool)]
    pub anc_k4: bool,
    #[diesel(sql_type = Bool)]
    pub anc_k6: bool,
    #[diesel(sql_type = Integer)]
    pub iron_tablets: i32,
    #[diesel(sql_type = Bool)]
    pub kek: bool,
    #[diesel(sql_type = Bool)]
    pub anaemia: bool,
    #[diesel(sql_type = SmallInt)]
    pub babies: i16,
    #[diesel(sql_type = SmallInt)]
    pub low_birth_weight_babies: i16,
    #[diesel(sql_type = SmallInt)]
    pub short_babies: i16,
    /// KF numbers done, separated by `;`.
    #[diesel(sql_type = Text)]
    pub kf_done: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub contraception: Option<String>,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Living pregnancies of the scope with HPHT in the period.
impl Paged for PregnancyExport {
    const SQL: &'static str = "SELECT id, person_id, village_code, lmp_on, due_on, outcome, ended_on, anc_contacts, anc_k4, \
                anc_k6, iron_tablets, kek, anaemia, babies, low_birth_weight_babies, short_babies, \
                array_to_string(ARRAY(SELECT k FROM generate_series(1, 4) k WHERE kf_done & (1 << (k - 1)) <> 0), ';') AS kf_done, \
                contraception, version, updated_at \
         FROM pregnancies \
         WHERE deleted_at IS NULL AND village_code >= $1 AND village_code < $2 AND (village_code, id) > ($3, $4) \
           AND ($6::date IS NULL OR lmp_on >= $6) AND ($7::date IS NULL OR lmp_on <= $7) \
         ORDER BY village_code, id LIMIT $8";

    const COLUMNS: &'static [&'static str] = &[
        "id",
        "person_id",
        "village_code",
        "lmp_on",
        "due_on",
        "outcome",
        "ended_on",
        "anc_contacts",
        "anc_k4",
        "anc_k6",
        "iron_tablets",
        "kek",
        "anaemia",
        "babies",
        "low_birth_weight_babies",
        "short_babies",
        "kf_done",
        "contraception",
        "version",
        "updated_at",
    ];

    fn key(&self) -> Key {
        (self.village_code.clone(), self.id, Uuid::nil())
    }
}

/// A TPK visit as exported.
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct TpkVisitExport {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub team_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub person_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub child_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub village_code: String,
    #[diesel(sql_type = Date)]
    pub visited_on: NaiveDate,
    #[diesel(sql_type = Text)]
    pub stage: String,
    #[diesel(sql_type = Bool)]
    pub counselling: bool,
    #[diesel(sql_type = Bool)]
    pub referral: bool,
    #[diesel(sql_type = Bool)]
    pub social_assistance: bool,
    #[diesel(sql_type = Nullable<Bool>)]
    pub exclusive_breastfeeding: Option<bool>,
    #[diesel(sql_type = Nullable<Text>)]
    pub findings: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub next_visit_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub voided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Visits of the scope made in the period.
impl Paged for TpkVisitExport {
    const SQL: &'static str = "SELECT id, team_id, person_id, child_id, village_code, visited_on, stage, counselling, referral, \
                social_assistance, exclusive_breastfeeding, findings, next_visit_on, voided_at, created_at \
         FROM tpk_visits \
         WHERE village_code >= $1 AND village_code < $2 AND (village_code, id) > ($3, $4) \
           AND ($6::date IS NULL OR visited_on >= $6) AND ($7::date IS NULL OR visited_on <= $7) \
         ORDER BY village_code, id LIMIT $8";

    const COLUMNS: &'static [&'static str] = &[
        "id",
        "team_id",
        "person_id",
        "child_id",
        "village_code",
        "visited_on",
        "stage",
        "counselling",
        "referral",
        "social_assistance",
        "exclusive_breastfeeding",
        "findings",
        "next_visit_on",
        "voided_at",
        "created_at",
    ];

    fn key(&self) -> Key {
        (self.village_code.clone(), self.id, Uuid::nil())
    }
}
