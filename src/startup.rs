//! Builds the HTTP application. `main` and the tests both call `Application::build`, so the
//! tests exercise the very server that runs in production (on port 0).

use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{self, Compress, DefaultHeaders, ErrorHandlers};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::db::DbPool;
use crate::http::metrics::Metrics;
use crate::http::{problem, request_log};
use crate::openapi;

pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    pub fn build(settings: &Settings, pool: DbPool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen_addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen_addr))?;
        let port = listener.local_addr()?.port();
        let keys = web::Data::new(JwtKeys::from_settings(settings)?);
        let metrics = web::Data::new(Metrics::new()?);
        let pool = web::Data::new(pool);
        let doc = openapi::document();
        let max_body = settings.max_body_bytes;

        let mut server =
            HttpServer::new(move || {
                let (app, _) = App::new().into_utoipa_app().configure(openapi::routes).split_for_parts();
                app.app_data(keys.clone())
                    .app_data(metrics.clone())
                    .app_data(pool.clone())
                    .app_data(web::PayloadConfig::new(max_body))
                    .app_data(web::PathConfig::default().error_handler(problem::path_error))
                    .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", doc.clone()))
                    .service(web::resource("/docs").to(|| async {
                        HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
                    }))
                    .default_service(web::to(problem::not_found))
                    .wrap(ErrorHandlers::new().default_handler(problem::ensure_problem_json))
                    .wrap(Compress::default())
                    .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
                    .wrap(middleware::from_fn(request_log::request_log))
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
