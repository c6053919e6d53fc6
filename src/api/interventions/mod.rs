//! Intervention activities: a type delivered in a region over a period by a responsible
//! agency, with a target count (*sasaran*) and monthly progress reports.

mod dto;
mod handlers;

pub use dto::InterventionView;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::delete)
        .service(handlers::list_reports)
        .service(handlers::report);
}
