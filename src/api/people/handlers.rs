use actix_web::{HttpResponse, delete, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{CreatePerson, ListPeopleQuery, PersonView, UpdatePerson};
use crate::api::children::RemovalReason;
use crate::auth::Caller;
use crate::db::{DbPool, ReadPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::text;
use crate::domain::{IhsNumber, Nik, NikKey, PersonId, RegionCode, check_person_birth_date};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag, or_current};
use crate::records::person::{self, NewPerson, PersonChanges, PersonFilter};
use crate::records::region;

const TAG: &str = "people";

/// `GET /api/v1/people`: people of the pathway in the caller's scope (or a region inside it).
#[utoipa::path(
    operation_id = "list_people",
    tag = TAG,
    params(ListPeopleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of people, by village code, then id", body = Page<PersonView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "An analyst (no personal data), or a region outside the caller's scope"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/people")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListPeopleQuery>,
    pool: web::Data<ReadPool>,
) -> Result<web::Json<Page<PersonView>>, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    let name_contains = text::search(&mut errors, query.q.as_deref());
    errors.finish()?;
    let scope = caller.list_scope(region)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = PersonFilter { sex: query.sex, name_contains };
    let rows = person::list(&mut *pool.get().await?, &scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |p| (p.village_code.clone(), p.id))))
}

/// `POST /api/v1/people`: registers a woman (or a man screened as catin) in a village of the
/// caller's scope.
#[utoipa::path(
    operation_id = "create_person",
    tag = TAG,
    request_body = CreatePerson,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = PersonView, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "The same person was already registered with this id (a retry)", body = PersonView),
        (status = 403, description = "An analyst, or a village outside the caller's scope"),
        (status = 409, description = "The NIK belongs to another person, or the id to a different one (`existing_id` names her when the caller's scope holds her)"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[post("/people")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreatePerson>,
    pool: web::Data<DbPool>,
    nik_key: web::Data<NikKey>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let village = errors.check("village_code", RegionCode::parse_village(&body.village_code));
    let nik = body.nik.as_deref().and_then(|n| errors.check("nik", Nik::parse(n)));
    errors.check("birth_date", check_person_birth_date(body.birth_date));
    person::check_wedding(&mut errors, body.birth_date, body.wedding_planned_on);
    let village = errors.finish_with(village)?;
    caller.require_in_scope(&village)?;

    let mut conn = pool.get().await?;
    region::require_known(&mut conn, &village, "village_code").await?;
    let new = NewPerson {
        id: body.id.map_or_else(PersonId::new, PersonId),
        village_code: &village,
        sex: body.sex,
        birth_date: body.birth_date,
        name: body.name.trim(),
        nik_hash: nik.map(|n| n.keyed_hash(&nik_key)),
        wedding_planned_on: body.wedding_planned_on,
        created_by: caller.id,
    };
    let (person, created) =
        conn.transaction::<_, ApiError, _>(async |conn| person::register(conn, &caller, &new).await).await?;
    match created {
        true => Ok(created_with_etag(format!("/api/v1/people/{}", person.id), person.version, &person)),
        false => Ok(ok_with_etag(person.version, &person)),
    }
}

/// `GET /api/v1/people/{id}`: one person.
#[utoipa::path(
    operation_id = "get_person",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The person", body = PersonView, headers(("ETag" = String))),
        (status = 403, description = "An analyst, or a person outside the caller's scope"),
        (status = 404, description = "No such person (or she was removed)"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/people/{id}")]
pub async fn get(caller: Caller, path: web::Path<PersonId>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let person = person::find(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(person.version, &*person))
}

/// `PATCH /api/v1/people/{id}`: corrects or moves a person (needs `If-Match`).
#[utoipa::path(
    operation_id = "update_person",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id"), IfMatch),
    request_body = UpdatePerson,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = PersonView, headers(("ETag" = String))),
        (status = 403, description = "An analyst, a person or village outside the caller's scope, or a cadre setting an IHS number"),
        (status = 404, description = "No such person"),
        (status = 409, description = "The NIK or IHS number belongs to another person"),
        (status = 422, description = "Invalid fields: a birth date in the future, a wedding not after the birth date"),
    )
)]
#[patch("/people/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<PersonId>,
    if_match: IfMatch,
    Json(body): Json<UpdatePerson>,
    pool: web::Data<DbPool>,
    nik_key: web::Data<NikKey>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_data()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let village = body.village_code.as_deref().and_then(|v| errors.check("village_code", RegionCode::parse_village(v)));
    let nik_hash = match &body.nik {
        Some(Some(raw)) => Some(errors.check("nik", Nik::parse(raw)).map(|n| n.keyed_hash(&nik_key))),
        Some(None) => Some(None),
        None => None,
    };
    let ihs_number = body.ihs_number.as_ref().map(|given| {
        given.as_deref().and_then(|raw| errors.check("ihs_number", IhsNumber::parse(raw)).map(IhsNumber::into_inner))
    });
    if let Some(birth_date) = body.birth_date {
        errors.check("birth_date", check_person_birth_date(birth_date));
    }
    errors.finish()?;
    if let Some(village) = &village {
        caller.require_in_scope(village)?;
    }
    let id = *path;
    let mut conn = pool.get().await?;
    if let Some(village) = &village {
        region::require_known(&mut conn, village, "village_code").await?;
    }
    let changes = PersonChanges {
        village_code: village,
        sex: body.sex,
        birth_date: body.birth_date,
        name: body.name.as_deref().map(str::trim).map(str::to_owned),
        nik_hash,
        wedding_planned_on: body.wedding_planned_on,
        ihs_number,
    };
    let written = conn
        .transaction::<_, ApiError, _>(async |conn| {
            person::change(conn, &caller, id, if_match.expected(), &changes).await
        })
        .await;
    let person = or_current(written, async || Ok(person::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(ok_with_etag(person.version, &person))
}

/// `DELETE /api/v1/people/{id}`: removes a person with a reason (needs `If-Match`). The record
/// stays in the database, out of every list; a child that names her keeps the link.
#[utoipa::path(
    operation_id = "delete_person",
    tag = TAG,
    params(("id" = Uuid, Path, description = "Person id"), IfMatch),
    request_body = RemovalReason,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "An analyst or an integration, or a person outside the caller's scope"),
        (status = 404, description = "No such person"),
        (status = 422, description = "No reason given"),
    )
)]
#[delete("/people/{id}")]
pub async fn delete(
    caller: Caller,
    path: web::Path<PersonId>,
    if_match: IfMatch,
    Json(body): Json<RemovalReason>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_child_removal()?;
    body.validate()?;
    let id = *path;
    let reason = body.reason.trim().to_owned();
    let mut conn = pool.get().await?;
    let removed = conn
        .transaction::<_, ApiError, _>(async |conn| {
            person::remove(conn, &caller, id, if_match.expected(), &reason).await
        })
        .await;
    or_current(removed, async || Ok(person::find(&mut conn, &caller, id).await?.into_inner())).await?;
    Ok(HttpResponse::NoContent().finish())
}
