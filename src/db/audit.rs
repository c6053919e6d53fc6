//! The audit trail: every write records who did what to which record, in the same
//! transaction as the write itself, so the trail cannot miss a committed change.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::db::schema::audit_log;
use crate::domain::{RegionCode, UserId};

/// Records `action` (`entity.verb`, e.g. `budget.approve`) by `actor` (none for the system
/// itself) on the record `id`; the entity is the action's first word. `changes` names the
/// changed fields and their new values; never a password, token, NIK, name or birth date.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: Option<UserId>,
    action: &str,
    id: impl std::fmt::Display,
    changes: Value,
) -> QueryResult<()> {
    let entity = action.split('.').next().unwrap_or(action);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor),
            audit_log::action.eq(action),
            audit_log::entity.eq(entity),
            audit_log::entity_id.eq(id.to_string()),
            audit_log::changes.eq(changes),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// `record` for many records of one action at once (an import's chunk): one statement. Each
/// line names its record's region, which the writer already knows: otherwise the trail looks it
/// up line by line as it is written.
pub async fn record_many(
    conn: &mut AsyncPgConnection,
    actor: Option<UserId>,
    action: &str,
    rows: Vec<(String, &RegionCode, Value)>,
) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let entity = action.split('.').next().unwrap_or(action);
    let values: Vec<_> = rows
        .into_iter()
        .map(|(id, region, changes)| {
            (
                audit_log::actor_id.eq(actor),
                audit_log::action.eq(action),
                audit_log::entity.eq(entity),
                audit_log::entity_id.eq(id),
                audit_log::changes.eq(changes),
                audit_log::region_code.eq(region.as_str()),
            )
        })
        .collect();
    diesel::insert_into(audit_log::table).values(values).execute(conn).await.map(drop)
}
