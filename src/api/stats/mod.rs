//! Aggregates for dashboards: computed by PostgreSQL (GROUP BY over region-code prefixes),
//! never by looping over rows in Rust. No personal data. The SQL is in `crate::records::stats`.

mod cases;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::interventions)
        .service(handlers::budget_stats)
        .service(handlers::prevalence)
        .service(cases::case_stats)
        .service(handlers::team_stats)
        .service(handlers::family_stats);
}
