//! Settings from the environment (12-factor), each also a command-line flag. Validated once
//! at start-up: a bad value stops the process with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// `production` (the default) refuses to start without strong JWT_SECRET and NIK_HASH_KEY;
    /// `development` makes its own (tokens die with the process, the NIK key is kept in the
    /// database) and says so in the log.
    #[arg(long, env = "APP_ENV", value_enum, default_value_t = AppEnv::Production)]
    pub app_env: AppEnv,

    /// Shorthand for APP_ENV=development: `cargo run -- --dev` needs no setup.
    #[arg(long, global = true)]
    pub dev: bool,

    /// Address and port the HTTP server listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: SocketAddr,

    /// PostgreSQL URL. Unset: a project-local cluster under EMBEDDED_PG_DIR is started.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// PostgreSQL URL of a streaming replica for aggregates and lists (which may then trail
    /// the primary by the replica's lag). Unset, or while it is unreachable: every read goes
    /// to DATABASE_URL.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<String>,

    /// Maximum connections in the database pool (and in the read pool). Default: twice the
    /// cores the process may use, plus one.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = default_pool_size())]
    pub database_pool_size: usize,

    /// A statement running longer than this many milliseconds is cancelled and its request
    /// answered 503: a runaway query must not hold a connection (and a request) forever.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub database_statement_timeout_ms: u64,

    /// Where the embedded PostgreSQL cluster lives when DATABASE_URL is unset.
    #[arg(long, env = "EMBEDDED_PG_DIR", default_value = ".data/postgres")]
    pub embedded_pg_dir: PathBuf,

    /// Signing algorithm for access tokens.
    #[arg(long, env = "JWT_ALGORITHM", value_enum, default_value = "HS256")]
    pub jwt_algorithm: JwtAlgorithm,

    /// HS256 secret, at least 32 bytes. Unset: a random one per process (development only).
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// PEM private key for EdDSA or RS256.
    #[arg(long, env = "JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,

    /// PEM public key for EdDSA or RS256.
    #[arg(long, env = "JWT_PUBLIC_KEY_FILE")]
    pub jwt_public_key_file: Option<PathBuf>,

    /// `iss` claim written and required.
    #[arg(long, env = "JWT_ISSUER", default_value = "stunting-api")]
    pub jwt_issuer: String,

    /// `aud` claim written and required.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "stunting-api")]
    pub jwt_audience: String,

    /// Clock leeway for `exp` and `nbf`, in seconds (at most 60).
    #[arg(long, env = "JWT_LEEWAY_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(0..=60))]
    pub jwt_leeway_secs: u64,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900,
          value_parser = clap::value_parser!(u64).range(30..=86_400))]
    pub access_token_ttl_secs: u64,

    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 86_400,
          value_parser = clap::value_parser!(u64).range(60..=365 * 86_400))]
    pub refresh_token_ttl_secs: u64,

    /// Key for the keyed hash that finds duplicate NIKs, at least 32 bytes. Unset: a key the
    /// service generates once and keeps in its database (development only: the key belongs
    /// outside the database it protects).
    #[arg(long, env = "NIK_HASH_KEY", hide_env_values = true)]
    pub nik_hash_key: Option<String>,

    /// Username of the admin account created on first start.
    #[arg(long, env = "ADMIN_USERNAME", default_value = "admin")]
    pub admin_username: String,

    /// Its password. Unset: a generated one, printed once.
    #[arg(long, env = "ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Days of changes the change feed keeps (`GET /changes`); older ones are deleted, once
    /// the NATS relay (if any) has published them, and a `since` from before them is a 410.
    /// 0 keeps them for ever.
    #[arg(long, env = "CHANGE_FEED_RETENTION_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub change_feed_retention_days: u32,

    /// Requests a second allowed from one source address (bursts of twice as many); 0 is off.
    #[arg(long, env = "RATE_LIMIT_PER_ADDRESS", default_value_t = 100)]
    pub rate_limit_per_address: u32,

    /// Requests a second allowed for one account (bursts of twice as many); 0 is off.
    #[arg(long, env = "RATE_LIMIT_PER_ACCOUNT", default_value_t = 50)]
    pub rate_limit_per_account: u32,

    /// Take the client's address from `Forwarded`/`X-Forwarded-For` (set it only behind a
    /// reverse proxy that writes them): login throttling and rate limits count per address.
    /// Unset: the TCP peer's address.
    #[arg(long, env = "TRUST_PROXY_HEADERS", default_value_t = false)]
    pub trust_proxy_headers: bool,

    /// Browser origins allowed to call the API (comma-separated, e.g. a dashboard's
    /// `https://dashboard.example.go.id`). Unset: no cross-origin browser access.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,

    /// A request body must arrive within this many seconds of its headers, with no pause of
    /// more than 10 seconds, or it is answered 408: a client trickling a body must not hold a
    /// connection for ever.
    #[arg(long, env = "BODY_TIMEOUT_SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout_secs: u64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,

    /// Largest document file accepted by an upload, in bytes (files are kept in PostgreSQL).
    #[arg(long, env = "MAX_UPLOAD_BYTES", default_value_t = 10 * 1_048_576)]
    pub max_upload_bytes: usize,

    /// Largest import file accepted, in bytes. An import larger than `MAX_BODY_BYTES` runs
    /// as a job, its file kept in PostgreSQL until the job ends.
    #[arg(long, env = "MAX_IMPORT_BYTES", default_value_t = 64 * 1_048_576)]
    pub max_import_bytes: usize,

    /// Import jobs this instance runs at a time (0: it runs none, leaving them to other
    /// instances).
    #[arg(long, env = "IMPORT_WORKERS", default_value_t = 1)]
    pub import_workers: usize,

    /// HTTP worker threads. Unset: one per core.
    #[arg(long, env = "WORKERS")]
    pub workers: Option<usize>,

    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// This deployment's SATUSEHAT organization id. Set: FHIR Bundles name our records in
    /// SATUSEHAT's identifier systems (`http://sys-ids.kemkes.go.id/<kind>/<id>`) and name the
    /// organization as each Encounter's provider. Unset: in this service's own (`urn:stunting-api:<kind>`).
    #[arg(long, env = "SATUSEHAT_ORGANIZATION_ID", value_parser = organization_id)]
    pub satusehat_organization_id: Option<String>,

    /// NATS server to push the change feed to (`nats://user:password@host:4222`, `tls://…`):
    /// every change is published to the JetStream stream `STUNTING_CHANGES` under
    /// `stunting.changes.<province>.<district>.<entity>`, after its write commits. Unset: off.
    #[arg(long, env = "NATS_URL", hide_env_values = true)]
    pub nats_url: Option<String>,

    /// Changes the relay publishes before it waits for JetStream's acknowledgements and saves
    /// its position.
    #[arg(long, env = "NATS_RELAY_BATCH", default_value_t = 500, value_parser = clap::value_parser!(i64).range(1..=10_000))]
    pub nats_relay_batch: i64,

    /// Log output: `json` (one object per line) or `pretty`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "json")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "EdDSA")]
    EdDsa,
    #[value(name = "RS256")]
    Rs256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A SATUSEHAT organization id: letters, digits and hyphens (it becomes part of a URI).
