//! `Caller`: the authenticated user behind a request, from its bearer token. Handlers take it
//! as an argument, so a handler without it is visibly public. What a caller may do is decided
//! in `auth::policy`, as methods on it, so every check reads the same way.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::{FutureExt, LocalBoxFuture};
use uuid::Uuid;

use crate::auth::JwtKeys;
use crate::auth::accounts::Accounts;
use crate::db::DbPool;
use crate::domain::{Role, Scope, UserId};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct Caller {
    pub id: UserId,
    pub role: Role,
    pub scope: Scope,
}

/// Put in the request's extensions so the request log can name the user.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedUser(pub UserId);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = verify(req);
        let accounts = req.app_data::<web::Data<Arc<Accounts>>>().cloned();
        let pool = req.app_data::<web::Data<DbPool>>().cloned();
        let req = req.clone();
        async move {
            let (id, session) = verified?;
            let (Some(accounts), Some(pool)) = (accounts, pool) else {
                return Err(ApiError::Internal(anyhow::anyhow!("Accounts or DbPool missing from app data")));
            };
            // The role and scope the account has now, not those its token was signed with.
            let account = accounts
                .current(&pool, id)
                .await?
                .filter(|account| account.active)
                .ok_or_else(|| ApiError::unauthorized(text!("the account is deactivated; sign in with another")))?;
            if account.login_ended(session) {
                return Err(ApiError::unauthorized(text!("this login has ended; sign in again")));
            }
            req.extensions_mut().insert(AuthenticatedUser(id));
            Ok(Caller { id, role: account.role, scope: account.scope() })
        }
        .boxed_local()
    }
}

/// The token of an `Authorization: Bearer <token>` header value, if it is one.
pub fn bearer(value: &header::HeaderValue) -> Option<&str> {
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The account and login a valid bearer token names.
fn verify(req: &HttpRequest) -> Result<(UserId, Uuid), ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtKeys missing from app data")))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(text!("this endpoint needs an `Authorization: Bearer <token>` header"))
    })?;
    let token = bearer(value)
        .ok_or_else(|| ApiError::unauthorized(text!("the Authorization header must be `Bearer <token>`")))?;
    let claims = keys.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        ApiError::unauthorized(match e.kind() {
            ErrorKind::ExpiredSignature => text!("the access token has expired; refresh it"),
            ErrorKind::ImmatureSignature => text!("the access token is not valid yet"),
            ErrorKind::InvalidAudience => text!("the access token is for another audience"),
            ErrorKind::InvalidIssuer => text!("the access token is from another issuer"),
            _ => text!("the access token is invalid"),
        })
    })?;
    claims.scope().ok_or_else(|| ApiError::unauthorized(text!("the access token is invalid")))?;
    Ok((claims.sub, claims.sid))
}
