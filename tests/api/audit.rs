//! The audit trail you can read: admins everywhere, officers inside their scope, nobody else;
//! and no role the service connects as can change or remove a line (issue 14).

use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

async fn audit(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/audit?{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn actions(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|line| line["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn officers_read_the_lines_of_their_scope_and_admins_all() {
    let app = TestApp::spawn().await;
    let kampar = app.create_user(Role::Officer, Some("14.01")).await;
    let officer = app.token(&kampar);
    let child = app.child_in(&officer, "14.01.01.2009").await;
    let id = child["id"].as_str().unwrap();
    let path = format!("/api/v1/children/{id}");
    let renamed = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"name": "Siti Aminah"})).await;
    assert_eq!(renamed.status(), StatusCode::OK);

    let own = audit(&app, &officer, &format!("entity=child&entity_id={id}")).await;
    assert_eq!(actions(&own), ["child.update", "child.create"], "newest first: {own}");
    assert_eq!(own["items"][0]["region_code"], "14.01.01.2009");
    assert_eq!(own["items"][0]["actor_id"], kampar.id.to_string());

    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    assert!(actions(&audit(&app, &bengkalis, &format!("entity_id={id}")).await).is_empty());
    let admin = app.token_for(Role::Admin, None).await;
    assert_eq!(actions(&audit(&app, &admin, &format!("entity_id={id}")).await).len(), 2);
    let by_action = audit(&app, &admin, &format!("action=child.update&actor={}", kampar.id)).await;
    assert_eq!(actions(&by_action), ["child.update"]);

    // Keyset pages: one line each, no line twice.
    let first = audit(&app, &officer, &format!("entity_id={id}&limit=1")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = audit(&app, &officer, &format!("entity_id={id}&limit=1&cursor={cursor}")).await;
    assert_eq!(actions(&second), ["child.create"]);

    for role in [Role::Analyst, Role::Cadre, Role::Integration] {
        let token = app.token_for(role, Some("14.01")).await;
        problem(app.get("/api/v1/audit", Some(&token)).await, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn sign_ins_failures_and_lock_outs_are_in_it() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    for _ in 0..5 {
        app.login(&user.username, "a guess").await;
    }
    let admin = app.token_for(Role::Admin, None).await;
    let lines = audit(&app, &admin, &format!("entity=user&entity_id={}", user.id)).await;
    let actions = actions(&lines);
    assert_eq!(actions.iter().filter(|a| *a == "user.login_failed").count(), 5, "{actions:?}");
    assert!(actions.contains(&"user.locked".to_owned()), "{actions:?}");
    // The village's officer sees them too: the account is in the officer's scope.
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let seen = audit(&app, &officer, &format!("action=user.locked&entity_id={}", user.id)).await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn no_line_can_be_changed_or_removed_by_the_service_s_role() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    app.child_in(&officer, "14.01.01.2009").await;
    let before = app.count("SELECT count(*) FROM audit_log").await;
    assert!(before > 0);
    let mut conn = app.pool.get().await.unwrap();
    for sql in ["UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
        let refused = diesel::sql_query(sql).execute(&mut conn).await;
        let error = refused.expect_err(sql).to_string();
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, before);
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action = 'nothing'").await, 0);
}

#[tokio::test]
async fn invalid_filters_are_422() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    for query in ["actor=not-a-uuid", "from=yesterday", "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "limit=0"]
    {
        problem(app.get(&format!("/api/v1/audit?{query}"), Some(&admin)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}
