//! Supporting documents of an action: links, or files checked and kept with their SHA-256.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{Document, DocumentLink, DocumentUpload};
use crate::api::regions;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::DocumentId;
use crate::error::{ApiError, FieldErrors};
use crate::http::download;
use crate::http::extract::parse_json;
use crate::http::precondition::{IfMatch, created_with_etag, ok_with_etag};
use crate::http::upload::{self, UploadLimit};
use crate::records::convergence::{self, DocumentBody, NewDocument, progress};

const TAG: &str = "convergence";
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
    let action = progress::action_number(path.2)?;
    caller.require_district_officer(&district)?;
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (id, title, kind, document_date, body) = if content_type.starts_with("multipart/form-data") {
        let form = upload::read_form(Multipart::new(req.headers(), payload), **limit).await?;
        let f = form.file;
        let body = DocumentBody::File { name: f.name, content_type: f.content_type, sha256: f.sha256, bytes: f.bytes };
        (form.id, form.title, form.kind, form.document_date, body)
    } else if content_type.starts_with("application/json") {
        let bytes = payload.to_bytes_limited(64 * 1024).await.map_err(|_| {
            ApiError::PayloadTooLarge(text!("a document link is at most 64 KiB of JSON; send files as multipart"))
        })?;
        let link: DocumentLink =
            parse_json(&bytes.map_err(|_| ApiError::bad_request(text!("the request body could not be read")))?)?;
        let mut errors = FieldErrors::from_validation(link.validate());
        if !link.url.starts_with("https://") && !link.url.starts_with("http://") && !errors.has("url") {
            errors.add("url", text!("must be an http or https address"));
        }
        errors.finish()?;
        (link.id, link.title, link.kind, link.document_date, DocumentBody::Link(link.url))
    } else {
        return Err(ApiError::UnsupportedMediaType(text!(
            "send a link as application/json or a file as multipart/form-data"
        )));
    };
    let id = id.unwrap_or_default();
    let new = NewDocument { id, district: district.clone(), year, action, title, kind, document_date, body };
    let mut conn = pool.get().await?;
    let (document, created) =
        conn.transaction::<_, ApiError, _>(async |conn| progress::file_document(conn, &caller, new).await).await?;
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
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 404, description = "No such document"),
    )
)]
#[get("/convergence/documents/{id}")]
pub async fn get_document(
    caller: Caller,
    path: web::Path<DocumentId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let document = convergence::find_document(&mut *pool.get().await?, &caller, *path).await?;
    Ok(ok_with_etag(document.version, &document))
}

/// `GET /api/v1/convergence/documents/{id}/content`: the uploaded file, as uploaded.
#[utoipa::path(
    tag = TAG,
    params(("id" = Uuid, Path, description = "Document id")),
    security(("bearer" = [])),
    responses(
        // The types `upload::ACCEPTED` lets in, and so the only ones a file can come back as.
        (status = 200, description = "The file, with its content type and an attachment file name",
            content(
                (Vec<u8> = "application/pdf"),
                (Vec<u8> = "image/jpeg"),
                (Vec<u8> = "image/png"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (Vec<u8> = "text/csv"),
            ),
            headers(("Content-Disposition" = String), ("X-Checksum-SHA256" = String))),
        (status = 403, description = "The district is outside the caller's scope"),
        (status = 404, description = "No such document, or a link (it has no file)"),
    )
)]
#[get("/convergence/documents/{id}/content")]
pub async fn document_content(
    caller: Caller,
    path: web::Path<DocumentId>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = *path;
    let mut conn = pool.get().await?;
    let document = convergence::find_document(&mut conn, &caller, id).await?.into_inner();
    let (Some(content_type), Some(sha256), Some(bytes)) =
        (document.content_type, document.sha256, convergence::document_content(&mut conn, id).await?)
    else {
        return Err(ApiError::not_found(text!("this document is a link; it has no file")));
    };
    let disposition = download::attachment(document.file_name.as_deref().unwrap_or("document"));
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
        IfMatch,
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not an officer of this district, nor an admin"),
        (status = 404, description = "No such document"),
    )
)]
#[delete("/convergence/documents/{id}")]
pub async fn remove_document(
    caller: Caller,
    path: web::Path<DocumentId>,
    if_match: IfMatch,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let id = *path;
    let mut conn = pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        progress::remove_document(conn, &caller, id, if_match.expected()).await
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
