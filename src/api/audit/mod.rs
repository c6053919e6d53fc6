//! The audit trail: every write, sign-in, failed sign-in, lock-out and reused refresh token,
//! for admins everywhere and officers inside their scope.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list);
}
