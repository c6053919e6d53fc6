use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::Datelike;
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{
    CreateIntervention, CreateReport, InterventionView, ListInterventionsQuery, ReportOutcome, ReportView,
    UpdateIntervention,
};
use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::domain::{AgencyId, BudgetLineId, InterventionId, RegionCode, ReportId, latest_local_date, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_or_stored, created_with_etag, ok_with_etag, or_current};
use crate::records::intervention::{
    self, IncomingReport, InterventionChanges, InterventionFilter, NewIntervention, activity,
};

const TAG: &str = "interventions";

/// `GET /api/v1/interventions`: activities in the caller's scope, and those covering it.
#[utoipa::path(
    operation_id = "list_interventions",
    tag = TAG,
    params(ListInterventionsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of activities", body = Page<InterventionView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/interventions")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListInterventionsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<InterventionView>>, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    let touching = match query.year {
        Some(year) => errors.check("year", year_bounds(year)),
        None => None,
    };
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let lokus_year = query.lokus.unwrap_or(false).then(|| query.year.unwrap_or_else(|| latest_local_date().year()));
    let filter = InterventionFilter {
        type_code: query.type_code,
        category: query.category,
        agency_id: query.agency_id,
        touching,
        lokus_year,
    };
    let rows = intervention::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |i| i.id)))
}

/// `POST /api/v1/interventions`: plans an activity in a region of the caller's scope.
#[utoipa::path(
    operation_id = "create_intervention",
    tag = TAG,
    request_body = CreateIntervention,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Planned", body = InterventionView, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or a region outside the caller's scope"),
        (status = 409, description = "An activity already has this id"),
        (status = 422, description = "Invalid fields: unknown type, region or agency, a negative target, a period ending before it starts"),
    )
)]
#[post("/interventions")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreateIntervention>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Intervention)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let region = errors.check("region_code", RegionCode::parse(&body.region_code));
    let period = match (body.year, body.period_start, body.period_end) {
        (Some(year), None, None) => errors.check("year", year_bounds(year)),
        (None, Some(start), Some(end)) if end >= start => Some((start, end)),
        (None, Some(_), Some(_)) => {
            errors.add("period_end", text!("is before period_start"));
            None
        }
        _ => {
            errors.add("period_start", text!("give either a year, or both period_start and period_end"));
            None
        }
    };
    let (region, (period_start, period_end)) = errors.finish_with(region.zip(period))?;
    caller.require_in_scope(&region)?;

    let id = body.id.map_or_else(InterventionId::new, InterventionId);
    let agency_id = body.agency_id.map(AgencyId);
    let description = text::given(body.description.as_deref());
    let new = NewIntervention {
        id,
        type_code: &body.type_code,
        region_code: &region,
        period_start,
        period_end,
        agency_id,
        target: body.target,
        description,
        created_by: caller.id,
    };
    let funding: Vec<BudgetLineId> = body.budget_line_ids.iter().copied().map(BudgetLineId).collect();
    let mut conn = pool.get().await?;
    let view =
        conn.transaction::<_, ApiError, _>(async |conn| activity::create(conn, &caller, &new, &funding).await).await?;
    Ok(created_with_etag(format!("/api/v1/interventions/{}", view.id), view.version, &view))
}

/// `GET /api/v1/interventions/{id}`: one activity with its progress.
#[utoipa::path(
    operation_id = "get_intervention",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The activity", body = InterventionView, headers(("ETag" = String))),
        (status = 403, description = "Outside the caller's scope"),
        (status = 404, description = "No such activity"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/interventions/{id}")]
pub async fn get(
    caller: Caller,
    path: web::Path<InterventionId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let view = intervention::find(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `PATCH /api/v1/interventions/{id}`: changes an activity's period, agency, target or
/// description (officers in scope; needs `If-Match`).
#[utoipa::path(
    operation_id = "update_intervention",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        IfMatch,
    ),
    request_body = UpdateIntervention,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = InterventionView, headers(("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such activity"),
        (status = 422, description = "Invalid fields, or a period that would leave reports outside it"),
    )
)]
#[patch("/interventions/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<InterventionId>,
    if_match: IfMatch,
    Json(body): Json<UpdateIntervention>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Intervention)?;
    body.validate()?;
    let id = *path;
    let changes = InterventionChanges {
        period_start: body.period_start,
        period_end: body.period_end,
        agency_id: body.agency_id.map(AgencyId),
        target: body.target,
        description: body.description.as_deref().map(str::trim).map(str::to_owned),
    };
    let funding: Option<Vec<BudgetLineId>> =
        body.budget_line_ids.as_ref().map(|ids| ids.iter().copied().map(BudgetLineId).collect());
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            activity::change(conn, &caller, id, if_match.expected(), &changes, funding.as_deref()).await
        })
        .await;
    let view = or_current(written, async || Ok(intervention::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `DELETE /api/v1/interventions/{id}`: removes an activity with a reason (needs `If-Match`);
/// it leaves lists and coverage but stays on record with its reports.
#[utoipa::path(
    operation_id = "delete_intervention",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        IfMatch,
    ),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such activity"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/interventions/{id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<InterventionId>,
    if_match: IfMatch,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Intervention)?;
    body.validate()?;
    let id = *path;
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let removed = conn
        .transaction::<_, ApiError, _>(async |conn| {
            activity::remove(conn, &caller, id, if_match.expected(), &reason).await
        })
        .await;
    or_current(removed, async || Ok(intervention::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/interventions/{id}/reports`: every monthly report, corrections' history included.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reports by month", body = Vec<ReportView>),
        (status = 403, description = "Outside the caller's scope"),
        (status = 404, description = "No such activity"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/interventions/{id}/reports")]
pub async fn list_reports(
    caller: Caller,
    path: web::Path<InterventionId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<ReportView>>, ApiError> {
    let mut conn = pool.get().await?;
    let view = intervention::find(&mut conn, &caller, *path).await?;
    let reports = intervention::reports(&mut conn, view.id).await?;
    Ok(web::Json(reports.into_iter().map(Into::into).collect()))
}

/// `POST /api/v1/interventions/{id}/reports`: adds a month's progress (cadres for their
/// village's activities, officers and integrations in scope). A month already reported is a
/// 409 unless the report is marked as a correction.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Activity id")),
    request_body = CreateReport,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the activity's new totals", body = ReportOutcome),
        (status = 200, description = "The same report was already recorded with this id (a retry); the activity's totals", body = ReportOutcome),
        (status = 403, description = "An analyst, or an activity outside the caller's scope"),
        (status = 404, description = "No such activity"),
        (status = 409, description = "The month is already reported (send `correction: true` to replace it); or a different report already has this id"),
        (status = 422, description = "A negative count, or a month outside the activity's period or in the future"),
    )
)]
#[post("/interventions/{id}/reports")]
pub async fn report(
    caller: Caller,
    path: web::Path<InterventionId>,
    Json(body): Json<CreateReport>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Report)?;
    body.validate()?;
    if body.month.first_day() > latest_local_date() {
        return Err(ApiError::invalid("month", text!("is in the future")));
    }
    let incoming = IncomingReport {
        id: body.id.map_or_else(ReportId::new, ReportId),
        month: body.month,
        reached: body.reached,
        note: text::given(body.note.as_deref()).map(str::to_owned),
        correction: body.correction,
    };
    let mut conn = pool.get().await?;
    let (outcome, created) = conn
        .transaction::<_, ApiError, _>(async |conn| intervention::report(conn, &caller, *path, &incoming).await)
        .await?;
    Ok(created_or_stored(created, &outcome))
}
