//! The outermost middleware: gives every request an id (the caller's `X-Request-Id` when it is
//! sane, a new UUID otherwise), runs the request inside a tracing span carrying it, writes one
//! log line per request and records the metrics. It logs the route pattern, never the path or
//! query string, which may carry personal data (a name search, an identifier).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use tracing::Instrument;

use crate::auth::caller::AuthenticatedUser;
use crate::http::metrics::Metrics;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);

    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let user = res.request().extensions().get::<AuthenticatedUser>().map(|u| u.0.to_string());
    let elapsed = started.elapsed();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        tracing::info!(
            route = %route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            user_id = user.as_deref().unwrap_or("-"),
            "request"
        );
    });
    Ok(res)
}

fn is_sane_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}
