//! Stunting cases: opened, kept current and resolved by the measurements (`lifecycle`,
//! `sync`), followed up by officers (assigned team, notes, the case audit, closing by hand).

mod dto;
mod handlers;
pub mod lifecycle;
pub mod queries;
mod sync;

pub use dto::{CaseDetail, CaseView};
pub use sync::sync_cases;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::get).service(handlers::update);
}
