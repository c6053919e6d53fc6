//! Turns every error actix produces on its own (unknown route, undecodable path, a response
//! some layer made without a body) into problem+json, so clients see one error format.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError, error};

use crate::error::{ApiError, PROBLEM_JSON, Problem};

/// The default service: no route matched.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    ApiError::not_found(format!("no endpoint at {} {}", req.method(), req.path())).error_response()
}

/// Path segments that do not parse (for example a malformed UUID).
pub fn path_error(err: error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("path", err.to_string()).into()
}

/// Rewrites an error response that is not already problem+json.
pub fn ensure_problem_json<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let problem = Problem {
        kind: format!("/problems/{}", slug(status.as_u16())),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: status.canonical_reason().unwrap_or("Error").to_lowercase(),
        errors: Vec::new(),
        existing_id: None,
        current: None,
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(status);
    for (name, value) in old.headers() {
        // The old body's framing and encoding do not describe the new body.
        if ![header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING].contains(name) {
            new.append_header((name.clone(), value.clone()));
        }
    }
    let body: BoxBody = BoxBody::new(serde_json::to_string(&problem).unwrap_or_default());
    let response = new.content_type(PROBLEM_JSON).body(body);
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

fn slug(status: u16) -> &'static str {
    match status {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        408 => "request-timeout",
        413 => "payload-too-large",
        414 => "uri-too-long",
        415 => "unsupported-media-type",
        431 => "request-header-fields-too-large",
        s if s >= 500 => "internal",
        _ => "error",
    }
}
