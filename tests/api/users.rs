use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::PASSWORD;
use crate::common::{TestApp, problem};

fn new_user(username: &str, role: &str, scope: Option<&str>) -> Value {
    json!({"username": username, "password": "a long enough password", "role": role, "scope": scope})
}

#[tokio::test]
async fn admin_creates_an_officer_who_can_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let response =
        app.post_json("/api/v1/users", Some(&admin), &new_user("Kampar.Officer", "officer", Some("14.01"))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers()["location"].to_str().unwrap().starts_with("/api/v1/users/"));
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["username"], "kampar.officer");
    assert_eq!(user["scope"], "14.01");
    assert!(user.get("password_hash").is_none() && user.get("client_secret").is_none());

    let login = app.login("kampar.officer", "a long enough password").await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn officer_creates_cadres_and_analysts_only_inside_their_scope() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre =
        app.post_json("/api/v1/users", Some(&officer), &new_user("cadre1", "cadre", Some("14.01.01.2009"))).await;
    assert_eq!(cadre.status(), StatusCode::CREATED);
    let analyst = app.post_json("/api/v1/users", Some(&officer), &new_user("dash1", "analyst", Some("14.01"))).await;
    assert_eq!(analyst.status(), StatusCode::CREATED);

    let outside =
        app.post_json("/api/v1/users", Some(&officer), &new_user("cadre2", "cadre", Some("14.03.01.1001"))).await;
    problem(outside, StatusCode::FORBIDDEN).await;
    let peer = app.post_json("/api/v1/users", Some(&officer), &new_user("officer2", "officer", Some("14.01.01"))).await;
    problem(peer, StatusCode::FORBIDDEN).await;
    let national = app.post_json("/api/v1/users", Some(&officer), &new_user("dash2", "analyst", None)).await;
    problem(national, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn cadres_analysts_and_integrations_manage_no_accounts() {
    let app = TestApp::spawn().await;
    for (role, scope) in [(Role::Cadre, "14.01.01.2009"), (Role::Analyst, "14"), (Role::Integration, "14")] {
        let token = app.token_for(role, Some(scope)).await;
        let created =
            app.post_json("/api/v1/users", Some(&token), &new_user("someone", "cadre", Some("14.01.01.2009"))).await;
        problem(created, StatusCode::FORBIDDEN).await;
        problem(app.get("/api/v1/users", Some(&token)).await, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn a_cadre_belongs_to_a_known_village() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let district = app.post_json("/api/v1/users", Some(&admin), &new_user("cadre3", "cadre", Some("14.01"))).await;
    let body = problem(district, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "scope");
    let unknown =
        app.post_json("/api/v1/users", Some(&admin), &new_user("cadre4", "cadre", Some("14.01.01.2999"))).await;
    problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;
    let no_password = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "cadre5", "role": "cadre", "scope": "14.01.01.2009"}),
        )
        .await;
    let body = problem(no_password, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "password");
}

#[tokio::test]
async fn usernames_are_unique_whatever_their_case() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let first = app.post_json("/api/v1/users", Some(&admin), &new_user("Dinkes", "analyst", Some("14"))).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = app.post_json("/api/v1/users", Some(&admin), &new_user("DINKES", "analyst", Some("14"))).await;
    problem(second, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn integration_accounts_get_a_generated_secret_once() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let response = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "bkkbn-riau", "role": "integration", "scope": "14"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32);

    let fetched: Value = app
        .get(&format!("/api/v1/users/{}", created["id"].as_str().unwrap()), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert!(fetched.get("client_secret").is_none());

    let token = app
        .post_json(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "client_credentials", "client_id": "bkkbn-riau", "client_secret": secret}),
        )
        .await;
    assert_eq!(token.status(), StatusCode::OK);
}

