use reqwest::StatusCode;

use crate::common::TestApp;

#[tokio::test]
async fn live_and_ready_answer_ok() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    }
}

#[tokio::test]
async fn ready_is_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.pool.close();
    let response = app.get("/health/ready", None).await;
    crate::common::problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_echoes_a_sane_one() {
    let app = TestApp::spawn().await;
    let generated = app.get("/health/live", None).await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let echoed =
        app.request(reqwest::Method::GET, "/health/live", None).header("X-Request-Id", "abc-123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");

    let replaced = app
        .request(reqwest::Method::GET, "/health/live", None)
        .header("X-Request-Id", "no spaces or {braces} allowed")
        .send()
        .await
        .unwrap();
    assert_ne!(replaced.headers()["x-request-id"], "no spaces or {braces} allowed");

    let error = app.get("/api/v1/nothing-here", None).await;
    assert!(error.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = TestApp::spawn().await;
    let token = app.token_for(stunting_api::domain::Role::Analyst, Some("14")).await;
    app.get("/api/v1/regions/14.01", Some(&token)).await;
    app.get("/api/v1/regions/14.03", Some(&token)).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/v1/regions/{code}",status="200"} 2"#),
        "{text}"
    );
    assert!(!text.contains("14.01"), "raw paths must not become labels");
    assert!(text.contains("db_pool_connections_in_use"));
}

#[tokio::test]
async fn the_contract_and_its_browsable_page_are_served() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app.get("/api-docs/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/regions"].is_object());

    let page = app.get("/docs/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("swagger"));
    let redirect = app.get("/docs", None).await;
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
}

#[tokio::test]
async fn only_configured_origins_get_cors_headers() {
    let app = TestApp::spawn_with(&["--cors-allowed-origins", "https://dashboard.example.go.id"]).await;
    let preflight = |origin: &'static str| {
        app.request(reqwest::Method::OPTIONS, "/api/v1/regions", None)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let allowed = preflight("https://dashboard.example.go.id").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://dashboard.example.go.id");
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(!refused.headers().contains_key("access-control-allow-origin"));
    assert!(refused.headers().contains_key("x-request-id"));
    crate::common::problem(refused, reqwest::StatusCode::BAD_REQUEST).await;
}
