//! What the HTTP benchmarks share: the database of a synthetic country (generated once, kept
//! in `target/bench-pg`), and the real service in front of it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::future::join_all;
use stunting_api::auth::JwtKeys;
use stunting_api::cli::create_database_if_missing;
use stunting_api::config::Settings;
use stunting_api::db::{DbPool, build_pool, migrate};
use stunting_api::demo::generate::{Plan, generate};
use stunting_api::demo::pathway::generate_pathway;
use stunting_api::domain::{Role, Scope, UserId};
use stunting_api::embedded_pg::{Durability, EmbeddedPostgres};
use stunting_api::records::region::import;
use stunting_api::startup::Application;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    settings: Settings,
}

/// A numeric setting from the environment (`1_000_000` is fine).
pub fn setting(name: &str, default: i64) -> i64 {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// The country's database: `BENCH_DATABASE_URL`'s server, or a private cluster in
/// `target/bench-pg` (durable, 4 GB of shared buffers). Generated on first use as
/// `dashboards_<children>_<seed>` and kept, so a second run measures at once.
pub struct Country {
    _cluster: Option<EmbeddedPostgres>,
    /// The server's maintenance database, and the country's.
    admin: String,
    name: String,
    pub url: String,
}

impl Country {
    pub async fn open(children: i64, seed: i64) -> Self {
        let (cluster, base) = match std::env::var("BENCH_DATABASE_URL") {
            Ok(url) => (None, url),
            Err(_) => {
                let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-pg");
                let cluster = tokio::task::spawn_blocking(move || {
                    // Durable (PostgreSQL's defaults): the write figures are what a real
                    // deployment gets, not a cluster that a power cut may lose.
                    EmbeddedPostgres::start_with(
                        &root,
                        Durability::Durable,
                        "-c shared_buffers=4GB -c max_wal_size=16GB -c checkpoint_timeout=30min \
                         -c work_mem=64MB -c maintenance_work_mem=1GB -c effective_cache_size=16GB",
                    )
                })
                .await
                .unwrap()
                .unwrap();
                let url = cluster.url("postgres");
                (Some(cluster), url)
            }
        };
        let name = format!("dashboards_{children}_{seed}");
        create_database_if_missing(&base, &name).await.unwrap();
        let url = database_url(&base, &name);
        migrate::run_pending(&url).await.unwrap();
        let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
        import::import(&mut conn, &import::parse_csv(import::BUNDLED_CSV).unwrap()).await.unwrap();
        if count(&mut conn, "SELECT count(*) AS n FROM children").await == 0 {
            println!("generating {children} children (seed {seed}); kept for the next run as database {name}");
            let plan = Plan { children, seed, year: 2025, years: 1 };
            generate(&mut conn, plan, |line| println!("  {line}")).await.unwrap();
        } else if count(&mut conn, "SELECT count(*) AS n FROM pregnancies").await == 0 {
            println!("adding the first 1,000 days to {name} (generated before they existed)");
            let plan = Plan { children, seed, year: 2025, years: 1 };
            generate_pathway(&mut conn, plan, |line| println!("  {line}")).await.unwrap();
        }
        println!("{}", durability(&mut conn).await);
        Self { _cluster: cluster, admin: base, name, url }
    }

    /// A copy of the country to write into, dropped with it: every run of a writing benchmark
    /// starts from the same data.
    pub async fn scratch_copy(&self, name: &str) -> Scratch {
        let mut admin = AsyncPgConnection::establish(&self.admin).await.unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(&mut admin).await.unwrap();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{}\" STRATEGY FILE_COPY", self.name))
            .execute(&mut admin)
            .await
            .unwrap();
        Scratch { admin: self.admin.clone(), name: name.to_owned(), url: database_url(&self.admin, name) }
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url).await.unwrap()
    }
}

