//! The change feed: what changed in the caller's scope since they last looked, for offline
//! apps that sync and integrations that mirror.

mod handlers;

pub use handlers::FeedRetention;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::changes);
}
