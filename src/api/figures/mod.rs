//! Official stunting figures (SSGI, SKI, e-PPGBM, …) and targets per region and year, read
//! beside the prevalence measured from routine measurements.

mod dto;
mod handlers;

pub use dto::{PrevalenceFigures, SurveyFigure, Target};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::figures)
        .service(handlers::list)
        .service(handlers::save_figure)
        .service(handlers::remove_figure)
        .service(handlers::save_target);
}