/// How durable the server's commits are: every figure a benchmark prints holds only with it.
pub async fn durability(conn: &mut AsyncPgConnection) -> String {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut shown = Vec::new();
    for name in ["fsync", "synchronous_commit", "full_page_writes"] {
        // SQL: the server's durability settings, printed with every benchmark's figures.
        let row: Setting =
            diesel::sql_query(format!("SELECT current_setting('{name}') AS value")).get_result(conn).await.unwrap();
        shown.push(format!("{name}={}", row.value));
    }
    format!("durability: {}", shown.join(", "))
}

fn database_url(base: &str, name: &str) -> String {
    match base.split_once('?') {
        Some((head, query)) => format!("{}/{name}?{query}", head.rsplit_once('/').unwrap().0),
        None => format!("{}/{name}", base.rsplit_once('/').unwrap().0),
    }
}

/// A throwaway copy of the country (`Country::scratch_copy`).
pub struct Scratch {
    admin: String,
    name: String,
    pub url: String,
}

impl Scratch {
    pub async fn drop_it(self) {
        let mut admin = AsyncPgConnection::establish(&self.admin).await.unwrap();
        diesel::sql_query(format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name)).execute(&mut admin).await.unwrap();
    }
}

/// The service, serving the country on a port of 127.0.0.1.
pub struct Service {
    pub address: String,
    pub pool: DbPool,
    keys: JwtKeys,
}

impl Service {
    pub async fn start(database_url: &str) -> Self {
        let settings = Args::parse_from([
            "bench",
            "--listen-addr",
            "127.0.0.1:0",
            "--jwt-secret",
            "bench-secret-that-is-long-enough-for-hs256",
            "--nik-hash-key",
            "bench-nik-key-that-is-at-least-32-bytes",
            "--database-url",
            database_url,
            // Sixteen clients from one address and one account are the load, not an abuse.
            "--rate-limit-per-address",
            "0",
            "--rate-limit-per-account",
            "0",
        ])
        .settings;
        let pool = build_pool(database_url, settings.database_pool_size, 30_000).unwrap();
        let app = Application::build(&settings, pool.clone()).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self { address, pool, keys: JwtKeys::from_settings(&settings).unwrap() }
    }

    /// A token for a national account of `role` that exists (writes name their author; it
    /// cannot sign in: it has no password hash).
    pub async fn token(&self, role: Role) -> String {
        let id = UserId(uuid::Uuid::new_v4());
        diesel::sql_query("INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, '!', $3)")
            .bind::<diesel::sql_types::Uuid, _>(id.0)
            .bind::<diesel::sql_types::Text, _>(format!("bench-{}", id.0))
            .bind::<diesel::sql_types::Text, _>(role.as_str())
            .execute(&mut self.pool.get().await.unwrap())
            .await
            .unwrap();
        self.keys.issue(id, role, &Scope::National, uuid::Uuid::now_v7()).unwrap().0
    }
}

pub async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<Count>(conn).await.unwrap().n
}

/// Latencies of one run, in milliseconds, and its throughput.
pub struct Measured {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub per_second: f64,
}

fn summarise(mut latencies: Vec<Duration>, wall: Duration) -> Measured {
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    Measured { p50: at(0.50), p95: at(0.95), p99: at(0.99), per_second: latencies.len() as f64 / wall.as_secs_f64() }
}

/// GETs `url` as `token`: it must answer 200, and its whole body is read.
pub async fn get_ok(http: reqwest::Client, url: String, token: String) {
    let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.unwrap();
}

/// Runs `requests` calls of `call` from `clients` concurrent clients; every call must succeed.
pub async fn load<F, Fut>(clients: usize, requests: usize, call: F) -> Measured
where
    F: Fn(usize) -> Fut + Clone,
    Fut: std::future::Future<Output = ()>,
{
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..clients).map(|_| {
        let (next, call) = (next.clone(), call.clone());
        async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    break latencies;
                }
                let at = Instant::now();
                call(i).await;
                latencies.push(at.elapsed());
            }
        }
    });
    let latencies = join_all(workers).await.into_iter().flatten().collect();
    summarise(latencies, started.elapsed())
}
