//! `TestApp`: the real server on a random port, over its own database, with helpers named
//! after what a client does (`login`, `get`, `post`, `patch`).

use std::sync::OnceLock;

use clap::Parser;
use diesel_async::RunQueryDsl;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use stunting_api::api::users::queries::{self as users, NewUser};
use stunting_api::auth::{JwtKeys, password};
use stunting_api::config::Settings;
use stunting_api::db::{DbPool, build_pool};
use stunting_api::domain::{RegionCode, Role, Scope, UserId};
use stunting_api::startup::Application;

use super::db;

pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";
pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Parser)]
struct TestSettings {
    #[command(flatten)]
    settings: Settings,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: DbPool,
    pub database_url: String,
    keys: JwtKeys,
    database: String,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub scope: Option<String>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Spawns with extra settings, as command-line flags (`["--access-token-ttl-secs", "30"]`).
    pub async fn spawn_with(extra: &[&str]) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            stunting_api::telemetry::init(stunting_api::config::LogFormat::Json);
        }
        let (database, url) = db::create_test_database().await;
        let mut args = vec!["test", "--listen-addr", "127.0.0.1:0", "--jwt-secret", JWT_SECRET, "--database-url", &url];
        args.extend_from_slice(extra);
        let settings = TestSettings::try_parse_from(args).expect("test settings").settings;
        let pool = build_pool(&url, 4).expect("pool");
        let app = Application::build(&settings, pool.clone()).expect("application");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let keys = JwtKeys::from_settings(&settings).expect("keys");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { address, client, pool, database_url: url, keys, database }
    }

    /// An account stored directly in the database, with password `PASSWORD`.
    pub async fn create_user(&self, role: Role, scope: Option<&str>) -> TestUser {
        let username = format!("{}-{}", role.as_str(), uuid::Uuid::new_v4().simple());
        let scope_code = scope.map(|s| RegionCode::parse(s).expect("test scope is a region code"));
        let mut conn = self.pool.get().await.unwrap();
        let user = users::insert(
            &mut conn,
            &NewUser {
                id: UserId::new(),
                username: &username,
                display_name: None,
                password_hash: password_hash(),
                role,
                scope: scope_code.as_ref(),
                created_by: None,
            },
        )
        .await
        .expect("inserting a test user");
        TestUser { id: user.id, username, role, scope: scope.map(str::to_owned) }
    }

    /// An access token for `user`, signed with the server's key (no login round trip).
    pub fn token(&self, user: &TestUser) -> String {
        let scope = Scope::from_code(user.scope.as_deref().map(|s| RegionCode::parse(s).unwrap()));
        self.keys.issue(user.id, user.role, &scope).unwrap().0
    }

    /// A new user of `role` over `scope` and a token for them.
    pub async fn token_for(&self, role: Role, scope: Option<&str>) -> String {
        let user = self.create_user(role, scope).await;
        self.token(&user)
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/token",
            None,
            &serde_json::json!({
                "grant_type": "password", "username": username, "password": password
            }),
        )
        .await
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, format!("{}{}", self.address, path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().await.expect("request sent")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token).json(body).send().await.expect("request sent")
    }

    pub async fn patch_json(&self, path: &str, token: Option<&str>, if_match: Option<&str>, body: &Value) -> Response {
        let mut builder = self.request(Method::PATCH, path, token).json(body);
        if let Some(etag) = if_match {
            builder = builder.header("If-Match", etag);
        }
        builder.send().await.expect("request sent")
    }

    /// Runs SQL against this test's database (for setting up states the API cannot reach).
    pub async fn execute(&self, sql: &str) {
        let mut conn = self.pool.get().await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.expect("test SQL");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.pool.close();
        db::drop_test_database(std::mem::take(&mut self.database));
    }
}

/// Hashing once per run keeps the suite fast; every test user shares the password.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| password::hash_blocking(PASSWORD).unwrap())
}

/// Asserts a problem+json answer with `status`; returns its body.
pub async fn problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("a JSON problem body");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    body
}
