//! The kept answers of POST requests sent with an `Idempotency-Key` (migration 000016).

use chrono::Duration;
use diesel::sql_types::{Bytea, Integer, Jsonb, Nullable, SmallInt, Text, Uuid as SqlUuid};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::DbPool;
use crate::db::prepared::KeepPrepared;
use crate::domain::UserId;

/// How long a kept answer is replayed: a day covers an app that retries after a night offline.
pub const KEPT_FOR: Duration = Duration::hours(24);
/// How long the first request holds its key before a retry may take it over (it died): longer
/// than any request may run (the statement timeout is 30 s).
pub const HELD_FOR: Duration = Duration::seconds(60);

/// What became of a claim on a key.
pub enum Claim {
    /// The key is this request's to run under, as `attempt`.
    Won { attempt: Uuid },
    /// The same key came before.
    Taken(Earlier),
}

/// The earlier request under the key, as it stands.
#[derive(QueryableByName)]
pub struct Earlier {
    #[diesel(sql_type = Bytea)]
    pub fingerprint: Vec<u8>,
    /// `None` while it is still running.
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub status: Option<i16>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub headers: Option<Value>,
    #[diesel(sql_type = Nullable<Bytea>)]
    pub body: Option<Vec<u8>>,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    attempt: Uuid,
}

/// Claims `key` for a request with `fingerprint`: a new key, an expired one, or one whose first
/// request stopped holding it are taken; otherwise the earlier request is returned.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    user: UserId,
    key: &str,
    fingerprint: &[u8],
) -> diesel::QueryResult<Claim> {
    let attempt = Uuid::now_v7();
    let won: Option<Claimed> = diesel::sql_query(
        "INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, attempt, locked_until, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), now() + make_interval(secs => $6)) \
         ON CONFLICT (user_id, key) DO UPDATE SET \
             fingerprint = EXCLUDED.fingerprint, attempt = EXCLUDED.attempt, locked_until = EXCLUDED.locked_until, \
             expires_at = EXCLUDED.expires_at, status = NULL, headers = NULL, body = NULL, created_at = now() \
         WHERE k.expires_at < now() OR (k.status IS NULL AND k.locked_until < now()) \
         RETURNING attempt",
    )
    .bind::<SqlUuid, _>(user.0)
    .bind::<Text, _>(key)
    .bind::<Bytea, _>(fingerprint)
    .bind::<SqlUuid, _>(attempt)
    .bind::<Integer, _>(HELD_FOR.num_seconds() as i32)
    .bind::<Integer, _>(KEPT_FOR.num_seconds() as i32)
    .prepared()
    .get_result(conn)
    .await
    .optional()?;
    if let Some(won) = won {
        return Ok(Claim::Won { attempt: won.attempt });
    }
    let earlier = diesel::sql_query(
        "SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
    )
    .bind::<SqlUuid, _>(user.0)
    .bind::<Text, _>(key)
    .prepared()
    .get_result(conn)
    .await?;
    Ok(Claim::Taken(earlier))
}

/// Keeps the answer of the attempt that holds the key.
pub async fn keep(
    conn: &mut AsyncPgConnection,
    user: UserId,
    key: &str,
    attempt: Uuid,
    status: u16,
    headers: &Value,
    body: &[u8],
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE idempotency_keys SET status = $4, headers = $5, body = $6 \
         WHERE user_id = $1 AND key = $2 AND attempt = $3",
    )
    .bind::<SqlUuid, _>(user.0)
    .bind::<Text, _>(key)
    .bind::<SqlUuid, _>(attempt)
    .bind::<SmallInt, _>(status as i16)
    .bind::<Jsonb, _>(headers)
    .bind::<Bytea, _>(body)
    .prepared()
    .execute(conn)
    .await
    .map(drop)
}

/// Lets the key go: the attempt wrote nothing (it failed), so a retry must run again.
pub async fn release(conn: &mut AsyncPgConnection, user: UserId, key: &str, attempt: Uuid) -> diesel::QueryResult<()> {
    diesel::sql_query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND attempt = $3")
        .bind::<SqlUuid, _>(user.0)
        .bind::<Text, _>(key)
        .bind::<SqlUuid, _>(attempt)
        .prepared()
        .execute(conn)
        .await
        .map(drop)
}

/// Deletes expired answers every `period`, a batch at a time, for as long as the service runs
/// (each replica does; the deletes do not conflict). The first pass is a period after start.
pub async fn purge_expired_every(pool: DbPool, period: std::time::Duration) {
    const BATCH: i32 = 10_000;
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        every.tick().await;
        let purged = async {
            let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            while purge_expired(&mut conn, BATCH).await? == BATCH as usize {}
            Ok::<_, anyhow::Error>(())
        };
        if let Err(error) = purged.await {
            tracing::warn!(error = %error, "expired idempotency keys could not be purged");
        }
    }
}

/// Deletes expired answers, at most `batch` of them, and says how many went.
pub async fn purge_expired(conn: &mut AsyncPgConnection, batch: i32) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN ( \
           SELECT user_id, key FROM idempotency_keys WHERE expires_at < now() LIMIT $1)",
    )
    .bind::<Integer, _>(batch)
    .prepared()
    .execute(conn)
    .await
}
