//! Content negotiation that says no. What each operation produces is read from the OpenAPI
//! document once at start-up, so the contract and the answer cannot disagree: a request whose
//! `Accept` header admits none of those types is refused with 406 before its handler runs (a
//! refused write must not happen), and the problem names what the operation can produce.

use std::collections::HashMap;

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, Header};
use actix_web::middleware::Next;
use actix_web::web;
use mime::Mime;

use crate::error::ApiError;

/// Media types of the successful answers, per method and route pattern.
#[derive(Debug, Default)]
pub struct Produces(HashMap<(Method, String), Vec<Mime>>);

impl Produces {
    /// `types` per method and route pattern, as the document states them.
    pub fn new(types: HashMap<(Method, String), Vec<Mime>>) -> Self {
        Self(types)
    }

    fn of(&self, method: &Method, pattern: String) -> Option<&[Mime]> {
        self.0.get(&(method.clone(), pattern)).map(Vec::as_slice)
    }
}

/// Middleware: 406 when the route's answers are all outside what `Accept` admits.
pub async fn negotiate<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    // Most machine callers name no Accept: then there is nothing to look up.
    let refused = match req.headers().contains_key(header::ACCEPT) {
        false => None,
        true => match (req.app_data::<web::Data<Produces>>(), req.match_pattern()) {
            (Some(produces), Some(pattern)) => produces
                .of(req.method(), pattern)
                .filter(|types| !acceptable(req.request(), types))
                .map(|types| types.iter().map(Mime::to_string).collect::<Vec<_>>().join(", ")),
            _ => None,
        },
    };
    match refused {
        Some(types) => {
            let error = ApiError::NotAcceptable(text!("this operation produces only %{types}", types = types));
            Ok(req.into_response(HttpResponse::from_error(error)).map_into_right_body())
        }
        None => next.call(req).await.map(ServiceResponse::map_into_left_body),
    }
}

/// Whether one of `types` is admitted by the request's `Accept` (absent or unparsable: any).
fn acceptable(req: &actix_web::HttpRequest, types: &[Mime]) -> bool {
    if !req.headers().contains_key(header::ACCEPT) {
        return true;
    }
    let Ok(accept) = header::Accept::parse(req) else { return true };
    accept
        .iter()
        .filter(|item| item.quality > header::Quality::ZERO)
        .any(|item| types.iter().any(|t| admits(&item.item, t)))
}

fn admits(range: &Mime, media: &Mime) -> bool {
    (range.type_() == mime::STAR || range.type_() == media.type_())
        && (range.subtype() == mime::STAR || range.subtype() == media.subtype())
        && range.suffix().is_none_or(|s| media.suffix() == Some(s))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn accepts(accept: &str, produced: &str) -> bool {
        let req = TestRequest::default().insert_header((header::ACCEPT, accept)).to_http_request();
        acceptable(&req, &[produced.parse().unwrap()])
    }

    #[test]
    fn ranges_admit_their_types() {
        assert!(accepts("application/json", "application/json"));
        assert!(accepts("text/csv, application/*;q=0.5", "application/json"));
        assert!(accepts("*/*", "application/pdf"));
        assert!(!accepts("text/csv", "application/json"));
        assert!(!accepts("application/json;q=0", "application/json"));
        assert!(!accepts("application/problem+json", "application/json"));
        assert!(accepts("text/plain", "text/plain; version=0.0.4"));
    }

    #[test]
    fn no_accept_admits_anything() {
        let req = TestRequest::default().to_http_request();
        assert!(acceptable(&req, &["application/json".parse().unwrap()]));
    }
}
