//! Builds the HTTP application. `main` and the tests both call `Application::build`, so the
//! tests exercise the very server that runs in production (on port 0).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{self, Compress, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::api::changes::FeedRetention;
use crate::api::{self, openapi};
use crate::auth::JwtKeys;
use crate::auth::accounts::Accounts;
use crate::config::Settings;
use crate::db::{DbPool, ReadPool, build_pool, secrets};
use crate::domain::NikKey;
use crate::http::metrics::Metrics;
use crate::http::negotiate;
use crate::http::request_log::REQUEST_ID;
use crate::http::upload::UploadLimit;
use crate::http::{body_deadline, client, idempotency, nul_path, problem, rate_limit, request_log, security_headers};
use crate::relay::{Relay, RelayMetrics};

pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    pub async fn build(settings: &Settings, pool: DbPool) -> anyhow::Result<Self> {
        crate::growth::load_tables();
        let nik_key = web::Data::new(nik_key(settings, &pool).await?);
        let listener = TcpListener::bind(settings.listen_addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen_addr))?;
        let port = listener.local_addr()?.port();
        let keys = web::Data::new(JwtKeys::from_settings(settings)?);
        let metrics = web::Data::new(Metrics::new()?);
        if let Some(url) = &settings.nats_url {
            let relay_metrics = RelayMetrics::new()?;
            metrics.register(relay_metrics.collectors())?;
            tokio::spawn(Relay::new(pool.clone(), url.clone(), settings.nats_relay_batch, relay_metrics).run());
        }
        let replica = match &settings.database_read_url {
            Some(url) => Some(build_pool(url, settings.database_pool_size, settings.database_statement_timeout_ms)?),
            None => None,
        };
        let reader = web::Data::new(ReadPool::new(pool.clone(), replica));
        tokio::spawn(crate::db::idempotency::purge_expired_every(pool.clone(), Duration::from_secs(600)));
        let feed_retention = web::Data::new(FeedRetention(settings.change_feed_retention_days));
        if settings.change_feed_retention_days > 0 {
            let keep = chrono::TimeDelta::days(i64::from(settings.change_feed_retention_days));
            tokio::spawn(crate::records::changes::trimmed::trim_every(pool.clone(), keep, Duration::from_secs(3600)));
        }
        let accounts = Arc::new(Accounts::new(keys.outlives_its_login()));
        tokio::spawn(accounts.clone().follow_changes(pool.clone()));
        let accounts = web::Data::new(accounts);
        let import_queue = crate::records::import::jobs::Queue::default();
        for _ in 0..settings.import_workers {
            tokio::spawn(crate::records::bulk::work(pool.clone(), (**nik_key).clone(), import_queue.clone()));
        }
        let import_queue = web::Data::new(import_queue);
        let import_limits = web::Data::new(api::imports::ImportLimits {
            max_bytes: settings.max_import_bytes,
            at_once_bytes: settings.max_body_bytes,
        });
        let pool = web::Data::new(pool);
        let doc = openapi::document();
        let produces = web::Data::new(openapi::produces(&doc));
        let known_paths = web::Data::new(openapi::known_paths(&doc));
        let max_body = settings.max_body_bytes;
        let upload_limit = web::Data::new(UploadLimit(settings.max_upload_bytes));
        let fhir_systems = web::Data::new(crate::fhir::Systems::new(settings.satusehat_organization_id.clone()));
        let trust_proxy = web::Data::new(client::TrustProxyHeaders(settings.trust_proxy_headers));
        let body_timeout = web::Data::new(body_deadline::BodyTimeout(Duration::from_secs(settings.body_timeout_secs)));
        let origins = browser_origins(&settings.cors_allowed_origins)?;
        let rate_limits = rate_limit::RateLimits::new(settings.rate_limit_per_address, settings.rate_limit_per_account);

        let mut server =
            HttpServer::new(move || {
                let (app, _) = App::new().into_utoipa_app().configure(api::routes).split_for_parts();
                app.app_data(keys.clone())
                    .app_data(accounts.clone())
                    .app_data(nik_key.clone())
                    .app_data(metrics.clone())
                    .app_data(pool.clone())
                    .app_data(reader.clone())
                    .app_data(upload_limit.clone())
                    .app_data(fhir_systems.clone())
                    .app_data(body_timeout.clone())
                    .app_data(trust_proxy.clone())
                    .app_data(import_queue.clone())
                    .app_data(import_limits.clone())
                    .app_data(produces.clone())
                    .app_data(known_paths.clone())
                    .app_data(feed_retention.clone())
                    .app_data(web::PayloadConfig::new(max_body))
                    .app_data(web::PathConfig::default().error_handler(problem::path_error))
                    .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", doc.clone()))
                    .service(web::resource("/docs").to(|| async {
                        HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
                    }))
                    .default_service(web::to(problem::not_found))
                    // Inner to outer: run a keyed POST once (its kept answer uncompressed);
                    // give up on a body that does not arrive in time;
                    // refuse what Accept rules out and paths with a NUL; compress the body;
                    // answer CORS; limit the rate per address, but first per account, so a
                    // request its own account's limit refuses costs its address nothing; log and
                    // count; make any error that is not problem+json yet into one; add the
                    // security headers.
                    .wrap(middleware::from_fn(idempotency::idempotent))
                    .wrap(middleware::from_fn(body_deadline::limit_body_time))
                    .wrap(middleware::from_fn(negotiate::negotiate))
                    .wrap(middleware::from_fn(nul_path::refuse_nul_in_path))
                    .wrap(Compress::default())
                    .wrap(cors(&origins))
                    .wrap(rate_limits.per_address())
                    .wrap(rate_limits.per_account())
                    .wrap(middleware::from_fn(request_log::request_log))
                    .wrap(ErrorHandlers::new().default_handler(problem::ensure_problem_json))
                    .wrap(middleware::from_fn(security_headers::add_security_headers))
            })
            .listen(listener)?
            .shutdown_timeout(settings.shutdown_timeout_secs)
            .client_request_timeout(Duration::from_secs(30));
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        Ok(Self { server: server.run(), port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// NIK_HASH_KEY, or (development) the key kept in the database.
async fn nik_key(settings: &Settings, pool: &DbPool) -> anyhow::Result<NikKey> {
    match &settings.nik_hash_key {
        Some(key) if key.len() >= 32 => Ok(NikKey::new(key.clone().into_bytes())),
        Some(_) => anyhow::bail!("NIK_HASH_KEY must be at least 32 bytes"),
        None => {
            tracing::warn!("NIK_HASH_KEY is unset: using a key kept in the database (development only)");
            let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("cannot reach the database: {e}"))?;
            Ok(NikKey::new(secrets::get_or_create(&mut conn, "nik_hash_key", 32).await?))
        }
    }
}

/// Browser dashboards on the listed origins may call the API with a bearer token; no cookies
/// are involved, so credentials mode stays off.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::IF_MATCH, header::ACCEPT])
        .allowed_header(REQUEST_ID)
        .allowed_header(idempotency::IDEMPOTENCY_KEY)
        .expose_headers([header::ETAG, header::LOCATION, header::RETRY_AFTER, REQUEST_ID])
        .expose_headers([idempotency::REPLAYED])
        .max_age(3600)
}

/// Checks CORS_ALLOWED_ORIGINS once at start-up: actix-cors would panic in every worker on a bad
/// one. An origin is `http(s)://host[:port]`, nothing more.
fn browser_origins(raw: &[String]) -> anyhow::Result<Vec<String>> {
    raw.iter()
        .map(|o| o.trim().trim_end_matches('/'))
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let uri: actix_web::http::Uri =
                origin.parse().map_err(|_| anyhow::anyhow!("CORS_ALLOWED_ORIGINS: {origin:?} is not a URL"))?;
            let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
            let bare = uri.path() == "/" && uri.query().is_none() && uri.authority().is_some();
            anyhow::ensure!(scheme_ok && bare, "CORS_ALLOWED_ORIGINS: {origin:?} must look like https://host[:port]");
            Ok(origin.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::browser_origins;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        let ok = browser_origins(&["https://dash.example.go.id/".into(), " http://localhost:3000".into(), "".into()]);
        assert_eq!(ok.unwrap(), ["https://dash.example.go.id", "http://localhost:3000"]);
        for bad in ["*", "dash.example.go.id", "https://x.example/path", "ftp://x.example", "https://x.example?q=1"] {
            assert!(browser_origins(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
