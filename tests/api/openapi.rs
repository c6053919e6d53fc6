//! The checked-in contract must be what the code generates. To update it after a change:
//! `cargo run -- openapi --output openapi/openapi.json`.

use serde_json::Value;

#[test]
fn checked_in_document_matches_the_code() {
    let generated = stunting_api::openapi::document_json().unwrap();
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("openapi/openapi.json exists");
    assert!(
        generated == checked_in,
        "openapi/openapi.json is out of date: run `cargo run -- openapi --output openapi/openapi.json`"
    );
}

#[test]
fn every_protected_operation_documents_its_errors() {
    let doc: Value = serde_json::to_value(stunting_api::openapi::document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(operation["summary"].is_string() || operation["description"].is_string(), "{method} {path}");
            if operation.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks its 401");
                checked += 1;
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not documented as problem+json"
                    );
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} protected operations found");
}

#[test]
fn bearer_scheme_is_declared() {
    let doc: Value = serde_json::to_value(stunting_api::openapi::document()).unwrap();
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}
