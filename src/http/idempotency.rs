//! Safe retries: a POST sent with an `Idempotency-Key` header runs once per key. A retry with
//! the same key and the same request (method, path, query and body) gets the first answer
//! again, status, body and headers, marked `Idempotent-Replayed: true`, and changes nothing;
//! the same key with another request is a 422; a retry while the first is still running is a
//! 409 with `Retry-After`. Only successful answers are kept (for `db::idempotency::KEPT_FOR`):
//! an error wrote nothing, so a retry after one runs again. Keys belong to the account that
//! sent them. A request without a valid token is passed on untouched (its handler answers
//! 401), and so is the token endpoint, whose answer must never be stored or replayed.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::db::DbPool;
use crate::db::idempotency::{self, Claim, Earlier};
use crate::error::ApiError;
use crate::http::upload::UploadLimit;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub const REPLAYED: &str = "Idempotent-Replayed";
/// Printable ASCII without spaces, 1 to 255 characters (a UUID is the usual choice).
pub const KEY_PATTERN: &str = "^[!-~]{1,255}$";
/// The headers of a kept answer that a replay repeats.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::LOCATION, header::ETAG];

/// Middleware: runs a keyed POST once, as above.
pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let keyed = req.method() == Method::POST && req.headers().contains_key(IDEMPOTENCY_KEY);
    let caller = match keyed && req.path() != "/api/v1/auth/token" {
        true => Caller::extract(req.request()).await.ok(),
        false => None,
    };
    let Some(caller) = caller else { return next.call(req).await.map(ServiceResponse::map_into_boxed_body) };
    let refuse = |req: ServiceRequest, error: ApiError| Ok(req.into_response(HttpResponse::from_error(error)));
    let key = match key_of(req.headers()) {
        Ok(key) => key,
        Err(error) => return refuse(req, error),
    };
    let (Some(pool), Some(limit)) =
        (req.app_data::<web::Data<DbPool>>().cloned(), req.app_data::<web::Data<UploadLimit>>().map(|l| l.0))
    else {
        return refuse(req, ApiError::Internal(anyhow::anyhow!("DbPool or UploadLimit missing from app data")));
    };
    let body = match read_body(&mut req, limit).await {
        Ok(body) => body,
        Err(error) => return refuse(req, error),
    };
    let fingerprint = fingerprint(&req, &body);
    req.set_payload(Payload::from(body));

    let claimed = async {
        let mut conn = pool.get().await?;
        Ok::<_, ApiError>(idempotency::claim(&mut conn, caller.id, &key, &fingerprint).await?)
    };
    let attempt = match claimed.await {
        Ok(Claim::Won { attempt }) => attempt,
        Ok(Claim::Taken(earlier)) => {
            let answer = replay(earlier, &fingerprint).unwrap_or_else(HttpResponse::from_error);
            return Ok(req.into_response(answer));
        }
        Err(error) => return refuse(req, error),
    };

    let response = next.call(req).await?.map_into_boxed_body();
    let (request, response) = response.into_parts();
    let response = settle(&pool, &caller, &key, attempt, response).await;
    Ok(ServiceResponse::new(request, response))
}

/// Keeps a successful answer under the key, or lets the key go after a failure. The work is
/// done either way, and the caller gets its answer even if keeping it failed (a retry then
/// runs again once the key's hold has lapsed).
async fn settle(
    pool: &DbPool,
    caller: &Caller,
    key: &str,
    attempt: uuid::Uuid,
    response: HttpResponse,
) -> HttpResponse {
    let status = response.status();
    if !status.is_success() {
        let released =
            async { Ok::<_, ApiError>(idempotency::release(&mut *pool.get().await?, caller.id, key, attempt).await?) };
        if let Err(error) = released.await {
            tracing::warn!(error = %error, "an idempotency key could not be released");
        }
        return response;
    }
    let (head, body) = response.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(error) => return HttpResponse::from_error(ApiError::Internal(anyhow::anyhow!("answer body: {error}"))),
    };
    let headers = kept_headers(head.headers());
    let kept = async {
        let mut conn = pool.get().await?;
        Ok::<_, ApiError>(
            idempotency::keep(&mut conn, caller.id, key, attempt, status.as_u16(), &headers, &bytes).await?,
        )
    };
    if let Err(error) = kept.await {
        tracing::warn!(error = %error, "an idempotent answer could not be kept");
    }
    head.set_body(BoxBody::new(bytes))
}

fn key_of(headers: &HeaderMap) -> Result<String, ApiError> {
    let malformed = || {
        ApiError::bad_request(text!(
            "%{idempotency_key} must be 1 to 255 printable ASCII characters",
            idempotency_key = IDEMPOTENCY_KEY
        ))
    };
    let mut values = headers.get_all(IDEMPOTENCY_KEY);
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ApiError::bad_request(text!(
            "send one %{idempotency_key} header, not several",
            idempotency_key = IDEMPOTENCY_KEY
        )));
    };
    let key = value.to_str().map_err(|_| malformed())?;
    let printable = key.bytes().all(|b| b.is_ascii_graphic());
    match printable && (1..=255).contains(&key.len()) {
        true => Ok(key.to_owned()),
        false => Err(malformed()),
    }
}

/// The whole body, up to `limit`, the largest the service takes (an upload's).
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| crate::http::body_deadline::unreadable(&e))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(text!("the body is larger than %{limit} bytes", limit = limit)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What makes two requests the same one.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> Vec<u8> {
    let mut digest = Sha256::new();
    for part in [req.method().as_str().as_bytes(), req.uri().path().as_bytes(), req.query_string().as_bytes()] {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part);
    }
    digest.update(body);
    digest.finalize().to_vec()
}

/// The earlier request's answer, if this one is the same request and it has finished.
fn replay(earlier: Earlier, fingerprint: &[u8]) -> Result<HttpResponse, ApiError> {
    if earlier.fingerprint != fingerprint {
        return Err(ApiError::invalid(
            IDEMPOTENCY_KEY,
            text!("was already used for a different request (method, path, query or body); use a new key"),
        ));
    }
    let (Some(status), Some(body)) = (earlier.status, earlier.body) else {
        return Err(ApiError::InProgress(text!("the first request with this Idempotency-Key is still running")));
    };
    let status = StatusCode::from_u16(status as u16).map_err(anyhow::Error::from)?;
    let mut answer = HttpResponse::build(status);
    for (name, value) in earlier.headers.iter().flat_map(|h| h.as_object()).flatten() {
        if let (Ok(name), Some(Ok(value))) =
            (HeaderName::try_from(name.as_str()), value.as_str().map(HeaderValue::from_str))
        {
            answer.insert_header((name, value));
        }
    }
    answer.insert_header((REPLAYED, "true"));
    Ok(answer.body(body))
}

fn kept_headers(headers: &HeaderMap) -> Value {
    let kept: Map<String, Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some((name.to_string(), Value::from(headers.get(name)?.to_str().ok()?))))
        .collect();
    Value::Object(kept)
}
