//! Measurements: every time a child is measured, scored against the WHO standards. Never
//! edited: a wrong one is voided (with a reason) and entered again, so the history stays
//! honest. Every write recomputes the child's stunting cases in the same transaction.

mod dto;
mod handlers;

pub use dto::MeasurementView;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::growth)
        .service(handlers::get)
        .service(handlers::void)
        .service(handlers::check);
}
