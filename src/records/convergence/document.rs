//! The documents behind an action: links, or files the API keeps until they are removed.

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::schema::convergence_documents;
use crate::domain::{DocumentId, DocumentKind, RegionCode, UserId};
use crate::error::ApiError;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::write::{self, Removable};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub async fn documents(conn: &mut AsyncPgConnection, district: &RegionCode, year: i32) -> QueryResult<Vec<Document>> {
    convergence_documents::table
        .filter(convergence_documents::district_code.eq(district))
        .filter(convergence_documents::year.eq(year))
        .filter(convergence_documents::deleted_at.is_null())
        .select(Document::as_select())
        .order((convergence_documents::action, convergence_documents::created_at))
        .load(conn)
        .await
}

/// The document, if the caller may read its district's records: 404 unless known and not
/// removed, 403 outside the caller's access.
pub async fn find_document(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: DocumentId,
) -> Result<Visible<Document>, ApiError> {
    let row = convergence_documents::table
        .find(id)
        .filter(convergence_documents::deleted_at.is_null())
        .select(Document::as_select())
        .first(conn)
        .await
        .optional()?;
    Visible::check(caller, row, || ApiError::not_found(text!("no document has id %{id}", id = id)))
}

impl Scoped for Document {
    const RECORD: Record = Record::Convergence;
    fn region(&self) -> &RegionCode {
        &self.district_code
    }
}

/// Any document with this id, and whether it was removed: a retried upload must not reuse a
/// removed id.
pub async fn find_any_document(conn: &mut AsyncPgConnection, id: DocumentId) -> QueryResult<Option<(Document, bool)>> {
    convergence_documents::table
        .find(id)
        .select((Document::as_select(), convergence_documents::deleted_at.is_not_null()))
        .first(conn)
        .await
        .optional()
}

pub async fn document_content(conn: &mut AsyncPgConnection, id: DocumentId) -> QueryResult<Option<Vec<u8>>> {
    convergence_documents::table
        .find(id)
        .filter(convergence_documents::deleted_at.is_null())
        .select(convergence_documents::content)
        .first::<Option<Vec<u8>>>(conn)
        .await
        .optional()
        .map(Option::flatten)
}

/// What a new document says about itself, and either its link or its file.
pub struct NewDocument {
    pub id: DocumentId,
    pub district: RegionCode,
    pub year: i32,
    pub action: i16,
    pub title: String,
    pub kind: DocumentKind,
    pub document_date: Option<NaiveDate>,
    pub body: DocumentBody,
}

pub enum DocumentBody {
    Link(String),
    File { name: String, content_type: String, sha256: String, bytes: Vec<u8> },
}

pub async fn insert_document(conn: &mut AsyncPgConnection, new: NewDocument, by: UserId) -> QueryResult<Document> {
    let (url, file_name, content_type, size, sha256, content) = match new.body {
        DocumentBody::Link(url) => (Some(url), None, None, None, None, None),
        DocumentBody::File { name, content_type, sha256, bytes } => {
            (None, Some(name), Some(content_type), Some(bytes.len() as i64), Some(sha256), Some(bytes))
        }
    };
    diesel::insert_into(convergence_documents::table)
        .values((
            convergence_documents::id.eq(new.id),
            convergence_documents::district_code.eq(&new.district),
            convergence_documents::year.eq(new.year),
            convergence_documents::action.eq(new.action),
            convergence_documents::title.eq(new.title.trim()),
            convergence_documents::kind.eq(new.kind),
            convergence_documents::document_date.eq(new.document_date),
            convergence_documents::url.eq(url),
            convergence_documents::file_name.eq(file_name),
            convergence_documents::content_type.eq(content_type),
            convergence_documents::size_bytes.eq(size),
            convergence_documents::sha256.eq(sha256),
            convergence_documents::content.eq(content),
            convergence_documents::created_by.eq(by),
        ))
        .returning(Document::as_returning())
        .get_result(conn)
        .await
}

/// Locks a living document for the rest of the transaction, if the caller may change it.
pub async fn lock_document(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: DocumentId,
) -> Result<Writable<Document>, ApiError> {
    let row = convergence_documents::table
        .find(id)
        .filter(convergence_documents::deleted_at.is_null())
        .select(Document::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Writable::check(caller, row, || ApiError::not_found(text!("no document has id %{id}", id = id)))
}

write::versioned!(Document, DocumentId, "convergence_document", lock_document);

impl Removable for Document {
    async fn mark_removed(
        conn: &mut AsyncPgConnection,
        document: &Writable<Self>,
        by: UserId,
        reason: Option<&str>,
    ) -> Result<(), ApiError> {
        diesel::update(convergence_documents::table.find(document.id))
            .set((
                convergence_documents::deleted_at.eq(Utc::now()),
                convergence_documents::deleted_by.eq(by),
                convergence_documents::deleted_reason.eq(reason),
                // The file goes with it: a removed document is not kept readable.
                convergence_documents::content.eq(None::<Vec<u8>>),
                convergence_documents::file_name.eq(None::<String>),
                convergence_documents::content_type.eq(None::<String>),
                convergence_documents::size_bytes.eq(None::<i64>),
                convergence_documents::sha256.eq(None::<String>),
                convergence_documents::version.eq(convergence_documents::version + 1),
            ))
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// A supporting document: a link, or a file kept by the API (read it back from
/// `/api/v1/convergence/documents/{id}/content`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = convergence_documents)]
#[schema(example = json!({
    "id": "0192b7a4-0000-7000-8000-0000000000d1", "district_code": "14.03", "year": 2021, "action": 3,
    "title": "Berita acara Rembuk Stunting 2021", "kind": "minutes", "document_date": "2021-04-07",
    "url": null, "file_name": "ba-rembuk-2021.pdf", "content_type": "application/pdf", "size_bytes": 182044,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "created_at": "2021-04-08T02:00:00Z", "version": 1
}))]
pub struct Document {
    pub id: DocumentId,
    pub district_code: RegionCode,
    pub year: i32,
    pub action: i16,
    pub title: String,
    pub kind: DocumentKind,
    pub document_date: Option<NaiveDate>,
    /// Set for a link; `null` for an uploaded file.
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    /// Hex SHA-256 of the file, as received.
    pub sha256: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}
