use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{CreateLine, CreateSpending, LineView, SpendingOutcome, SpendingView, UpdateLine};
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::DbPool;
use crate::domain::text;
use crate::domain::{AgencyId, BudgetId, BudgetLineId, SpendingId, latest_local_date};
use crate::error::ApiError;
use crate::http::extract::Json;
use crate::http::precondition::{IfMatch, created_or_stored, ok_with_etag, or_current};
use crate::records::budget::spending::{self, IncomingSpending};
use crate::records::budget::{self, LineFields, LineKey, lines};

const TAG: &str = "budgets";

/// `GET /api/v1/budgets/{id}/lines`: the document's lines with their spending totals.
#[utoipa::path(
    operation_id = "list_budget_lines",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Budget id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lines, in entry order", body = Vec<LineView>),
        (status = 403, description = "Outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/budgets/{id}/lines")]
pub async fn list(
    caller: Caller,
    path: web::Path<BudgetId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<LineView>>, ApiError> {
    let mut conn = pool.get().await?;
    let budget = budget::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(budget::lines(&mut conn, &budget).await?))
}

/// `POST /api/v1/budgets/{id}/lines`: adds a line to a draft or revised document.
#[utoipa::path(
    operation_id = "create_budget_line",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Budget id")),
    request_body = CreateLine,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = LineView),
        (status = 200, description = "The same line was already added with this id (a retry)", body = LineView),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 409, description = "The document is approved: start a revision first; or a different line already has this id"),
        (status = 422, description = "Invalid fields: a negative or fractional ceiling, an unknown type or agency, villages outside the document's region"),
    )
)]
#[post("/budgets/{id}/lines")]
pub async fn create(
    caller: Caller,
    path: web::Path<BudgetId>,
    Json(body): Json<CreateLine>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    body.validate()?;
    let id = *path;
    let line_id = body.id.map_or_else(BudgetLineId::new, BudgetLineId);
    let agency_id = body.agency_id.map(AgencyId);
    let fields = LineFields {
        activity: Some(body.activity.trim().to_owned()),
        type_code: body.type_code.clone(),
        agency_id,
        ceiling: Some(body.ceiling),
        output_value: body.output_value,
        output_unit: body.output_unit.as_deref().map(str::trim).map(str::to_owned),
        village_codes: Some(body.village_codes.clone()),
    };
    let mut conn = pool.get().await?;
    let (line, created) =
        conn.transaction::<_, ApiError, _>(async |conn| lines::add(conn, &caller, id, line_id, &fields).await).await?;
    Ok(created_or_stored(created, &line))
}

/// `PATCH /api/v1/budgets/{id}/lines/{line_id}`: changes a line of a draft or revised document
/// (needs the line's `If-Match`).
#[utoipa::path(
    operation_id = "update_budget_line",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Budget id"),
        ("line_id" = Uuid, Path, description = "Line id"),
        IfMatch,
    ),
    request_body = UpdateLine,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = LineView, headers(("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document or line"),
        (status = 409, description = "The document is approved: start a revision first"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/budgets/{id}/lines/{line_id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<(BudgetId, BudgetLineId)>,
    if_match: IfMatch,
    Json(body): Json<UpdateLine>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    body.validate()?;
    let (id, line_id) = path.into_inner();
    let mut conn = pool.get().await?;
    let fields = LineFields {
        activity: body.activity.as_deref().map(str::trim).map(str::to_owned),
        type_code: body.type_code.clone(),
        agency_id: body.agency_id.map(AgencyId),
        ceiling: body.ceiling,
        output_value: body.output_value,
        output_unit: body.output_unit.clone(),
        village_codes: body.village_codes.clone(),
    };
    let key = LineKey(id, line_id);
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            lines::change(conn, &caller, key, if_match.expected(), &fields).await
        })
        .await;
    let line = or_current(written, async || current_line(&mut conn, &caller, id, line_id).await).await?;
    Ok(ok_with_etag(line.version, &line))
}

/// The line as the document's list of lines shows it now: what a 412 carries.
async fn current_line(
    conn: &mut crate::db::AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    line_id: BudgetLineId,
) -> Result<LineView, ApiError> {
    let budget = budget::find(conn, caller, id).await?;
    budget::line(conn, &budget, line_id).await
}

/// `DELETE /api/v1/budgets/{id}/lines/{line_id}`: removes a line with no spending from a draft
/// or revised document (needs the line's `If-Match`).
#[utoipa::path(
    operation_id = "delete_budget_line",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Budget id"),
        ("line_id" = Uuid, Path, description = "Line id"),
        IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document or line"),
        (status = 409, description = "The document is approved, or the line has spending"),
    )
)]
#[delete("/budgets/{id}/lines/{line_id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<(BudgetId, BudgetLineId)>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    let (id, line_id) = path.into_inner();
    let mut conn = pool.get().await?;
    let key = LineKey(id, line_id);
    let removed = conn
        .transaction::<_, ApiError, _>(async |conn| lines::remove(conn, &caller, key, if_match.expected()).await)
        .await;
    or_current(removed, async || current_line(&mut conn, &caller, id, line_id).await).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/budgets/{id}/lines/{line_id}/spending`: every spending entry of the line.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Budget id"), ("line_id" = Uuid, Path, description = "Line id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Entries by date", body = Vec<SpendingView>),
        (status = 403, description = "Outside the caller's scope"),
        (status = 404, description = "No such document or line"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/budgets/{id}/lines/{line_id}/spending")]
pub async fn list_spending(
    caller: Caller,
    path: web::Path<(BudgetId, BudgetLineId)>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<SpendingView>>, ApiError> {
    let (id, line_id) = path.into_inner();
    let mut conn = pool.get().await?;
    let budget = budget::find(&mut conn, &caller, id).await?;
    Ok(web::Json(budget::spending(&mut conn, &budget, line_id).await?))
}

/// `POST /api/v1/budgets/{id}/lines/{line_id}/spending`: records realised spending on a line of
/// an approved (or revised) document. Past the ceiling only as an approved overrun.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Budget id"), ("line_id" = Uuid, Path, description = "Line id")),
    request_body = CreateSpending,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded; the line's new totals", body = SpendingOutcome),
        (status = 200, description = "The same entry was already recorded with this id (a retry); the line's totals", body = SpendingOutcome),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document or line"),
        (status = 409, description = "The document is still a draft; or a different entry already has this id"),
        (status = 422, description = "A negative or fractional amount, a date in the future, or spending past the ceiling without approved_overrun"),
    )
)]
#[post("/budgets/{id}/lines/{line_id}/spending")]
pub async fn spend(
    caller: Caller,
    path: web::Path<(BudgetId, BudgetLineId)>,
    Json(body): Json<CreateSpending>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    body.validate()?;
    if body.spent_on > latest_local_date() {
        return Err(ApiError::invalid("spent_on", text!("is in the future")));
    }
    let (id, line_id) = path.into_inner();
    let spending_id = body.id.map_or_else(SpendingId::new, SpendingId);
    let note = text::given(body.note.as_deref());
    let mut conn = pool.get().await?;
    let entry = IncomingSpending {
        id: spending_id,
        amount: body.amount,
        spent_on: body.spent_on,
        note,
        approved_overrun: body.approved_overrun,
    };
    let key = LineKey(id, line_id);
    let (outcome, created) =
        conn.transaction::<_, ApiError, _>(async |conn| spending::spend(conn, &caller, key, &entry).await).await?;
    Ok(created_or_stored(created, &outcome))
}
