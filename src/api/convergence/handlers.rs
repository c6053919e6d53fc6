use actix_multipart::Multipart;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;
use validator::Validate;

use super::dto::{
    Action, ActionProgress, ActionUpdate, Assessment, AssessmentUpdate, ConvergenceOverview, DistrictConvergence,
    DistrictProgress, Document, DocumentLink, DocumentUpload, OverviewQuery,
};
use super::queries::{self, ActionWrite, DocumentBody, NewDocument};
use super::ranking;
use super::upload::{self, UploadLimit};
use crate::api::regions::{self, queries as region_queries};
use crate::auth::Caller;
use crate::db::{AsyncPgConnection, DbPool, audit};
use crate::domain::{ActionStatus, DocumentId, RegionCode, RegionLevel, latest_local_date, year_bounds};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query, parse_json};
use crate::http::precondition::{IfMatch, created_with_etag, etag, lost_first_write, ok_with_etag};

const TAG: &str = "convergence";

/// `GET /api/v1/convergence/actions`: the 8 convergence actions.
#[utoipa::path(
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Actions 1 to 8", body = Vec<Action>),
        (status = 401, description = "No valid access token"),
    )
)]
#[get("/convergence/actions")]
pub async fn list_actions(_caller: Caller, pool: web::Data<DbPool>) -> Result<web::Json<Vec<Action>>, ApiError> {
    Ok(web::Json(queries::actions(&mut *pool.get().await?).await?))
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
        (status = 401, description = "No valid access token"),
        (status = 403, description = "A region outside the caller's scope"),
        (status = 422, description = "A malformed region or year"),
    )
)]
#[get("/convergence")]
pub async fn overview(
    caller: Caller,
    Query(query): Query<OverviewQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<ConvergenceOverview>, ApiError> {
    let mut errors = FieldErrors::default();
    let region = query.region.as_deref().and_then(|r| errors.check("region", RegionCode::parse(r)));
    errors.check("year", year_bounds(query.year));
    errors.finish()?;
    // A caller below a district sees their district's row.
    let root = caller.list_scope(region)?.code().map(|code| code.at_most(RegionLevel::District));
    // Ranks are within a province, so read whole provinces and keep the rows asked for.
    let province = root.as_ref().map(|code| code.at_most(RegionLevel::Province));
    let (low, high) = crate::api::stats::code_bounds(province.as_ref());
    let counts = queries::district_counts(&mut *pool.get().await?, &low, &high, query.year).await?;
    let mut districts = counts.into_iter().map(progress_row).collect::<Result<Vec<_>, _>>()?;
    ranking::rank(&mut districts);
    districts.retain(|d| root.as_ref().is_none_or(|r| r.contains(&d.district_code)));
    Ok(web::Json(ConvergenceOverview { region_code: root, year: query.year, districts }))
}

fn progress_row(c: queries::DistrictCounts) -> Result<DistrictProgress, ApiError> {
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
        (status = 401, description = "No valid access token"),
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
        .ok_or_else(|| ApiError::not_found(format!("no district has code {district}")))?
        .name;
    let progress = queries::progress(&mut conn, &district, year).await?;
    let mut documents = queries::documents(&mut conn, &district, year).await?;
    let actions = queries::actions(&mut conn)
        .await?
        .into_iter()
        .map(|action| {
            let row = progress.iter().find(|p| p.action == action.number);
            let (mine, rest) = documents.drain(..).partition(|d: &Document| d.action == action.number);
            documents = rest;
            action_progress(action, row, mine)
        })
        .collect::<Vec<_>>();
    let assessment = queries::assessment(&mut conn, &district, year, false).await?;
    Ok(web::Json(DistrictConvergence {
        district_code: district,
        district_name: name,
        year,
        actions_done: actions.iter().filter(|a| a.status == ActionStatus::Done).count() as i64,
        actions,
        assessment,
    }))
}

fn action_progress(action: Action, row: Option<&queries::ProgressRow>, documents: Vec<Document>) -> ActionProgress {
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
        ("If-Match" = String, Header, description = "The action's ETag (\"0\" if never recorded)", example = "\"0\""),
    ),
    request_body = ActionUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = ActionProgress, headers(("ETag" = String))),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No district has this code, or no such action"),
        (status = 412, description = "The action changed since it was read"),
        (status = 422, description = "Invalid fields"),
        (status = 428, description = "`If-Match` is missing"),
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
    let number = action_number(path.2)?;
    caller.require_district_officer(&district)?;
    let mut errors = FieldErrors::from_validation(body.validate());
    match (body.status, body.done_on) {
        (ActionStatus::Done, None) => errors.add("done_on", "is required when the action is done"),
        (ActionStatus::Done, Some(d)) if d > latest_local_date() => errors.add("done_on", "is in the future"),
        (ActionStatus::Done, Some(_)) => {}
        (_, Some(_)) => errors.add("done_on", "is only for an action that is done"),
        (_, None) => {}
    }
    errors.finish()?;
    let mut conn = pool.get().await?;
    known_district(&mut conn, &district).await?;
    let notes = body.notes.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let write = ActionWrite {
        district: &district,
        year,
        action: number,
        status: body.status,
        done_on: body.done_on,
        notes,
        by: caller.id,
    };
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = queries::lock_action(conn, &district, year, number).await?;
            if_match.check(current.as_ref().map_or(0, |r| r.version))?;
            let row = match current {
                None => queries::insert_action(conn, &write).await.map_err(lost_first_write)?,
                Some(_) => queries::update_action(conn, &write).await?,
            };
            audit::record_by(
                conn,
                caller.id,
                "convergence.action",
                format!("{district}/{year}/{number}"),
                json!({"status": body.status, "done_on": body.done_on}),
            )
            .await?;
            Ok(row)
        })
        .await?;
    let action = queries::actions(&mut conn)
        .await?
        .into_iter()
        .find(|a| a.number == number)
        .ok_or_else(|| ApiError::not_found(format!("no action {number}")))?;
    let documents =
        queries::documents(&mut conn, &district, year).await?.into_iter().filter(|d| d.action == number).collect();
    Ok(ok_with_etag(row.version, &action_progress(action, Some(&row), documents)))
}

