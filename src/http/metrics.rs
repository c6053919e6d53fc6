//! Prometheus metrics: request counts and latency per route pattern (never the raw path, which
//! would explode the label set and could carry identifiers), and the pool's connections.

use actix_web::{HttpResponse, get, web};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

use crate::db::DbPool;
use crate::error::ApiError;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_size: IntGauge,
    pool_in_use: IntGauge,
    pool_waiting: IntGauge,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer an HTTP request")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["method", "route"],
        )?;
        let pool_size = IntGauge::new("db_pool_connections", "Open database connections")?;
        let pool_in_use = IntGauge::new("db_pool_connections_in_use", "Database connections lent out")?;
        let pool_waiting = IntGauge::new("db_pool_waiting", "Requests waiting for a database connection")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool_size.clone()))?;
        registry.register(Box::new(pool_in_use.clone()))?;
        registry.register(Box::new(pool_waiting.clone()))?;
        Ok(Self { registry, requests, latency, pool_size, pool_in_use, pool_waiting })
    }

    /// Adds metrics kept elsewhere (the change relay's).
    pub fn register(&self, collectors: Vec<Box<dyn prometheus::core::Collector>>) -> prometheus::Result<()> {
        collectors.into_iter().try_for_each(|c| self.registry.register(c))
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.latency.with_label_values(&[method, route]).observe(seconds);
    }

    fn render(&self, pool: &DbPool) -> Result<String, ApiError> {
        let status = pool.status();
        let in_use = status.size.saturating_sub(status.available);
        self.pool_size.set(status.size as i64);
        self.pool_in_use.set(in_use as i64);
        self.pool_waiting.set(status.waiting as i64);
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).map_err(|e| ApiError::Internal(e.into()))?;
        String::from_utf8(out).map_err(|e| ApiError::Internal(e.into()))
    }
}

/// Prometheus text exposition of the service's metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Metrics in the Prometheus text format", content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(metrics: web::Data<Metrics>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let body = metrics.render(&pool)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}
