use crate::auth::refresh_token;
use crate::db::schema::{login_failures, refresh_tokens, users};
use crate::domain::{RegionCode, Role, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::time::Duration;
use uuid::Uuid;

/// What a login needs to know about an account.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    pub role: Role,
    pub scope: Option<RegionCode>,
    pub active: bool,
}

pub async fn credentials(conn: &mut AsyncPgConnection, username: &str) -> QueryResult<Option<Credentials>> {
    users::table.filter(users::username.eq(username)).select(Credentials::as_select()).first(conn).await.optional()
}

pub async fn credentials_by_id(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<Option<Credentials>> {
    users::table.find(id).select(Credentials::as_select()).first(conn).await.optional()
}

/// The times of the latest `max` failed logins for `username` from `source` within `window`,
/// newest first.
pub async fn recent_failures(
    conn: &mut AsyncPgConnection,
    username: &str,
    source: &str,
    window: Duration,
    max: i64,
) -> QueryResult<Vec<DateTime<Utc>>> {
    let since = Utc::now() - window;
    login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::source.eq(source))
        .filter(login_failures::failed_at.gt(since))
        .select(login_failures::failed_at)
        .order(login_failures::failed_at.desc())
        .limit(max)
        .load(conn)
        .await
}

/// Failed logins for `username` from any source within `window`.
pub async fn failures_from_anywhere(
    conn: &mut AsyncPgConnection,
    username: &str,
    window: Duration,
) -> QueryResult<i64> {
    let since = Utc::now() - window;
    login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::failed_at.gt(since))
        .count()
        .get_result(conn)
        .await
}

/// Serialises login attempts for one username until the transaction ends.
pub async fn lock_username(conn: &mut AsyncPgConnection, username: &str) -> QueryResult<()> {
    // SQL: pg_advisory_xact_lock returns void, which diesel cannot load.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind::<diesel::sql_types::Text, _>(format!("login:{username}"))
        .execute(conn)
        .await
        .map(drop)
}

/// Records a failure from `source` and forgets this username's failures older than `window`.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    username: &str,
    source: &str,
    window: Duration,
) -> QueryResult<()> {
    let since = Utc::now() - window;
    diesel::delete(
        login_failures::table.filter(login_failures::username.eq(username)).filter(login_failures::failed_at.le(since)),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(login_failures::table)
        .values((login_failures::username.eq(username), login_failures::source.eq(source)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the failures from `source` after it signed in; other sources stay counted.
pub async fn clear_failures(conn: &mut AsyncPgConnection, username: &str, source: &str) -> QueryResult<()> {
    diesel::delete(
        login_failures::table.filter(login_failures::username.eq(username)).filter(login_failures::source.eq(source)),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Stores a new refresh token of `family` and returns it in clear (the only time it exists so).
pub async fn issue_refresh_token(
    conn: &mut AsyncPgConnection,
    user: UserId,
    family: Uuid,
    ttl: Duration,
) -> QueryResult<String> {
    let token = refresh_token::generate();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7()),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::user_id.eq(user),
            refresh_tokens::token_hash.eq(refresh_token::digest(&token)),
            refresh_tokens::expires_at.eq(Utc::now() + ttl),
        ))
        .execute(conn)
        .await?;
    Ok(token)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct StoredRefreshToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Finds a presented token and locks its row, so two refreshes with it are serialised.
pub async fn find_refresh_token_for_update(
    conn: &mut AsyncPgConnection,
    token: &str,
) -> QueryResult<Option<StoredRefreshToken>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(refresh_token::digest(token)))
        .select(StoredRefreshToken::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn mark_rotated(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(refresh_tokens::table.find(id))
        .set(refresh_tokens::rotated_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

/// Whether any token of login `family` was revoked: then the login has ended.
pub async fn family_ended(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .filter(refresh_tokens::revoked_at.is_not_null()),
    ))
    .get_result(conn)
    .await
}

pub async fn revoke_family(conn: &mut AsyncPgConnection, family: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await
}
