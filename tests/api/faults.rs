//! When the database fails a request part-way (a connection it drops, a statement its timeout
//! cancels) nothing was committed and the same request may succeed a moment later: the answer
//! is a 503 with `Retry-After`, never a 500, and the next request gets a working connection
//! (issue 14, item 3).

use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

/// A row lock held by another session, so that the service's next write of the child waits.
async fn hold_lock_on(app: &TestApp, child: &Value) -> AsyncPgConnection {
    let mut holder = AsyncPgConnection::establish(&app.database_url).await.unwrap();
    let id = child["id"].as_str().unwrap();
    holder.batch_execute(&format!("BEGIN; SELECT 1 FROM children WHERE id = '{id}' FOR UPDATE")).await.unwrap();
    holder
}

/// Waits until one of the service's statements waits for a lock.
async fn until_a_request_waits(app: &TestApp) {
    let started = Instant::now();
    while app
        .count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'stunting-api' AND wait_event_type = 'Lock'")
        .await
        == 0
    {
        assert!(started.elapsed() < Duration::from_secs(10), "no request came to wait for the lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn assert_retry_later(response: reqwest::Response) {
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok()), "503 without Retry-After: {body}");
}

#[tokio::test]
async fn a_connection_the_database_terminates_is_503_and_the_pool_discards_it() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, "14.01.01.2009").await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let mut holder = hold_lock_on(&app, &child).await;

    let rename = json!({"name": "Siti Aminah"});
    let patch = app.patch_json(&path, Some(&token), Some("\"1\""), &rename);
    let (answer, ()) = tokio::join!(patch, async {
        until_a_request_waits(&app).await;
        // What a fast shutdown or an operator does to a backend.
        app.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'stunting-api' AND wait_event_type = 'Lock'",
        )
        .await;
    });
    assert_retry_later(answer).await;
    holder.batch_execute("ROLLBACK").await.unwrap();

    // Retried, the same request succeeds: the dead connection is not handed out again.
    for _ in 0..4 {
        assert_eq!(app.get(&path, Some(&token)).await.status(), StatusCode::OK);
    }
    let retried = app.patch_json(&path, Some(&token), Some("\"1\""), &json!({"name": "Siti Aminah"})).await;
    assert_eq!(retried.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_statement_cancelled_by_its_timeout_is_503() {
    let app = TestApp::spawn_with(&["--database-statement-timeout-ms", "300"]).await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&token, "14.01.01.2009").await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let mut holder = hold_lock_on(&app, &child).await;
    let answer = app.patch_json(&path, Some(&token), Some("\"1\""), &json!({"name": "Siti Aminah"})).await;
    assert_retry_later(answer).await;
    holder.batch_execute("ROLLBACK").await.unwrap();
    let retried = app.patch_json(&path, Some(&token), Some("\"1\""), &json!({"name": "Siti Aminah"})).await;
    assert_eq!(retried.status(), StatusCode::OK);
}
