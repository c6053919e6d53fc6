//! Catin screenings (BKKBN Elsimil) of the people of the pathway, and the versioned thresholds
//! they are judged by. Never edited: a wrong screening is voided (with a reason) and entered
//! again.

mod handlers;
mod thresholds;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::void)
        .service(thresholds::list)
        .service(thresholds::set);
}
