use actix_web::{HttpResponse, delete, get, post, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{ChildId, PersonId, RegionCode, TeamId, TpkVisitId};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::created_or_stored_at;
use crate::records::tpk_visit::{self, CreateTpkVisit, TpkVisitFilter, TpkVisitView};

const TAG: &str = "tpk-visits";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTpkVisitsQuery {
    /// Only visits to people living in this region (any tier).
    #[param(example = "14.01.01.2009")]
    pub region: Option<String>,
    pub team_id: Option<TeamId>,
    pub person_id: Option<PersonId>,
    pub child_id: Option<ChildId>,
    /// Visits on or after this day.
    pub from: Option<NaiveDate>,
    /// Visits on or before this day.
    pub to: Option<NaiveDate>,
    /// Include voided visits (default false).
    pub include_voided: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `GET /api/v1/tpk-visits`: visits in the caller's scope (or a region inside it), by village code, then id.
#[utoipa::path(
    operation_id = "list_tpk_visits",
    tag = TAG,
    params(ListTpkVisitsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of visits, by village code, then id", body = Page<TpkVisitView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "An analyst (no personal data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/tpk-visits")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListTpkVisitsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<TpkVisitView>>, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.check_order("from", query.from, query.to, text!("is after `to`"));
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = TpkVisitFilter {
        team_id: query.team_id,
        person_id: query.person_id,
        child_id: query.child_id,
        from: query.from,
        to: query.to,
        include_voided: query.include_voided.unwrap_or(false),
    };
    let rows = tpk_visit::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |v| (v.village_code.clone(), v.id))))
}

/// `POST /api/v1/tpk-visits`: records a TPK's visit to a person of the pathway or a child under
/// two; the server derives the stage she was at.
#[utoipa::path(
    operation_id = "create_tpk_visit",
    tag = TAG,
    request_body = CreateTpkVisit,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = TpkVisitView, headers(("Location" = String))),
        (status = 200, description = "The same visit was already recorded with this id (a retry)", body = TpkVisitView),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person or child"),
        (status = 409, description = "A different visit has this id"),
        (status = 422, description = "Invalid fields: both or neither of person and child, a team that is not an active TPK of her village, a child two or older, a date in the future or before birth, a next visit not after this one"),
    )
)]
#[post("/tpk-visits")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreateTpkVisit>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut conn = pool.get().await?;
    let (view, created) =
        conn.transaction::<_, ApiError, _>(async |conn| tpk_visit::record(conn, &caller, &body).await).await?;
    Ok(created_or_stored_at(created, format!("/api/v1/tpk-visits/{}", view.id), &view))
}

/// `GET /api/v1/tpk-visits/{id}`: one visit (a voided one too, with its reason).
#[utoipa::path(
    operation_id = "get_tpk_visit",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Visit id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The visit", body = TpkVisitView),
        (status = 403, description = "An analyst, or a visit outside the caller's scope"),
        (status = 404, description = "No such visit"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/tpk-visits/{id}")]
pub async fn get(
    caller: Caller,
    path: web::Path<TpkVisitId>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<TpkVisitView>, ApiError> {
    Ok(web::Json(tpk_visit::find(&mut *pool.get().await?, &caller, *path).await?.into_inner()))
}

/// `DELETE /api/v1/tpk-visits/{id}`: voids a wrong visit, with a reason. It stays on record,
/// out of every count.
#[utoipa::path(
    operation_id = "void_tpk_visit",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Visit id")),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Voided", body = TpkVisitView),
        (status = 403, description = "An analyst, or a visit outside the caller's scope"),
        (status = 404, description = "No such visit"),
        (status = 409, description = "Already voided"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/tpk-visits/{id}")]
pub async fn void(
    caller: Caller,
    path: web::Path<TpkVisitId>,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<TpkVisitView>, ApiError> {
    caller.require_child_data()?;
    body.validate()?;
    let id = *path;
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let view =
        conn.transaction::<_, ApiError, _>(async |conn| tpk_visit::void(conn, &caller, id, &reason).await).await?;
    Ok(web::Json(view))
}
