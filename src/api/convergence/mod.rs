//! The 8 convergence actions a district does every year, the documents that show them and the
//! province's assessment; the province's monitoring table ranks its districts.

mod documents;
mod dto;
mod progress;

pub use dto::{
    Action, ActionProgress, Assessment, ConvergenceOverview, DistrictConvergence, DistrictProgress, Document,
};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    // The literal `documents` and `actions` paths first: `{district}/{year}` would match them.
    cfg.service(progress::list_actions)
        .service(documents::get_document)
        .service(documents::document_content)
        .service(documents::remove_document)
        .service(progress::overview)
        .service(progress::get_district)
        .service(progress::set_action)
        .service(documents::add_document)
        .service(progress::assess);
}
