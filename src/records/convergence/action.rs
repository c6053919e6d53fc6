//! The eight actions and each district's status of them, year by year.

use crate::db::schema::{convergence_actions, convergence_progress};
use crate::domain::{ActionStatus, RegionCode, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub async fn actions(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Action>> {
    convergence_actions::table.select(Action::as_select()).order(convergence_actions::number).load(conn).await
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = convergence_progress)]
pub struct ProgressRow {
    pub action: i16,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

pub async fn progress(conn: &mut AsyncPgConnection, district: &RegionCode, year: i32) -> QueryResult<Vec<ProgressRow>> {
    convergence_progress::table
        .filter(convergence_progress::district_code.eq(district).and(convergence_progress::year.eq(year)))
        .select(ProgressRow::as_select())
        .load(conn)
        .await
}

/// The action's row, locked for the rest of the transaction.
pub async fn lock_action(
    conn: &mut AsyncPgConnection,
    district: &RegionCode,
    year: i32,
    action: i16,
) -> QueryResult<Option<ProgressRow>> {
    convergence_progress::table
        .find((district, year, action))
        .select(ProgressRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub struct ActionWrite<'a> {
    pub district: &'a RegionCode,
    pub year: i32,
    pub action: i16,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub notes: Option<&'a str>,
    pub by: UserId,
}

/// Records the first status of an action; a concurrent first write makes this one fail with
/// a unique violation.
pub async fn insert_action(conn: &mut AsyncPgConnection, w: &ActionWrite<'_>) -> QueryResult<ProgressRow> {
    diesel::insert_into(convergence_progress::table)
        .values((
            convergence_progress::district_code.eq(w.district),
            convergence_progress::year.eq(w.year),
            convergence_progress::action.eq(w.action),
            convergence_progress::status.eq(w.status),
            convergence_progress::done_on.eq(w.done_on),
            convergence_progress::notes.eq(w.notes),
            convergence_progress::updated_by.eq(w.by),
        ))
        .returning(ProgressRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_action(conn: &mut AsyncPgConnection, w: &ActionWrite<'_>) -> QueryResult<ProgressRow> {
    diesel::update(convergence_progress::table.find((w.district, w.year, w.action)))
        .set((
            convergence_progress::status.eq(w.status),
            convergence_progress::done_on.eq(w.done_on),
            convergence_progress::notes.eq(w.notes),
            convergence_progress::updated_by.eq(w.by),
            convergence_progress::version.eq(convergence_progress::version + 1),
            convergence_progress::updated_at.eq(Utc::now()),
        ))
        .returning(ProgressRow::as_returning())
        .get_result(conn)
        .await
}

/// One of the 8 convergence actions (*aksi konvergensi*).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = convergence_actions)]
#[schema(example = json!({"number": 3, "name_id": "Rembuk Stunting", "name_en": "Stunting summit"}))]
pub struct Action {
    pub number: i16,
    pub name_id: String,
    pub name_en: String,
}
