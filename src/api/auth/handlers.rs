use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::dto::{RefreshRequest, TokenRequest, TokenResponse};
use crate::api::users::UserView;
use crate::auth::accounts::Accounts;
use crate::auth::{Caller, JwtKeys, password};
use crate::db::audit;
use crate::db::{AsyncPgConnection, DbPool};
use crate::domain::{Role, Scope, UserId};
use crate::error::ApiError;
use crate::http::client;
use crate::http::extract::Json;
use crate::records::user::sessions::{self, Credentials};

const TAG: &str = "auth";
/// Five failed logins for one username from one address within fifteen minutes lock that
/// address out of the account until the oldest of them is fifteen minutes old.
const LOCKOUT_WINDOW: Duration = Duration::from_secs(15 * 60);
const LOCKOUT_FAILURES: i64 = 5;
/// Longer secrets are refused before hashing, so nobody can make the server hash megabytes.
const MAX_SECRET_LEN: usize = 1024;

/// `POST /api/v1/auth/token`: signs in. Unknown user, wrong password, inactive account and
/// wrong grant type all get the same 401 after the same work.
#[utoipa::path(
    tag = TAG,
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be kept by caches"))),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "Invalid credentials"),
        (status = 415, description = "The body is not sent as JSON"),
        (status = 422, description = "A missing or invalid field"),
        (status = 429, description = "Too many failed logins; see Retry-After",
            headers(("Retry-After" = u64, description = "Seconds until the account can try again"))),
    )
)]
#[post("/auth/token")]
pub async fn token(
    req: HttpRequest,
    Json(body): Json<TokenRequest>,
    pool: web::Data<DbPool>,
    keys: web::Data<JwtKeys>,
) -> Result<HttpResponse, ApiError> {
    let (username, secret, integration, secret_field) = match body {
        TokenRequest::Password { username, password } => (username, password, false, "password"),
        TokenRequest::ClientCredentials { client_id, client_secret } => {
            (client_id, client_secret, true, "client_secret")
        }
    };
    if secret.len() > MAX_SECRET_LEN {
        return Err(ApiError::invalid(
            secret_field,
            text!("must be at most %{max_secret_len} bytes", max_secret_len = MAX_SECRET_LEN),
        ));
    }
    let username = username.trim().to_lowercase();

    let source = client::source_address(&req);
    let (credentials, failures_anywhere) = {
        let mut conn = pool.get().await?;
        let (name, from) = (username.clone(), source.clone());
        let failures_anywhere = conn
            .transaction::<_, ApiError, _>(async |conn| {
                // One attempt per username at a time past this point, and every attempt counts
                // as a failure until it succeeds: parallel guesses cannot slip past the limit.
                sessions::lock_username(conn, &name).await?;
                let failures = sessions::recent_failures(conn, &name, &from, LOCKOUT_WINDOW, LOCKOUT_FAILURES).await?;
                if failures.len() as i64 >= LOCKOUT_FAILURES {
                    let oldest = failures.last().copied().unwrap_or_else(Utc::now);
                    let retry_after = (oldest + LOCKOUT_WINDOW - Utc::now()).num_seconds().max(1);
                    return Err(ApiError::TooManyRequests {
                        detail: text!(
                            "too many failed logins for this account from this address; wait before trying again"
                        ),
                        retry_after_secs: retry_after.unsigned_abs(),
                    });
                }
                let anywhere = sessions::failures_from_anywhere(conn, &name, LOCKOUT_WINDOW).await?;
                sessions::record_failure(conn, &name, &from, LOCKOUT_WINDOW).await?;
                Ok(anywhere)
            })
            .await?;
        (sessions::credentials(&mut conn, &username).await?, failures_anywhere)
    };
    // Guesses spread over many addresses are slowed rather than refused, so they cannot shut
    // the owner out either.
    tokio::time::sleep(slowdown(failures_anywhere)).await;
    // The connection goes back to the pool while argon2 runs on a blocking thread.
    let matches = password::verify(secret, credentials.as_ref().map(|c| c.password_hash.clone())).await?;
    let account = credentials.as_ref().map(|c| c.id);
    let accepted = credentials.filter(|c| matches && c.active && (c.role == Role::Integration) == integration);
    let mut conn = pool.get().await?;
    let Some(credentials) = accepted else {
        record_failed_login(&mut conn, &username, account, &source).await?;
        return Err(ApiError::unauthorized(text!("invalid credentials")));
    };
    sessions::clear_failures(&mut conn, &username, &source).await?;
    audit::record(&mut conn, Some(credentials.id), "user.login", credentials.id, json!({ "source": source })).await?;
    let tokens = issue_tokens(&mut conn, &keys, &credentials, Uuid::now_v7()).await?;
    Ok(uncached(&tokens))
}

/// The pause before judging a password, by the failures for the account from every address in
/// the window: none for the first five, then doubling from a quarter second up to two seconds.
fn slowdown(failures_anywhere: i64) -> Duration {
    let beyond = failures_anywhere - LOCKOUT_FAILURES;
    if beyond < 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(250 << beyond.min(3))
}