/// `POST /api/v1/convergence/{district}/{year}/actions/{number}/documents`: adds a supporting
/// document (its officers): a link as JSON, or a file as `multipart/form-data`. A retry with
/// the same `id` answers 200 with the document already recorded.
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
        ("number" = i16, Path, description = "Action 1 to 8", example = 4),
    ),
    request_body(content(
        (DocumentLink = "application/json"),
        (DocumentUpload = "multipart/form-data"),
    )),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = Document, headers(("Location" = String), ("ETag" = String))),
        (status = 200, description = "A retry: the document with this id, already recorded", body = Document),
        (status = 400, description = "A malformed multipart body"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No district has this code, or no such action"),
        (status = 409, description = "The id belongs to another document"),
        (status = 413, description = "The file is larger than `MAX_UPLOAD_BYTES`"),
        (status = 415, description = "Neither JSON nor multipart, or a file type not accepted"),
        (status = 422, description = "Invalid or missing fields, or a file whose contents do not match its type"),
    )
)]
#[post("/convergence/{district}/{year}/actions/{number}/documents")]
pub async fn add_document(
    caller: Caller,
    path: web::Path<(String, i32, i16)>,
    req: HttpRequest,
    payload: web::Payload,
    limit: web::Data<UploadLimit>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let (district, year) = regions::district_and_year(&(path.0.clone(), path.1))?;
    let action = action_number(path.2)?;
    caller.require_district_officer(&district)?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (id, title, kind, document_date, body) = if content_type.starts_with("multipart/form-data") {
        let form = upload::read_form(Multipart::new(req.headers(), payload), **limit).await?;
        let f = form.file;
        let body = DocumentBody::File { name: f.name, content_type: f.content_type, sha256: f.sha256, bytes: f.bytes };
        (form.id, form.title, form.kind, form.document_date, body)
    } else if content_type.starts_with("application/json") {
        let bytes = payload.to_bytes_limited(64 * 1024).await.map_err(|_| {
            ApiError::PayloadTooLarge("a document link is at most 64 KiB of JSON; send files as multipart".into())
        })?;
        let link: DocumentLink = parse_json(&bytes.map_err(|e| ApiError::bad_request(e.to_string()))?)?;
        let mut errors = FieldErrors::from_validation(link.validate());
        if !link.url.starts_with("https://") && !link.url.starts_with("http://") && !errors.has("url") {
            errors.add("url", "must be an http or https address");
        }
        errors.finish()?;
        (link.id, link.title, link.kind, link.document_date, DocumentBody::Link(link.url))
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "send a link as application/json or a file as multipart/form-data".into(),
        ));
    };
    let mut conn = pool.get().await?;
    known_district(&mut conn, &district).await?;
    let id = id.unwrap_or_default();
    let new = NewDocument { id, district: district.clone(), year, action, title, kind, document_date, body };
    let (document, created) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            if let Some((existing, removed)) = queries::find_any_document(conn, id).await? {
                let same_place =
                    existing.district_code == district && existing.year == year && existing.action == action;
                return if same_place && !removed {
                    Ok((existing, false))
                } else {
                    Err(ApiError::conflict(format!("document id {id} belongs to another or a removed document")))
                };
            }
            let document = queries::insert_document(conn, new, caller.id).await?;
            audit::record_by(
                conn,
                caller.id,
                "convergence_document.create",
                id,
                json!({"district": district, "year": year, "action": action, "sha256": document.sha256}),
            )
            .await?;
            Ok((document, true))
        })
        .await?;
    Ok(if created {
        created_with_etag(format!("/api/v1/convergence/documents/{id}"), document.version, &document)
    } else {
        ok_with_etag(document.version, &document)
    })
}

