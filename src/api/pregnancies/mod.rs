//! Pregnancies of the women of the pathway (the KIA book): opened with HPHT, their antenatal
//! visits (K1–K6), the outcome that closes them (a live birth registers the child) and the
//! postpartum visits (KF1–KF4) after. Personal data, kept as the woman's record is.

mod handlers;
mod outcome;
mod postpartum;
mod visits;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list)
        .service(handlers::create)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::delete)
        .service(visits::list)
        .service(visits::create)
        .service(visits::void)
        .service(outcome::record)
        .service(postpartum::list)
        .service(postpartum::create)
        .service(postpartum::void);
}
