//! The 8 convergence actions a district does every year, the documents that show them and the
//! province's assessment; the province's monitoring table ranks its districts.

mod dto;
mod handlers;
pub mod queries;
mod ranking;
pub mod upload;

pub use dto::{
    Action, ActionProgress, Assessment, ConvergenceOverview, DistrictConvergence, DistrictProgress, Document,
};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    // The literal `documents` and `actions` paths first: `{district}/{year}` would match them.
    cfg.service(handlers::list_actions)
        .service(handlers::get_document)
        .service(handlers::document_content)
        .service(handlers::remove_document)
        .service(handlers::overview)
        .service(handlers::get_district)
        .service(handlers::set_action)
        .service(handlers::add_document)
        .service(handlers::assess);
}
