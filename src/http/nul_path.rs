//! No id, code or name of ours holds U+0000, and PostgreSQL cannot compare text with one: a
//! path that carries it (`%00`) names nothing, so it is a 404 before any handler or query sees
//! it. (Bodies and query strings are checked where they are parsed, in `extract`.)

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::ApiError;

pub async fn refuse_nul_in_path<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if req.path().contains("%00") {
        let error = ApiError::not_found(text!("no resource has a NUL character (%00) in its path"));
        return Ok(req.into_response(HttpResponse::from_error(error)).map_into_right_body());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}
