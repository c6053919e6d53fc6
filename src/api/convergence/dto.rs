use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::domain::{ActionStatus, DocumentId, DocumentKind, RegionCode};

pub use crate::records::convergence::{Action, Assessment, AssessmentUpdate, DistrictProgress, Document};

/// Where a district stands on one action in a year, with its documents.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "number": 5, "name_id": "Pembinaan Pelaku dan Pemerintahan Desa", "name_en": "Coaching of village actors and cadres",
    "status": "done", "done_on": "2021-06-20", "notes": null, "version": 2, "updated_at": "2021-06-21T03:00:00Z",
    "documents": []
}))]
pub struct ActionProgress {
    pub number: i16,
    pub name_id: String,
    pub name_en: String,
    pub status: ActionStatus,
    pub done_on: Option<NaiveDate>,
    pub notes: Option<String>,
    /// `0` until something is recorded: send `If-Match: "0"` to record the first status.
    pub version: i32,
    pub updated_at: Option<DateTime<Utc>>,
    pub documents: Vec<Document>,
}

/// A district's convergence year: the 8 actions in order, and the assessment if recorded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "district_code": "14.03", "district_name": "Kabupaten Bengkalis", "year": 2021, "actions_done": 5,
    "actions": [{"number": 1, "name_id": "Analisis Situasi", "name_en": "Situation analysis", "status": "done",
                 "done_on": "2021-02-15", "notes": null, "version": 1, "updated_at": "2021-02-16T01:00:00Z",
                 "documents": [{"id": "0192b7a4-0000-7000-8000-0000000000d1", "district_code": "14.03", "year": 2021,
                   "action": 1, "title": "Laporan analisis situasi 2021", "kind": "report", "document_date": "2021-02-10",
                   "url": "https://example.org/analisis-situasi-2021.pdf", "file_name": null, "content_type": null,
                   "size_bytes": null, "sha256": null, "created_at": "2021-02-16T01:00:00Z", "version": 1}]}],
    "assessment": {"score": 87.5, "notes": null, "version": 1, "updated_at": "2022-03-01T00:00:00Z"}
}))]
pub struct DistrictConvergence {
    pub district_code: RegionCode,
    pub district_name: String,
    pub year: i32,
    /// Actions done, out of 8.
    pub actions_done: i64,
    pub actions: Vec<ActionProgress>,
    pub assessment: Option<Assessment>,
}

/// Progress of every district in a region for a year.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"region_code": "14", "year": 2021, "districts": [{
    "district_code": "14.03", "district_name": "Kabupaten Bengkalis", "province_code": "14",
    "actions_done": 5, "actions_in_progress": 0, "latest_action_done": 5,
    "documents_per_action": [1, 1, 1, 1, 0, 0, 0, 0], "actions_with_documents": 4, "documents_up_to_action": 4,
    "lokus_villages": 15, "assessment_score": null, "rank": 1, "documents_rank": 1}]}))]
pub struct ConvergenceOverview {
    /// `null`: all of Indonesia.
    pub region_code: Option<RegionCode>,
    pub year: i32,
    /// By province, then rank.
    pub districts: Vec<DistrictProgress>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// A province or district (default: the caller's scope).
    #[param(example = "14")]
    pub region: Option<String>,
    #[param(example = 2021)]
    pub year: i32,
}

/// The status of one action; `done` needs the date it was done.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done", "done_on": "2021-06-20", "notes": "KPM trained in all 155 villages"}))]
pub struct ActionUpdate {
    pub status: ActionStatus,
    /// Required when `done`, absent otherwise; not in the future.
    pub done_on: Option<NaiveDate>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub notes: Option<String>,
}

/// A document given as a link (`application/json`). Files are sent as `multipart/form-data`
/// instead (see [`DocumentUpload`]).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "0192b7a4-0000-7000-8000-0000000000d2", "title": "Perbup 12/2021 tentang Peran Desa",
    "kind": "regulation", "document_date": "2021-05-03", "url": "https://jdih.bengkaliskab.go.id/perbup-12-2021.pdf"}))]
pub struct DocumentLink {
    /// Optional client-chosen id: a retried request with the same id answers with the
    /// document already recorded instead of adding another.
    pub id: Option<DocumentId>,
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    pub kind: DocumentKind,
    pub document_date: Option<NaiveDate>,
    #[validate(url, length(max = 2000))]
    #[schema(max_length = 2000)]
    pub url: String,
}

/// A file upload (`multipart/form-data`): the metadata fields and one `file` part.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// Optional client-chosen id, as for links.
    #[schema(value_type = Option<uuid::Uuid>)]
    pub id: Option<DocumentId>,
    pub title: String,
    pub kind: DocumentKind,
    /// `YYYY-MM-DD`.
    pub document_date: Option<NaiveDate>,
    /// PDF, JPEG, PNG, DOCX, XLSX or CSV, up to `MAX_UPLOAD_BYTES` (10 MiB by default). The
    /// part's content type must match the file's contents.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}
