use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{BudgetView, CreateBudget, ListBudgetsQuery, RevisionView, UpdateBudget};
use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::{AsyncPgConnection, DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::domain::{BudgetId, RegionCode, Role};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag, or_current};
use crate::records::budget::{self, BudgetChanges, BudgetFilter, NewBudget, document};
use crate::records::region;

const TAG: &str = "budgets";

/// `GET /api/v1/budgets`: documents in the caller's scope (and those covering it).
#[utoipa::path(
    operation_id = "list_budgets",
    tag = TAG,
    params(ListBudgetsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of documents", body = Page<BudgetView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/budgets")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListBudgetsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<BudgetView>>, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = BudgetFilter {
        fiscal_year: query.fiscal_year,
        funding_source: query.funding_source,
        status: query.status,
        has_discrepancy: query.has_discrepancy,
    };
    let rows = budget::list(&mut *pool.get().await?, &scope, caller.role == Role::Cadre, &filter, &page).await?;
    let page = page.page(rows, |b| b.id);
    Ok(web::Json(Page { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }))
}

/// `POST /api/v1/budgets`: enters a budget document (officers in scope), as a draft.
#[utoipa::path(
    operation_id = "create_budget",
    tag = TAG,
    request_body = CreateBudget,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Entered", body = BudgetView, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or a region outside the caller's scope"),
        (status = 200, description = "The same document was already entered with this id (a retry)", body = BudgetView, headers(("ETag" = String))),
        (status = 409, description = "A different document already has this id"),
        (status = 422, description = "Invalid fields: a negative or fractional amount, an unknown region"),
    )
)]
#[post("/budgets")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreateBudget>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let region = errors.check("region_code", RegionCode::parse(&body.region_code));
    let region = errors.finish_with(region)?;
    caller.require_write(Record::Budget, &region)?;
    let id = body.id.map_or_else(BudgetId::new, BudgetId);
    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &region, "region_code").await?;
    let new = NewBudget {
        id,
        region_code: &region,
        fiscal_year: body.fiscal_year,
        funding_source: body.funding_source,
        title: body.title.trim(),
        reported_total: body.reported_total,
        document_ref: text::given(body.document_ref.as_deref()),
        created_by: caller.id,
    };
    let (view, created) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let created = document::create(conn, &caller, &new).await?;
            Ok((load(conn, &caller, id).await?, created))
        })
        .await?;
    Ok(if created {
        created_with_etag(format!("/api/v1/budgets/{}", view.id), view.version, &view)
    } else {
        ok_with_etag(view.version, &view)
    })
}

/// `GET /api/v1/budgets/{id}`: a document with its reconciliation.
#[utoipa::path(
    operation_id = "get_budget",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Budget id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document", body = BudgetView, headers(("ETag" = String))),
        (status = 403, description = "Outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/budgets/{id}")]
pub async fn get(caller: Caller, path: web::Path<BudgetId>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let view = load(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `PATCH /api/v1/budgets/{id}`: changes a draft or revised document (needs `If-Match`).
#[utoipa::path(
    operation_id = "update_budget",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Budget id"),
        IfMatch,
    ),
    request_body = UpdateBudget,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = BudgetView, headers(("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 409, description = "The document is approved: start a revision first"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/budgets/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<BudgetId>,
    if_match: IfMatch,
    Json(body): Json<UpdateBudget>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    body.validate()?;
    let id = *path;
    let mut conn = pool.get().await?;
    let changes = BudgetChanges {
        title: body.title.as_deref().map(str::trim).map(str::to_owned),
        funding_source: body.funding_source,
        fiscal_year: body.fiscal_year,
        reported_total: body.reported_total,
        document_ref: body.document_ref.clone(),
        ..BudgetChanges::default()
    };
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            document::change(conn, &caller, id, if_match.expected(), &changes).await?;
            load(conn, &caller, id).await
        })
        .await;
    let view = or_current(written, async || load(&mut conn, &caller, id).await).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `DELETE /api/v1/budgets/{id}`: removes a document with a reason (needs `If-Match`).
#[utoipa::path(
    operation_id = "delete_budget",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Budget id"),
        IfMatch,
    ),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/budgets/{id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<BudgetId>,
    if_match: IfMatch,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    body.validate()?;
    let id = *path;
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        document::remove(conn, &caller, id, if_match.expected(), &reason).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /api/v1/budgets/{id}/approve`: approves a draft or revised document, freezing its
/// lines (needs `If-Match`).
#[utoipa::path(
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Budget id"),
        IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved", body = BudgetView, headers(("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 409, description = "Already approved"),
    )
)]
#[post("/budgets/{id}/approve")]
pub async fn approve(
    caller: Caller,
    path: web::Path<BudgetId>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    let id = *path;
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            document::approve(conn, &caller, id, if_match.expected()).await?;
            load(conn, &caller, id).await
        })
        .await;
    let view = or_current(written, async || load(&mut conn, &caller, id).await).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `POST /api/v1/budgets/{id}/revise`: opens an approved document for changes; the approved
/// version, lines included, stays readable under `/revisions` (needs `If-Match`).
#[utoipa::path(
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Budget id"),
        IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open for revision", body = BudgetView, headers(("ETag" = String))),
        (status = 403, description = "Not an officer or admin, or outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 409, description = "Only an approved document is revised"),
    )
)]
#[post("/budgets/{id}/revise")]
pub async fn revise(
    caller: Caller,
    path: web::Path<BudgetId>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Budget)?;
    let id = *path;
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            document::revise(conn, &caller, id, if_match.expected()).await?;
            load(conn, &caller, id).await
        })
        .await;
    let view = or_current(written, async || load(&mut conn, &caller, id).await).await?;
    Ok(ok_with_etag(view.version, &view))
}

/// `GET /api/v1/budgets/{id}/revisions`: every approved version a revision replaced.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Budget id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved versions, oldest first", body = Vec<RevisionView>),
        (status = 403, description = "Outside the caller's scope"),
        (status = 404, description = "No such document"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/budgets/{id}/revisions")]
pub async fn revisions(
    caller: Caller,
    path: web::Path<BudgetId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Vec<RevisionView>>, ApiError> {
    let mut conn = pool.get().await?;
    let budget = budget::find(&mut conn, &caller, *path).await?;
    Ok(web::Json(budget::revisions(&mut conn, &budget).await?))
}

pub(super) async fn load(conn: &mut AsyncPgConnection, caller: &Caller, id: BudgetId) -> Result<BudgetView, ApiError> {
    Ok(budget::find(conn, caller, id).await?.into_inner().into())
}
