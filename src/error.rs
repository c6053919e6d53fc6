//! `ApiError`: the one error type handlers return, rendered as RFC 9457
//! `application/problem+json`. Internal causes are logged (inside the request's span, so with
//! its request id) and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{Lang, Text};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(Text),
    #[error("{0}")]
    Unauthorized(Text),
    #[error("{0}")]
    Forbidden(Text),
    #[error("{0}")]
    NotFound(Text),
    #[error("{0}")]
    Conflict(Text),
    /// A 409 pointing at the record the request duplicates.
    #[error("{detail}")]
    DuplicateOf { detail: Text, existing_id: uuid::Uuid },
    #[error("{0}")]
    PreconditionFailed(Text),
    /// A 412 that carries the record as it is now (`precondition::or_current`).
    #[error("{detail}")]
    Stale { detail: Text, current: Box<serde_json::Value> },
    /// The first request under the same `Idempotency-Key` is still running.
    #[error("{0}")]
    InProgress(Text),
    #[error("{0}")]
    NotAcceptable(Text),
    #[error("{0}")]
    PayloadTooLarge(Text),
    #[error("{0}")]
    UnsupportedMediaType(Text),
    #[error("the request has invalid fields")]
    Validation(Vec<Invalid>),
    #[error("{0}")]
    PreconditionRequired(Text),
    #[error("{detail}")]
    TooManyRequests { detail: Text, retry_after_secs: u64 },
    #[error("{0}")]
    ServiceUnavailable(Text),
    #[error("{0}")]
    RequestTimeout(Text),
    /// What was asked for is no longer kept (a feed position older than its retention).
    #[error("{0}")]
    Gone(Text),
    /// An answer already in its wire form (a record's verdict inside an import).
    #[error("{}", .0.detail)]
    Answered(Box<Problem>),
    #[error(transparent)]
    Internal(anyhow::Error),
}

/// One invalid field, before the answer is written in the caller's language.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub field: String,
    pub message: Text,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: Text) -> Self {
        Self { field: field.into(), message }
    }

    pub fn render(&self, lang: Lang) -> FieldError {
        FieldError { field: self.field.clone(), message: self.message.render(lang) }
    }
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
    pub fn bad_request(detail: Text) -> Self {
        Self::BadRequest(detail)
    }
    pub fn unauthorized(detail: Text) -> Self {
        Self::Unauthorized(detail)
    }
    pub fn forbidden(detail: Text) -> Self {
        Self::Forbidden(detail)
    }
    pub fn not_found(detail: Text) -> Self {
        Self::NotFound(detail)
    }
    pub fn conflict(detail: Text) -> Self {
        Self::Conflict(detail)
    }
    /// 409 for a record sent under an id a different record already has (a retry would carry
    /// the same record); `existing_id` names it.
    pub fn id_taken(what: Text, id: uuid::Uuid) -> Self {
        Self::DuplicateOf {
            detail: text!("a different %{what} already has id %{id}", what => what, id = id),
            existing_id: id,
        }
    }
    pub fn invalid(field: &str, message: Text) -> Self {
        Self::Validation(vec![Invalid::new(field, message)])
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
            Self::Gone(_) => (StatusCode::GONE, "gone"),
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

    /// The problem in English: what logs and the import journal keep.
    pub fn problem(&self) -> Problem {
        self.problem_in(Lang::En)
    }

    /// The problem in `lang`. One already written (`Answered`) stays as it was written.
    pub fn problem_in(&self, lang: Lang) -> Problem {
        if let Self::Answered(problem) = self {
            return (**problem).clone();
        }
        let status = self.status_code();
        let detail = match self {
            Self::Internal(_) => text!("the server could not complete the request"),
            Self::Validation(_) => text!("the request has invalid fields"),
            Self::BadRequest(detail)
            | Self::Unauthorized(detail)
            | Self::Forbidden(detail)
            | Self::NotFound(detail)
            | Self::Conflict(detail)
            | Self::DuplicateOf { detail, .. }
            | Self::PreconditionFailed(detail)
            | Self::Stale { detail, .. }
            | Self::InProgress(detail)
            | Self::NotAcceptable(detail)
            | Self::PayloadTooLarge(detail)
            | Self::UnsupportedMediaType(detail)
            | Self::PreconditionRequired(detail)
            | Self::TooManyRequests { detail, .. }
            | Self::ServiceUnavailable(detail)
            | Self::RequestTimeout(detail)
            | Self::Gone(detail) => detail.clone(),
            // Returned as it was written, above.
            Self::Answered(_) => text!("the request was refused"),
        }
        .render(lang);
        let errors = match self {
            Self::Validation(errors) => errors.iter().map(|e| e.render(lang)).collect(),
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
            title: title(status, lang),
            status: status.as_u16(),
            detail,
            errors,
            existing_id,
            current,
        }
    }
}

