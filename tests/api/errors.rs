//! The shared error conventions: every failure is problem+json with a status that says what
//! went wrong, and no input, however malformed, produces a 5xx.

use reqwest::{Method, StatusCode};
use serde_json::json;
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let response = app
        .request(Method::POST, "/api/v1/regions", Some(&token))
        .header("content-type", "application/json")
        .body(r#"{"code": "14.01.99", "name": "#)
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let response = app
        .request(Method::POST, "/api/v1/regions", Some(&token))
        .header("content-type", "text/plain")
        .body(r#"{"code": "14.01.99", "name": "x"}"#)
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(&["--max-body-bytes", "1024"]).await;
    let token = app.token_for(Role::Admin, None).await;
    let response =
        app.post_json("/api/v1/regions", Some(&token), &json!({"code": "14.01.99", "name": "x".repeat(4096)})).await;
    problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let body = problem(app.get("/api/v2/regions", None).await, StatusCode::NOT_FOUND).await;
    assert!(body["detail"].as_str().unwrap().contains("/api/v2/regions"));
}

/// A path that exists, asked with a method it does not take, is a 405 naming the ones it does.
#[tokio::test]
async fn another_method_on_a_known_path_is_a_405_with_allow() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = "/api/v1/children/0192b7a4-0000-7000-8000-0000000000a1";
    for (method, path, allow) in [
        ("TRACE", "/api/v1/changes", "GET"),
        ("PUT", "/api/v1/children", "GET, POST"),
        ("POST", child, "DELETE, GET, PATCH"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        // Sent outside `app.request`: the document has no such operation to hold the answer to.
        let response = reqwest::Client::new()
            .request(method.clone(), format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        let body = problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(body["type"], "/problems/method-not-allowed");
    }
    problem(app.get("/api/v1/childs", Some(&token)).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn validation_lists_every_invalid_field() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let response = app
        .post_json(
            "/api/v1/users",
            Some(&token),
            &json!({"username": "x", "password": "short", "role": "cadre", "scope": "14.1"}),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["username", "password", "scope"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_named() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let response = app.post_json("/api/v1/users", Some(&token), &json!({"username": 5})).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "username");

    let response = app.get("/api/v1/regions?limit=many", Some(&token)).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn no_malformed_request_produces_a_5xx() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let paths = [
        "/api/v1/regions",
        "/api/v1/regions/14.01",
        "/api/v1/regions/14.01/children",
        "/api/v1/regions/14.01/retire",
        "/api/v1/users",
        "/api/v1/users/00000000-0000-0000-0000-000000000000",
        "/api/v1/users/not-a-uuid",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/children",
        "/api/v1/children/00000000-0000-0000-0000-000000000000",
        "/api/v1/children/not-a-uuid/measurements",
        "/api/v1/children/00000000-0000-0000-0000-000000000000/measurements",
        "/api/v1/children/00000000-0000-0000-0000-000000000000/measurements/00000000-0000-0000-0000-000000000000",
        "/api/v1/children/00000000-0000-0000-0000-000000000000/growth",
        "/api/v1/cases",
        "/api/v1/cases/00000000-0000-0000-0000-000000000000",
        "/api/v1/children/00000000-0000-0000-0000-000000000000/services",
        "/api/v1/intervention-types",
        "/api/v1/intervention-types/ttd_pregnant",
        "/api/v1/agencies",
        "/api/v1/agencies/00000000-0000-0000-0000-000000000000",
        "/api/v1/interventions",
        "/api/v1/interventions/00000000-0000-0000-0000-000000000000",
        "/api/v1/interventions/00000000-0000-0000-0000-000000000000/reports",
        "/api/v1/stats/interventions",
        "/api/v1/stats/budgets",
        "/api/v1/stats/prevalence",
        "/api/v1/budgets",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000/approve",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000/revise",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000/revisions",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000/lines",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000/lines/00000000-0000-0000-0000-000000000000",
        "/api/v1/budgets/00000000-0000-0000-0000-000000000000/lines/00000000-0000-0000-0000-000000000000/spending",
        "/api/v1/convergence",
        "/api/v1/convergence/actions",
        "/api/v1/convergence/14.03/2021",
        "/api/v1/convergence/14.03/20x1",
        "/api/v1/convergence/14.03/2021/actions/5",
        "/api/v1/convergence/14.03/2021/actions/99999",
        "/api/v1/convergence/14.03/2021/actions/5/documents",
        "/api/v1/convergence/14.03/2021/assessment",
        "/api/v1/convergence/documents/00000000-0000-0000-0000-000000000000",
        "/api/v1/convergence/documents/00000000-0000-0000-0000-000000000000/content",
        "/api/v1/lokus/14.01/2022",
        "/api/v1/lokus/14/2022",
        "/api/v1/teams",
        "/api/v1/teams/00000000-0000-0000-0000-000000000000",
        "/api/v1/stats/teams",
        "/api/v1/families-at-risk",
        "/api/v1/families-at-risk/import",
        "/api/v1/families-at-risk/00000000-0000-0000-0000-000000000000",
        "/api/v1/families-at-risk/00000000-0000-0000-0000-000000000000/verification",
        "/api/v1/stats/families-at-risk",
        "/api/v1/prevalence-figures",
        "/api/v1/survey-figures",
        "/api/v1/survey-figures/14.03/2023/ssgi",
        "/api/v1/survey-figures/national/2023/ssgi",
        "/api/v1/prevalence-targets/14.03/2024",
    ];
    let bodies = [
        "",
        "null",
        "[]",
        "{}",
        "\"text\"",
        "{\"code\": null, \"name\": 7}",
        "{\"grant_type\": \"magic\"}",
        "{\"username\": \"a\", \"role\": \"king\", \"scope\": 14}",
        "{\"replaced_by\": \"14.01\"}",
        concat!(
            "{\"scope\": \"99.99.99.9999\", \"role\": \"cadre\", ",
            "\"username\": \"abc\", \"password\": \"long enough password\"}"
        ),
        "\u{0}\u{1}",
        "{\"village_code\": \"14.01.01.2009\", \"sex\": \"female\", \"birth_date\": \"2024-13-45\", \"name\": \"x\"}",
        "{\"measured_on\": \"2025-01-01\", \"length_cm\": 1e400, \"position\": \"lying\", \"place\": \"posyandu\"}",
        "{\"close\": {\"reason\": \"died\", \"closed_on\": \"0000-00-00\"}}",
        concat!(
            "{\"type_code\": \"growth_monitoring\", \"region_code\": \"14.01\", ",
            "\"year\": 99999, \"target\": 9223372036854775807}"
        ),
        "{\"month\": \"2024-00\", \"reached\": -1}",
        concat!(
            "{\"region_code\": \"14.01\", \"fiscal_year\": 2024, \"funding_source\": \"apbn\", ",
            "\"title\": \"x\", \"reported_total\": 99999999999999999999}"
        ),
        "{\"amount\": 9223372036854775807, \"spent_on\": \"2024-01-01\", \"approved_overrun\": true}",
    ];
    let queries = [
        "",
        "?limit=-1",
        "?limit=100000",
        "?cursor=%%%",
        "?level=planet",
        "?parent=abc",
        "?q=%25_%5C",
        "?region=14.1&born_from=yesterday",
        "?status=sleeping&opened_from=2025-02-30",
        "?has_open_case=maybe&sex=x",
        "?year=1&level=village&from=2024-13",
        "?district=99.99&category=x",
        "?has_discrepancy=perhaps&fiscal_year=x",
    ];
    for path in paths {
        for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE, Method::PUT, Method::OPTIONS] {
            for (i, body) in bodies.iter().enumerate() {
                for auth in [Some(token.as_str()), None] {
                    let query = queries[i % queries.len()];
                    let response = app
                        .request(method.clone(), &format!("{path}{query}"), auth)
                        .header("content-type", "application/json")
                        .header("If-Match", "\"1\"")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status();
                    assert!(status.as_u16() < 500, "{method} {path}{query} with {body:?} gave {status}");
                    if status.is_client_error() {
                        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
                        assert_eq!(content_type, "application/problem+json", "{method} {path}{query}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn an_accept_the_operation_cannot_satisfy_is_406_naming_what_it_produces() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let csv = |method, path| app.request(method, path, Some(&token)).header("Accept", "text/csv");

    let region = csv(Method::GET, "/api/v1/regions/14.01").send().await.unwrap();
    let body = problem(region, StatusCode::NOT_ACCEPTABLE).await;
    assert!(body["detail"].as_str().unwrap().contains("application/json"), "{body}");
    // The aggregates, which can answer CSV, do.
    let stats = csv(Method::GET, "/api/v1/stats/prevalence?region=14.01&year=2025").send().await.unwrap();
    assert_eq!(stats.status(), StatusCode::OK);

    // Refused before the handler: a write asked for in a form it cannot answer does not happen.
    let create = csv(Method::POST, "/api/v1/regions").json(&json!({"code": "14.01.99", "name": "Desa Baru"}));
    problem(create.send().await.unwrap(), StatusCode::NOT_ACCEPTABLE).await;
    let after = app.get("/api/v1/regions/14.01.99", Some(&token)).await;
    assert_eq!(after.status(), StatusCode::NOT_FOUND);

    // Ranges and preferences that admit JSON are served.
    for accept in ["application/json", "*/*", "application/*", "text/csv, application/json;q=0.1"] {
        let response = app.request(Method::GET, "/api/v1/regions/14.01", Some(&token)).header("Accept", accept);
        assert_eq!(response.send().await.unwrap().status(), StatusCode::OK, "{accept}");
    }
    // Metrics are text: JSON is what they cannot produce.
    let metrics = app.request(Method::GET, "/metrics", None).header("Accept", "application/json");
    problem(metrics.send().await.unwrap(), StatusCode::NOT_ACCEPTABLE).await;
}

/// PostgreSQL refuses U+0000 in text; the service refuses it first, naming the field, on every
/// way in: a JSON field (the login's too), a nested one, a query parameter.
#[tokio::test]
async fn a_nul_character_is_422_naming_the_field_not_a_5xx() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let login = json!({"grant_type": "password", "username": "admin\u{0}", "password": "whatever it is"});
    let body = problem(app.post_json("/api/v1/auth/token", None, &login).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "username", "{body}");

    let child =
        json!({"village_code": "14.01.01.2009", "sex": "female", "birth_date": "2024-06-01", "name": "Siti\u{0}"});
    let body =
        problem(app.post_json("/api/v1/children", Some(&token), &child).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "name", "{body}");

    let body =
        problem(app.get("/api/v1/regions?q=Kam%00par", Some(&token)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "q", "{body}");

    // In a path it names nothing.
    let path = "/api/v1/intervention-types/ab%00";
    let patch = app.patch_json(path, Some(&token), Some("\"1\""), &json!({"name": "x"})).await;
    problem(patch, StatusCode::NOT_FOUND).await;
}

/// serde reads a struct from an array of its fields in order; the contract says `type: object`,
/// and an array signed in and created children (issue 14, item 4).
#[tokio::test]
async fn a_json_array_where_an_object_is_expected_is_422() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let login = json!(["password", "admin", "whatever it is"]);
    let body = problem(app.post_json("/api/v1/auth/token", None, &login).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "body", "{body}");

    let before = app.count("SELECT count(*) FROM children").await;
    let child = json!(["14.01.01.2009", "female", "2024-06-01", "Siti"]);
    let body =
        problem(app.post_json("/api/v1/children", Some(&token), &child).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "body", "{body}");
    assert_eq!(app.count("SELECT count(*) FROM children").await, before);
}

/// JSON is UTF-8; a body declared in another charset is refused rather than misread.
#[tokio::test]
async fn json_in_another_charset_is_415() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::POST, "/api/v1/auth/token", None)
        .header("content-type", "application/json; charset=latin1")
        .body(r#"{"grant_type": "password", "username": "admin", "password": "whatever it is"}"#)
        .send()
        .await
        .unwrap();
    let body = problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert!(body["detail"].as_str().unwrap().contains("latin1"), "{body}");
}

/// A client that declares a body and trickles it must not hold a connection for ever: past
/// BODY_TIMEOUT_SECS it is answered 408 (issue 14, item 5).
#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(&["--body-timeout-secs", "1"]).await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /api/v1/children HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"name\": \""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A guard against a hang, not a latency bound: only the 1 s body deadline answers 408.
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("\"status\":408") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 60 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

/// Sends `request` with `Accept-Language: language` and returns the problem, its
/// `Content-Language` checked against `expected`.
async fn problem_in(
    request: crate::common::app::Call,
    language: &str,
    status: StatusCode,
    expected: &str,
) -> serde_json::Value {
    let response = request.header("Accept-Language", language).send().await.unwrap();
    assert_eq!(response.headers()["content-language"], expected, "{language}");
    assert!(response.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Accept-Language")));
    problem(response, status).await
}

#[tokio::test]
async fn errors_speak_indonesian_to_whoever_prefers_it() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let invalid = json!({"username": "x", "password": "short", "role": "cadre", "scope": "14.1"});
    let create = || app.request(Method::POST, "/api/v1/users", Some(&token)).json(&invalid);

    // Title, detail and every field's message; the field names and the type stay as they are.
    let body = problem_in(create(), "id-ID,id;q=0.9,en;q=0.8", StatusCode::UNPROCESSABLE_ENTITY, "id").await;
    assert_eq!(body["title"], "Data Tidak Dapat Diproses");
    assert_eq!(body["detail"], "permintaan berisi kolom yang tidak sah");
    assert_eq!(body["type"], "/problems/validation");
    let scope = body["errors"].as_array().unwrap().iter().find(|e| e["field"] == "scope").unwrap();
    assert_eq!(scope["message"], "harus berupa kode wilayah seperti 14, 14.01, 14.01.01 atau 14.01.01.2009");
    let english = problem_in(create(), "fr, en;q=0.5, id;q=0.1", StatusCode::UNPROCESSABLE_ENTITY, "en").await;
    assert_eq!(english["detail"], "the request has invalid fields");
    assert_eq!(english["errors"].as_array().unwrap().len(), body["errors"].as_array().unwrap().len());
    let refused = problem_in(create(), "id;q=0, *", StatusCode::UNPROCESSABLE_ENTITY, "en").await;
    assert_eq!(refused["title"], "Unprocessable Entity");

    // The README's example (step 7): a cadre's phone registering a child with two bad fields.
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child =
        json!({"village_code": "14.01.01", "sex": "female", "birth_date": "2024-06-01", "name": "Siti", "nik": "1401"});
    let register = app.request(Method::POST, "/api/v1/children", Some(&officer)).json(&child);
    let body = problem_in(register, "id", StatusCode::UNPROCESSABLE_ENTITY, "id").await;
    let messages: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        messages,
        [("village_code", "harus berupa kode desa/kelurahan seperti 14.01.01.2009"), ("nik", "harus 16 digit")]
    );

    // serde's own messages, read back into their parts: a wrong type, an unknown value.
    let wrong = app.request(Method::POST, "/api/v1/users", Some(&token)).json(&json!({"username": 5}));
    let body = problem_in(wrong, "id", StatusCode::UNPROCESSABLE_ENTITY, "id").await;
    assert_eq!(body["errors"][0]["message"], "jenis tidak sesuai: integer `5`, seharusnya a string");
    let query = app.request(Method::GET, "/api/v1/regions?limit=many", Some(&token));
    let body = problem_in(query, "id", StatusCode::UNPROCESSABLE_ENTITY, "id").await;
    assert!(body["errors"][0]["message"].as_str().unwrap().starts_with("tidak sah: "), "{body}");

    // A message with its parts: a refusal naming the region.
    let elsewhere =
        json!({"village_code": "14.03.01.1001", "sex": "female", "birth_date": "2024-06-01", "name": "Siti"});
    let create = app.request(Method::POST, "/api/v1/children", Some(&officer)).json(&elsewhere);
    let body = problem_in(create, "id", StatusCode::FORBIDDEN, "id").await;
    assert_eq!(body["title"], "Dilarang");
    assert_eq!(body["detail"], "wilayah 14.03.01.1001 di luar cakupan wilayah Anda");

    // Answers no handler wrote: an unknown route, a missing token, a method the route lacks.
    let body = problem_in(app.request(Method::GET, "/api/v2/x", None), "id", StatusCode::NOT_FOUND, "id").await;
    assert_eq!(body["detail"], "tidak ada endpoint di GET /api/v2/x");
    let body =
        problem_in(app.request(Method::GET, "/api/v1/children", None), "in", StatusCode::UNAUTHORIZED, "id").await;
    assert_eq!(body["title"], "Tidak Terautentikasi");
    let english =
        problem_in(app.request(Method::GET, "/api/v1/children", None), "en-US", StatusCode::UNAUTHORIZED, "en").await;
    assert_eq!(english["title"], "Unauthorized");
}
