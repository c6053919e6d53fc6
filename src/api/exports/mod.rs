//! Bulk export: everything of a kind in the caller's scope (and a period), streamed as NDJSON
//! or CSV.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::export_children)
        .service(handlers::export_measurements)
        .service(handlers::export_cases)
        .service(handlers::export_screenings)
        .service(handlers::export_pregnancies)
        .service(handlers::export_tpk_visits);
}
