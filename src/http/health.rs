//! Liveness and readiness for orchestrators and load balancers.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use diesel_async::SimpleAsyncConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::{DbPool, ReadPool};
use crate::error::ApiError;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up and answering.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The service can reach its database (and its read replica, when it has one) within two
/// seconds.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database or the read replica is unreachable"),
    ))]
#[get("/health/ready")]
pub async fn ready(pool: web::Data<DbPool>, reader: web::Data<ReadPool>) -> Result<HttpResponse, ApiError> {
    let check = async |pool: &DbPool, name: &str| {
        let mut conn = pool.get().await?;
        conn.batch_execute("SELECT 1")
            .await
            .map_err(|e| ApiError::ServiceUnavailable(text!("%{name} check failed: %{error}", name = name, error = e)))
    };
    let both = async {
        check(&pool, "database").await?;
        check(&reader, "read replica").await
    };
    match tokio::time::timeout(Duration::from_secs(2), both).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Health { status: "ok" })),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ApiError::ServiceUnavailable(text!("the database did not answer within 2 s"))),
    }
}
