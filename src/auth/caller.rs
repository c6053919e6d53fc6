//! `Caller`: the authenticated user behind a request, from its bearer token. Handlers take it
//! as an argument, so a handler without it is visibly public. What a caller may do is decided
//! in `auth::policy`, as methods on it, so every check reads the same way.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::auth::JwtKeys;
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
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let keys = req
        .app_data::<web::Data<JwtKeys>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("JwtKeys missing from app data")))?;
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("this endpoint needs an `Authorization: Bearer <token>` header"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))?;
    let claims = keys.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        ApiError::unauthorized(match e.kind() {
            ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
            ErrorKind::ImmatureSignature => "the access token is not valid yet",
            ErrorKind::InvalidAudience => "the access token is for another audience",
            ErrorKind::InvalidIssuer => "the access token is from another issuer",
            _ => "the access token is invalid",
        })
    })?;
    let scope = claims.scope().ok_or_else(|| ApiError::unauthorized("the access token is invalid"))?;
    // Admins act everywhere, whatever region their account names.
    let scope = if claims.role == Role::Admin { Scope::National } else { scope };
    req.extensions_mut().insert(AuthenticatedUser(claims.sub));
    Ok(Caller { id: claims.sub, role: claims.role, scope })
}
