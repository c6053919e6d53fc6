//! Progress on the 8 actions, the province's monitoring table and its assessment.

use actix_web::{HttpResponse, get, put, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{
    Action, ActionProgress, ActionUpdate, Assessment, AssessmentUpdate, ConvergenceOverview, DistrictConvergence,
    DistrictProgress, Document, OverviewQuery,
};
use crate::api::regions;
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::domain::text;
use crate::domain::{ActionStatus, RegionCode, RegionLevel, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, etag, ok_with_etag};
use crate::records::convergence::{self, ActionWrite};
use crate::records::convergence::{progress, ranking};
use crate::records::region as region_queries;

const TAG: &str = "convergence";
/// `GET /api/v1/convergence/actions`: the 8 convergence actions.
#[utoipa::path(
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Actions 1 to 8", body = Vec<Action>),
    )
)]
#[get("/convergence/actions")]
pub async fn list_actions(_caller: Caller, pool: web::Data<DbPool>) -> Result<web::Json<Vec<Action>>, ApiError> {
    Ok(web::Json(convergence::actions(&mut *pool.get().await?).await?))
}

/// `GET /api/v1/convergence?region=&year=`: every district's progress for a year (actions
/// done out of 8, documents per action, lokus villages, assessment score), ranked within its
/// province as the province's monitoring page ranks them.
#[utoipa::path(
    tag = TAG,
    params(OverviewQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per district", body = ConvergenceOverview),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "A malformed region or year"),
    )
)]
#[get("/convergence")]
pub async fn overview(
    caller: Caller,
    Query(query): Query<OverviewQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<ConvergenceOverview>, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.check("year", year_bounds(query.year));
    errors.finish()?;
    // A caller below a district sees their district's row.
    let root = caller.list_scope(region)?.code().map(|code| code.at_most(RegionLevel::District));
    // Ranks are within a province, so read whole provinces and keep the rows asked for.
    let province = root.as_ref().map(|code| code.at_most(RegionLevel::Province));
    let (low, high) = crate::records::stats::code_bounds(province.as_ref());
    let counts = convergence::district_counts(&mut *pool.get().await?, &low, &high, query.year).await?;
    let mut districts = counts.into_iter().map(progress_row).collect::<Result<Vec<_>, _>>()?;
    ranking::rank(&mut districts);
    districts.retain(|d| root.as_ref().is_none_or(|r| r.contains(&d.district_code)));
    Ok(web::Json(ConvergenceOverview { region_code: root, year: query.year, districts }))
}

fn progress_row(c: convergence::DistrictCounts) -> Result<DistrictProgress, ApiError> {
    let district_code = RegionCode::parse(&c.code).map_err(|e| ApiError::Internal(e.into()))?;
    let documents_per_action: Vec<i64> =
        c.documents.trim_matches(['{', '}']).split(',').filter_map(|n| n.parse().ok()).collect();
    let documents_up_to_action =
        documents_per_action.iter().rposition(|n| *n > 0).and_then(|i| i16::try_from(i + 1).ok());
    Ok(DistrictProgress {
        province_code: district_code.at_most(RegionLevel::Province),
        district_code,
        district_name: c.name,
        actions_done: c.done,
        actions_in_progress: c.in_progress,
        latest_action_done: c.latest_done,
        actions_with_documents: documents_per_action.iter().filter(|n| **n > 0).count() as i64,
        documents_per_action,
        documents_up_to_action,
        lokus_villages: c.lokus,
        assessment_score: c.score,
        rank: 0,
        documents_rank: 0,
    })
}

