//! `ApiError`: the one error type handlers return, rendered as RFC 9457
//! `application/problem+json`. Internal causes are logged (inside the request's span, so with
//! its request id) and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A 409 pointing at the record the request duplicates.
    #[error("{detail}")]
    DuplicateOf { detail: String, existing_id: uuid::Uuid },
    #[error("{0}")]
    PreconditionFailed(String),
    /// A 412 that carries the record as it is now (`precondition::or_current`).
    #[error("{detail}")]
    Stale { detail: String, current: Box<serde_json::Value> },
    /// The first request under the same `Idempotency-Key` is still running.
    #[error("{0}")]
    InProgress(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    #[error("{0}")]
    ServiceUnavailable(String),
    #[error("{0}")]
    RequestTimeout(String),
    /// An answer already in its wire form (a record's verdict inside an import).
    #[error("{}", .0.detail)]
    Answered(Box<Problem>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// One invalid field of a request: `field` is its JSON name (dotted for nested fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "scope")]
    pub field: String,
    #[schema(example = "must be a region code such as 14.01")]
    pub message: String,
}

/// An RFC 9457 problem document: every 4xx and 5xx answer has this body.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "the request has invalid fields",
    "errors": [{"field": "scope", "message": "must be a region code such as 14.01"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; `docs/API.md` lists them.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every invalid field, for 422 answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For a 409 caused by a duplicate: the id of the record that already exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
    /// For a 412 on a record that changed: the record as it is now, as a GET of it answers
    /// (its `version` is the ETag to send back), so a client can merge its edit and retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest(detail.into())
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Unauthorized(detail.into())
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(detail.into())
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(detail.into())
    }
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(detail.into())
    }
    /// 409 for a record sent under an id a different record already has (a retry would carry
    /// the same record); `existing_id` names it.
    pub fn id_taken(what: &str, id: uuid::Uuid) -> Self {
        Self::DuplicateOf { detail: format!("a different {what} already has id {id}"), existing_id: id }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// The one table of what each error is on the wire: its status and its problem type.
    fn kind(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::DuplicateOf { .. } => (StatusCode::CONFLICT, "duplicate"),
            Self::PreconditionFailed(_) | Self::Stale { .. } => {
                (StatusCode::PRECONDITION_FAILED, "precondition-failed")
            }
            Self::InProgress(_) => (StatusCode::CONFLICT, "in-progress"),
            Self::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "not-acceptable"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
            Self::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
            Self::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            Self::PreconditionRequired(_) => (StatusCode::PRECONDITION_REQUIRED, "precondition-required"),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too-many-requests"),
            Self::ServiceUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "service-unavailable"),
            Self::RequestTimeout(_) => (StatusCode::REQUEST_TIMEOUT, "request-timeout"),
            Self::Answered(problem) => {
                (StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST), "answered")
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The problem, boxed: how a record's rejection travels inside an import.
    pub fn rejection(&self) -> Box<Problem> {
        Box::new(self.problem())
    }

    pub fn problem(&self) -> Problem {
        if let Self::Answered(problem) = self {
            return (**problem).clone();
        }
        let status = self.status_code();
        let detail = match self {
            Self::Internal(_) => "the server could not complete the request".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::Validation(errors) => errors.clone(),
            _ => Vec::new(),
        };
        let existing_id = match self {
            Self::DuplicateOf { existing_id, .. } => Some(*existing_id),
            _ => None,
        };
        let current = match self {
            Self::Stale { current, .. } => Some((**current).clone()),
            _ => None,
        };
        Problem {
            kind: format!("/problems/{}", self.kind().1),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            existing_id,
            current,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().0
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "internal error"),
            Self::ServiceUnavailable(detail) => tracing::warn!(detail, "service unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer realm="stunting-api""#),
                ));
            }
            Self::TooManyRequests { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            // The pool waits seconds for a connection already; a client should not hammer it.
            Self::ServiceUnavailable(_) | Self::InProgress(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::not_found("no such resource"),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("a resource with the same identity already exists")
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict("a concurrent change touched the same data; retry the request")
            }
            // Nothing was committed, and the same request may succeed a moment later: a
            // connection the server closed (restart, failover), a query cancelled by the
            // statement timeout, or a deadlock between writers updating the same kept counts.
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                Self::unavailable()
            }
            Error::DatabaseError(_, ref info) if is_transient(info.message()) => Self::unavailable(),
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

/// PostgreSQL's messages for 57014 (a statement cancelled: its timeout, an operator, a replica's
/// recovery), 57P01 and its kin (a connection terminated: shutdown, an operator, recovery), and
/// 40P01 (deadlock), which diesel does not classify.
fn is_transient(message: &str) -> bool {
    ["canceling statement due to ", "terminating connection due to ", "deadlock detected", "connection closed"]
        .iter()
        .any(|known| message.starts_with(known))
}

impl ApiError {
    /// A failure of the service or its database rather than of the request: a bulk import
    /// fails its chunk on one (and a job tries again later) where it rejects a bad record.
    pub fn is_fault(&self) -> bool {
        matches!(self, Self::Internal(_) | Self::ServiceUnavailable(_))
    }

    fn unavailable() -> Self {
        Self::ServiceUnavailable("the database could not finish the request; retry later".into())
    }
}

// The pool's error named by its crate, so that `error` stays below `db` (which answers with it).
impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %error, "no database connection available");
        Self::ServiceUnavailable("the database is unavailable; retry later".into())
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        Self::Validation(FieldErrors::from_validator(errors).0)
    }
}

