//! Every authenticated POST takes an `Idempotency-Key` (`http::idempotency` runs it): the
//! header and the replay marker on its successful answers are stated here once for all of
//! them; `ProblemResponses` then adds the shared answers the key can bring.

use utoipa::Modify;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Response};

use crate::db::idempotency::KEPT_FOR;
use crate::http::idempotency::{IDEMPOTENCY_KEY, KEY_PATTERN, REPLAYED};

pub struct IdempotentPosts;

const NOTE_409: &str = "Or the first request sent with the same `Idempotency-Key` is still running: \
    retry after Retry-After seconds";
const NOTE_422: &str = "Or the `Idempotency-Key` was already used for a different request";
const NOTE_400: &str = "Or a malformed `Idempotency-Key`";

impl Modify for IdempotentPosts {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let Some(post) = item.post.as_mut() else { continue };
            if post.security.as_ref().is_none_or(|s| s.is_empty()) {
                continue; // signing in: a token is never kept nor replayed
            }
            post.parameters.get_or_insert_with(Vec::new).push(key_parameter(path));
            // The answers a key itself brings are shared ones (`responses::KEYED`); a 400, 409 or
            // 422 the operation describes itself is told about the key here.
            for (status, response) in post.responses.responses.iter_mut() {
                if let RefOr::T(response) = response {
                    match status.as_str() {
                        s if s.starts_with('2') => mark_replayable(response),
                        "409" => append(response, NOTE_409),
                        "422" => append(response, NOTE_422),
                        "400" => append(response, NOTE_400),
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The header, with an example key of its own per path: a client (or a test generator) that
/// sends the examples of two operations does not reuse one key for two requests.
fn key_parameter(path: &str) -> RefOr<Parameter> {
    let example = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, path.as_bytes());
    let schema = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(255))
        .pattern(Some(KEY_PATTERN))
        .build();
    RefOr::T(
        ParameterBuilder::new()
            .name(IDEMPOTENCY_KEY)
            .parameter_in(ParameterIn::Header)
            .description(Some(format!(
                "Makes a retry safe: a request repeated with the same key and the same method, path, \
                 query and body gets the first successful answer again (marked `{REPLAYED}: true`) and \
                 changes nothing, for {} hours. Errors are not kept: a retry after one runs again. \
                 A new UUID per logical request is the usual key.",
                KEPT_FOR.num_hours()
            )))
            .schema(Some(schema))
            .example(Some(serde_json::json!(example)))
            .build(),
    )
}

fn mark_replayable(response: &mut Response) {
    let flag = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["true"])).build();
    let mut header = utoipa::openapi::header::Header::new(flag);
    header.description = Some("Present on an answer replayed for a repeated `Idempotency-Key`".to_owned());
    response.headers.insert(REPLAYED.to_owned(), RefOr::T(header));
}

fn append(response: &mut Response, note: &str) {
    if !response.description.contains(IDEMPOTENCY_KEY) {
        response.description = format!("{}. {note}", response.description.trim_end_matches('.'));
    }
}
