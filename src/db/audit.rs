//! The audit trail: every write records who did what to which record, in the same
//! transaction as the write itself, so the trail cannot miss a committed change.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::db::schema::audit_log;
use crate::domain::UserId;

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry<'a> {
    pub actor_id: Option<UserId>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    /// Changed fields and their new values; never a password, token or NIK.
    pub changes: Value,
}

pub async fn record(conn: &mut AsyncPgConnection, entry: AuditEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table).values(&entry).execute(conn).await.map(drop)
}

/// Records `action` (`entity.verb`, e.g. `budget.approve`) by `actor` on the record `id`; the
/// entity is the action's first word.
pub async fn record_by(
    conn: &mut AsyncPgConnection,
    actor: UserId,
    action: &str,
    id: impl std::fmt::Display,
    changes: Value,
) -> QueryResult<()> {
    let entity = action.split('.').next().unwrap_or(action);
    record(conn, AuditEntry { actor_id: Some(actor), action, entity, entity_id: id.to_string(), changes }).await
}
