//! The kept answers of POST requests sent with an `Idempotency-Key` (migration 000016).

use chrono::Duration;
use diesel::dsl::{IntervalDsl, now};
use diesel::prelude::*;

use diesel::sql_types::Integer;
use diesel::sql_types::Timestamptz;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

use crate::db::DbPool;
use crate::db::prepared::KeepPrepared;
use crate::db::schema::idempotency_keys;
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
#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct Earlier {
    pub fingerprint: Vec<u8>,
    /// `None` while it is still running.
    pub status: Option<i16>,
    pub headers: Option<Value>,
    pub body: Option<Vec<u8>>,
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
    // Both deadlines by the database's clock, which every instance compares with.
    let clock = || now.into_sql::<Timestamptz>();
    let upsert = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user),
            idempotency_keys::key.eq(key),
            idempotency_keys::fingerprint.eq(fingerprint),
            idempotency_keys::attempt.eq(attempt),
            idempotency_keys::locked_until.eq(clock() + HELD_FOR.num_seconds().seconds()),
            idempotency_keys::expires_at.eq(clock() + KEPT_FOR.num_seconds().seconds()),
        ))
        .on_conflict((idempotency_keys::user_id, idempotency_keys::key))
        .do_update()
        .set((
            idempotency_keys::fingerprint.eq(excluded(idempotency_keys::fingerprint)),
            idempotency_keys::attempt.eq(excluded(idempotency_keys::attempt)),
            idempotency_keys::locked_until.eq(excluded(idempotency_keys::locked_until)),
            idempotency_keys::expires_at.eq(excluded(idempotency_keys::expires_at)),
            idempotency_keys::status.eq(None::<i16>),
            idempotency_keys::headers.eq(None::<Value>),
            idempotency_keys::body.eq(None::<Vec<u8>>),
            idempotency_keys::created_at.eq(clock()),
        ));
    // A key still held, or whose answer is still kept, stands: the earlier request wins.
    let taken_over = idempotency_keys::expires_at
        .lt(clock())
        .or(idempotency_keys::status.is_null().and(idempotency_keys::locked_until.lt(clock())));
    let won: Option<Uuid> = diesel::query_dsl::methods::FilterDsl::filter(upsert, taken_over)
        .returning(idempotency_keys::attempt)
        .get_result(conn)
        .await
        .optional()?;
    if let Some(attempt) = won {
        return Ok(Claim::Won { attempt });
    }
    let earlier = idempotency_keys::table.find((user, key)).select(Earlier::as_select()).get_result(conn).await?;
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
    diesel::update(idempotency_keys::table.find((user, key)).filter(idempotency_keys::attempt.eq(attempt)))
        .set((
            idempotency_keys::status.eq(status as i16),
            idempotency_keys::headers.eq(headers),
            idempotency_keys::body.eq(body),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Lets the key go: the attempt wrote nothing (it failed), so a retry must run again.
pub async fn release(conn: &mut AsyncPgConnection, user: UserId, key: &str, attempt: Uuid) -> diesel::QueryResult<()> {
    diesel::delete(idempotency_keys::table.find((user, key)).filter(idempotency_keys::attempt.eq(attempt)))
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
    // SQL: a batched delete needs LIMIT inside a row-value IN, which the DSL cannot write.
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE (user_id, key) IN ( \
           SELECT user_id, key FROM idempotency_keys WHERE expires_at < now() LIMIT $1)",
    )
    .bind::<Integer, _>(batch)
    .prepared()
    .execute(conn)
    .await
}
