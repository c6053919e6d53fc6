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

/// The service can reach its database within two seconds. A read replica that cannot be
/// reached does not make it unready: lists and aggregates read the primary meanwhile
/// (`ReadPool`), and `read_replica` says so for monitoring.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database is unreachable"),
    ))]
#[get("/health/ready")]
pub async fn ready(pool: web::Data<DbPool>, reader: web::Data<ReadPool>) -> Result<HttpResponse, ApiError> {
    let answers = async |pool: &DbPool| pool.get().await.ok()?.batch_execute("SELECT 1").await.ok();
    let checks = async {
        let primary = answers(&pool).await;
        let replica = match reader.replica() {
            None => ReplicaState::None,
            Some(replica) if answers(replica).await.is_some() => ReplicaState::Ok,
            Some(_) => ReplicaState::Unreachable,
        };
        (primary, replica)
    };
    match tokio::time::timeout(Duration::from_secs(2), checks).await {
        Ok((Some(()), read_replica)) => Ok(HttpResponse::Ok().json(Readiness { status: "ok", read_replica })),
        Ok((None, _)) => Err(ApiError::ServiceUnavailable(text!("the database check failed"))),
        Err(_) => Err(ApiError::ServiceUnavailable(text!("the database did not answer within 2 s"))),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub read_replica: ReplicaState,
}

text_enum! {
    /// The read replica (`DATABASE_READ_URL`): `none` when there is none, `unreachable` while
    /// lists and aggregates read the primary instead.
    pub enum ReplicaState {
        None = "none",
        Ok = "ok",
        Unreachable = "unreachable",
    }
}
