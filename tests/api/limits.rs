//! Abuse limits and the headers every answer carries (issue 14).

use reqwest::{Method, StatusCode};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

/// Fires `n` reads with `token` and returns the statuses, in order.
async fn burst(app: &TestApp, token: &str, n: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(app.get("/api/v1/regions/14", Some(token)).await.status());
    }
    statuses
}

#[tokio::test]
async fn one_address_over_its_rate_is_429_with_retry_after_and_probes_are_not_limited() {
    let app = TestApp::spawn_with(&["--rate-limit-per-address", "2"]).await;
    let token = app.token_for(Role::Analyst, Some("14")).await;
    let statuses = burst(&app, &token, 12).await;
    assert_eq!(statuses[0], StatusCode::OK);
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let limited = app.get("/api/v1/regions/14", Some(&token)).await;
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1);
    problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    for _ in 0..12 {
        assert_eq!(app.get("/health/ready", None).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn one_account_over_its_rate_does_not_slow_another() {
    let app = TestApp::spawn_with(&["--rate-limit-per-account", "2"]).await;
    let busy = app.token_for(Role::Analyst, Some("14")).await;
    let other = app.token_for(Role::Analyst, Some("14")).await;
    let statuses = burst(&app, &busy, 12).await;
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert_eq!(app.get("/api/v1/regions/14", Some(&other)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Analyst, Some("14")).await;
    let answers = [
        app.get("/api/v1/regions/14", Some(&token)).await,
        app.get("/api/v1/regions/14", None).await,
        app.get("/api/v1/nothing-here", Some(&token)).await,
        app.request(Method::GET, "/docs/", None).send().await.unwrap(),
    ];
    for answer in answers {
        let headers = answer.headers();
        for name in ["x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy"] {
            assert!(headers.contains_key(name), "{} {} lacks {name}", answer.url(), answer.status());
        }
        if answer.url().path().starts_with("/api/") {
            assert_eq!(headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
        }
    }
}

/// Offices share one NAT address: what one account's own limit refuses must not spend the
/// allowance of the address its neighbours use.
#[tokio::test]
async fn requests_an_account_limit_refuses_cost_its_address_nothing() {
    // Bursts of twice the rate: 40 for the address, 10 for each account.
    let app = TestApp::spawn_with(&["--rate-limit-per-address", "20", "--rate-limit-per-account", "5"]).await;
    let busy = app.token_for(Role::Analyst, Some("14")).await;
    let neighbour = app.token_for(Role::Analyst, Some("14")).await;
    let statuses = burst(&app, &busy, 80).await;
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(refused > 50, "the busy account is held to its own rate: {statuses:?}");
    let neighbours = burst(&app, &neighbour, 10).await;
    assert!(neighbours.iter().all(|s| *s == StatusCode::OK), "the neighbour was starved: {neighbours:?}");
}