#[tokio::test]
async fn officers_list_only_accounts_inside_their_scope() {
    let app = TestApp::spawn().await;
    let inside = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let outside = app.create_user(Role::Cadre, Some("14.03.01.1001")).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let page: Value = app.get("/api/v1/users?role=cadre", Some(&officer)).await.json().await.unwrap();
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert!(names.contains(&inside.username.as_str()));
    assert!(!names.contains(&outside.username.as_str()));

    problem(app.get(&format!("/api/v1/users/{}", outside.id), Some(&officer)).await, StatusCode::FORBIDDEN).await;
    assert_eq!(app.get(&format!("/api/v1/users/{}", inside.id), Some(&officer)).await.status(), StatusCode::OK);

    let admin = app.token_for(Role::Admin, None).await;
    let all: Value = app.get("/api/v1/users?role=cadre", Some(&admin)).await.json().await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn everyone_reads_their_own_account() {
    let app = TestApp::spawn().await;
    let cadre = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let token = app.token(&cadre);
    let own = app.get(&format!("/api/v1/users/{}", cadre.id), Some(&token)).await;
    assert_eq!(own.status(), StatusCode::OK);
    let me: Value = app.get("/api/v1/auth/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me["username"], cadre.username);
    assert_eq!(me["role"], "cadre");
}

#[tokio::test]
async fn list_pages_in_creation_order() {
    let app = TestApp::spawn().await;
    for _ in 0..5 {
        app.create_user(Role::Analyst, Some("14")).await;
    }
    let admin = app.token_for(Role::Admin, None).await;
    let first: Value = app.get("/api/v1/users?limit=3", Some(&admin)).await.json().await.unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second: Value =
        app.get(&format!("/api/v1/users?limit=3&cursor={cursor}"), Some(&admin)).await.json().await.unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 3, "5 analysts and the admin");
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn updates_need_the_current_etag() {
    let app = TestApp::spawn().await;
    let cadre = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let admin = app.token_for(Role::Admin, None).await;
    let path = format!("/api/v1/users/{}", cadre.id);
    let change = json!({"display_name": "Kader Melati"});
    problem(app.patch_json(&path, Some(&admin), None, &change).await, StatusCode::PRECONDITION_REQUIRED).await;
    let updated = app.patch_json(&path, Some(&admin), Some("\"1\""), &change).await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(updated.headers()["etag"], "\"2\"");
    problem(
        app.patch_json(&path, Some(&admin), Some("\"1\""), &json!({"display_name": "Lost"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
}

#[tokio::test]
async fn deactivating_ends_sessions_at_once() {
    let app = TestApp::spawn().await;
    let cadre = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let tokens: Value = app.login(&cadre.username, PASSWORD).await.json().await.unwrap();
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let off = app
        .patch_json(&format!("/api/v1/users/{}", cadre.id), Some(&officer), Some("\"1\""), &json!({"active": false}))
        .await;
    assert_eq!(off.status(), StatusCode::OK);

    let refresh = app.post_json("/api/v1/auth/refresh", None, &json!({"refresh_token": tokens["refresh_token"]})).await;
    problem(refresh, StatusCode::UNAUTHORIZED).await;
    problem(app.login(&cadre.username, PASSWORD).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn officers_cannot_promote_or_move_accounts_out_of_scope() {
    let app = TestApp::spawn().await;
    let cadre = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let path = format!("/api/v1/users/{}", cadre.id);
    let promote =
        app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"role": "officer", "scope": "14.01"})).await;
    problem(promote, StatusCode::FORBIDDEN).await;
    let away = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"scope": "14.03.01.1001"})).await;
    problem(away, StatusCode::FORBIDDEN).await;
    let peer = app.create_user(Role::Officer, Some("14.01.01")).await;
    let other = app
        .patch_json(&format!("/api/v1/users/{}", peer.id), Some(&officer), Some("\"1\""), &json!({"active": false}))
        .await;
    problem(other, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn nobody_locks_themselves_out() {
    let app = TestApp::spawn().await;
    let admin = app.create_user(Role::Admin, None).await;
    let token = app.token(&admin);
    let response = app
        .patch_json(&format!("/api/v1/users/{}", admin.id), Some(&token), Some("\"1\""), &json!({"active": false}))
        .await;
    problem(response, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    problem(app.get("/api/v1/users/00000000-0000-7000-8000-000000000000", Some(&admin)).await, StatusCode::NOT_FOUND)
        .await;
    problem(app.get("/api/v1/users/not-a-uuid", Some(&admin)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn every_account_change_is_audited_without_secrets() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let created: Value = app
        .post_json("/api/v1/users", Some(&admin), &new_user("audited", "analyst", Some("14")))
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    app.patch_json(
        &format!("/api/v1/users/{id}"),
        Some(&admin),
        Some("\"1\""),
        &json!({"password": "another long password"}),
    )
    .await;

    let rows = app.audit_trail(id).await;
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["user.create", "user.update"]);
    let text = serde_json::to_string(&rows.iter().map(|r| &r.1).collect::<Vec<_>>()).unwrap();
    assert!(!text.contains("another long password") && !text.contains("argon2"), "{text}");
}

/// The token names the account; what the account may do is read as it stands now, so a
/// demotion, a move or a deactivation judges the next request, not the one after the token
/// expires (issue 14, item 2).
#[tokio::test]
async fn a_changed_role_scope_or_activity_judges_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let officer = app.create_user(Role::Officer, Some("14.01")).await;
    let token = app.token(&officer);
    let child = app.child_in(&token, "14.01.01.2009").await;
    let child_path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    assert_eq!(app.get(&child_path, Some(&token)).await.status(), StatusCode::OK);
    let path = format!("/api/v1/users/{}", officer.id);

    let demoted = app.patch_json(&path, Some(&admin), Some("\"1\""), &json!({"role": "analyst"})).await;
    assert_eq!(demoted.status(), StatusCode::OK);
    let register = json!({"village_code": "14.01.01.2009", "sex": "male", "birth_date": "2025-01-05", "name": "Budi"});
    problem(app.post_json("/api/v1/children", Some(&token), &register).await, StatusCode::FORBIDDEN).await;

    let moved = app.patch_json(&path, Some(&admin), Some("\"2\""), &json!({"role": "officer", "scope": "62.03"})).await;
    assert_eq!(moved.status(), StatusCode::OK);
    let outside = app.get(&child_path, Some(&token)).await;
    assert!(matches!(outside.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", outside.status());

    // A change made outside the API (the CLI, plain SQL) is announced by PostgreSQL, and
    // the notice reaches the instance asynchronously: poll for it. The bound only stops a
    // hang (a lost notice would keep the token alive for ever); it claims no latency.
    app.execute(&format!("UPDATE users SET active = false WHERE id = '{}'", officer.id)).await;
    let started = std::time::Instant::now();
    loop {
        let status = app.get("/api/v1/children", Some(&token)).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "still {status} after deactivation");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
