//! What a FHIR Bundle is built from (`crate::fhir` maps it): the scope's people who have a
//! contact in the period, a page of people at a time by a keyset on their village and id (the
//! people's village index), each with all her contacts of the period, so a person is never cut
//! between two pages.

use chrono::NaiveDate;
use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel::sql_types::{Date, Integer, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::Scope;
use crate::fhir::antenatal::AntenatalRow;
use crate::fhir::growth::GrowthRow;
use crate::fhir::{Key, Row};
use crate::records::stats::code_bounds;

/// Whose contacts: the people of a scope, or one person; in a period.
#[derive(Debug, Clone)]
pub struct Selection {
    pub scope: Scope,
    pub subject: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A kind of contact a Bundle is read from. Its `SQL` takes the scope's bounds ($1, $2), the one
/// person or null ($3), the position after which to read ($4, $5), the period ($6, $7) and
/// the number of people ($8).
pub trait Contacts: Row + QueryableByName<Pg> + Send + 'static {
    const SQL: &'static str;
}

/// Children's weighings.
impl Contacts for GrowthRow {
    const SQL: &'static str = "WITH page AS ( \
           SELECT c.id, c.village_code, c.sex, c.birth_date, c.name, c.ihs_number FROM children c \
           WHERE c.deleted_at IS NULL AND c.village_code >= $1 AND c.village_code < $2 \
             AND ($3::uuid IS NULL OR c.id = $3) AND (c.village_code, c.id) > ($4, $5) \
             AND EXISTS (SELECT 1 FROM measurements m WHERE m.child_id = c.id \
                 AND ($6::date IS NULL OR m.measured_on >= $6) AND ($7::date IS NULL OR m.measured_on <= $7)) \
           ORDER BY c.village_code, c.id LIMIT $8) \
         SELECT page.id AS child_id, page.village_code, r.name AS village_name, page.sex, page.birth_date, page.name, \
                page.ihs_number, m.id AS measurement_id, m.measured_on, m.length_cm, m.position, m.weight_kg, m.place, \
                m.haz, m.waz, m.voided_at IS NOT NULL AS voided, m.created_at \
         FROM page JOIN regions r ON r.code = page.village_code \
         JOIN measurements m ON m.child_id = page.id \
             AND ($6::date IS NULL OR m.measured_on >= $6) AND ($7::date IS NULL OR m.measured_on <= $7) \
         ORDER BY page.village_code, page.id, m.measured_on, m.created_at, m.id";
}

/// Pregnant women's antenatal visits (of their living pregnancies).
impl Contacts for AntenatalRow {
    const SQL: &'static str = "WITH page AS ( \
           SELECT p.id, p.village_code, p.sex, p.birth_date, p.name, p.ihs_number FROM people p \
           WHERE p.deleted_at IS NULL AND p.village_code >= $1 AND p.village_code < $2 \
             AND ($3::uuid IS NULL OR p.id = $3) AND (p.village_code, p.id) > ($4, $5) \
             AND EXISTS (SELECT 1 FROM pregnancies g JOIN anc_visits v ON v.pregnancy_id = g.id \
                 WHERE g.person_id = p.id AND g.deleted_at IS NULL \
                   AND ($6::date IS NULL OR v.visited_on >= $6) AND ($7::date IS NULL OR v.visited_on <= $7)) \
           ORDER BY p.village_code, p.id LIMIT $8) \
         SELECT page.id AS person_id, page.village_code, r.name AS village_name, page.sex, page.birth_date, page.name, \
                page.ihs_number, v.id AS visit_id, v.visited_on, v.weight_kg, v.muac_cm, v.hb_g_dl, v.kek, v.anaemia, \
                v.voided_at IS NOT NULL AS voided, v.created_at \
         FROM page JOIN regions r ON r.code = page.village_code \
         JOIN pregnancies g ON g.person_id = page.id AND g.deleted_at IS NULL \
         JOIN anc_visits v ON v.pregnancy_id = g.id \
             AND ($6::date IS NULL OR v.visited_on >= $6) AND ($7::date IS NULL OR v.visited_on <= $7) \
         ORDER BY page.village_code, page.id, v.visited_on, v.created_at, v.id";
}

/// The contacts of the next `people` people after `after`.
pub async fn page<T: Contacts>(
    conn: &mut AsyncPgConnection,
    selection: &Selection,
    after: Option<Key>,
    people: u32,
) -> diesel::QueryResult<Vec<T>> {
    let (low, high) = code_bounds(selection.scope.code());
    let (village, person) = after.unwrap_or_default();
    // SQL: keyset paging on a row comparison over a page of people joined to their contacts,
    // which the DSL cannot write.
    diesel::sql_query(T::SQL)
        .bind::<Text, _>(low)
        .bind::<Text, _>(high)
        .bind::<Nullable<SqlUuid>, _>(selection.subject)
        .bind::<Text, _>(village)
        .bind::<SqlUuid, _>(person)
        .bind::<Nullable<Date>, _>(selection.from)
        .bind::<Nullable<Date>, _>(selection.to)
        .bind::<Integer, _>(people as i32)
        .load(conn)
        .await
}
