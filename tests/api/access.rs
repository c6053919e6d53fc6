//! Access, operation by operation, as the contract lists them. So far the rows every operation
//! shares: who is let in at all. Every operation either declares the bearer scheme and then
//! answers 401 to a caller without a valid token (none, expired, signed with another key, not
//! a JWT), before it looks at anything else the request carries; or it is one of the few public
//! operations named below. An operation that is neither fails, so a new endpoint cannot be added
//! without deciding who may call it.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::JWT_SECRET;
use crate::common::{TestApp, contract, problem};

/// Operations anyone may call: health and metrics (for the internal network) and signing in.
const PUBLIC: &[(&str, &str)] = &[
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
];

/// A concrete path for a template: plausible values, in scope or not, for every parameter.
fn concrete(template: &str) -> String {
    let values = [
        ("{id}", "0192b7a4-0000-7000-8000-000000000001"),
        ("{line_id}", "0192b7a4-0000-7000-8000-000000000002"),
        ("{measurement_id}", "0192b7a4-0000-7000-8000-000000000003"),
        ("{code}", "14.01"),
        ("{district}", "14.01"),
        ("{region}", "14.01"),
        ("{year}", "2024"),
        ("{number}", "3"),
        ("{source}", "ssgi"),
    ];
    let path = values.iter().fold(template.to_owned(), |path, (name, value)| path.replace(name, value));
    assert!(!path.contains('{'), "no value for a parameter of {template}: add one above");
    path
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Tokens that must not let anyone in, each with what is wrong with it.
fn bad_tokens(valid_claims: &Value) -> Vec<(&'static str, Option<String>)> {
    let sign = |claims: &Value, secret: &str| {
        encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let mut expired = valid_claims.clone();
    expired["exp"] = json!(now() - 3600);
    vec![
        ("no token", None),
        ("an expired token", Some(sign(&expired, JWT_SECRET))),
        ("a token signed with another key", Some(sign(valid_claims, "another-secret-that-is-long-enough-for-hs256"))),
        ("not a JWT", Some("not-a-jwt".to_owned())),
    ]
}

#[tokio::test]
async fn every_operation_is_public_by_name_or_refuses_a_caller_without_a_valid_token() {
    let app = TestApp::spawn().await;
    let admin = app.create_user(Role::Admin, None).await;
    let claims = json!({
        "sub": admin.id, "role": admin.role, "scope": null, "iss": "stunting-api", "aud": "stunting-api",
        "iat": now(), "nbf": now(), "exp": now() + 600, "jti": uuid::Uuid::new_v4()
    });
    let tokens = bad_tokens(&claims);
    let mut protected = 0;
    for (template, item) in contract::document()["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let is_public = PUBLIC.contains(&(method.as_str(), template.as_str()));
            let is_protected = operation.get("security").is_some_and(|s| s.as_array().is_some_and(|s| !s.is_empty()));
            assert!(
                is_public != is_protected,
                "{method} {template}: protected by the bearer scheme, or listed in PUBLIC — exactly one"
            );
            if is_public {
                continue;
            }
            protected += 1;
            let path = concrete(template);
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            for (what, token) in &tokens {
                // A well-formed request otherwise: authentication is judged first.
                let mut request = app.request(method.clone(), &path, token.as_deref()).header("If-Match", "\"1\"");
                if operation.get("requestBody").is_some() {
                    request = request.json(&json!({}));
                }
                let response = request.send().await.unwrap();
                assert!(response.headers().contains_key("www-authenticate"), "{method} {template} with {what}");
                let body = problem(response, StatusCode::UNAUTHORIZED).await;
                assert_eq!(body["type"], "/problems/unauthorized", "{method} {template} with {what}");
            }
        }
    }
    assert!(protected >= 80, "only {protected} protected operations");
}
