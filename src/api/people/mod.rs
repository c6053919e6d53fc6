//! The people of the first 1,000 days who are not children under five: women (and men
//! screened as catin). Personal data, kept as a child's is: readable by those who care for
//! her, never by dashboards; the NIK is write-only. `continuum` joins a family's records.

mod continuum;
mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::delete)
        .service(continuum::person);
}
