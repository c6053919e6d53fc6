//! Headers every answer carries, so a browser that is shown one (a dashboard's, a leaked
//! link's) treats it as data: no sniffing it into a script, no framing it, no referrer leaking
//! a URL with a region or record id to another site, HTTPS only once reached over HTTPS. The
//! API's answers may load nothing at all; the Swagger UI under `/docs/` loads its own files.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

const ALWAYS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("strict-transport-security", "max-age=31536000"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
];
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

pub async fn add_security_headers<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in ALWAYS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    let policy = if docs { DOCS_POLICY } else { API_POLICY };
    headers.insert(HeaderName::from_static("content-security-policy"), HeaderValue::from_static(policy));
    Ok(response)
}
