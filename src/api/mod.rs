//! HTTP: the `/api/v1` resources, one folder each: `mod.rs` registers routes, `handlers.rs` holds
//! thin handlers (parse, call `crate::records`, shape the answer), `dto.rs` the request types.

pub mod agencies;
pub mod audit;
pub mod auth;
pub mod budgets;
pub mod cases;
pub mod changes;
pub mod children;
pub mod convergence;
pub mod dhis2;
pub mod exports;
pub mod families;
pub mod fhir;
pub mod figures;
pub mod imports;
pub mod intervention_types;
pub mod interventions;
pub mod lokus;
pub mod measurements;
pub mod openapi;
pub mod people;
pub mod posyandu;
pub mod pregnancies;
pub mod regions;
pub mod screenings;
pub mod services;
pub mod stats;
pub mod teams;
pub mod tpk_visits;
pub mod users;
pub mod worklist;

use utoipa_actix_web::scope;

use crate::http::{health, metrics};
use utoipa_actix_web::service_config::ServiceConfig;

/// Every documented route of the service.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::live).service(health::ready).service(metrics::metrics);
    v1(cfg);
}

/// Everything under `/api/v1`, registered through utoipa so every route is documented.
pub fn v1(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .configure(auth::routes)
            .configure(users::routes)
            .configure(audit::routes)
            .configure(regions::routes)
            .configure(children::routes)
            .configure(measurements::routes)
            .configure(people::routes)
            .configure(screenings::routes)
            .configure(pregnancies::routes)
            .configure(tpk_visits::routes)
            .configure(cases::routes)
            .configure(services::routes)
            .configure(intervention_types::routes)
            .configure(agencies::routes)
            .configure(interventions::routes)
            .configure(budgets::routes)
            .configure(convergence::routes)
            .configure(lokus::routes)
            .configure(teams::routes)
            .configure(posyandu::routes)
            .configure(worklist::routes)
            .configure(families::routes)
            .configure(figures::routes)
            .configure(imports::routes)
            .configure(exports::routes)
            .configure(fhir::routes)
            .configure(dhis2::routes)
            .configure(changes::routes)
            .configure(stats::routes),
    );
}
