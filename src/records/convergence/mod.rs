//! The convergence framework: the eight actions, their documents and the province's assessment.

pub mod progress;
pub mod ranking;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::prepared::KeepPrepared;
use crate::db::schema::{convergence_actions, convergence_assessments, convergence_documents, convergence_progress};
use crate::domain::text;
use crate::domain::{ActionStatus, DocumentId, DocumentKind, RegionCode, UserId};
use crate::error::ApiError;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::write::{self, Removable};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

pub async fn actions(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Action>> {
    convergence_actions::table.select(Action::as_select()).order(convergence_actions::number).load(conn).await
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = convergence_progress)]
pub struct ProgressRow {
    pub action: i16,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub notes: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

pub async fn progress(conn: &mut AsyncPgConnection, district: &RegionCode, year: i32) -> QueryResult<Vec<ProgressRow>> {
    convergence_progress::table
        .filter(convergence_progress::district_code.eq(district).and(convergence_progress::year.eq(year)))
        .select(ProgressRow::as_select())
        .load(conn)
        .await
}

/// The action's row, locked for the rest of the transaction.
pub async fn lock_action(
    conn: &mut AsyncPgConnection,
    district: &RegionCode,
    year: i32,
    action: i16,
) -> QueryResult<Option<ProgressRow>> {
    convergence_progress::table
        .find((district, year, action))
        .select(ProgressRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub struct ActionWrite<'a> {
    pub district: &'a RegionCode,
    pub year: i32,
    pub action: i16,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub notes: Option<&'a str>,
    pub by: UserId,
}

/// Records the first status of an action; a concurrent first write makes this one fail with
/// a unique violation.
pub async fn insert_action(conn: &mut AsyncPgConnection, w: &ActionWrite<'_>) -> QueryResult<ProgressRow> {
    diesel::insert_into(convergence_progress::table)
        .values((
            convergence_progress::district_code.eq(w.district),
            convergence_progress::year.eq(w.year),
            convergence_progress::action.eq(w.action),
            convergence_progress::status.eq(w.status),
            convergence_progress::done_on.eq(w.done_on),
            convergence_progress::notes.eq(w.notes),
            convergence_progress::updated_by.eq(w.by),
        ))
        .returning(ProgressRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_action(conn: &mut AsyncPgConnection, w: &ActionWrite<'_>) -> QueryResult<ProgressRow> {
    diesel::update(convergence_progress::table.find((w.district, w.year, w.action)))
        .set((
            convergence_progress::status.eq(w.status),
            convergence_progress::done_on.eq(w.done_on),
            convergence_progress::notes.eq(w.notes),
            convergence_progress::updated_by.eq(w.by),
            convergence_progress::version.eq(convergence_progress::version + 1),
            convergence_progress::updated_at.eq(Utc::now()),
        ))
        .returning(ProgressRow::as_returning())
        .get_result(conn)
        .await
}

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
    Visible::check(caller, row, || ApiError::not_found(format!("no document has id {id}")))
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
    Writable::check(caller, row, || ApiError::not_found(format!("no document has id {id}")))
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

#[derive(Queryable)]
struct AssessmentRow {
    score: f64,
    notes: Option<String>,
    version: i32,
    updated_at: DateTime<Utc>,
}

impl From<AssessmentRow> for Assessment {
    fn from(r: AssessmentRow) -> Self {
        Assessment { score: r.score, notes: r.notes, version: r.version, updated_at: r.updated_at }
    }
}

pub async fn assessment(
    conn: &mut AsyncPgConnection,
    district: &RegionCode,
    year: i32,
    lock: bool,
) -> QueryResult<Option<Assessment>> {
    let query = convergence_assessments::table.find((district, year)).select((
        convergence_assessments::score,
        convergence_assessments::notes,
        convergence_assessments::version,
        convergence_assessments::updated_at,
    ));
    let row: Option<AssessmentRow> =
        if lock { query.for_update().first(conn).await.optional()? } else { query.first(conn).await.optional()? };
    Ok(row.map(Assessment::from))
}

/// Records the score: inserts the first one (a concurrent first score makes this one fail on
/// the primary key), or bumps the version of the one there, whose row the caller holds locked.
pub async fn save_assessment(
    conn: &mut AsyncPgConnection,
    (district, year): (&RegionCode, i32),
    existed: bool,
    body: &AssessmentUpdate,
    by: UserId,
) -> QueryResult<Assessment> {
    let notes = text::given(body.notes.as_deref());
    let returned = (
        convergence_assessments::score,
        convergence_assessments::notes,
        convergence_assessments::version,
        convergence_assessments::updated_at,
    );
    let row: AssessmentRow = if existed {
        diesel::update(convergence_assessments::table.find((district, year)))
            .set((
                convergence_assessments::score.eq(body.score),
                convergence_assessments::notes.eq(notes),
                convergence_assessments::assessed_by.eq(by),
                convergence_assessments::version.eq(convergence_assessments::version + 1),
                convergence_assessments::updated_at.eq(Utc::now()),
            ))
            .returning(returned)
            .get_result(conn)
            .await?
    } else {
        diesel::insert_into(convergence_assessments::table)
            .values((
                convergence_assessments::district_code.eq(district),
                convergence_assessments::year.eq(year),
                convergence_assessments::score.eq(body.score),
                convergence_assessments::notes.eq(notes),
                convergence_assessments::assessed_by.eq(by),
            ))
            .returning(returned)
            .get_result(conn)
            .await?
    };
    Ok(row.into())
}

/// One district's counts for the monitoring table, before ranking.
#[derive(Debug, QueryableByName)]
pub struct DistrictCounts {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub done: i64,
    #[diesel(sql_type = BigInt)]
    pub in_progress: i64,
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub latest_done: Option<i16>,
    /// Documents per action 1..8, as `{n1,...,n8}` text (one array per district).
    #[diesel(sql_type = Text)]
    pub documents: String,
    #[diesel(sql_type = BigInt)]
    pub lokus: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub score: Option<f64>,
}

/// Every current district in [low, high) with its counts for `year`; one pass per table.
pub async fn district_counts(
    conn: &mut AsyncPgConnection,
    low: &str,
    high: &str,
    year: i32,
) -> QueryResult<Vec<DistrictCounts>> {
    diesel::sql_query(
        "WITH d AS ( \
           SELECT code, name FROM regions \
           WHERE level = 'district' AND retired_at IS NULL AND code >= $1 AND code < $2 \
         ), p AS ( \
           SELECT district_code, count(*) FILTER (WHERE status = 'done') AS done, \
                  count(*) FILTER (WHERE status = 'in_progress') AS in_progress, \
                  max(action) FILTER (WHERE status = 'done') AS latest_done \
           FROM convergence_progress WHERE year = $3 AND district_code >= $1 AND district_code < $2 GROUP BY 1 \
         ), doc AS ( \
           SELECT district_code, action, count(*) AS n FROM convergence_documents \
           WHERE deleted_at IS NULL AND year = $3 AND district_code >= $1 AND district_code < $2 GROUP BY 1, 2 \
         ), docs AS ( \
           SELECT d.code, array_agg(coalesce(doc.n, 0) ORDER BY a.number)::text AS documents \
           FROM d CROSS JOIN convergence_actions a \
           LEFT JOIN doc ON doc.district_code = d.code AND doc.action = a.number GROUP BY d.code \
         ), l AS ( \
           SELECT district_code, count(*) AS n FROM lokus_villages \
           WHERE year = $3 AND district_code >= $1 AND district_code < $2 GROUP BY 1 \
         ) \
         SELECT d.code, d.name, coalesce(p.done, 0) AS done, coalesce(p.in_progress, 0) AS in_progress, \
                p.latest_done, docs.documents, coalesce(l.n, 0) AS lokus, s.score \
         FROM d JOIN docs ON docs.code = d.code \
         LEFT JOIN p ON p.district_code = d.code LEFT JOIN l ON l.district_code = d.code \
         LEFT JOIN convergence_assessments s ON s.district_code = d.code AND s.year = $3 \
         ORDER BY d.code",
    )
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .bind::<Integer, _>(year)
    .load(conn)
    .await
}

/// Convergence over every current district in [low, high), summed for one year.
#[derive(Debug, QueryableByName)]
pub struct ProgressTotals {
    #[diesel(sql_type = BigInt)]
    pub districts: i64,
    #[diesel(sql_type = BigInt)]
    pub actions_done: i64,
    #[diesel(sql_type = BigInt)]
    pub districts_all_done: i64,
    /// Mean over the districts assessed.
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub mean_assessment_score: Option<f64>,
}

/// The totals a dashboard tile shows, without `district_counts`' per-district documents.
pub async fn progress_totals(
    conn: &mut AsyncPgConnection,
    low: &str,
    high: &str,
    year: i32,
) -> QueryResult<ProgressTotals> {
    diesel::sql_query(
        "WITH p AS ( \
           SELECT district_code, count(*) AS done FROM convergence_progress \
           WHERE year = $3 AND status = 'done' AND district_code >= $1 AND district_code < $2 GROUP BY 1 \
         ) \
         SELECT count(*) AS districts, coalesce(sum(p.done), 0)::bigint AS actions_done, \
                count(*) FILTER (WHERE p.done >= 8) AS districts_all_done, \
                avg(s.score) AS mean_assessment_score \
         FROM regions d LEFT JOIN p ON p.district_code = d.code \
         LEFT JOIN convergence_assessments s ON s.district_code = d.code AND s.year = $3 \
         WHERE d.level = 'district' AND d.retired_at IS NULL AND d.code >= $1 AND d.code < $2",
    )
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .bind::<Integer, _>(year)
    .prepared()
    .get_result(conn)
    .await
}

/// One of the 8 convergence actions (*aksi konvergensi*).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = convergence_actions)]
#[schema(example = json!({"number": 3, "name_id": "Rembuk Stunting", "name_en": "Stunting summit"}))]
pub struct Action {
    pub number: i16,
    pub name_id: String,
    pub name_en: String,
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

/// The province's performance assessment of a district for a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"score": 87.5, "notes": "all 8 actions documented", "version": 1,
    "updated_at": "2022-03-01T00:00:00Z"}))]
pub struct Assessment {
    /// 0 to 100.
    pub score: f64,
    pub notes: Option<String>,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// One district's progress in the province's monitoring table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "district_code": "14.03", "district_name": "Kabupaten Bengkalis", "province_code": "14",
    "actions_done": 5, "actions_in_progress": 1, "latest_action_done": 5,
    "documents_per_action": [2, 1, 3, 1, 0, 0, 0, 0], "actions_with_documents": 4, "documents_up_to_action": 4,
    "lokus_villages": 15, "assessment_score": null, "rank": 1, "documents_rank": 1
}))]
pub struct DistrictProgress {
    pub district_code: RegionCode,
    pub district_name: String,
    pub province_code: RegionCode,
    /// Actions done, out of 8.
    pub actions_done: i64,
    pub actions_in_progress: i64,
    /// The highest action number done ("has done action 5").
    pub latest_action_done: Option<i16>,
    /// Documents on record for actions 1 to 8, in order.
    pub documents_per_action: Vec<i64>,
    /// Actions with at least one document, out of 8.
    pub actions_with_documents: i64,
    /// The highest action number with a document ("uploaded up to action 4").
    pub documents_up_to_action: Option<i16>,
    pub lokus_villages: i64,
    pub assessment_score: Option<f64>,
    /// Rank in the province by actions done, then by actions documented; ties share a rank.
    pub rank: i64,
    /// Rank in the province by actions documented, then by documents.
    pub documents_rank: i64,
}

/// The province's score for a district.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 87.5, "notes": "all 8 actions documented"}))]
pub struct AssessmentUpdate {
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub score: f64,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub notes: Option<String>,
}
