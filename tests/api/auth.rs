use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::{JWT_SECRET, PASSWORD};
use crate::common::{TestApp, TestUser, problem};

async fn tokens(app: &TestApp, user: &TestUser) -> Value {
    let response = app.login(&user.username, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn refresh(app: &TestApp, refresh_token: &Value) -> reqwest::Response {
    app.post_json("/api/v1/auth/refresh", None, &json!({"refresh_token": refresh_token})).await
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Claims a valid token would carry, for tests that break one thing at a time.
fn claims(user: &TestUser) -> Value {
    json!({
        "sub": user.id, "role": user.role, "scope": user.scope, "iss": "stunting-api", "aud": "stunting-api",
        "iat": now(), "nbf": now(), "exp": now() + 600, "jti": uuid::Uuid::new_v4(), "sid": uuid::Uuid::now_v7()
    })
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

#[tokio::test]
async fn login_returns_a_working_token_pair() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14.01")).await;
    let pair = tokens(&app, &user).await;
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    let me = app.get("/api/v1/auth/me", pair["access_token"].as_str()).await;
    assert_eq!(me.status(), StatusCode::OK);

    let payload = pair["access_token"].as_str().unwrap().split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    for claim in ["sub", "role", "scope", "iss", "aud", "exp", "iat", "jti", "sid"] {
        assert!(claims.get(claim).is_some(), "{claim} missing from {claims}");
    }
    assert_eq!(claims["scope"], "14.01");
}

#[tokio::test]
async fn usernames_are_case_insensitive_at_login() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Analyst, Some("14")).await;
    assert_eq!(app.login(&user.username.to_uppercase(), PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Analyst, Some("14")).await;
    let wrong = problem(app.login(&user.username, "not the password").await, StatusCode::UNAUTHORIZED).await;
    let unknown = problem(app.login("nobody-here", "not the password").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn integration_accounts_use_client_credentials_only() {
    let app = TestApp::spawn().await;
    let service = app.create_user(Role::Integration, Some("14")).await;
    problem(app.login(&service.username, PASSWORD).await, StatusCode::UNAUTHORIZED).await;
    let person = app.create_user(Role::Officer, Some("14")).await;
    let as_client = app
        .post_json(
            "/api/v1/auth/token",
            None,
            &json!({"grant_type": "client_credentials", "client_id": person.username, "client_secret": PASSWORD}),
        )
        .await;
    problem(as_client, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn unknown_grant_type_is_422() {
    let app = TestApp::spawn().await;
    let response = app.post_json("/api/v1/auth/token", None, &json!({"grant_type": "implicit"})).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn refresh_rotates_and_each_token_works_once() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14.01")).await;
    let first = tokens(&app, &user).await;
    let response = refresh(&app, &first["refresh_token"]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(app.get("/api/v1/auth/me", second["access_token"].as_str()).await.status(), StatusCode::OK);

    let third: Value = refresh(&app, &second["refresh_token"]).await.json().await.unwrap();
    assert!(third["refresh_token"].is_string());
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_chain() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14.01")).await;
    let first = tokens(&app, &user).await;
    let second: Value = refresh(&app, &first["refresh_token"]).await.json().await.unwrap();

    let other_login = tokens(&app, &user).await;
    let replay = problem(refresh(&app, &first["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    assert!(replay["detail"].as_str().unwrap().contains("already used"));
    problem(refresh(&app, &second["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    for pair in [&first, &second] {
        let ended = problem(me(&app, pair).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(ended["detail"], "this login has ended; sign in again");
    }

    assert_eq!(me(&app, &other_login).await.status(), StatusCode::OK, "other logins survive");
    assert_eq!(refresh(&app, &other_login["refresh_token"]).await.status(), StatusCode::OK, "other logins survive");
}

async fn me(app: &TestApp, pair: &Value) -> reqwest::Response {
    app.get("/api/v1/auth/me", pair["access_token"].as_str()).await
}

/// Waits for `instance` to hear of an ended login from PostgreSQL (milliseconds; 10 s at most).
async fn until_refused(instance: &TestApp, pair: &Value) {
    for _ in 0..200 {
        if me(instance, pair).await.status() == StatusCode::UNAUTHORIZED {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("another instance still accepts an access token of an ended login");
}

#[tokio::test]
async fn logout_ends_the_access_tokens_of_the_login_on_every_instance() {
    let app = TestApp::spawn().await;
    let other_instance = TestApp::spawn_on(&app.database_url, &[]).await;
    let user = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let phone = tokens(&app, &user).await;
    let tablet = tokens(&app, &user).await;
    for instance in [&app, &other_instance] {
        // Each instance now keeps its copy of the account.
        assert_eq!(me(instance, &phone).await.status(), StatusCode::OK);
    }
    let out = app.post_json("/api/v1/auth/logout", None, &json!({"refresh_token": phone["refresh_token"]})).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);

    problem(me(&app, &phone).await, StatusCode::UNAUTHORIZED).await;
    until_refused(&other_instance, &phone).await;
    for instance in [&app, &other_instance] {
        assert_eq!(me(instance, &tablet).await.status(), StatusCode::OK, "the other login goes on");
    }
}

#[tokio::test]
async fn a_new_password_ends_every_login_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let user = app.create_user(Role::Officer, Some("14.01")).await;
    let pair = tokens(&app, &user).await;
    assert_eq!(me(&app, &pair).await.status(), StatusCode::OK);
    let set = app
        .patch_json(
            &format!("/api/v1/users/{}", user.id),
            Some(&admin),
            Some("\"1\""),
            &json!({"password": "a brand new long password"}),
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    problem(me(&app, &pair).await, StatusCode::UNAUTHORIZED).await;
    problem(refresh(&app, &pair["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    let again: Value = app.login(&user.username, "a brand new long password").await.json().await.unwrap();
    assert_eq!(me(&app, &again).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn reactivating_an_account_does_not_revive_its_old_tokens() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let cadre = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let pair = tokens(&app, &cadre).await;
    let path = format!("/api/v1/users/{}", cadre.id);
    let off = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"active": false})).await;
    assert_eq!(off.status(), StatusCode::OK);
    problem(me(&app, &pair).await, StatusCode::UNAUTHORIZED).await;
    let on = app.patch_json(&path, Some(&officer), Some("\"2\""), &json!({"active": true})).await;
    assert_eq!(on.status(), StatusCode::OK);

    let ended = problem(me(&app, &pair).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(ended["detail"], "this login has ended; sign in again");
    problem(refresh(&app, &pair["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    let again = tokens(&app, &cadre).await;
    assert_eq!(me(&app, &again).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_login() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let pair = tokens(&app, &user).await;
    let out = app.post_json("/api/v1/auth/logout", None, &json!({"refresh_token": pair["refresh_token"]})).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    problem(refresh(&app, &pair["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    problem(me(&app, &pair).await, StatusCode::UNAUTHORIZED).await;
    let unknown = app.post_json("/api/v1/auth/logout", None, &json!({"refresh_token": "never-issued"})).await;
    assert_eq!(unknown.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn expired_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let pair = tokens(&app, &user).await;
    app.execute("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'").await;
    problem(refresh(&app, &pair["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn five_failures_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14")).await;
    for _ in 0..5 {
        problem(app.login(&user.username, "wrong password").await, StatusCode::UNAUTHORIZED).await;
    }
    let locked = app.login(&user.username, PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    problem(locked, StatusCode::TOO_MANY_REQUESTS).await;

    // Unknown usernames lock the same way, so a lockout reveals nothing.
    for _ in 0..5 {
        app.login("ghost", "guess").await;
    }
    problem(app.login("ghost", "guess").await, StatusCode::TOO_MANY_REQUESTS).await;

    // Failures older than the window no longer count.
    app.execute("UPDATE login_failures SET failed_at = now() - interval '16 minutes'").await;
    assert_eq!(app.login(&user.username, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_success_clears_earlier_failures() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14")).await;
    for _ in 0..4 {
        app.login(&user.username, "wrong password").await;
    }
    assert_eq!(app.login(&user.username, PASSWORD).await.status(), StatusCode::OK);
    for _ in 0..4 {
        app.login(&user.username, "wrong password").await;
    }
    assert_eq!(app.login(&user.username, PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401_with_a_challenge() {
    let app = TestApp::spawn().await;
    for header in [None, Some("Basic YWRtaW46YWRtaW4="), Some("Bearer "), Some("Bearer not.a.jwt")] {
        let mut request = app.request(reqwest::Method::GET, "/api/v1/auth/me", None);
        if let Some(value) = header {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="stunting-api""#);
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn tampered_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Admin, None).await;
    let valid = claims(&user);
    assert_eq!(app.get("/api/v1/auth/me", Some(&sign(&valid, JWT_SECRET))).await.status(), StatusCode::OK);

    let mut expired = valid.clone();
    expired["exp"] = json!(now() - 120);
    let mut early = valid.clone();
    early["nbf"] = json!(now() + 600);
    let mut audience = valid.clone();
    audience["aud"] = json!("another-service");
    let mut issuer = valid.clone();
    issuer["iss"] = json!("someone-else");
    let mut missing_exp = valid.clone();
    missing_exp.as_object_mut().unwrap().remove("exp");
    let cases = [
        ("expired", sign(&expired, JWT_SECRET)),
        ("not yet valid", sign(&early, JWT_SECRET)),
        ("wrong audience", sign(&audience, JWT_SECRET)),
        ("wrong issuer", sign(&issuer, JWT_SECRET)),
        ("no exp", sign(&missing_exp, JWT_SECRET)),
        ("wrong signature", sign(&valid, "another-secret-that-is-also-long-enough")),
        ("alg none", unsigned(&valid)),
    ];
    for (what, token) in cases {
        let response = app.get("/api/v1/auth/me", Some(&token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn leeway_tolerates_small_clock_skew_only() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Analyst, Some("14")).await;
    let mut recent = claims(&user);
    recent["exp"] = json!(now() - 30);
    assert_eq!(app.get("/api/v1/auth/me", Some(&sign(&recent, JWT_SECRET))).await.status(), StatusCode::OK);
    recent["exp"] = json!(now() - 90);
    problem(app.get("/api/v1/auth/me", Some(&sign(&recent, JWT_SECRET))).await, StatusCode::UNAUTHORIZED).await;
}

/// A token with `"alg": "none"` and no signature.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

#[tokio::test]
async fn a_cadre_token_cannot_act_as_admin() {
    let app = TestApp::spawn().await;
    let cadre = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let mut forged = claims(&cadre);
    forged["role"] = json!("admin");
    let token = sign(&forged, "not-the-server-secret-but-long-enough-anyway");
    problem(app.get("/api/v1/users", Some(&token)).await, StatusCode::UNAUTHORIZED).await;
}

mod eddsa {
    use super::*;

    const PRIVATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt-ed25519-private.pem");
    const PUBLIC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt-ed25519-public.pem");

    async fn spawn() -> TestApp {
        TestApp::spawn_with(&[
            "--jwt-algorithm",
            "EdDSA",
            "--jwt-private-key-file",
            PRIVATE,
            "--jwt-public-key-file",
            PUBLIC,
        ])
        .await
    }

    #[tokio::test]
    async fn eddsa_tokens_work() {
        let app = spawn().await;
        let user = app.create_user(Role::Officer, Some("14.01")).await;
        let pair = tokens(&app, &user).await;
        let header = pair["access_token"].as_str().unwrap().split('.').next().unwrap();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(app.get("/api/v1/auth/me", pair["access_token"].as_str()).await.status(), StatusCode::OK);
    }

    /// The classic confusion attack: an HS256 token whose HMAC key is the server's public key.
    #[tokio::test]
    async fn hs256_signed_with_the_public_key_is_refused() {
        let app = spawn().await;
        let user = app.create_user(Role::Admin, None).await;
        let public_pem = std::fs::read_to_string(PUBLIC).unwrap();
        let forged = sign(&claims(&user), &public_pem);
        problem(app.get("/api/v1/auth/me", Some(&forged)).await, StatusCode::UNAUTHORIZED).await;
        problem(app.get("/api/v1/auth/me", Some(&unsigned(&claims(&user)))).await, StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_lockout() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14")).await;
    let attempts = (0..10).map(|_| app.login(&user.username, "a wrong guess"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let refused = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let locked = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((refused, locked), (5, 5), "{statuses:?}");
    problem(app.login(&user.username, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
}

/// Either kind of credentials refuses a field it does not know, as the document says.
#[tokio::test]
async fn credentials_with_an_unknown_field_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14.01")).await;
    let extra = json!({"grant_type": "password", "username": user.username, "password": PASSWORD, "remember_me": true});
    let body = problem(app.post_json("/api/v1/auth/token", None, &extra).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("remember_me"), "{body}");
}

async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> reqwest::Response {
    let body = json!({"grant_type": "password", "username": username, "password": password});
    app.request(reqwest::Method::POST, "/api/v1/auth/token", None)
        .header("X-Forwarded-For", address)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Failures count per account and address together: a stranger's five guesses lock the
/// stranger out of the account, not its owner, and each lock is in the audit trail (issue 14,
/// item 6).
#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = TestApp::spawn_with(&["--trust-proxy-headers"]).await;
    let user = app.create_user(Role::Admin, None).await;
    let stranger = "203.0.113.7";
    for _ in 0..5 {
        problem(login_from(&app, stranger, &user.username, "a guess").await, StatusCode::UNAUTHORIZED).await;
    }
    problem(login_from(&app, stranger, &user.username, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;

    let owner = login_from(&app, "198.51.100.2", &user.username, PASSWORD).await;
    assert_eq!(owner.status(), StatusCode::OK, "the owner is not shut out");
    // The owner's success does not lift the stranger's lock.
    problem(login_from(&app, stranger, &user.username, PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;

    let trail = app.audit_trail(&user.id.to_string()).await;
    let actions: Vec<&str> = trail.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "user.login_failed").count(), 5, "{actions:?}");
    let locks: Vec<_> = trail.iter().filter(|(action, _)| action == "user.locked").collect();
    assert_eq!(locks.len(), 1, "{actions:?}");
    assert_eq!(locks[0].1["source"], stranger);
    assert!(actions.contains(&"user.login"), "{actions:?}");
}

/// Without a trusted proxy the address is the connection's: a header cannot pose as another.
#[tokio::test]
async fn a_forwarded_header_is_ignored_unless_a_proxy_is_trusted() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Officer, Some("14")).await;
    for i in 0..5 {
        login_from(&app, &format!("203.0.113.{i}"), &user.username, "a guess").await;
    }
    let locked = login_from(&app, "198.51.100.2", &user.username, PASSWORD).await;
    problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
}

/// Tokens are secrets: no cache on the way may keep an answer that carries them (issue 14,
/// item 8).
#[tokio::test]
async fn token_answers_are_not_cached() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let login = app.login(&user.username, PASSWORD).await;
    assert_eq!(login.headers()["cache-control"], "no-store");
    let pair: Value = login.json().await.unwrap();
    let refreshed = refresh(&app, &pair["refresh_token"]).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    assert_eq!(refreshed.headers()["cache-control"], "no-store");
}

/// A refresh racing a logout can leave the token it issued unrevoked; the login stays ended.
#[tokio::test]
async fn a_token_a_race_left_unrevoked_cannot_revive_an_ended_login() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Cadre, Some("14.01.01.2009")).await;
    let first = tokens(&app, &user).await;
    let second: Value = refresh(&app, &first["refresh_token"]).await.json().await.unwrap();
    // What the logout's update saw: every token of the login but the one the refresh had just added.
    app.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE rotated_at IS NOT NULL").await;
    problem(refresh(&app, &second["refresh_token"]).await, StatusCode::UNAUTHORIZED).await;
    problem(me(&app, &second).await, StatusCode::UNAUTHORIZED).await;
}
