//! The change feed (`GET /api/v1/changes`): every write in the caller's scope once, tombstones
//! included, in a stable order, and never skipping a write that commits after a reader passed.

use std::collections::HashSet;

use diesel_async::{AnsiTransactionManager, AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::{OTHER_VILLAGE, VILLAGE};
use crate::common::{TestApp, problem};

/// Reads the feed from `since` until `enough` holds of everything read (or gives up after ten
/// seconds): the feed reaches a committed write once every transaction that began before it,
/// in any database of the cluster (other tests run beside this one), has ended.
pub(crate) async fn drain_until(
    app: &TestApp,
    token: &str,
    since: Option<&str>,
    limit: u32,
    enough: impl Fn(&[Value]) -> bool,
) -> (Vec<Value>, String) {
    let (mut items, mut next) = drain(app, token, since, limit).await;
    for _ in 0..200 {
        if enough(&items) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (more, after) = drain(app, token, Some(&next), limit).await;
        items.extend(more);
        next = after;
    }
    (items, next)
}

/// Reads the feed from `since` until it has nothing more, `limit` at a time.
async fn drain(app: &TestApp, token: &str, since: Option<&str>, limit: u32) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut since = since.map(str::to_owned);
    loop {
        let query = since.as_deref().map(|s| format!("&since={s}")).unwrap_or_default();
        let response = app.get(&format!("/api/v1/changes?limit={limit}{query}"), Some(token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        since = Some(page["next"].as_str().unwrap().to_owned());
        if page["more"] == false {
            return (items, since.unwrap());
        }
    }
}

#[tokio::test]
async fn the_feed_holds_every_write_in_scope_once_with_tombstones() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let measurement = app.measure_at(&officer, &child, "2025-02-10", -2.6).await;
    assert_eq!(app.void_measurement(&officer, &measurement).await.status(), StatusCode::OK);
    let removed = app.delete_json(&path, Some(&officer), Some("\"1\""), &json!({"reason": "registered twice"})).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    // Elsewhere: not in a Kampar officer's feed.
    let elsewhere = app.token_for(Role::Officer, Some("14.03")).await;
    app.child_in(&elsewhere, OTHER_VILLAGE).await;

    let removal_read = |items: &[Value]| items.iter().any(|i| i["id"] == child["id"] && i["removed"] == true);
    let (items, next) = drain_until(&app, &officer, None, 2, removal_read).await;
    let mine: Vec<&Value> = items.iter().filter(|i| i["id"] == child["id"]).collect();
    assert_eq!((&mine[0]["entity"], &mine[0]["removed"]), (&json!("child"), &json!(false)), "registered");
    assert_eq!(mine.last().unwrap()["removed"], true, "the removal is a tombstone");
    assert!(items.iter().any(|i| i["entity"] == "measurement" && i["removed"] == true), "the void is a tombstone");
    assert!(items.iter().any(|i| i["entity"] == "case"), "the case opened (and voided) with it");
    assert!(items.iter().all(|i| i["region_code"].as_str().unwrap().starts_with("14.01")), "only Kampar");
    let ids: HashSet<&str> = items.iter().map(|i| i["change"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), items.len(), "no change twice");
    let (again, _) = drain(&app, &officer, Some(&next), 2).await;
    assert!(again.is_empty(), "nothing new: {again:?}");

    let national = app.token_for(Role::Integration, None).await;
    let (all, _) = drain_until(&app, &national, None, 500, |all| all.len() > items.len()).await;
    assert_eq!(all.len(), items.len() + 1, "the national feed has the other district's child too");

    let analyst = app.token_for(Role::Analyst, Some("14.01")).await;
    problem(app.get("/api/v1/changes", Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/changes?since=12", Some(&officer)).await, StatusCode::BAD_REQUEST).await;
    problem(app.get("/api/v1/changes?limit=0", Some(&officer)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
}

/// A transaction that began writing first but commits last: a reader that runs meanwhile
/// must not move past it, or it would never see its write.
#[tokio::test]
async fn a_write_that_commits_late_is_not_skipped() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let (_, start) = drain(&app, &officer, None, 100).await;

    // The slow writer takes its transaction id first, with a change in Kampar.
    let mut slow = AsyncPgConnection::establish(&app.database_url).await.unwrap();
    AnsiTransactionManager::begin_transaction(&mut slow).await.unwrap();
    diesel::sql_query(
        "INSERT INTO changes (entity, record_id, region_code, removed) \
         VALUES ('child', '0192b7a4-0000-7000-8000-00000000dead', '14.01.01.2009', false)",
    )
    .execute(&mut slow)
    .await
    .unwrap();
    // A quick writer commits after it.
    let quick = app.child_in(&officer, VILLAGE).await;

    let (during, next) = drain(&app, &officer, Some(&start), 100).await;
    assert!(during.is_empty(), "nothing after the slow writer's place while it runs: {during:?}");
    AnsiTransactionManager::commit_transaction(&mut slow).await.unwrap();
    let quick_read = |items: &[Value]| items.iter().any(|i| i["id"] == quick["id"]);
    let (after, _) = drain_until(&app, &officer, Some(&next), 100, quick_read).await;
    let ids: Vec<&str> = after.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids.as_slice().first(), Some(&"0192b7a4-0000-7000-8000-00000000dead"), "the slow write first");
    assert!(ids.contains(&quick["id"].as_str().unwrap()), "then the quick one");
}

/// Writers committing while a reader pages through: every change arrives exactly once.
#[tokio::test]
async fn a_reader_paging_beside_concurrent_writers_gets_every_change_once() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let writers = (0..4).map(|_| async {
        for _ in 0..8 {
            app.child_in(&officer, VILLAGE).await;
        }
    });
    let reader = async {
        let mut seen = Vec::new();
        let mut since: Option<String> = None;
        for _ in 0..40 {
            let (items, next) = drain(&app, &officer, since.as_deref(), 3).await;
            seen.extend(items);
            since = Some(next);
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        (seen, since.unwrap())
    };
    let (_, (mut seen, since)) = tokio::join!(join_all(writers), reader);
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let logged: Count = diesel::sql_query("SELECT count(*) AS n FROM changes")
        .get_result(&mut *app.pool.get().await.unwrap())
        .await
        .unwrap();
    let missing = (logged.n as usize).saturating_sub(seen.len());
    let (rest, _) = drain_until(&app, &officer, Some(&since), 3, |rest| rest.len() >= missing).await;
    seen.extend(rest);

    let changes: Vec<&str> = seen.iter().map(|i| i["change"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = changes.iter().copied().collect();
    assert_eq!(unique.len(), changes.len(), "no change twice");
    let children: HashSet<&str> =
        seen.iter().filter(|i| i["entity"] == "child").map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(children.len(), 32, "every child registered");
    assert_eq!(changes.len() as i64, logged.n, "every logged change, in order of reading");
}

/// The feed keeps its retention period: older changes go, oldest first, never one the relay
/// has still to publish, and a reader asking from before what is kept is told to resync.
#[tokio::test]
async fn a_since_older_than_the_feed_keeps_is_410_and_the_rest_stays_whole() {
    use stunting_api::records::changes::trimmed;
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let old = app.child_in(&officer, VILLAGE).await;
    let is = |id: Value| move |items: &[Value]| items.iter().any(|c| c["id"] == id);
    let (_, after_old) = drain_until(&app, &officer, None, 100, is(old["id"].clone())).await;
    let kept = app.child_in(&officer, VILLAGE).await;
    let keep = chrono::TimeDelta::days(90);
    let mut conn = app.pool.get().await.unwrap();

    // The relay holds nothing yet: the old change waits for it, however old.
    TestApp::execute(&app, "INSERT INTO change_relay (target) VALUES ('nats')").await;
    TestApp::execute(
        &app,
        &format!(
            "UPDATE changes SET changed_at = now() - interval '100 days' WHERE record_id = '{}'",
            old["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(trimmed::trim(&mut conn, keep).await.unwrap(), 0);
    let (txid, seq) = after_old.split_once('-').unwrap();
    TestApp::execute(&app, &format!("UPDATE change_relay SET txid = '{txid}'::xid8, seq = {seq}")).await;
    assert_eq!(trimmed::trim(&mut conn, keep).await.unwrap(), 1, "published and past its time: gone");
    assert_eq!(trimmed::trim(&mut conn, keep).await.unwrap(), 0);

    for since in [None, Some("0-0")] {
        let path = since.map_or("/api/v1/changes".to_owned(), |s| format!("/api/v1/changes?since={s}"));
        let gone = problem(app.get(&path, Some(&officer)).await, StatusCode::GONE).await;
        assert_eq!(gone["type"], "/problems/gone");
        let detail = gone["detail"].as_str().unwrap();
        assert!(detail.contains("resync from the exports") && detail.contains("since="), "{gone}");
    }
    let (items, _) = drain_until(&app, &officer, Some(&after_old), 100, is(kept["id"].clone())).await;
    assert!(items.iter().any(|c| c["id"] == kept["id"]), "what is kept is whole: {items:?}");
}
