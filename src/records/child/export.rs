//! Children, their measurements and cases for `GET /exports/{kind}` (`records::export` pages
//! through them), in the order of the children's village index, so a page is an index range scan.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Date, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::records::export::{Key, Paged};

/// A child as exported: what `GET /children/{id}` shows but the open case.
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct ChildExport {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub village_code: String,
    #[diesel(sql_type = Text)]
    pub sex: String,
    #[diesel(sql_type = Date)]
    pub birth_date: NaiveDate,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub mother_name: Option<String>,
    #[diesel(sql_type = Bool)]
    pub has_nik: bool,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub posyandu_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub kia_book: Option<bool>,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Living children of the scope, registered in the period.
impl Paged for ChildExport {
    const SQL: &'static str = "SELECT id, village_code, sex, birth_date, name, mother_name, nik_hash IS NOT NULL AS has_nik, \
                posyandu_id, kia_book, version, created_at, updated_at \
         FROM children \
         WHERE deleted_at IS NULL AND village_code >= $1 AND village_code < $2 AND (village_code, id) > ($3, $4) \
           AND ($6::date IS NULL OR created_at >= $6::date) AND ($7::date IS NULL OR created_at < $7::date + 1) \
         ORDER BY village_code, id LIMIT $8";

    const COLUMNS: &'static [&'static str] = &[
        "id",
        "village_code",
        "sex",
        "birth_date",
        "name",
        "mother_name",
        "has_nik",
        "posyandu_id",
        "kia_book",
        "version",
        "created_at",
        "updated_at",
    ];

    fn key(&self) -> Key {
        (self.village_code.clone(), self.id, Uuid::nil())
    }
}

/// A measurement as exported: what was measured and what the standards say of it, voided
/// ones included (with `voided_at`), so a mirror learns of voids.
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct MeasurementExport {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub child_id: Uuid,
    #[diesel(sql_type = Text)]
    pub village_code: String,
    #[diesel(sql_type = Date)]
    pub measured_on: NaiveDate,
    #[diesel(sql_type = Integer)]
    pub age_days: i32,
    #[diesel(sql_type = Double)]
    pub length_cm: f64,
    #[diesel(sql_type = Text)]
    pub position: String,
    #[diesel(sql_type = Nullable<Double>)]
    pub weight_kg: Option<f64>,
    #[diesel(sql_type = Bool)]
    pub oedema: bool,
    #[diesel(sql_type = Text)]
    pub place: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub measured_by: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub posyandu_id: Option<Uuid>,
    /// Length/height-for-age z-score.
    #[diesel(sql_type = Nullable<Double>)]
    pub haz: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub waz: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub whz: Option<f64>,
    /// True when any z-score is outside WHO's plausible range.
    #[diesel(sql_type = Bool)]
    pub implausible: bool,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub voided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Measurements of the scope's living children, taken in the period. The position's child is
/// also stated alone, `(village, child) >= ($3, $4)`: PostgreSQL cannot start the children's
/// index at a row comparison that spans both tables, and without it every page scanned from
/// the scope's first child again (3 s a page half-way through 300,000 children; 17 ms with it).
impl Paged for MeasurementExport {
    const SQL: &'static str = "SELECT m.id, m.child_id, c.village_code, m.measured_on, m.age_days, m.length_cm, m.position, \
                m.weight_kg, m.oedema, m.place, m.measured_by, m.posyandu_id, m.haz, m.waz, m.whz, \
                m.haz_implausible OR m.waz_implausible OR m.whz_implausible AS implausible, m.voided_at, m.created_at \
         FROM children c JOIN measurements m ON m.child_id = c.id \
         WHERE c.deleted_at IS NULL AND c.village_code >= $1 AND c.village_code < $2 \
           AND (c.village_code, c.id) >= ($3, $4) AND (c.village_code, c.id, m.id) > ($3, $4, $5) \
           AND ($6::date IS NULL OR m.measured_on >= $6) AND ($7::date IS NULL OR m.measured_on <= $7) \
         ORDER BY c.village_code, c.id, m.id LIMIT $8";

    const COLUMNS: &'static [&'static str] = &[
        "id",
        "child_id",
        "village_code",
        "measured_on",
        "age_days",
        "length_cm",
        "position",
        "weight_kg",
        "oedema",
        "place",
        "measured_by",
        "posyandu_id",
        "haz",
        "waz",
        "whz",
        "implausible",
        "voided_at",
        "created_at",
    ];

    fn key(&self) -> Key {
        (self.village_code.clone(), self.child_id, self.id)
    }
}

/// A stunting case as exported: its state and follow-up dates, voided ones included (status
/// `void`), without the officers' free-text notes.
#[derive(Debug, Serialize, QueryableByName, ToSchema)]
pub struct CaseExport {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub child_id: Uuid,
    #[diesel(sql_type = Text)]
    pub village_code: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Date)]
    pub opened_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub latest_measured_on: NaiveDate,
    #[diesel(sql_type = Double)]
    pub latest_haz: f64,
    #[diesel(sql_type = Nullable<Date>)]
    pub resolved_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub closed_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub close_reason: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub assigned_team_id: Option<Uuid>,
    #[diesel(sql_type = Integer)]
    pub version: i32,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Cases of the scope's living children that were open at some time in the period.
impl Paged for CaseExport {
    const SQL: &'static str = "SELECT k.id, k.child_id, k.village_code, k.status, k.severity, k.opened_on, \
                k.latest_measured_on, k.latest_haz, k.resolved_on, k.closed_on, k.close_reason, k.assigned_team_id, \
                k.version, k.updated_at \
         FROM cases k JOIN children c ON c.id = k.child_id AND c.deleted_at IS NULL \
         WHERE k.village_code >= $1 AND k.village_code < $2 AND (k.village_code, k.id) > ($3, $4) \
           AND ($7::date IS NULL OR k.opened_on <= $7) \
           AND ($6::date IS NULL OR coalesce(k.resolved_on, k.closed_on) IS NULL \
                OR coalesce(k.resolved_on, k.closed_on) >= $6) \
         ORDER BY k.village_code, k.id LIMIT $8";

    const COLUMNS: &'static [&'static str] = &[
        "id",
        "child_id",
        "village_code",
        "status",
        "severity",
        "opened_on",
        "latest_measured_on",
        "latest_haz",
        "resolved_on",
        "closed_on",
        "close_reason",
        "assigned_team_id",
        "version",
        "updated_at",
    ];

    fn key(&self) -> Key {
        (self.village_code.clone(), self.id, Uuid::nil())
    }
}
