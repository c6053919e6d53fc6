//! Budgets: documents (a ceiling per funding source, region and year), their lines, realised
//! spending, and reconciliation of the lines against the total the document reports.
//! Approving a document freezes its lines; a revision keeps the approved version readable.

mod documents;
pub mod dto;
mod lines;

use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::domain::{RegionCode, Role};
use crate::error::ApiError;

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

/// Cadres read their own village's budgets; every other role reads budgets inside its scope
/// and those covering it.
fn require_readable(caller: &Caller, region: &RegionCode) -> Result<(), ApiError> {
    let visible =
        if caller.role == Role::Cadre { caller.scope.contains(region) } else { caller.scope.overlaps(region) };
    if visible { Ok(()) } else { Err(ApiError::forbidden(format!("region {region} is outside your scope"))) }
}

/// Officers write budgets inside their scope; admins everywhere.
fn require_writable(caller: &Caller, region: &RegionCode) -> Result<(), ApiError> {
    caller.require_role(&[Role::Officer])?;
    caller.require_in_scope(region)
}
