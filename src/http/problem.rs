//! Turns every error actix produces on its own (unknown route, undecodable path, a response
//! some layer made without a body) into problem+json, so clients see one error format, and
//! writes every error in the caller's language (`http::language`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, error, web};

use crate::error::{ApiError, PROBLEM_JSON, Problem, title};
use crate::http::language;
use crate::http::methods::KnownPaths;
use crate::i18n::Lang;

/// The default service: no route matched. A path that exists with other methods is a 405
/// naming them in `Allow`; any other, a 404.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let allowed = req.app_data::<web::Data<KnownPaths>>().and_then(|known| known.allowed(req.path()));
    if let Some(allowed) = allowed {
        let allow = allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
        return HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, allow)).finish();
    }
    HttpResponse::from_error(ApiError::not_found(text!(
        "no endpoint at %{method} %{path}",
        method = req.method(),
        path = req.path()
    )))
}

/// Path segments that do not parse (for example a malformed UUID).
pub fn path_error(err: error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("path", crate::i18n::from_serde(&err.to_string())).into()
}

/// Every error answer as problem+json in the caller's language (`Accept-Language`), with
/// `Content-Language`: an `ApiError`'s written again in Indonesian when the caller prefers it,
/// and one some layer made without a body made into a problem.
pub fn ensure_problem_json<B: MessageBody + 'static>(
    mut res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let lang = language::preferred(res.request());
    let is_problem =
        res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let api_error = res.response().error().and_then(|e| e.as_error::<ApiError>());
    let problem = match api_error {
        // Written before this request (a record's verdict kept by an import), in English.
        Some(ApiError::Answered(_)) => return Ok(ErrorHandlerResponse::Response(res.map_into_left_body())),
        // Already written in English.
        Some(_) if lang == Lang::En => None,
        Some(error) => Some(error.problem_in(lang)),
        // Written as it was kept (an idempotent replay): its language is not known.
        None if is_problem => return Ok(ErrorHandlerResponse::Response(res.map_into_left_body())),
        None => {
            let status = res.status();
            let title = title(status, lang);
            Some(Problem {
                kind: format!("/problems/{}", slug(status.as_u16())),
                detail: title.to_lowercase(),
                title,
                status: status.as_u16(),
                errors: Vec::new(),
                existing_id: None,
                current: None,
            })
        }
    };
    let Some(problem) = problem else {
        label_language(res.headers_mut(), lang);
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let (req, old) = res.into_parts();
    let mut new = HttpResponse::build(old.status());
    for (name, value) in old.headers() {
        // The old body's framing and encoding do not describe the new body.
        if ![header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING].contains(name) {
            new.append_header((name.clone(), value.clone()));
        }
    }
    let body: BoxBody = BoxBody::new(serde_json::to_string(&problem).unwrap_or_default());
    let mut response = new.content_type(PROBLEM_JSON).body(body);
    label_language(response.headers_mut(), lang);
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// `Content-Language` of the answer, and `Vary: Accept-Language` for caches.
fn label_language(headers: &mut header::HeaderMap, lang: Lang) {
    headers.insert(header::CONTENT_LANGUAGE, header::HeaderValue::from_static(lang.tag()));
    headers.append(header::VARY, header::HeaderValue::from_static("Accept-Language"));
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
