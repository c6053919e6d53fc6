//! The approved versions of a document, kept when a revision opens it again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{BudgetAccess, BudgetRow};
use crate::db::schema::budget_revisions;
use crate::domain::UserId;
use crate::records::access::Writable;

pub async fn insert_revision(
    conn: &mut AsyncPgConnection,
    budget: &Writable<BudgetRow>,
    revision: i32,
    snapshot: &serde_json::Value,
    by: UserId,
) -> QueryResult<()> {
    diesel::insert_into(budget_revisions::table)
        .values((
            budget_revisions::id.eq(uuid::Uuid::now_v7()),
            budget_revisions::budget_id.eq(budget.id),
            budget_revisions::revision.eq(revision),
            budget_revisions::snapshot.eq(snapshot),
            budget_revisions::created_by.eq(by),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn revisions(conn: &mut AsyncPgConnection, budget: &impl BudgetAccess) -> QueryResult<Vec<RevisionView>> {
    budget_revisions::table
        .filter(budget_revisions::budget_id.eq(budget.budget_id()))
        .select((budget_revisions::revision, budget_revisions::snapshot, budget_revisions::created_at))
        .order(budget_revisions::revision)
        .load(conn)
        .await
}

/// An approved version, kept when a revision started.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
pub struct RevisionView {
    pub revision: i32,
    /// The document and its lines as they were approved.
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    pub created_at: DateTime<Utc>,
}
