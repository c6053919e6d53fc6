//! `DATABASE_READ_URL`: aggregates and lists read a real streaming replica, records and writes
//! the primary. Two clusters on this machine: a primary and a replica made by pg_basebackup.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::sql_types::Bool;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use reqwest::StatusCode;
use serde_json::Value;
use stunting_api::db::migrate;
use stunting_api::domain::Role;
use stunting_api::embedded_pg::{Durability, EmbeddedPostgres};
use stunting_api::records::region::import;

use crate::common::TestApp;
use crate::common::app::children::VILLAGE;

struct Pair {
    primary: EmbeddedPostgres,
    replica: EmbeddedPostgres,
    dir: PathBuf,
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.replica.stop();
        let _ = self.primary.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A primary holding a migrated `stunting` database with the regions, and its replica.
async fn primary_and_replica() -> Pair {
    let dir = std::env::temp_dir().join(format!("stunting-replica-{}", uuid::Uuid::new_v4().simple()));
    let root = dir.clone();
    let primary =
        tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root.join("primary"), Durability::Throwaway))
            .await
            .unwrap()
            .expect("starting the primary");
    let mut admin = AsyncPgConnection::establish(&primary.url("postgres")).await.unwrap();
    admin.batch_execute("CREATE DATABASE stunting").await.unwrap();
    let url = primary.url("stunting");
    migrate::run_pending(&url).await.unwrap();
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    import::import(&mut conn, &import::parse_csv(import::BUNDLED_CSV).unwrap()).await.unwrap();
    let (primary, replica) = tokio::task::spawn_blocking(move || {
        let replica = EmbeddedPostgres::start_replica_of(&primary, &Path::new(&dir).join("replica"));
        (primary, replica.map(|r| (r, dir)))
    })
    .await
    .unwrap();
    let (replica, dir) = replica.expect("starting the replica");
    Pair { primary, replica, dir }
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    done: bool,
}

/// Waits until the replica has replayed everything the primary has written so far.
async fn caught_up(pair: &Pair) {
    let mut primary = AsyncPgConnection::establish(&pair.primary.url("stunting")).await.unwrap();
    let mut replica = AsyncPgConnection::establish(&pair.replica.url("stunting")).await.unwrap();
    let written: Flag =
        diesel::sql_query("SELECT true AS done FROM pg_switch_wal()").get_result(&mut primary).await.unwrap();
    assert!(written.done);
    let target: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("pg_current_wal_lsn()::text"))
        .get_result(&mut primary)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let done: Flag = diesel::sql_query(format!("SELECT pg_last_wal_replay_lsn() >= '{target}' AS done"))
            .get_result(&mut replica)
            .await
            .unwrap();
        if done.done {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the replica did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn replay(pair: &Pair, action: &str) {
    let mut replica = AsyncPgConnection::establish(&pair.replica.url("stunting")).await.unwrap();
    replica.batch_execute(&format!("SELECT pg_wal_replay_{action}()")).await.unwrap();
}

async fn listed_and_measured(app: &TestApp, token: &str) -> (usize, i64) {
    let children: Value = app.get("/api/v1/children?region=14.01", Some(token)).await.json().await.unwrap();
    let stats: Value = app.get("/api/v1/stats/prevalence?year=2025", Some(token)).await.json().await.unwrap();
    (children["items"].as_array().unwrap().len(), stats["total"]["measured"].as_i64().unwrap())
}

#[tokio::test]
async fn aggregates_and_lists_read_the_replica_records_and_writes_the_primary() {
    let mut pair = primary_and_replica().await;
    let read_url = pair.replica.url("stunting");
    let app = TestApp::spawn_on(&pair.primary.url("stunting"), &["--database-read-url", &read_url]).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let first = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &first, "2025-03-01", -2.5).await;
    caught_up(&pair).await;
    assert_eq!(listed_and_measured(&app, &officer).await, (1, 1));

    // With replay paused the replica lags: a new child is written and readable as a record
    // (the primary) at once, but lists and aggregates still show the replica's past.
    replay(&pair, "pause").await;
    let second = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &second, "2025-04-01", -1.0).await;
    let record = app.get(&format!("/api/v1/children/{}", second["id"].as_str().unwrap()), Some(&officer)).await;
    assert_eq!(record.status(), StatusCode::OK, "a record is read from the primary");
    assert_eq!(listed_and_measured(&app, &officer).await, (1, 1), "lists and aggregates read the replica");

    replay(&pair, "resume").await;
    caught_up(&pair).await;
    assert_eq!(listed_and_measured(&app, &officer).await, (2, 2));

    let ready: Value = app.get("/health/ready", None).await.json().await.unwrap();
    assert_eq!(ready["read_replica"], "ok");

    // Without the replica, lists and aggregates read the primary (with what it has now), and
    // the service stays ready: a load balancer keeps sending it requests.
    pair.replica.stop().unwrap();
    let third = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &third, "2025-05-01", -3.0).await;
    assert_eq!(listed_and_measured(&app, &officer).await, (3, 3), "reads fall back to the primary");
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["read_replica"], "unreachable");
}