/// `GET /api/v1/convergence/{district}/{year}`: the 8 actions of a district's year with their
/// documents, and the province's assessment.
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The district's year", body = DistrictConvergence),
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 404, description = "No district has this code"),
        (status = 422, description = "Not a district code, or a year out of range"),
    )
)]
#[get("/convergence/{district}/{year}")]
pub async fn get_district(
    caller: Caller,
    path: web::Path<(String, i32)>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<DistrictConvergence>, ApiError> {
    let (district, year) = regions::district_and_year(&path)?;
    caller.require_overlap(&district)?;
    let mut conn = pool.get().await?;
    let name = region_queries::find(&mut conn, &district)
        .await?
        .ok_or_else(|| ApiError::not_found(text!("no district has code %{district}", district = district)))?
        .name;
    let progress = convergence::progress(&mut conn, &district, year).await?;
    let mut documents = convergence::documents(&mut conn, &district, year).await?;
    let actions = convergence::actions(&mut conn)
        .await?
        .into_iter()
        .map(|action| {
            let row = progress.iter().find(|p| p.action == action.number);
            let (mine, rest) = documents.drain(..).partition(|d: &Document| d.action == action.number);
            documents = rest;
            action_progress(action, row, mine)
        })
        .collect::<Vec<_>>();
    let assessment = convergence::assessment(&mut conn, &district, year, false).await?;
    Ok(web::Json(DistrictConvergence {
        district_code: district,
        district_name: name,
        year,
        actions_done: actions.iter().filter(|a| a.status == ActionStatus::Done).count() as i64,
        actions,
        assessment,
    }))
}

fn action_progress(action: Action, row: Option<&convergence::ProgressRow>, documents: Vec<Document>) -> ActionProgress {
    ActionProgress {
        number: action.number,
        name_id: action.name_id,
        name_en: action.name_en,
        status: row.map_or(ActionStatus::NotStarted, |r| r.status),
        done_on: row.and_then(|r| r.done_on),
        notes: row.and_then(|r| r.notes.clone()),
        version: row.map_or(0, |r| r.version),
        updated_at: row.map(|r| r.updated_at),
        documents,
    }
}

/// `PUT /api/v1/convergence/{district}/{year}/actions/{number}`: records where the district
/// stands on an action (its officers; `If-Match: "0"` for an action never recorded).
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
        ("number" = i16, Path, description = "Action 1 to 8", example = 5),
        IfMatch,
    ),
    request_body = ActionUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = ActionProgress, headers(("ETag" = String))),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No district has this code, or no such action"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[put("/convergence/{district}/{year}/actions/{number}")]
pub async fn set_action(
    caller: Caller,
    path: web::Path<(String, i32, i16)>,
    if_match: IfMatch,
    Json(body): Json<ActionUpdate>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let (district, year) = regions::district_and_year(&(path.0.clone(), path.1))?;
    let number = progress::action_number(path.2)?;
    caller.require_district_officer(&district)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    progress::check_action(&mut errors, body.status, body.done_on);
    errors.finish()?;
    let notes = text::given(body.notes.as_deref());
    let write = ActionWrite {
        district: &district,
        year,
        action: number,
        status: body.status,
        done_on: body.done_on,
        notes,
        by: caller.id,
    };
    let mut conn = pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            progress::record_action(conn, &caller, if_match.expected(), &write).await
        })
        .await?;
    let action = convergence::actions(&mut conn)
        .await?
        .into_iter()
        .find(|a| a.number == number)
        .ok_or_else(|| ApiError::not_found(text!("no action %{number}", number = number)))?;
    let documents =
        convergence::documents(&mut conn, &district, year).await?.into_iter().filter(|d| d.action == number).collect();
    Ok(ok_with_etag(row.version, &action_progress(action, Some(&row), documents)))
}

/// `PUT /api/v1/convergence/{district}/{year}/assessment`: the province's performance
/// assessment score (officers of the province; `If-Match: "0"` for the first score).
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
        IfMatch,
    ),
    request_body = AssessmentUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = Assessment, headers(("ETag" = String))),
        (status = 403, description = "Not an officer of the district's province (districts do not score themselves)"),
        (status = 404, description = "No district has this code"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[put("/convergence/{district}/{year}/assessment")]
pub async fn assess(
    caller: Caller,
    path: web::Path<(String, i32)>,
    if_match: IfMatch,
    Json(body): Json<AssessmentUpdate>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let (district, year) = regions::district_and_year(&path)?;
    caller.require_province_officer(&district)?;
    body.validate()?;
    let mut conn = pool.get().await?;
    let assessment = conn
        .transaction::<_, ApiError, _>(async |conn| {
            progress::assess(conn, &caller, (&district, year), if_match.expected(), &body).await
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(assessment.version)).json(&assessment))
}
