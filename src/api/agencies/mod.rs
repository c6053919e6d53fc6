//! Government agencies (*OPD*) of a district: who is responsible for an activity or a
//! budget line. Read by everyone whose scope touches the district; kept by its officers.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::create).service(handlers::update).service(handlers::delete);
}
