//! DHIS2 aggregate exchange: `GET` our kept aggregates as a DHIS2 data value set (streamed), and
//! `POST` a data value set of survey figures and intervention reports, answered with DHIS2's
//! import summary. Codes only (`idScheme=CODE`): org units are Kemendagri codes.

mod handlers;
mod query;
mod stream;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::export_data_values).service(handlers::import_data_values);
}
