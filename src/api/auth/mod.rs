//! Signing in: access tokens (short-lived JWTs) and rotating refresh tokens.

mod dto;
mod handlers;

pub use dto::TokenResponse;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::token).service(handlers::refresh).service(handlers::logout).service(handlers::me);
}
