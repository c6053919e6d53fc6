//! Accounts: who may sign in, with which role, over which region. Admins manage everyone;
//! an officer manages the cadres and analysts inside their own scope.

mod dto;
mod handlers;

pub use dto::UserView;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create).service(handlers::get).service(handlers::update);
}
