//! The worker that runs stored import jobs, one at a time, as the account that sent each.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::Kind;
use crate::auth::Caller;
use crate::db::DbPool;
use crate::db::schema::users;
use crate::domain::{ImportJobId, NikKey, RegionCode, Role, Scope, UserId};
use crate::error::ApiError;
use crate::records::import::jobs::{self, JobRow, Journal, Queue};
use crate::records::import::{Input, Summary};

/// Runs queued jobs, one at a time, for as long as the service runs.
pub async fn work(pool: DbPool, nik_key: NikKey, queue: Queue) {
    loop {
        let claimed = match pool.get().await {
            Ok(mut conn) => jobs::claim(&mut conn).await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match claimed {
            Ok(Some(job)) => process(&pool, &nik_key, job).await,
            Ok(None) => {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), queue.notified()).await;
            }
            Err(error) => {
                tracing::warn!(error, "cannot look for import jobs");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
        }
    }
}

async fn process(pool: &DbPool, nik_key: &NikKey, job: JobRow) {
    let id = ImportJobId(job.id);
    tracing::info!(job = %id, kind = job.kind, attempt = job.attempts, "import job started");
    let running = run_job(pool, nik_key, &job);
    let renewing = async {
        loop {
            tokio::time::sleep(jobs::LEASE / 3).await;
            if let Ok(mut conn) = pool.get().await {
                let _ = jobs::renew(&mut conn, id).await;
            }
        }
    };
    tokio::pin!(running, renewing);
    let ended = match futures_util::future::select(running, renewing).await {
        futures_util::future::Either::Left((ended, _)) => ended,
        futures_util::future::Either::Right(_) => unreachable!("renewing never ends"),
    };
    let settled = match ended {
        Ok(summary) => jobs::succeed(pool, id, &summary).await,
        Err(error) if error.is_fault() && job.attempts < jobs::MAX_ATTEMPTS => {
            tracing::warn!(job = %id, error = %error, "import job stopped; it will be taken up again");
            jobs::requeue(pool, id).await
        }
        Err(error) => jobs::fail(pool, id, &error.problem()).await,
    };
    if let Err(error) = settled {
        tracing::warn!(job = %id, error = %error, "cannot record how an import job ended; its lease will run out");
    }
}

async fn run_job(pool: &DbPool, nik_key: &NikKey, job: &JobRow) -> Result<Summary, ApiError> {
    let caller = sender(pool, UserId(job.user_id)).await?;
    let kind = Kind::parse(&job.kind)
        .ok_or_else(|| ApiError::bad_request(text!("no import kind %{kind}", kind = job.kind)))?;
    let options =
        job.options().ok_or_else(|| ApiError::bad_request(text!("no import format %{format}", format = job.format)))?;
    kind.require(&caller)?;
    let id = ImportJobId(job.id);
    let journal = (!options.at_once()).then_some(Journal { id, done: job.records_done as u32 });
    kind.run(pool, &caller, nik_key, options, &Input::Job(id), journal.as_ref()).await
}

/// The job's sender as they are now: a job does what its sender may still do.
async fn sender(pool: &DbPool, id: UserId) -> Result<Caller, ApiError> {
    #[derive(Queryable, Selectable)]
    #[diesel(table_name = users)]
    struct Account {
        role: String,
        scope: Option<String>,
        active: bool,
    }
    let account: Option<Account> =
        users::table.find(id).select(Account::as_select()).get_result(&mut *pool.get().await?).await.optional()?;
    let account = account
        .filter(|a| a.active)
        .ok_or_else(|| ApiError::forbidden(text!("the account that sent this import is no longer active")))?;
    let role: Role = account.role.parse().map_err(|_| ApiError::forbidden(text!("the account's role is unknown")))?;
    let scope = match (role, account.scope) {
        (Role::Admin, _) | (_, None) => Scope::National,
        (_, Some(code)) => Scope::Region(RegionCode::parse(&code).map_err(|e| ApiError::forbidden(e.into()))?),
    };
    Ok(Caller { id, role, scope })
}
