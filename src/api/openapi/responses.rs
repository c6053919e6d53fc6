//! The answers shared code gives, listed once as shared responses and added to every
//! operation that can meet them.

use utoipa::Modify;

use super::item_operations;

/// Every 4xx and 5xx answer is a problem document: handlers list their own error statuses with
/// a description, and this says once what their body is. It also lists the answers that shared
/// code, not the handler, gives: any operation can be refused for its `Accept` header or fail
/// while the database is away; one that takes a body can get a malformed, too large or mistyped
/// one; one that takes parameters can get invalid ones; a protected one no valid token; a
/// conditional write (one that lists `IfMatch` in its parameters) a missing or stale `If-Match`;
/// a POST with an `Idempotency-Key` a malformed key or one still in use. Those are shared responses under
/// `components/responses`, so generated clients know every status they can meet and no
/// handler writes them out again.
pub struct ProblemResponses;

/// (status, component name, description), in the order an operation may need them.
const ANY_OPERATION: &[(&str, &str, &str)] = &[
    ("406", "NotAcceptable", "The Accept header names no media type this operation produces"),
    ("500", "InternalError", "An unexpected failure; the problem carries no cause (the log has it)"),
    ("503", "Unavailable", "The database cannot be reached now; retry after Retry-After seconds"),
];
/// One 400 for whatever can be malformed: the body, an `If-Match`, a cursor.
const BAD_REQUEST: (&str, &str, &str) = (
    "400",
    "BadRequest",
    "Malformed: a body that is not JSON or cannot be read, an If-Match that is not an ETag this API \
     gave out, a cursor it did not hand out, or an Idempotency-Key that is not 1 to 255 printable \
     ASCII characters",
);
const INVALID_REQUEST: (&str, &str, &str) =
    ("422", "InvalidRequest", "Invalid fields or parameters: `errors` names each");
const WITH_BODY: &[(&str, &str, &str)] = &[
    BAD_REQUEST,
    (
        "408",
        "BodyTimeout",
        "The body did not arrive within BODY_TIMEOUT_SECS of the headers, or paused more than 10 seconds",
    ),
    ("413", "BodyTooLarge", "The body is larger than the service accepts (MAX_BODY_BYTES)"),
    ("415", "UnsupportedMediaType", "The body's Content-Type is not one this operation takes"),
    INVALID_REQUEST,
];
const WITH_PARAMETERS: &[(&str, &str, &str)] = &[INVALID_REQUEST];
/// A list can be sent a cursor it never handed out.
const WITH_CURSOR: &[(&str, &str, &str)] = &[BAD_REQUEST];
/// An operation behind the bearer scheme.
const PROTECTED: &[(&str, &str, &str)] = &[("401", "Unauthenticated", "No valid access token")];
/// A conditional write: its `If-Match` can be missing, malformed, or stale.
const CONDITIONAL: &[(&str, &str, &str)] = &[
    BAD_REQUEST,
    (
        "412",
        "PreconditionFailed",
        "The record changed since the version in `If-Match` was read (or, written under a key, was \
         recorded meanwhile). For children, cases, families at risk, activities, teams and budget \
         documents the problem's `current` holds the record as it is now: merge and retry with \
         its `version`",
    ),
    ("428", "PreconditionRequired", "`If-Match` is missing, or `*`: send the ETag of the version you read"),
];
/// A POST sent with an `Idempotency-Key` (`http::idempotency`): the key can be malformed, or its
/// first request still running.
const KEYED: &[(&str, &str, &str)] = &[
    BAD_REQUEST,
    (
        "409",
        "IdempotencyKeyInProgress",
        "The first request sent with the same `Idempotency-Key` is still running: retry after \
         Retry-After seconds",
    ),
];
/// Every operation but the health probes and metrics (`http::rate_limit`).
const RATE_LIMITED: &[(&str, &str, &str)] = &[(
    "429",
    "TooManyRequests",
    "Too many requests from this address (RATE_LIMIT_PER_ADDRESS) or account (RATE_LIMIT_PER_ACCOUNT): \
     retry after Retry-After seconds",
)];
/// The shared answers that tell a client when to try again.
const WITH_RETRY_AFTER: &[&str] = &["Unavailable", "IdempotencyKeyInProgress", "TooManyRequests"];

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Type;
        use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder};
        let problem = ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("Problem")))).build();
        let components = openapi.components.get_or_insert_with(Default::default);
        let tables = [ANY_OPERATION, WITH_BODY, PROTECTED, CONDITIONAL, KEYED, RATE_LIMITED];
        for (_, name, description) in tables.into_iter().flatten() {
            let mut response =
                ResponseBuilder::new().description(*description).content(crate::error::PROBLEM_JSON, problem.clone());
            if WITH_RETRY_AFTER.contains(name) {
                let seconds = ObjectBuilder::new().schema_type(Type::Integer).build();
                response = response.header("Retry-After", utoipa::openapi::header::Header::new(seconds));
            }
            components.responses.insert((*name).to_owned(), RefOr::T(response.build()));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let limited = !path.starts_with("/health") && path != "/metrics";
            for operation in item_operations(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(Response { content, .. })) = (is_error, response)
                        && content.is_empty()
                    {
                        content.insert(crate::error::PROBLEM_JSON.to_owned(), RefOr::T(problem.clone()));
                    }
                }
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                let named = |name: &str| parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.name == name));
                let when = |applies: bool, table| if applies { table } else { &[] as &[(&str, &str, &str)] };
                let shared = ANY_OPERATION
                    .iter()
                    .chain(when(operation.request_body.is_some(), WITH_BODY))
                    .chain(when(!parameters.is_empty(), WITH_PARAMETERS))
                    .chain(when(named("cursor"), WITH_CURSOR))
                    .chain(when(operation.security.as_ref().is_some_and(|s| !s.is_empty()), PROTECTED))
                    .chain(when(named("If-Match"), CONDITIONAL))
                    .chain(when(named(crate::http::idempotency::IDEMPOTENCY_KEY), KEYED))
                    .chain(when(limited, RATE_LIMITED));
                for (status, name, _) in shared {
                    operation
                        .responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
                }
            }
        }
    }
}
