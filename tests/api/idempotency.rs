//! `Idempotency-Key` on POST (`src/http/idempotency.rs`): a retry gets the first answer and
//! changes nothing; another request under a used key is a 422; a retry while the first runs is
//! a 409; errors are not kept; keys belong to their account and expire.

use diesel::sql_types::BigInt;
use diesel_async::{AnsiTransactionManager, AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

fn budget(title: &str) -> Value {
    json!({"region_code": "14.01", "fiscal_year": 2025, "funding_source": "apbd_district", "title": title})
}

async fn post_keyed(app: &TestApp, token: &str, key: &str, body: &Value) -> Response {
    app.request(Method::POST, "/api/v1/budgets", Some(token))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn budgets_titled(app: &TestApp, token: &str, title: &str) -> usize {
    let page: Value = app.get("/api/v1/budgets?limit=100", Some(token)).await.json().await.unwrap();
    page["items"].as_array().unwrap().iter().filter(|b| b["title"] == title).count()
}

fn replayed(response: &Response) -> bool {
    response.headers().get("Idempotent-Replayed").is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retry_under_the_same_key_gets_the_first_answer_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let body = budget("Retried twice");

    let first = post_keyed(&app, &officer, "budget-0001", &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(!replayed(&first));
    let location = first.headers().get("location").cloned();
    let first: Value = first.json().await.unwrap();
    for _ in 0..2 {
        let again = post_keyed(&app, &officer, "budget-0001", &body).await;
        assert_eq!(again.status(), StatusCode::CREATED, "the first status again");
        assert!(replayed(&again));
        assert_eq!(again.headers().get("location").cloned(), location);
        assert_eq!(again.json::<Value>().await.unwrap(), first, "the first body again");
    }
    assert_eq!(budgets_titled(&app, &officer, "Retried twice").await, 1, "one budget, not three");
    let trail = app.audit_trail(first["id"].as_str().unwrap()).await;
    assert_eq!(trail.len(), 1, "one write in the audit trail: {trail:?}");

    // Without a key, the same body is a new budget, as before.
    let unkeyed = app.post_json("/api/v1/budgets", Some(&officer), &body).await;
    assert_eq!(unkeyed.status(), StatusCode::CREATED);
    assert_eq!(budgets_titled(&app, &officer, "Retried twice").await, 2);
}

#[tokio::test]
async fn a_used_key_with_another_request_is_422_and_a_malformed_key_400() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    assert_eq!(post_keyed(&app, &officer, "k-1", &budget("First")).await.status(), StatusCode::CREATED);

    let other =
        problem(post_keyed(&app, &officer, "k-1", &budget("Second")).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(other["errors"][0]["field"], "Idempotency-Key", "{other}");
    assert_eq!(budgets_titled(&app, &officer, "Second").await, 0, "nothing written");

    for malformed in ["has space", &"x".repeat(256), "ünïcode"] {
        let response = app
            .request(Method::POST, "/api/v1/budgets", Some(&officer))
            .header("Idempotency-Key", malformed)
            .json(&budget("Malformed"))
            .send()
            .await
            .unwrap();
        let body = problem(response, StatusCode::BAD_REQUEST).await;
        assert!(body["detail"].as_str().unwrap().contains("Idempotency-Key"), "{body}");
    }
    assert_eq!(budgets_titled(&app, &officer, "Malformed").await, 0);
}

#[tokio::test]
async fn an_error_is_not_kept_so_the_corrected_retry_runs() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let invalid =
        json!({"region_code": "14.01", "fiscal_year": 1890, "funding_source": "apbd_district", "title": "Late"});
    problem(post_keyed(&app, &officer, "k-err", &invalid).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    // The same request again is judged again (not replayed): still 422, for its field.
    let again = problem(post_keyed(&app, &officer, "k-err", &invalid).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(again["errors"][0]["field"], "fiscal_year", "{again}");
    let fixed = post_keyed(&app, &officer, "k-err", &budget("Late")).await;
    assert_eq!(fixed.status(), StatusCode::CREATED);
    assert!(!replayed(&fixed));
}

#[tokio::test]
async fn keys_belong_to_their_account_and_expire() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let riau = app.token_for(Role::Officer, Some("14")).await;
    let body = budget("Shared key");
    assert_eq!(post_keyed(&app, &kampar, "same", &body).await.status(), StatusCode::CREATED);
    let theirs = post_keyed(&app, &riau, "same", &body).await;
    assert_eq!(theirs.status(), StatusCode::CREATED);
    assert!(!replayed(&theirs), "another account's key is its own");
    assert_eq!(budgets_titled(&app, &riau, "Shared key").await, 2);

    TestApp::execute(&app, "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'").await;
    let after = post_keyed(&app, &kampar, "same", &body).await;
    assert_eq!(after.status(), StatusCode::CREATED);
    assert!(!replayed(&after), "an expired key runs again");
    assert_eq!(budgets_titled(&app, &riau, "Shared key").await, 3);
}

#[tokio::test]
async fn a_retry_while_the_first_still_runs_is_409_then_the_answer() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let body = budget("Slow");

    // Hold the budgets table, so the first request waits inside its handler.
    let mut holder = AsyncPgConnection::establish(&app.database_url).await.unwrap();
    AnsiTransactionManager::begin_transaction(&mut holder).await.unwrap();
    diesel::sql_query("LOCK TABLE budgets IN ACCESS EXCLUSIVE MODE").execute(&mut holder).await.unwrap();
    let first = tokio::spawn({
        let (client, url, token, body) =
            (app.client.clone(), format!("{}/api/v1/budgets", app.address), officer.clone(), body.clone());
        async move { client.post(url).bearer_auth(token).header("Idempotency-Key", "slow").json(&body).send().await }
    });
    wait_until_waiting(&app.database_url).await;

    let during = post_keyed(&app, &officer, "slow", &body).await;
    assert_eq!(during.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()), Some("1".into()));
    let during = problem(during, StatusCode::CONFLICT).await;
    assert_eq!(during["type"], "/problems/in-progress");

    AnsiTransactionManager::commit_transaction(&mut holder).await.unwrap();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let after = post_keyed(&app, &officer, "slow", &body).await;
    assert!(replayed(&after));
    assert_eq!(after.json::<Value>().await.unwrap(), first);
    assert_eq!(budgets_titled(&app, &officer, "Slow").await, 1);
}

/// Waits until a session waits for a lock (the first request, on the budgets table).
async fn wait_until_waiting(url: &str) {
    let conn = &mut AsyncPgConnection::establish(url).await.unwrap();
    #[derive(diesel::QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = BigInt)]
        sessions: i64,
    }
    for _ in 0..200 {
        let waiting: Waiting = diesel::sql_query(
            "SELECT count(*) AS sessions FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result(conn)
        .await
        .unwrap();
        if waiting.sessions > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the first request never reached the locked table");
}

/// Budgets, their lines and spending, and monthly reports take client ids as children and
/// measurements do: the same record again is a 200 with the stored one, and counts once.
#[tokio::test]
async fn records_sent_again_under_their_client_id_count_once() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let twice = async |path: &str, body: &Value| -> (Value, Value) {
        let first = app.post_json(path, Some(&officer), body).await;
        assert_eq!(first.status(), StatusCode::CREATED, "{path}");
        let again = app.post_json(path, Some(&officer), body).await;
        assert_eq!(again.status(), StatusCode::OK, "{path}: a retry is answered with the stored record");
        (first.json().await.unwrap(), again.json().await.unwrap())
    };

    let budget_id = "0192b7a4-0000-7000-8000-00000000b001";
    let mut body = budget("With a client id");
    body["id"] = json!(budget_id);
    let (first, again) = twice("/api/v1/budgets", &body).await;
    assert_eq!(first, again);
    body["title"] = json!("Another document");
    let clash = problem(app.post_json("/api/v1/budgets", Some(&officer), &body).await, StatusCode::CONFLICT).await;
    assert_eq!(clash["existing_id"], budget_id);

    let lines = format!("/api/v1/budgets/{budget_id}/lines");
    let line_body =
        json!({"id": "0192b7a4-0000-7000-8000-00000000b002", "activity": "Kelas ibu hamil", "ceiling": 1_000_000});
    let (line, again) = twice(&lines, &line_body).await;
    assert_eq!(line, again);
    let budget: Value = app.get(&format!("/api/v1/budgets/{budget_id}"), Some(&officer)).await.json().await.unwrap();
    assert_eq!(budget["reconciliation"]["lines_total"], 1_000_000, "one line, counted once");

    let approve = app
        .request(Method::POST, &format!("/api/v1/budgets/{budget_id}/approve"), Some(&officer))
        .header("If-Match", format!("\"{}\"", budget["version"]))
        .send()
        .await
        .unwrap();
    assert_eq!(approve.status(), StatusCode::OK);
    let spending = format!("{lines}/{}/spending", line["id"].as_str().unwrap());
    let entry = json!({"id": "0192b7a4-0000-7000-8000-00000000b003", "amount": 250_000, "spent_on": "2025-03-31"});
    let (first, again) = twice(&spending, &entry).await;
    assert_eq!(first["spending"], again["spending"]);
    assert_eq!(again["line"]["realised"], 250_000, "spent once");

    let activity: Value = app
        .post_json(
            "/api/v1/interventions",
            Some(&officer),
            &json!({"type_code": "growth_monitoring", "region_code": "14.01.01.2009", "year": 2024, "target": 120}),
        )
        .await
        .json()
        .await
        .unwrap();
    let reports = format!("/api/v1/interventions/{}/reports", activity["id"].as_str().unwrap());
    let report = json!({"id": "0192b7a4-0000-7000-8000-00000000b004", "month": "2024-01", "reached": 96});
    let (first, again) = twice(&reports, &report).await;
    assert_eq!(first["report"], again["report"]);
    assert_eq!(again["intervention"]["reached"], 96, "reported once");
    let other = json!({"id": "0192b7a4-0000-7000-8000-00000000b004", "month": "2024-02", "reached": 90});
    problem(app.post_json(&reports, Some(&officer), &other).await, StatusCode::CONFLICT).await;
}
