//! Posyandu: the village health posts where under-fives are weighed every month. Children are
//! registered to one; SKDN per posyandu is in `/stats/skdn`.

mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(handlers::list).service(handlers::get_posyandu).service(handlers::create).service(handlers::update);
}
