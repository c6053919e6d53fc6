//! Bulk import: a file of records of one kind in, a summary of what became of each out
//! (at once, or from a job for a large file).

mod dto;
mod handlers;
mod pathway;

pub use dto::ImportLimits;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::import_children)
        .service(handlers::import_measurements)
        .service(handlers::import_intervention_reports)
        .service(handlers::import_families_at_risk)
        .service(handlers::import_budget_lines)
        .service(pathway::import_catin_screenings)
        .service(pathway::import_pregnancies)
        .service(pathway::import_tpk_visits)
        .service(handlers::get_job);
}