/// Audits a failed login, and the lock-out when it was the last one allowed from `source`.
async fn record_failed_login(
    conn: &mut AsyncPgConnection,
    username: &str,
    account: Option<UserId>,
    source: &str,
) -> Result<(), ApiError> {
    // Only a known account is named: what a stranger types as a username may be anything.
    let id = account.map_or_else(|| "unknown".to_owned(), |id| id.to_string());
    audit::record(conn, account, "user.login_failed", &id, json!({ "source": source })).await?;
    let failures = sessions::recent_failures(conn, username, source, LOCKOUT_WINDOW, LOCKOUT_FAILURES).await?;
    if failures.len() as i64 >= LOCKOUT_FAILURES {
        let until = failures.last().copied().unwrap_or_else(Utc::now) + LOCKOUT_WINDOW;
        audit::record(conn, account, "user.locked", &id, json!({ "source": source, "until": until })).await?;
    }
    Ok(())
}

/// Tokens are secrets: no cache on the way may keep them (RFC 6749, 5.1).
fn uncached(tokens: &TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(tokens)
}

enum Refresh {
    Issued(TokenResponse),
    /// The account whose login ended.
    Reused(UserId),
    Invalid,
}

/// `POST /api/v1/auth/refresh`: trades a refresh token for a new pair. Each refresh token works
/// once; presenting one that was already traded revokes every token of that login.
#[utoipa::path(
    tag = TAG,
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair of tokens", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be kept by caches"))),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token"),
        (status = 422, description = "A missing field"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    Json(body): Json<RefreshRequest>,
    pool: web::Data<DbPool>,
    keys: web::Data<JwtKeys>,
    accounts: web::Data<Arc<Accounts>>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    let keys = keys.into_inner();
    let outcome = conn
        .transaction::<_, ApiError, _>(async move |conn| {
            let Some(stored) = sessions::find_refresh_token_for_update(conn, &body.refresh_token).await? else {
                return Ok(Refresh::Invalid);
            };
            // A refresh that raced the login's end may have left a token of it unrevoked.
            if stored.revoked_at.is_some()
                || stored.expires_at <= Utc::now()
                || sessions::family_ended(conn, stored.family_id).await?
            {
                return Ok(Refresh::Invalid);
            }
            if stored.rotated_at.is_some() {
                // Someone holds an old token of this chain: the thief or the owner, we
                // cannot tell, so the whole chain ends.
                let revoked = sessions::revoke_family(conn, stored.family_id).await?;
                audit::record(
                    conn,
                    Some(stored.user_id),
                    "user.refresh_reused",
                    stored.user_id,
                    json!({ "family": stored.family_id, "tokens_revoked": revoked }),
                )
                .await?;
                return Ok(Refresh::Reused(stored.user_id));
            }
            let credentials = sessions::credentials_by_id(conn, stored.user_id).await?.filter(|c| c.active);
            let Some(credentials) = credentials else {
                sessions::revoke_family(conn, stored.family_id).await?;
                return Ok(Refresh::Invalid);
            };
            sessions::mark_rotated(conn, stored.id).await?;
            Ok(Refresh::Issued(issue_tokens(conn, &keys, &credentials, stored.family_id).await?))
        })
        .await?;
    match outcome {
        Refresh::Issued(tokens) => Ok(uncached(&tokens)),
        Refresh::Reused(account) => {
            accounts.changed(account);
            Err(ApiError::unauthorized(text!(
                "this refresh token was already used; every session of that login has been ended"
            )))
        }
        Refresh::Invalid => Err(ApiError::unauthorized(text!("the refresh token is invalid, expired or revoked"))),
    }
}

/// `POST /api/v1/auth/logout`: ends the login the refresh token belongs to, its access tokens
/// included. Answers 204 for any token, known or not.
#[utoipa::path(
    tag = TAG,
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out"),
        (status = 422, description = "A missing field"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    Json(body): Json<RefreshRequest>,
    pool: web::Data<DbPool>,
    accounts: web::Data<Arc<Accounts>>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.get().await?;
    if let Some(stored) = sessions::find_refresh_token_for_update(&mut conn, &body.refresh_token).await? {
        sessions::revoke_family(&mut conn, stored.family_id).await?;
        // This instance judges the next request at once; the others hear it from PostgreSQL.
        accounts.changed(stored.user_id);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/auth/me`: the signed-in account.
#[utoipa::path(
    tag = TAG,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserView),
    )
)]
#[get("/auth/me")]
pub async fn me(caller: Caller, pool: web::Data<DbPool>) -> Result<web::Json<UserView>, ApiError> {
    let user = crate::records::user::find(&mut *pool.get().await?, caller.id)
        .await?
        .ok_or_else(|| ApiError::unauthorized(text!("the account behind this token no longer exists")))?;
    Ok(web::Json(user))
}

async fn issue_tokens(
    conn: &mut AsyncPgConnection,
    keys: &JwtKeys,
    credentials: &Credentials,
    family: Uuid,
) -> Result<TokenResponse, ApiError> {
    let scope = Scope::from_code(credentials.scope.clone());
    let (access_token, expires_in) = keys.issue(credentials.id, credentials.role, &scope, family)?;
    let refresh_token = sessions::issue_refresh_token(conn, credentials.id, family, keys.refresh_ttl()).await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in,
        refresh_token,
        refresh_expires_in: keys.refresh_ttl().as_secs(),
    })
}
