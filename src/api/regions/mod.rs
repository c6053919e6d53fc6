//! Regions: the Kemendagri hierarchy (province, district, subdistrict, village) every other
//! record hangs from. Readable by every signed-in caller (it is public reference data);
//! changed only by admins.

mod dto;
mod handlers;
pub mod import;
pub mod queries;

pub use dto::{RegionDetail, RegionSummary};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::children)
        .service(handlers::rename)
        .service(handlers::retire);
}
