//! Reading the audit trail (written by `db::audit` in every write's transaction). Lines are
//! read newest first, by id, so a page never shifts while new lines arrive.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::schema::audit_log;
use crate::domain::Scope;
use crate::domain::page::PageRequest;

/// One line of the audit trail: who did what to which record, and what changed.
#[derive(Debug, Serialize, Queryable, Selectable, ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    /// Increases with every line written.
    #[schema(example = 81234)]
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The account that acted; `null` for the service itself (an import job's later chunks, a
    /// migration) or a sign-in attempt for an unknown account.
    pub actor_id: Option<Uuid>,
    /// `entity.verb`, e.g. `child.update`, `user.login_failed`, `user.locked`.
    #[schema(example = "child.update")]
    pub action: String,
    #[schema(example = "child")]
    pub entity: String,
    /// The record's id (or key, e.g. `14.01/2021/3` for a convergence action).
    pub entity_id: String,
    /// The region of the record, when it has one: what an officer's scope is matched against.
    #[schema(example = "14.01.01.2009")]
    pub region_code: Option<String>,
    /// What changed, as the writing operation described it.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Lines inside `scope` (every line for national scope), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &AuditFilter,
    page: &PageRequest<i64>,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table.select(AuditEntry::as_select()).into_boxed();
    if let Scope::Region(root) = scope {
        query =
            query.filter(audit_log::region_code.ge(root.as_str()).and(audit_log::region_code.lt(root.subtree_end())));
    }
    if let Some(entity) = &filter.entity {
        query = query.filter(audit_log::entity.eq(entity));
    }
    if let Some(id) = &filter.entity_id {
        query = query.filter(audit_log::entity_id.eq(id));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::actor_id.eq(actor));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_log::action.eq(action));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::at.lt(to));
    }
    if let Some(before) = page.after {
        query = query.filter(audit_log::id.lt(before));
    }
    query.order(audit_log::id.desc()).limit(page.fetch()).load(conn).await
}
