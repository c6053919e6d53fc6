//! Imports too large to answer while the caller waits: the file is stored in PostgreSQL as it
//! arrives, and a worker in the service writes it. A job survives a restart: a worker renews
//! its lease while it runs, and a job whose lease ran out is taken up again, from the records
//! its journal says were committed (`mode=each`) or from the start (one transaction).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};
use utoipa::ToSchema;

use super::{Format, Input, Mode, Options, Rejection, Summary};
use crate::auth::Caller;
use crate::db::DbPool;
use crate::db::prepared::KeepPrepared;
use crate::domain::{ImportJobId, NikKey, RegionCode, Role, Scope, UserId};
use crate::error::{ApiError, Problem};
use crate::records::import::kinds::Kind;

/// How long a worker holds a job without renewing its lease; a job whose worker died is taken
/// up again after this.
const LEASE: Duration = Duration::from_secs(60);
/// A job that failed this often for a passing reason (the database was away) fails for good.
const MAX_ATTEMPTS: i32 = 3;
/// The size of a stored part.
pub const PART_BYTES: usize = 1 << 20;

/// Wakes the workers when a job is queued (they also look every few seconds, for jobs queued
/// by another replica or left by a stopped one).
#[derive(Clone, Default)]
pub struct Queue(Arc<Notify>);

