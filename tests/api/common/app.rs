//! `TestApp`: the real server on a random port, over its own database, with helpers named
//! after what a client does (`login`, `get`, `post`, `patch`).

use std::sync::OnceLock;

use clap::Parser;
use diesel_async::RunQueryDsl;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use stunting_api::auth::{JwtKeys, password};
use stunting_api::config::Settings;
use stunting_api::db::{DbPool, build_pool};
use stunting_api::domain::{RegionCode, Role, Scope, UserId};
use stunting_api::records::user::{self as users, NewUser};
use stunting_api::startup::Application;

use super::{contract, db};

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
    /// The test database on the shared server, dropped with the app (`None`: a database the
    /// test owns elsewhere).
    database: Option<String>,
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
        let mut app = Self::spawn_on(&url, extra).await;
        app.database = Some(database);
        app
    }

    /// Spawns against a database the test set up itself.
    pub async fn spawn_on(url: &str, extra: &[&str]) -> Self {
        let mut args = vec![
            "test",
            "--listen-addr",
            "127.0.0.1:0",
            "--jwt-secret",
            JWT_SECRET,
            "--nik-hash-key",
            "test-nik-key-that-is-at-least-32-bytes",
            "--database-url",
            url,
        ];
        // The suite fires requests faster than any client should; the limits are tested on
        // their own (tests/api/limits.rs), where a test's flags turn them back on.
        for limit in ["--rate-limit-per-address", "--rate-limit-per-account"] {
            if !extra.contains(&limit) {
                args.extend([limit, "0"]);
            }
        }
        args.extend_from_slice(extra);
        let settings = TestSettings::try_parse_from(args).expect("test settings").settings;
        let pool = build_pool(url, 4, settings.database_statement_timeout_ms).expect("pool");
        let app = Application::build(&settings, pool.clone()).await.expect("application");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let keys = JwtKeys::from_settings(&settings).expect("keys");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { address, client, pool, database_url: url.to_owned(), keys, database: None }
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
        self.keys.issue(user.id, user.role, &scope, uuid::Uuid::now_v7()).unwrap().0
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

    /// A request whose answer is checked against the document when it is sent.
    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> Call {
        let builder = self.client.request(method.clone(), format!("{}{}", self.address, path));
        let builder = match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        };
        Call { method, path: path.to_owned(), builder, body: None }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token).send().await.expect("request sent")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token).json(body).send().await.expect("request sent")
    }

    pub async fn patch_json(&self, path: &str, token: Option<&str>, if_match: Option<&str>, body: &Value) -> Response {
        self.conditional(Method::PATCH, path, token, if_match, body).await
    }

    pub async fn put_json(&self, path: &str, token: Option<&str>, if_match: Option<&str>, body: &Value) -> Response {
        self.conditional(Method::PUT, path, token, if_match, body).await
    }

    /// A removal with its reason (`{"reason": …}`).
    pub async fn delete_json(&self, path: &str, token: Option<&str>, if_match: Option<&str>, body: &Value) -> Response {
        self.conditional(Method::DELETE, path, token, if_match, body).await
    }

    async fn conditional(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut builder = self.request(method, path, token).json(body);
        if let Some(etag) = if_match {
            builder = builder.header("If-Match", etag);
        }
        builder.send().await.expect("request sent")
    }

    /// The audit trail of one record: (action, changes), oldest first.
    pub async fn audit_trail(&self, entity_id: &str) -> Vec<(String, Value)> {
        use diesel::{ExpressionMethods, QueryDsl};
        use stunting_api::db::schema::audit_log;
        let mut conn = self.pool.get().await.unwrap();
        audit_log::table
            .filter(audit_log::entity_id.eq(entity_id))
            .order(audit_log::id)
            .select((audit_log::action, audit_log::changes))
            .load(&mut conn)
            .await
            .unwrap()
    }

    /// Runs SQL against this test's database (for setting up states the API cannot reach).
    /// The single number `sql` (a `SELECT count(*) …`) answers.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            count: i64,
        }
        let mut conn = self.pool.get().await.expect("a connection");
        diesel::sql_query(sql).get_result::<Count>(&mut conn).await.expect("test SQL").count
    }

    pub async fn execute(&self, sql: &str) {
        let mut conn = self.pool.get().await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.expect("test SQL");
    }
}

/// A request being built: reqwest's builder, plus what the contract check needs to know.
pub struct Call {
    method: Method,
    path: String,
    builder: RequestBuilder,
    body: Option<Value>,
}