fn organization_id(value: &str) -> Result<String, String> {
    let ok = !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok { Ok(value.to_owned()) } else { Err("must be letters, digits and hyphens, at most 64".to_owned()) }
}

impl Settings {
    pub fn is_development(&self) -> bool {
        self.dev || self.app_env == AppEnv::Development
    }

    /// Outside development, the secrets that protect tokens and NIKs must be set and strong: a
    /// service that made its own would lose every session on restart, keep the NIK key beside
    /// the data it protects, and a guessable one lets anyone forge tokens.
    pub fn check_secrets(&self) -> anyhow::Result<()> {
        if self.is_development() {
            return Ok(());
        }
        let hint =
            "set it to at least 32 random bytes (`openssl rand -hex 32`), or run with --dev (APP_ENV=development)";
        if self.jwt_algorithm == JwtAlgorithm::Hs256 {
            let secret = self.jwt_secret.as_deref().ok_or_else(|| anyhow::anyhow!("JWT_SECRET is unset: {hint}"))?;
            weakness(secret).map_or(Ok(()), |why| Err(anyhow::anyhow!("JWT_SECRET is weak ({why}): {hint}")))?;
        }
        let key = self.nik_hash_key.as_deref().ok_or_else(|| anyhow::anyhow!("NIK_HASH_KEY is unset: {hint}"))?;
        weakness(key).map_or(Ok(()), |why| Err(anyhow::anyhow!("NIK_HASH_KEY is weak ({why}): {hint}")))
    }

    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }
}

/// PostgreSQL's rule of thumb for active connections (cores × 2 + a disk): more connections
/// than that only take turns on the same cores, and each turn adds to every request's tail (on
/// two cores, the largest village's worklist had p95 65 ms at 16 connections, 46–50 at five).
fn default_pool_size() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from) * 2 + 1
}

/// Why `secret` is too easy to guess, if it is: short, made of few distinct characters (a
/// random hex string has all 16 with near certainty), or a placeholder copied from an example.
fn weakness(secret: &str) -> Option<&'static str> {
    const PLACEHOLDERS: [&str; 7] =
        ["changeme", "change-me", "change_me", "example", "placeholder", "password", "secret"];
    let distinct = secret.bytes().collect::<std::collections::HashSet<_>>().len();
    let lower = secret.to_ascii_lowercase();
    if secret.len() < 32 {
        Some("shorter than 32 bytes")
    } else if distinct < 8 {
        Some("fewer than 8 distinct characters")
    } else if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        Some("it contains a placeholder word")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn settings(args: &[&str]) -> Settings {
        Cli::parse_from(std::iter::once("test").chain(args.iter().copied())).settings
    }

    const STRONG: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn production_refuses_missing_or_weak_secrets() {
        let missing = settings(&[]).check_secrets().unwrap_err().to_string();
        assert!(missing.contains("JWT_SECRET is unset"), "{missing}");
        for weak in ["short", &"a".repeat(40), "changeme-changeme-changeme-changeme-1234"] {
            let error = settings(&["--jwt-secret", weak, "--nik-hash-key", STRONG]).check_secrets().unwrap_err();
            assert!(error.to_string().contains("JWT_SECRET is weak"), "{error}");
        }
        let error = settings(&["--jwt-secret", STRONG]).check_secrets().unwrap_err().to_string();
        assert!(error.contains("NIK_HASH_KEY is unset"), "{error}");
        assert!(settings(&["--jwt-secret", STRONG, "--nik-hash-key", STRONG]).check_secrets().is_ok());
    }

    #[test]
    fn development_makes_its_own() {
        assert!(settings(&["--dev"]).check_secrets().is_ok());
        assert!(settings(&["--app-env", "development"]).check_secrets().is_ok());
    }
}