impl Queue {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Starts storing a job's file.
pub async fn begin(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    kind: Kind,
    options: Options,
) -> QueryResult<ImportJobId> {
    let id = ImportJobId::new();
    diesel::sql_query(
        "INSERT INTO import_jobs (id, user_id, kind, format, mode, dry_run, status) \
         VALUES ($1, $2, $3, $4, $5, $6, 'receiving')",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<SqlUuid, _>(caller.id.0)
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(options.format.as_str())
    .bind::<Text, _>(options.mode.as_str())
    .bind::<Bool, _>(options.dry_run)
    .execute(conn)
    .await?;
    Ok(id)
}

/// Stores the job's next part.
pub async fn append(conn: &mut AsyncPgConnection, id: ImportJobId, part: i32, bytes: &[u8]) -> QueryResult<()> {
    diesel::sql_query("INSERT INTO import_job_parts (job_id, part, bytes) VALUES ($1, $2, $3)")
        .bind::<SqlUuid, _>(id.0)
        .bind::<Integer, _>(part)
        .bind::<diesel::sql_types::Bytea, _>(bytes)
        .execute(conn)
        .await
        .map(drop)
}

/// The whole file is stored and reads as `records` records: a worker may take it.
pub async fn queue(conn: &mut AsyncPgConnection, id: ImportJobId, records: u32) -> QueryResult<()> {
    diesel::sql_query("UPDATE import_jobs SET status = 'queued', records_total = $2 WHERE id = $1")
        .bind::<SqlUuid, _>(id.0)
        .bind::<Integer, _>(records as i32)
        .execute(conn)
        .await
        .map(drop)
}

/// A file that was refused (or never arrived whole) leaves nothing behind.
pub async fn discard(conn: &mut AsyncPgConnection, id: ImportJobId) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM import_jobs WHERE id = $1 AND status = 'receiving'")
        .bind::<SqlUuid, _>(id.0)
        .execute(conn)
        .await
        .map(drop)
}

/// Sends the job's parts, in order, one read at a time.
pub(super) async fn feed(pool: &DbPool, id: ImportJobId, to: &mpsc::Sender<Bytes>) -> Result<(), ApiError> {
    #[derive(QueryableByName)]
    struct Part {
        #[diesel(sql_type = diesel::sql_types::Bytea)]
        bytes: Vec<u8>,
    }
    for part in 0.. {
        let found: Option<Part> =
            diesel::sql_query("SELECT bytes FROM import_job_parts WHERE job_id = $1 AND part = $2")
                .bind::<SqlUuid, _>(id.0)
                .bind::<Integer, _>(part)
                .get_result(&mut *pool.get().await?)
                .await
                .optional()?;
        let Some(found) = found else { return Ok(()) };
        if to.send(Bytes::from(found.bytes)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// A running job's record of what it committed: moved in the transaction of each chunk.
pub struct Journal {
    pub id: ImportJobId,
    /// Records before this index are written (or rejected) and counted.
    pub done: u32,
}

impl Journal {
    pub(super) async fn advance(&self, conn: &mut AsyncPgConnection, chunk: &Summary, end: u32) -> QueryResult<()> {
        diesel::sql_query(
            "UPDATE import_jobs SET records_done = $2, created = created + $3, updated = updated + $4, \
             unchanged = unchanged + $5, rejected = rejected + $6, lease_until = now() + make_interval(secs => $7) \
             WHERE id = $1",
        )
        .bind::<SqlUuid, _>(self.id.0)
        .bind::<Integer, _>(end as i32)
        .bind::<Integer, _>(chunk.created as i32)
        .bind::<Integer, _>(chunk.updated as i32)
        .bind::<Integer, _>(chunk.unchanged as i32)
        .bind::<Integer, _>(chunk.rejected as i32)
        .bind::<Integer, _>(LEASE.as_secs() as i32)
        .prepared()
        .execute(&mut *conn)
        .await?;
        keep_rejections(conn, self.id, &chunk.rejections).await
    }
}

async fn keep_rejections(conn: &mut AsyncPgConnection, id: ImportJobId, rejections: &[Rejection]) -> QueryResult<()> {
    if rejections.is_empty() {
        return Ok(());
    }
    let problems: Vec<serde_json::Value> =
        rejections.iter().map(|r| serde_json::to_value(&r.problem).unwrap_or_default()).collect();
    diesel::sql_query(
        "INSERT INTO import_job_rejections (job_id, index, line, record_id, problem) \
         SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[], $5::jsonb[]) \
         ON CONFLICT (job_id, index) DO NOTHING",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<Array<Integer>, _>(rejections.iter().map(|r| r.index as i32).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(rejections.iter().map(|r| r.line.map(|l| l as i64)).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(rejections.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
    .bind::<Array<Jsonb>, _>(problems)
    .execute(conn)
    .await
    .map(drop)
}

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

#[derive(QueryableByName)]
struct JobRow {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = SqlUuid)]
    user_id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    format: String,
    #[diesel(sql_type = Text)]
    mode: String,
    #[diesel(sql_type = Bool)]
    dry_run: bool,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Integer)]
    records_total: i32,
    #[diesel(sql_type = Integer)]
    records_done: i32,
    #[diesel(sql_type = Integer)]
    created: i32,
    #[diesel(sql_type = Integer)]
    updated: i32,
    #[diesel(sql_type = Integer)]
    unchanged: i32,
    #[diesel(sql_type = Integer)]
    rejected: i32,
    #[diesel(sql_type = Nullable<Jsonb>)]
    problem: Option<serde_json::Value>,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    started_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    finished_at: Option<DateTime<Utc>>,
}

const JOB_COLUMNS: &str = "id, user_id, kind, format, mode, dry_run, status, records_total, records_done, created, \
     updated, unchanged, rejected, problem, attempts, created_at, started_at, finished_at";

impl JobRow {
    fn mode(&self) -> Mode {
        self.mode.parse().unwrap_or(Mode::Each)
    }

    fn options(&self) -> Option<Options> {
        Some(Options { format: Format::parse(&self.format)?, mode: self.mode(), dry_run: self.dry_run })
    }
}

/// The job, to the account that sent it (or an admin); 404 for anyone else.
pub async fn find(conn: &mut AsyncPgConnection, caller: &Caller, id: ImportJobId) -> Result<JobView, ApiError> {
    let row: Option<JobRow> =
        diesel::sql_query(format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE id = $1 AND status <> 'receiving'"))
            .bind::<SqlUuid, _>(id.0)
            .get_result(&mut *conn)
            .await
            .optional()?;
    let row = row.ok_or_else(|| ApiError::not_found(format!("no import job has id {id}")))?;
    if row.user_id != caller.id.0 && caller.role != Role::Admin {
        return Err(ApiError::forbidden("an import job is seen only by the account that sent it"));
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
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        index: i32,
        #[diesel(sql_type = Nullable<BigInt>)]
        line: Option<i64>,
        #[diesel(sql_type = Nullable<Text>)]
        record_id: Option<String>,
        #[diesel(sql_type = Jsonb)]
        problem: serde_json::Value,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT index, line, record_id, problem FROM import_job_rejections WHERE job_id = $1 ORDER BY index",
    )
    .bind::<SqlUuid, _>(id.0)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Rejection {
                index: r.index as u32,
                line: r.line.map(|l| l as u64),
                id: r.record_id,
                problem: serde_json::from_value(r.problem).ok()?,
            })
        })
        .collect())
}

/// Runs queued jobs, one at a time, for as long as the service runs.
pub async fn work(pool: DbPool, nik_key: NikKey, queue: Queue) {
    loop {
        let claimed = match pool.get().await {
            Ok(mut conn) => claim(&mut conn).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match claimed {
            Ok(Some(job)) => process(&pool, &nik_key, job).await,
            Ok(None) => {
                let _ = tokio::time::timeout(Duration::from_secs(5), queue.0.notified()).await;
            }
            Err(error) => {
                tracing::warn!(error, "cannot look for import jobs");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// Takes the oldest job that is queued or whose worker stopped renewing its lease.
async fn claim(conn: &mut AsyncPgConnection) -> QueryResult<Option<JobRow>> {
    diesel::sql_query(format!(
        "UPDATE import_jobs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), \
             lease_until = now() + make_interval(secs => $1) \
         WHERE id = (SELECT id FROM import_jobs \
                     WHERE status = 'queued' OR (status = 'running' AND lease_until < now()) \
                     ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT 1) \
         RETURNING {JOB_COLUMNS}"
    ))
    .bind::<Integer, _>(LEASE.as_secs() as i32)
    .get_result(conn)
    .await
    .optional()
}

async fn process(pool: &DbPool, nik_key: &NikKey, job: JobRow) {
    let id = ImportJobId(job.id);
    tracing::info!(job = %id, kind = job.kind, attempt = job.attempts, "import job started");
    let running = run_job(pool, nik_key, &job);
    let renewing = async {
        loop {
            tokio::time::sleep(LEASE / 3).await;
            if let Ok(mut conn) = pool.get().await {
                let _ = diesel::sql_query(
                    "UPDATE import_jobs SET lease_until = now() + make_interval(secs => $2) WHERE id = $1",
                )
                .bind::<SqlUuid, _>(id.0)
                .bind::<Integer, _>(LEASE.as_secs() as i32)
                .execute(&mut conn)
                .await;
            }
        }
    };
    tokio::pin!(running, renewing);
    let ended = match futures_util::future::select(running, renewing).await {
        futures_util::future::Either::Left((ended, _)) => ended,
        futures_util::future::Either::Right(_) => unreachable!("renewing never ends"),
    };
    let settled = match ended {
        Ok(summary) => succeed(pool, id, &summary).await,
        Err(error @ (ApiError::ServiceUnavailable(_) | ApiError::Internal(_))) if job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(job = %id, error = %error, "import job stopped; it will be taken up again");
            requeue(pool, id).await
        }
        Err(error) => fail(pool, id, &error.problem()).await,
    };
    if let Err(error) = settled {
        tracing::warn!(job = %id, error = %error, "cannot record how an import job ended; its lease will run out");
    }
}

async fn run_job(pool: &DbPool, nik_key: &NikKey, job: &JobRow) -> Result<Summary, ApiError> {
    let caller = sender(pool, UserId(job.user_id)).await?;
    let kind = Kind::parse(&job.kind).ok_or_else(|| ApiError::bad_request(format!("no import kind {}", job.kind)))?;
    let options = job.options().ok_or_else(|| ApiError::bad_request(format!("no import format {}", job.format)))?;
    kind.require(&caller)?;
    let id = ImportJobId(job.id);
    let journal = (!options.at_once()).then_some(super::jobs::Journal { id, done: job.records_done as u32 });
    kind.run(pool, &caller, nik_key, options, &Input::Job(id), journal.as_ref()).await
}

/// The job's sender as they are now: a job does what its sender may still do.
async fn sender(pool: &DbPool, id: UserId) -> Result<Caller, ApiError> {
    #[derive(QueryableByName)]
    struct Account {
        #[diesel(sql_type = Text)]
        role: String,
        #[diesel(sql_type = Nullable<Text>)]
        scope: Option<String>,
        #[diesel(sql_type = Bool)]
        active: bool,
    }
    let account: Option<Account> = diesel::sql_query("SELECT role, scope, active FROM users WHERE id = $1")
        .bind::<SqlUuid, _>(id.0)
        .get_result(&mut *pool.get().await?)
        .await
        .optional()?;
    let account = account
        .filter(|a| a.active)
        .ok_or_else(|| ApiError::forbidden("the account that sent this import is no longer active"))?;
    let role: Role = account.role.parse().map_err(|_| ApiError::forbidden("the account's role is unknown"))?;
    let scope = match (role, account.scope) {
        (Role::Admin, _) | (_, None) => Scope::National,
        (_, Some(code)) => Scope::Region(RegionCode::parse(&code).map_err(|e| ApiError::forbidden(e.to_string()))?),
    };
    Ok(Caller { id, role, scope })
}

async fn succeed(pool: &DbPool, id: ImportJobId, summary: &Summary) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    // A journaled job counted as it went; a one-transaction job counts now.
    diesel::sql_query(
        "UPDATE import_jobs SET status = 'succeeded', finished_at = now(), lease_until = NULL, \
             records_done = records_total, \
             created = CASE WHEN mode = 'each' AND NOT dry_run THEN created ELSE $2 END, \
             updated = CASE WHEN mode = 'each' AND NOT dry_run THEN updated ELSE $3 END, \
             unchanged = CASE WHEN mode = 'each' AND NOT dry_run THEN unchanged ELSE $4 END, \
             rejected = CASE WHEN mode = 'each' AND NOT dry_run THEN rejected ELSE $5 END \
         WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<Integer, _>(summary.created as i32)
    .bind::<Integer, _>(summary.updated as i32)
    .bind::<Integer, _>(summary.unchanged as i32)
    .bind::<Integer, _>(summary.rejected as i32)
    .execute(&mut conn)
    .await?;
    keep_rejections(&mut conn, id, &summary.rejections).await?;
    drop_parts(&mut conn, id).await
}

async fn fail(pool: &DbPool, id: ImportJobId, problem: &Problem) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    diesel::sql_query(
        "UPDATE import_jobs SET status = 'failed', finished_at = now(), lease_until = NULL, problem = $2 WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id.0)
    .bind::<Jsonb, _>(serde_json::to_value(problem).unwrap_or_default())
    .execute(&mut conn)
    .await?;
    drop_parts(&mut conn, id).await
}

async fn requeue(pool: &DbPool, id: ImportJobId) -> Result<(), ApiError> {
    diesel::sql_query("UPDATE import_jobs SET status = 'queued', lease_until = NULL WHERE id = $1")
        .bind::<SqlUuid, _>(id.0)
        .execute(&mut *pool.get().await?)
        .await?;
    Ok(())
}

/// The file may hold personal data: it is kept no longer than the job needs it.
async fn drop_parts(conn: &mut AsyncPgConnection, id: ImportJobId) -> Result<(), ApiError> {
    diesel::sql_query("DELETE FROM import_job_parts WHERE job_id = $1").bind::<SqlUuid, _>(id.0).execute(conn).await?;
    Ok(())
}
