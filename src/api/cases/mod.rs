//! Stunting cases: opened, kept current and resolved by the measurements (`lifecycle`,
//! `sync`), followed up by officers (assigned team, notes, the case audit, closing by hand).

mod dto;
mod handlers;

pub use dto::{CaseDetail, CaseView};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::get).service(handlers::update);
}
