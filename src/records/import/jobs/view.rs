//! A job as its sender sees it, read from its row and its kept rejections.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::schema::{import_job_rejections, import_jobs};
use crate::domain::{ImportJobId, Role};
use crate::error::{ApiError, Problem};
use crate::records::import::{Format, Mode, Options, Rejection, Summary};

/// A job as its sender sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11", "kind": "measurements", "format": "csv",
    "mode": "each", "dry_run": false, "status": "running", "records_total": 100000, "records_done": 42000,
    "summary": null, "problem": null, "created_at": "2026-11-29T02:30:00Z", "started_at": "2026-11-29T02:30:01Z",
    "finished_at": null}))]
pub struct JobView {
    pub id: ImportJobId,
    pub kind: String,
    pub format: String,
    pub mode: Mode,
    pub dry_run: bool,
    pub status: JobStatus,
    /// Records in the file.
    pub records_total: u32,
    /// Records written (or rejected) so far. A `mode=all` or dry-run job moves it at the end.
    pub records_done: u32,
    /// When the job succeeded: what it did, as a small import answers at once.
    pub summary: Option<Summary>,
    /// When the job failed as a whole: why, as a request would have been answered.
    pub problem: Option<Problem>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

crate::domain::text_enum! {
    /// Where a job stands.
    pub enum JobStatus {
        Queued = "queued",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

#[derive(QueryableByName, Queryable, Selectable)]
#[diesel(table_name = import_jobs)]
pub struct JobRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: uuid::Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub user_id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub format: String,
    #[diesel(sql_type = Text)]
    pub mode: String,
    #[diesel(sql_type = Bool)]
    pub dry_run: bool,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub records_total: i32,
    #[diesel(sql_type = Integer)]
    pub records_done: i32,
    #[diesel(sql_type = Integer)]
    pub created: i32,
    #[diesel(sql_type = Integer)]
    pub updated: i32,
    #[diesel(sql_type = Integer)]
    pub unchanged: i32,
    #[diesel(sql_type = Integer)]
    pub rejected: i32,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub problem: Option<serde_json::Value>,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub started_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
}

pub(super) const JOB_COLUMNS: &str = "id, user_id, kind, format, mode, dry_run, status, records_total, records_done, created, \
     updated, unchanged, rejected, problem, attempts, created_at, started_at, finished_at";

impl JobRow {
    pub fn mode(&self) -> Mode {
        self.mode.parse().unwrap_or(Mode::Each)
    }

    pub fn options(&self) -> Option<Options> {
        Some(Options { format: Format::parse(&self.format)?, mode: self.mode(), dry_run: self.dry_run })
    }
}

/// The job, to the account that sent it (or an admin); 404 for anyone else.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: ImportJobId) -> Result<JobView, ApiError> {
    let row: Option<JobRow> = import_jobs::table
        .find(id)
        .filter(import_jobs::status.ne("receiving"))
        .select(JobRow::as_select())
        .first(&mut *conn)
        .await
        .optional()?;
    let row = row.ok_or_else(|| ApiError::not_found(text!("no import job has id %{id}", id = id)))?;
    if row.user_id != caller.id.0 && caller.role != Role::Admin {
        return Err(ApiError::forbidden(text!("an import job is seen only by the account that sent it")));
    }
    let status = row.status.parse().unwrap_or(JobStatus::Failed);
    let summary = match status {
        JobStatus::Succeeded => Some(Summary {
            received: row.records_total as u32,
            created: row.created as u32,
            updated: row.updated as u32,
            unchanged: row.unchanged as u32,
            rejected: row.rejected as u32,
            committed: !row.dry_run && (row.mode() == Mode::Each || row.rejected == 0),
            rejections: rejections(conn, id).await?,
        }),
        _ => None,
    };
    Ok(JobView {
        id,
        mode: row.mode(),
        status,
        records_total: row.records_total as u32,
        records_done: row.records_done as u32,
        summary,
        problem: row.problem.and_then(|p| serde_json::from_value(p).ok()),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        dry_run: row.dry_run,
        kind: row.kind,
        format: row.format,
    })
}

async fn rejections(conn: &mut AsyncPgConnection, id: ImportJobId) -> QueryResult<Vec<Rejection>> {
    let rows: Vec<(i32, Option<i64>, Option<String>, serde_json::Value)> = import_job_rejections::table
        .filter(import_job_rejections::job_id.eq(id))
        .select((
            import_job_rejections::index,
            import_job_rejections::line,
            import_job_rejections::record_id,
            import_job_rejections::problem,
        ))
        .order(import_job_rejections::index)
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(index, line, id, problem)| {
            Some(Rejection {
                index: index as u32,
                line: line.map(|l| l as u64),
                id,
                problem: serde_json::from_value(problem).ok()?,
            })
        })
        .collect())
}
