//! Every answer the tests receive is held to the checked-in `openapi/openapi.json`: its status
//! must be listed for the operation, its content type must be one the document names, and a
//! JSON body must validate against that response's schema (OpenAPI 3.1 schemas are JSON Schema
//! 2020-12). A request body the service accepted (2xx) must validate against the document's
//! request schema too: a document stricter than the service would make generated clients
//! refuse to send what works. A test that receives an answer the document does not describe
//! fails there, naming the operation and what differs.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use jsonschema::{Draft, Validator};
use reqwest::{Method, Response};
use serde_json::{Map, Value, json};

static DOCUMENT: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../../openapi/openapi.json")).expect("openapi/openapi.json is JSON")
});

/// Validators by schema text: many operations share a schema (`Problem` above all).
static VALIDATORS: LazyLock<Mutex<HashMap<String, Arc<Validator>>>> = LazyLock::new(Default::default);

/// Served beside the API but not part of it: the document itself and its viewer.
const UNDOCUMENTED_PREFIXES: &[&str] = &["/docs", "/api-docs/"];

/// Reads `response` whole, checks it against the document and hands back an equal response.
pub async fn checked(method: &Method, path: &str, request_body: Option<&Value>, response: Response) -> Response {
    let status = response.status();
    let headers = response.headers().clone();
    let version = response.version();
    let body = response.bytes().await.expect("reading the response body");
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(essence);
    check(method, path, request_body, status.as_u16(), content_type.as_deref(), &body);

    let mut rebuilt = http::Response::builder().status(status).version(version);
    *rebuilt.headers_mut().expect("a fresh builder") = headers;
    Response::from(rebuilt.body(body.to_vec()).expect("rebuilding the response"))
}

/// Panics with the reason when the answer breaks the document.
pub fn check(
    method: &Method,
    path: &str,
    request_body: Option<&Value>,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) {
    let path = path.split('?').next().unwrap_or(path);
    // CORS preflights are the browser's protocol, answered before any route.
    if *method == Method::OPTIONS || UNDOCUMENTED_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return;
    }
    let what = format!("{method} {path} answered {status}");
    let Some((template, operation)) = operation(method, path) else {
        // No such operation: the service's own 404/405 must still be a problem document.
        assert!(matches!(status, 404 | 405), "{what}, but the document has no such operation");
        let problem = json!({"$ref": "#/components/schemas/Problem"});
        assert_eq!(content_type, Some("application/problem+json"), "{what}: not a problem document");
        validate(&what, &problem, &parse(&what, body));
        return;
    };
    let what = format!("{method} {template} answered {status}");
    let responses = &operation["responses"];
    let response = responses.get(status.to_string()).or_else(|| responses.get("default"));
    let response = response.unwrap_or_else(|| panic!("{what}, a status the document does not list"));
    let response = resolve(response);
    let content = response["content"].as_object();

    match (content.filter(|c| !c.is_empty()), content_type) {
        (None, _) => assert!(body.is_empty(), "{what} with a body the document does not describe"),
        (Some(content), Some(content_type)) => {
            let media = content.get(content_type).or_else(|| wildcard(content, content_type));
            let media = media.unwrap_or_else(|| {
                panic!("{what} as {content_type}; the document says {:?}", content.keys().collect::<Vec<_>>())
            });
            if is_json(content_type)
                && let Some(schema) = media.get("schema")
            {
                validate(&what, schema, &parse(&what, body));
            }
            // NDJSON: every line is a document of the schema.
            if content_type == "application/x-ndjson"
                && let Some(schema) = media.get("schema")
            {
                for (n, line) in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
                    validate(&format!("{what}, line {}", n + 1), schema, &parse(&what, line));
                }
            }
        }
        (Some(_), None) => assert!(body.is_empty(), "{what} with a body but no content type"),
    }

    if (200..300).contains(&status)
        && let (Some(sent), Some(schema)) =
            (request_body, operation["requestBody"]["content"]["application/json"].get("schema"))
    {
        validate(&format!("{method} {template}: the request body it accepted"), schema, sent);
    }
}

/// The operation for `method` on `path`: the template with the most literal segments wins, so
/// `/convergence/actions` is not taken for `/convergence/{id}`.
fn operation<'a>(method: &Method, path: &str) -> Option<(&'a str, &'a Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    let method = method.as_str().to_ascii_lowercase();
    DOCUMENT["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(p, s)| p == s || (p.starts_with('{') && !s.is_empty()));
            let literal = parts.iter().filter(|p| !p.starts_with('{')).count();
            matches.then(|| item.get(&method).map(|op| (literal, template.as_str(), op))).flatten()
        })
        .max_by_key(|(literal, ..)| *literal)
        .map(|(_, template, op)| (template, op))
}

/// A reference into the document (`{"$ref": "#/components/…"}`) as what it stands for;
/// anything else as itself.
pub fn resolve(value: &Value) -> &Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => DOCUMENT
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("openapi/openapi.json has no {pointer}")),
        None => value,
    }
}

fn wildcard<'a>(content: &'a Map<String, Value>, content_type: &str) -> Option<&'a Value> {
    let top = content_type.split('/').next().unwrap_or_default();
    content.get(&format!("{top}/*")).or_else(|| content.get("*/*"))
}

fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

fn is_json(content_type: &str) -> bool {
    content_type == "application/json" || content_type.ends_with("+json")
}

fn parse(what: &str, body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{what} with a body that is not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// Validates `instance` against `schema`, whose `$ref`s point into the document's components.
pub fn validate(what: &str, schema: &Value, instance: &Value) {
    let validator = validator(schema);
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("  at {}: {e}", e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{what}, which breaks its schema in openapi/openapi.json:\n{}\nbody: {instance}",
        errors.join("\n")
    );
}

fn validator(schema: &Value) -> Arc<Validator> {
    let key = schema.to_string();
    if let Some(found) = VALIDATORS.lock().unwrap().get(&key) {
        return found.clone();
    }
    // The schema becomes a root that carries the document's components, so `#/components/…`
    // resolves there; JSON Schema ignores the keyword it does not know.
    let mut root = match schema {
        Value::Object(map) => map.clone(),
        other => Map::from_iter([("allOf".to_owned(), Value::Array(vec![other.clone()]))]),
    };
    root.insert("components".to_owned(), DOCUMENT["components"].clone());
    let built = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("a schema of openapi/openapi.json does not compile: {e}\n{schema}"));
    let built = Arc::new(built);
    VALIDATORS.lock().unwrap().insert(key, built.clone());
    built
}

/// The whole document, for tests that walk it.
pub fn document() -> &'static Value {
    &DOCUMENT
}
