use actix_web::{HttpResponse, get, patch, web};
use chrono::Datelike;
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{CaseDetail, CaseView, ListCasesQuery, UpdateCase};
use crate::auth::Caller;
use crate::db::{AsyncPgConnection, DbPool, ReadPool};

use crate::domain::page::{Page, PageRequest};
use crate::domain::{CaseId, RegionCode, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, ok_with_etag, or_current};
use crate::records::child::cases::follow_up::{self, Closing};
use crate::records::child::cases::{self, CaseFilter, FollowUp};
use crate::records::child::services;

const TAG: &str = "cases";

/// `GET /api/v1/cases`: stunting cases in the caller's scope (or a region inside it).
#[utoipa::path(
    operation_id = "list_cases",
    tag = TAG,
    params(ListCasesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of cases, by village code, then oldest first", body = Page<CaseView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "An analyst, or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/cases")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListCasesQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<CaseView>>, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    for (field, from, to) in
        [("opened_to", query.opened_from, query.opened_to), ("resolved_to", query.resolved_from, query.resolved_to)]
    {
        errors.check_order(field, from, to, text!("must not be before the start of the range"));
    }
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = CaseFilter {
        status: query.status,
        severity: query.severity,
        opened_from: query.opened_from,
        opened_to: query.opened_to,
        resolved_from: query.resolved_from,
        resolved_to: query.resolved_to,
        lokus_year: query.lokus.unwrap_or(false).then(|| latest_local_date().year()),
    };
    let rows = cases::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |c| (c.village_code.clone(), c.id))))
}

/// `GET /api/v1/cases/{id}`: one case, with the services the child received since it opened.
#[utoipa::path(
    operation_id = "get_case",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Case id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The case", body = CaseDetail, headers(("ETag" = String))),
        (status = 403, description = "An analyst, or a case outside the caller's scope"),
        (status = 404, description = "No such case"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/cases/{id}")]
pub async fn get(caller: Caller, path: web::Path<CaseId>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let detail = detail(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(detail.case.version, &detail))
}

/// A case with the services its child received since it opened.
async fn detail(conn: &mut AsyncPgConnection, caller: &Caller, id: CaseId) -> Result<CaseDetail, ApiError> {
    let case = cases::find(conn, caller, id).await?;
    let services_since_opened = services::for_child(conn, &case, Some(case.opened_on)).await?;
    Ok(CaseDetail { case: case.into_inner(), services_since_opened })
}

/// `PATCH /api/v1/cases/{id}`: records follow-up (officers and admins; needs `If-Match`):
/// the assigned family assistance team, notes, the case audit, or closing it by hand.
#[utoipa::path(
    operation_id = "update_case",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Case id"),
        IfMatch,
    ),
    request_body = UpdateCase,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = CaseDetail, headers(("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or a case outside the caller's scope"),
        (status = 404, description = "No such case"),
        (status = 409, description = "Closing a case that is not open"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/cases/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<CaseId>,
    if_match: IfMatch,
    Json(body): Json<UpdateCase>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_case_officer()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let today = latest_local_date();
    if let Some(audit) = &body.audit {
        if audit.audited_on.is_some_and(|d| d > today) {
            errors.add("audit.audited_on", text!("is in the future"));
        }
        if audit.likely_causes.iter().any(|c| c.trim().is_empty() || c.chars().count() > 200) {
            errors.add("audit.likely_causes", text!("each cause must be 1 to 200 characters"));
        }
    }
    let closed_on = body.close.as_ref().map(|c| c.closed_on.unwrap_or(today));
    if closed_on.is_some_and(|d| d > today) {
        errors.add("close.closed_on", text!("is in the future"));
    }
    errors.finish()?;

    let mut changes = FollowUp {
        assigned_team: body.assigned_team.clone().map(trimmed),
        assigned_team_id: body.assigned_team_id,
        notes: body.notes.clone().map(trimmed),
        ..FollowUp::default()
    };
    if let Some(audit) = &body.audit {
        changes.audited_on = Some(audit.audited_on);
        changes.audit_findings = Some(trimmed(audit.findings.clone()));
        changes.audit_causes = Some(audit.likely_causes.iter().map(|c| c.trim().to_owned()).collect());
        changes.audit_recommendation = Some(trimmed(audit.recommendation.clone()));
    }
    let close = body.close.as_ref().zip(closed_on).map(|(close, on)| Closing {
        on,
        reason: close.reason,
        note: trimmed(close.note.clone()),
    });
    let id = *path;
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            follow_up::record(conn, &caller, id, if_match.expected(), changes, close).await
        })
        .await;
    let case = or_current(written, async || detail(&mut conn, &caller, id).await).await?;
    Ok(ok_with_etag(case.case.version, &case))
}

/// Blank text is no text.
fn trimmed(text: Option<String>) -> Option<String> {
    crate::domain::text::given(text.as_deref()).map(str::to_owned)
}