impl Call {
    pub fn header<V: AsRef<str>>(mut self, name: &str, value: V) -> Self {
        self.builder = self.builder.header(name, value.as_ref());
        self
    }

    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self.builder.json(body);
        self.body = Some(body.clone());
        self
    }

    /// A raw body: checked as the request's JSON when it parses as JSON.
    pub fn body(mut self, body: &'static str) -> Self {
        self.builder = self.builder.body(body);
        self.body = serde_json::from_str(body).ok();
        self
    }

    /// A body of `content_type` (CSV, NDJSON, a JSON array built as text).
    pub fn text(mut self, content_type: &str, body: String) -> Self {
        self.body = serde_json::from_str(&body).ok();
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }

    pub fn multipart(mut self, form: reqwest::multipart::Form) -> Self {
        self.builder = self.builder.multipart(form);
        self
    }

    /// Sends the request; the answer has been checked against `openapi/openapi.json`.
    pub async fn send(self) -> reqwest::Result<Response> {
        let response = self.builder.send().await?;
        Ok(contract::checked(&self.method, &self.path, self.body.as_ref(), response).await)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(database) = self.database.take() {
            db::drop_test_database(database);
        }
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

/// Asserts a 201; returns the created record.
pub async fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Child-level helpers: registering children and measuring them.
pub mod children {
    use chrono::NaiveDate;
    use reqwest::{Method, Response};
    use serde_json::{Value, json};
    use stunting_api::domain::{Position, Sex};
    use stunting_api::growth;

    use super::TestApp;

    pub const VILLAGE: &str = "14.01.01.2009";
    pub const OTHER_VILLAGE: &str = "14.03.01.1001";
    pub const BIRTH: &str = "2024-06-01";

    pub fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The three members a TPK needs.
    pub fn tpk_members() -> Value {
        json!([
            {"name": "Rahmawati", "position": "Bidan desa", "agency": "Puskesmas Kampar", "role": "midwife",
             "phone": "+6281234567890"},
            {"name": "Yusnidar", "agency": "TP PKK Desa", "role": "pkk_cadre"},
            {"name": "Hendri", "agency": "PPKBD", "role": "family_planning_cadre"}
        ])
    }

    /// The length (lying before 731 days, standing after) at which a girl born on `BIRTH` has
    /// length-for-age `z` on `on`: found by bisection on the engine itself.
    pub fn length_for(on: &str, z: f64) -> f64 {
        let age = (date(on) - date(BIRTH)).num_days() as u32;
        let position = if age < 731 { Position::Lying } else { Position::Standing };
        let (mut low, mut high) = (30.0, 140.0);
        for _ in 0..60 {
            let mid = (low + high) / 2.0;
            if growth::haz(Sex::Female, age, mid, position).unwrap().value() < z {
                low = mid;
            } else {
                high = mid;
            }
        }
        (low * 10.0).round() / 10.0
    }

    impl TestApp {
        pub async fn register_child(&self, token: &str, body: Value) -> Response {
            self.post_json("/api/v1/children", Some(token), &body).await
        }

        /// A girl born on `BIRTH` in `village`; returns the stored child.
        pub async fn child_in(&self, token: &str, village: &str) -> Value {
            let response = self
                .register_child(
                    token,
                    json!({
                        "village_code": village, "sex": "female", "birth_date": BIRTH, "name": "Siti Aminah",
                        "mother_name": "Nurhayati"
                    }),
                )
                .await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
            response.json().await.unwrap()
        }

        pub async fn measure(&self, token: &str, child: &Value, body: Value) -> Response {
            let path = format!("/api/v1/children/{}/measurements", child["id"].as_str().unwrap());
            self.post_json(&path, Some(token), &body).await
        }

        /// Measures the child on `on` at length-for-age `z`; returns the stored measurement.
        pub async fn measure_at(&self, token: &str, child: &Value, on: &str, z: f64) -> Value {
            let age = (date(on) - date(BIRTH)).num_days();
            let position = if age < 731 { "lying" } else { "standing" };
            let body =
                json!({"measured_on": on, "length_cm": length_for(on, z), "position": position, "place": "posyandu"});
            let response = self.measure(token, child, body).await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
            response.json().await.unwrap()
        }

        pub async fn void_measurement(&self, token: &str, measurement: &Value) -> Response {
            let path = format!(
                "/api/v1/children/{}/measurements/{}",
                measurement["child_id"].as_str().unwrap(),
                measurement["id"].as_str().unwrap()
            );
            self.request(Method::DELETE, &path, Some(token))
                .json(&json!({"reason": "entered wrongly"}))
                .send()
                .await
                .unwrap()
        }

        /// A TPK of three in `village`.
        pub async fn tpk_in(&self, token: &str, village: &str) -> Value {
            let body = json!({"kind": "tpk", "region_code": village, "name": format!("TPK {village}"), "members": tpk_members()});
            let response = self.post_json("/api/v1/teams", Some(token), &body).await;
            assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
            response.json().await.unwrap()
        }

        /// The child's cases, every status but void unless asked.
        pub async fn cases_of(&self, token: &str, child: &Value, status: Option<&str>) -> Vec<Value> {
            let query = status.map(|s| format!("&status={s}")).unwrap_or_default();
            let page: Value =
                self.get(&format!("/api/v1/cases?limit=500{query}"), Some(token)).await.json().await.unwrap();
            page["items"].as_array().unwrap().iter().filter(|c| c["child_id"] == child["id"]).cloned().collect()
        }
    }
}
