//! Families at risk of stunting (*keluarga berisiko stunting*): the BKKBN family data a
//! province hands each district, loaded in bulk by integrations and verified village by
//! village. Counts and verification progress are in `/stats/families-at-risk`.

mod dto;
mod handlers;

pub use dto::{Family, ImportSummary};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::import).service(handlers::list).service(handlers::get_family).service(handlers::verify);
}
