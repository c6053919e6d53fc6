//! Aggregates for dashboards: computed by PostgreSQL (GROUP BY over region-code prefixes),
//! never by looping over rows in Rust. No personal data. The SQL is in `crate::records::stats`.

mod budgets;
mod cases;
mod families;
mod interventions;
mod pathway;
mod prevalence;
mod quality;
mod query;
mod skdn;
mod teams;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(interventions::interventions)
        .service(budgets::budget_stats)
        .service(prevalence::prevalence)
        .service(pathway::pathway_stats)
        .service(skdn::skdn_stats)
        .service(quality::quality_stats)
        .service(cases::case_stats)
        .service(teams::team_stats)
        .service(families::family_stats);
}
