//! Optimistic concurrency. Every versioned resource answers with `ETag: "<version>"`; a
//! change must send it back as `If-Match`, so an edit based on a stale read gets 412 instead
//! of silently overwriting someone else's.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::domain::ExpectedVersion;
use crate::error::ApiError;

/// The version the client last saw, from `If-Match: "3"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub i32);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req.headers().get(header::IF_MATCH);
        ready(match header {
            None => Err(ApiError::PreconditionRequired(text!(
                "send the resource's ETag as `If-Match` so that concurrent edits are detected"
            ))),
            // "Any version" is valid HTTP, but here it would overwrite edits the client never saw.
            Some(value) if value.as_bytes().trim_ascii() == b"*" => Err(ApiError::PreconditionRequired(text!(
                "`If-Match: *` does not say which version you changed: send the resource's ETag"
            ))),
            Some(value) => value.to_str().ok().and_then(version).map(IfMatch).ok_or_else(|| {
                ApiError::bad_request(text!("`If-Match` must be an ETag this API gave out, like \"3\""))
            }),
        })
    }
}

/// The version an ETag names: `"3"` or `W/"3"` (`ETAG`), quoted as RFC 9110 writes it.
fn version(etag: &str) -> Option<i32> {
    let etag = etag.trim();
    let quoted = etag.strip_prefix("W/").unwrap_or(etag);
    let digits = quoted.strip_prefix('"')?.strip_suffix('"')?;
    (!digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// An ETag as the contract states it: at most 9 digits, so every one it allows is a version.
const ETAG: &str = r#"^(W/)?"[0-9]{1,9}"$"#;

/// The parameter as the contract states it, once for every conditional write (list `IfMatch`
/// in an operation's `params`); `api::openapi` adds the answers that come with it.
impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, Required, schema::Type};
        // An ETag is a quoted version; the pattern says so, so clients and fuzzers send one.
        let etag = ObjectBuilder::new().schema_type(Type::String).pattern(Some(ETAG));
        let description = "The ETag of the version you read. A record kept under a key rather than an id \
                           (written with PUT) reads as `\"0\"` while there is none.";
        #[allow(deprecated)] // `example` on a parameter is valid OpenAPI 3.1, and what clients show.
        let parameter = ParameterBuilder::new()
            .name("If-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(etag))
            .example(Some(serde_json::json!("\"1\"")))
            .build();
        vec![parameter]
    }
}

impl From<IfMatch> for ExpectedVersion {
    fn from(IfMatch(version): IfMatch) -> Self {
        ExpectedVersion(version)
    }
}

impl IfMatch {
    /// The version as the records layer takes it.
    pub fn expected(self) -> ExpectedVersion {
        self.into()
    }
}

/// `result`, where a 412 now carries the record as it is (`shown`, read after the failed
/// write rolled back), so an offline client can merge its edit and retry without another read.
pub async fn or_current<R, V: serde::Serialize>(
    result: Result<R, ApiError>,
    shown: impl AsyncFnOnce() -> Result<V, ApiError>,
) -> Result<R, ApiError> {
    match result {
        Err(ApiError::PreconditionFailed(detail)) => {
            let current = serde_json::to_value(shown().await?).map_err(anyhow::Error::from)?;
            Err(ApiError::Stale { detail, current: Box::new(current) })
        }
        other => other,
    }
}

pub fn etag(version: i32) -> (header::HeaderName, HeaderValue) {
    (header::ETAG, HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\"")))
}

/// A 200 JSON answer carrying the resource's ETag.
pub fn ok_with_etag<T: serde::Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponseBuilder::new(actix_web::http::StatusCode::OK).insert_header(etag(version)).json(body)
}

/// 201 for a record just written, 200 for one a retry found already stored under its client id.
pub fn created_or_stored<T: serde::Serialize>(created: bool, body: &T) -> HttpResponse {
    let status = if created { actix_web::http::StatusCode::CREATED } else { actix_web::http::StatusCode::OK };
    HttpResponseBuilder::new(status).json(body)
}

/// `created_or_stored` for a record with its own address: a 201 names it in `Location`.
pub fn created_or_stored_at<T: serde::Serialize>(created: bool, location: String, body: &T) -> HttpResponse {
    match created {
        true => HttpResponseBuilder::new(actix_web::http::StatusCode::CREATED)
            .insert_header((header::LOCATION, location))
            .json(body),
        false => created_or_stored(false, body),
    }
}

/// A 201 answer with the new resource's `Location` and ETag.
pub fn created_with_etag<T: serde::Serialize>(location: String, version: i32, body: &T) -> HttpResponse {
    HttpResponseBuilder::new(actix_web::http::StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .insert_header(etag(version))
        .json(body)
}

#[cfg(test)]
mod tests {
    use super::version;

    #[test]
    fn an_etag_is_a_quoted_version_of_at_most_nine_digits() {
        assert_eq!(version("\"3\""), Some(3));
        assert_eq!(version("W/\"12\""), Some(12));
        assert_eq!(version(" \"0\" "), Some(0));
        assert_eq!(version("\"999999999\""), Some(999_999_999));
        for refused in ["3", "0", "\"\"", "\"3", "3\"", "\"-1\"", "\"1e3\"", "\"9999999999\"", "W/3", "\"3\", \"4\""] {
            assert_eq!(version(refused), None, "{refused}");
        }
    }
}
