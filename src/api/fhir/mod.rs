//! FHIR R4 for SATUSEHAT: a child's growth and a mother's antenatal care as Bundles of Patient,
//! Location, Encounter and Observation (`application/fhir+json`), one person's or a region's
//! and period's, streamed. Personal data: for those who may read children and people.

mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::child_bundle)
        .service(handlers::person_bundle)
        .service(handlers::growth_bundle)
        .service(handlers::antenatal_bundle);
}
