use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Datelike;
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{ListTeamsQuery, NewTeam, Team, TeamChanges};
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{RegionCode, RegionLevel, Role, TeamId, TeamKind, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag, or_current};
use crate::records::region;
use crate::records::team::{self, TeamFilter, TeamWrite};

const TAG: &str = "teams";

/// `GET /api/v1/teams`: TPPS and TPK teams in the caller's scope.
#[utoipa::path(
    operation_id = "list_teams",
    tag = TAG,
    params(ListTeamsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of teams by region code, then id (members' phone numbers hidden from analysts)", body = Page<Team>),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "A malformed region, limit or cursor"),
    )
)]
#[get("/teams")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListTeamsQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<Team>>, ApiError> {
    let region = query
        .region
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(|e| ApiError::invalid("region", e.into()))?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = TeamFilter {
        kind: query.kind,
        active: query.active,
        lokus_year: query.lokus.unwrap_or(false).then(|| latest_local_date().year()),
    };
    let rows = team::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    let rows = rows.into_iter().map(|team| shown_to(&caller, team)).collect();
    Ok(web::Json(page.page(rows, |t: &Team| (t.region_code.clone(), t.id))))
}

/// `GET /api/v1/teams/{id}`: one team.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Team id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The team", body = Team, headers(("ETag" = String))),
        (status = 403, description = "The team's region is outside the caller's scope"),
        (status = 404, description = "No such team"),
    )
)]
#[get("/teams/{id}")]
pub async fn get_team(
    caller: Caller,
    path: web::Path<TeamId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = *path;
    let team = team::find(&mut *pool.get().await?, &caller, id).await?.into_inner();
    Ok(ok_with_etag(team.version, &shown_to(&caller, team)))
}

/// `POST /api/v1/teams`: registers a team in a region of the caller's scope (officers).
#[utoipa::path(
    operation_id = "create_team",
    tag = TAG,
    request_body = NewTeam,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = Team, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "A retry: the team with this id, already registered", body = Team),
        (status = 403, description = "Not an officer, or a region outside the caller's scope"),
        (status = 409, description = "The id belongs to another team"),
        (status = 422, description = "Invalid fields: a TPK outside a village, or without its three members"),
    )
)]
#[post("/teams")]
pub async fn create(
    caller: Caller,
    Json(body): Json<NewTeam>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Team)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let region = errors.check("region_code", RegionCode::parse(&body.region_code));
    if body.kind == TeamKind::Tpk && region.as_ref().is_some_and(|r| r.level() != RegionLevel::Village) {
        errors.add("region_code", text!("a TPK belongs to a village"));
    }
    team::check_members(body.kind, &body.members, &mut errors);
    let region = errors.finish_with(region)?;
    caller.require_in_scope(&region)?;
    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &region, "region_code").await?;
    let id = body.id.unwrap_or_default();
    let write = TeamWrite {
        id,
        kind: body.kind,
        region: &region,
        name: body.name.trim(),
        active: body.active.unwrap_or(true),
        members: &body.members,
    };
    let (team, created) =
        conn.transaction::<_, ApiError, _>(async |conn| team::create(conn, &caller, &write).await).await?;
    let team = shown_to(&caller, team);
    Ok(if created {
        created_with_etag(format!("/api/v1/teams/{id}"), team.version, &team)
    } else {
        ok_with_etag(team.version, &team)
    })
}

/// `PATCH /api/v1/teams/{id}`: renames a team, replaces its members or marks it inactive
/// (officers; needs `If-Match`). Teams are never deleted: cases keep pointing at them.
#[utoipa::path(
    operation_id = "update_team",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Team id"),
        IfMatch,
    ),
    request_body = TeamChanges,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = Team, headers(("ETag" = String))),
        (status = 403, description = "Not an officer, or a team outside the caller's scope"),
        (status = 404, description = "No such team"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/teams/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<TeamId>,
    if_match: IfMatch,
    Json(body): Json<TeamChanges>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_writer_of(Record::Team)?;
    let id = *path;
    let mut conn = pool.get().await?;
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| team::change(conn, &caller, id, if_match.expected(), &body).await)
        .await
        .map(|team| shown_to(&caller, team));
    let team =
        or_current(written, async || Ok(shown_to(&caller, team::find(&mut conn, &caller, id).await?.into_inner())))
            .await?;
    Ok(ok_with_etag(team.version, &team))
}

fn shown_to(caller: &Caller, team: Team) -> Team {
    if caller.role == Role::Analyst { team.without_contacts() } else { team }
}