/// A status's reason phrase, the problem's `title`, in `lang` (the catalogue has each status
/// the service answers with; `tests/api/catalogue.rs` holds it to that).
pub fn title(status: StatusCode, lang: Lang) -> String {
    let reason = status.canonical_reason().unwrap_or("Error");
    match lang {
        Lang::En => reason.to_owned(),
        _ => crate::i18n::phrase(reason, lang),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind().0
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "internal error"),
            Self::ServiceUnavailable(detail) => tracing::warn!(detail = %detail, "service unavailable"),
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
            Error::NotFound => Self::not_found(text!("no such resource")),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict(text!("a resource with the same identity already exists"))
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict(text!("a concurrent change touched the same data; retry the request"))
            }
            ref passing if is_passing(passing) => Self::unavailable(),
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

/// Nothing was committed, and the same request may succeed a moment later: a connection the
/// server closed (restart, failover, a replica stopped), a query cancelled by the statement
/// timeout, or a deadlock between writers updating the same kept counts.
fn is_passing(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => true,
        Error::DatabaseError(_, info) => is_transient(info.message()),
        _ => false,
    }
}

/// Aggregates join their queries through `anyhow`; a database failure inside one is judged as
/// the query's own would be (a lost connection is a 503 to retry, not a 500).
impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast_ref::<diesel::result::Error>() {
            Some(passing) if is_passing(passing) => Self::unavailable(),
            _ if error.downcast_ref::<diesel_async::pooled_connection::deadpool::PoolError>().is_some() => {
                Self::ServiceUnavailable(text!("the database is unavailable; retry later"))
            }
            _ => Self::Internal(error),
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
        Self::ServiceUnavailable(text!("the database could not finish the request; retry later"))
    }
}

// The pool's error named by its crate, so that `error` stays below `db` (which answers with it).
impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %error, "no database connection available");
        Self::ServiceUnavailable(text!("the database is unavailable; retry later"))
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        Self::Validation(FieldErrors::from_validator(errors).0)
    }
}

/// Collects every invalid field of a request, so a 422 lists them all, not only the first.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<Invalid>);

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

    pub fn add(&mut self, field: &str, message: Text) {
        self.0.push(Invalid::new(field, message));
    }

    /// The errors recorded, in English, for reports that list them per record (imports).
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0.iter().map(|e| e.render(Lang::En)).collect()
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
    pub fn check_order<T: PartialOrd>(&mut self, field: &str, from: Option<T>, to: Option<T>, message: Text) {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            self.add(field, message);
        }
    }

    pub fn check<T, E: Into<Text>>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e.into())).ok()
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

fn flatten_validator(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<Invalid>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| Invalid::new(path.clone(), describe(e))))
            }
            ValidationErrorsKind::Struct(inner) => flatten_validator(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten_validator(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A readable message for validator's rules, by their code (a rule of ours names its code).
fn describe(error: &validator::ValidationError) -> Text {
    let param = |name: &str| error.params.get(name).map(ToString::to_string);
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => text!("must be %{min} to %{max} characters long", min = min, max = max),
            (Some(min), None) => text!("must be at least %{min} characters long", min = min),
            (None, Some(max)) => text!("must be at most %{max} characters long", max = max),
            _ => text!("has an invalid length"),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => text!("must be between %{min} and %{max}", min = min, max = max),
            (Some(min), None) => text!("must be at least %{min}", min = min),
            (None, Some(max)) => text!("must be at most %{max}", max = max),
            _ => text!("is out of range"),
        },
        "email" => text!("must be an email address"),
        "url" => text!("must be a URL"),
        "blank" => text!("must not be blank"),
        "ages" => text!("min_age_women must be below max_age_women"),
        other => text!("is invalid (%{rule})", rule = other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    #[test]
    fn a_lost_connection_inside_an_aggregate_is_a_503_and_other_failures_a_500() {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost =
            || Error::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new("connection closed".to_owned()));
        let terminated = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("terminating connection due to administrator command".to_owned()),
        );
        for passing in [anyhow::Error::new(lost()).context("counting a region"), anyhow::Error::new(terminated)] {
            assert!(matches!(ApiError::from(passing), ApiError::ServiceUnavailable(_)));
        }
        assert!(matches!(ApiError::from(anyhow::anyhow!("a trend of no year")), ApiError::Internal(_)));
        assert!(matches!(ApiError::from(anyhow::Error::new(Error::NotFound)), ApiError::Internal(_)));
    }

    #[actix_web::test]
    async fn validation_problem_has_pinned_shape() {
        let error = ApiError::Validation(vec![
            Invalid::new("name", text!("must not be blank")),
            Invalid::new("scope", text!("must be a region code like 14, 14.01, 14.01.01 or 14.01.01.2009")),
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
                    {"field": "name", "message": "must not be blank"},
                    {"field": "scope", "message": "must be a region code like 14, 14.01, 14.01.01 or 14.01.01.2009"}
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
        let response = ApiError::unauthorized(text!("the access token has expired; refresh it")).error_response();
        assert!(response.headers().contains_key("www-authenticate"));
        let response = ApiError::TooManyRequests {
            detail: text!("too many requests from this address; slow down"),
            retry_after_secs: 42,
        }
        .error_response();
        assert_eq!(response.headers().get("retry-after").unwrap(), "42");
    }
}
