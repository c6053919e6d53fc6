//! The family assistance teams' visits (*pendampingan*) to the people of the pathway: catin,
//! pregnant women, postpartum mothers and children under two. Cadres record them for their
//! village, offline-first (client ids, the change feed); personal data, never for dashboards.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create).service(handlers::get).service(handlers::void);
}