/// Collects every invalid field of a request, so a 422 lists them all, not only the first.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Starts from the `validator` derive's verdict on the raw DTO.
    pub fn from_validation(result: Result<(), validator::ValidationErrors>) -> Self {
        result.map_or_else(Self::from_validator, |()| Self::default())
    }

    fn from_validator(errors: validator::ValidationErrors) -> Self {
        let mut out = Vec::new();
        flatten_validator(&errors, "", &mut out);
        out.sort_by(|a, b| a.field.cmp(&b.field));
        Self(out)
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// The errors recorded, for reports that list them per record (imports).
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// Whether `field` already has an error.
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// Keeps a parsed value, or records why the field is invalid.
    /// Adds every error of `other`.
    pub fn merge(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    /// Adds `message` on `field` when both ends of a range are given and `from` comes after
    /// `to`.
    pub fn check_order<T: PartialOrd>(&mut self, field: &str, from: Option<T>, to: Option<T>, message: &str) {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            self.add(field, message);
        }
    }

    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e.to_string())).ok()
    }

    /// The parsed value(s) when nothing was recorded; the 422 otherwise.
    pub fn finish_with<T>(self, parsed: Option<T>) -> Result<T, ApiError> {
        self.finish()?;
        parsed.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a field failed to parse without an error")))
    }

    /// `Ok(())` when nothing was recorded; the 422 otherwise.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Validation(self.0)) }
    }
}

fn flatten_validator(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => out.extend(list.iter().map(|e| FieldError {
                field: path.clone(),
                message: e.message.as_ref().map_or_else(|| describe(e), ToString::to_string),
            })),
            ValidationErrorsKind::Struct(inner) => flatten_validator(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validator(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A readable message for validator's built-in rules when the DTO gave none.
fn describe(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(ToString::to_string);
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "must be an email address".into(),
        other => format!("is invalid ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[actix_web::test]
    async fn validation_problem_has_pinned_shape() {
        let error = ApiError::Validation(vec![
            FieldError { field: "name".into(), message: "must not be empty".into() },
            FieldError { field: "scope".into(), message: "unknown region".into() },
        ]);
        let response = error.error_response();
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers().get("content-type").unwrap(), PROBLEM_JSON);
        let body = to_bytes(response.into_body()).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "/problems/validation",
                "title": "Unprocessable Entity",
                "status": 422,
                "detail": "the request has invalid fields",
                "errors": [
                    {"field": "name", "message": "must not be empty"},
                    {"field": "scope", "message": "unknown region"}
                ]
            })
        );
    }

    #[actix_web::test]
    async fn internal_error_hides_its_cause() {
        let error = ApiError::Internal(anyhow::anyhow!("password=hunter2 leaked"));
        let response = error.error_response();
        assert_eq!(response.status(), 500);
        let body = to_bytes(response.into_body()).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("/problems/internal"));
    }

    #[test]
    fn unauthorized_and_rate_limit_carry_their_headers() {
        let response = ApiError::unauthorized("token expired").error_response();
        assert!(response.headers().contains_key("www-authenticate"));
        let response = ApiError::TooManyRequests { detail: "slow down".into(), retry_after_secs: 42 }.error_response();
        assert_eq!(response.headers().get("retry-after").unwrap(), "42");
    }
}
