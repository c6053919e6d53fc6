use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::page::{Page, PageRequest};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::Query;
use crate::records::audit::{self, AuditEntry, AuditFilter};

const TAG: &str = "audit";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Lines about one kind of record: `child`, `case`, `budget`, `user`, …
    #[param(max_length = 64)]
    pub entity: Option<String>,
    /// Lines about one record (with `entity`, or alone).
    #[param(max_length = 64)]
    pub entity_id: Option<String>,
    /// Lines written by one account.
    pub actor: Option<Uuid>,
    /// One action, e.g. `child.update` or `user.locked`.
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/audit`: the audit trail, newest first. Admins read every line; officers read
/// the lines about records inside their scope.
#[utoipa::path(
    operation_id = "list_audit",
    tag = TAG,
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of audit lines, newest first", body = Page<AuditEntry>),
        (status = 403, description = "Neither admin nor officer"),
    )
)]
#[get("/audit")]
pub async fn list(
    caller: Caller,
    Query(query): Query<AuditQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<AuditEntry>>, ApiError> {
    caller.require_audit_reader()?;
    let mut errors = FieldErrors::default();
    for (field, value) in [("entity", &query.entity), ("entity_id", &query.entity_id), ("action", &query.action)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > 64) {
            errors.add(field, text!("must be at most 64 characters"));
        }
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        errors.add("to", text!("must be after `from`"));
    }
    errors.finish()?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = AuditFilter {
        entity: query.entity,
        entity_id: query.entity_id,
        actor: query.actor,
        action: query.action,
        from: query.from,
        to: query.to,
    };
    let rows = audit::list(&mut *pool.get().await?, &caller.scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |entry| entry.id)))
}