/// `GET /api/v1/convergence/documents/{id}`: a document's description.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Document id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document", body = Document, headers(("ETag" = String))),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 404, description = "No such document"),
    )
)]
#[get("/convergence/documents/{id}")]
pub async fn get_document(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let document = readable(&mut *pool.get().await?, &caller, DocumentId(*path)).await?;
    Ok(ok_with_etag(document.version, &document))
}

/// `GET /api/v1/convergence/documents/{id}/content`: the uploaded file, as uploaded.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Document id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file, with its content type and an attachment file name",
            content_type = "application/octet-stream", body = Vec<u8>,
            headers(("Content-Disposition" = String), ("X-Checksum-SHA256" = String))),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 404, description = "No such document, or a link (it has no file)"),
    )
)]
#[get("/convergence/documents/{id}/content")]
pub async fn document_content(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = DocumentId(*path);
    let mut conn = pool.get().await?;
    let document = readable(&mut conn, &caller, id).await?;
    let (Some(content_type), Some(sha256), Some(bytes)) =
        (document.content_type, document.sha256, queries::document_content(&mut conn, id).await?)
    else {
        return Err(ApiError::not_found("this document is a link; it has no file"));
    };
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(document.file_name.unwrap_or_else(|| "document".into()))],
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(disposition)
        .insert_header(("X-Checksum-SHA256", sha256))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// `DELETE /api/v1/convergence/documents/{id}`: removes a document and its file (the
/// district's officers; needs `If-Match`). Its description stays in the audit trail.
#[utoipa::path(
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "Document id"),
        ("If-Match" = String, Header, description = "The document's ETag", example = "\"1\""),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No such document"),
        (status = 412, description = "The document changed since it was read"),
        (status = 428, description = "`If-Match` is missing"),
    )
)]
#[delete("/convergence/documents/{id}")]
pub async fn remove_document(
    caller: Caller,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = DocumentId(*path);
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let document = readable(conn, &caller, id).await?;
        caller.require_district_officer(&document.district_code)?;
        if_match.check(document.version)?;
        if queries::remove_document(conn, id, document.version).await? == 0 {
            return Err(ApiError::PreconditionFailed("the document changed meanwhile; read it again".into()));
        }
        audit::record_by(conn, caller.id, "convergence_document.delete", id, json!({"title": document.title}))
            .await
            .map_err(ApiError::from)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `PUT /api/v1/convergence/{district}/{year}/assessment`: the province's performance
/// assessment score (officers of the province; `If-Match: "0"` for the first score).
#[utoipa::path(
    tag = TAG,
    params(
        ("district" = String, Path, description = "District code", example = "14.03"),
        ("year" = i32, Path, description = "Year", example = 2021),
        ("If-Match" = String, Header, description = "The assessment's ETag (\"0\" if none yet)", example = "\"0\""),
    ),
    request_body = AssessmentUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = Assessment, headers(("ETag" = String))),
        (status = 401, description = "No valid access token"),
        (status = 403, description = "Not an officer of the district's province (districts do not score themselves)"),
        (status = 404, description = "No district has this code"),
        (status = 412, description = "The assessment changed since it was read"),
        (status = 422, description = "Invalid fields"),
        (status = 428, description = "`If-Match` is missing"),
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
    known_district(&mut conn, &district).await?;
    let assessment = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let current = queries::assessment(conn, &district, year, true).await?;
            if_match.check(current.map_or(0, |a| a.version))?;
            let saved = queries::save_assessment(conn, &district, year, &body, caller.id).await?;
            if saved.version != if_match.0 + 1 {
                return Err(ApiError::PreconditionFailed("the assessment was recorded meanwhile".into()));
            }
            audit::record_by(
                conn,
                caller.id,
                "convergence.assess",
                format!("{district}/{year}"),
                json!({"score": body.score}),
            )
            .await?;
            Ok(saved)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header(etag(assessment.version)).json(&assessment))
}

fn action_number(number: i16) -> Result<i16, ApiError> {
    if (1..=8).contains(&number) {
        Ok(number)
    } else {
        Err(ApiError::not_found(format!("there is no convergence action {number}; they are numbered 1 to 8")))
    }
}

async fn known_district(conn: &mut AsyncPgConnection, district: &RegionCode) -> Result<(), ApiError> {
    if region_queries::exists(conn, district).await? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no district has code {district}")))
    }
}

/// The document, if the caller's scope touches its district.
async fn readable(conn: &mut AsyncPgConnection, caller: &Caller, id: DocumentId) -> Result<Document, ApiError> {
    let document = queries::find_document(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no document has id {id}")))?;
    caller.require_overlap(&document.district_code)?;
    Ok(document)
}
