//! Budgets: documents (a ceiling per funding source, region and year), their lines, realised
//! spending, and reconciliation of the lines against the total the document reports.
//! Approving a document freezes its lines; a revision keeps the approved version readable.

mod documents;
pub mod dto;
mod lines;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(documents::list)
        .service(documents::create)
        .service(documents::get)
        .service(documents::update)
        .service(documents::delete)
        .service(documents::approve)
        .service(documents::revise)
        .service(documents::revisions)
        .service(lines::list)
        .service(lines::create)
        .service(lines::update)
        .service(lines::delete)
        .service(lines::list_spending)
        .service(lines::spend);
}
