//! Services a child received: supplementary food, vitamin A, immunisation, a referral, a
//! home visit by the family assistance team. Child-level data: never for dashboards.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create);
}
