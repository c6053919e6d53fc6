//! The intervention catalogue: specific and sensitive types, their target group, what they
//! count and the national coverage target (Perpres 72/2021). Read by everyone, kept by admins.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create).service(handlers::update);
}
