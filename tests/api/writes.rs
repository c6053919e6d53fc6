//! The one write path (`src/records/write.rs`), seen from outside: of concurrent writers that
//! read the same version, exactly one gets through and the others get 412, for records kept
//! by id and by natural key alike; a removal keeps who removed the record and why.

use diesel::QueryDsl;
use diesel_async::RunQueryDsl;
use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::TestApp;

const KAMPAR_VILLAGE: &str = "14.01.01.2009";
const WRITERS: usize = 6;

/// Sends the same change `WRITERS` times at once, each with `If-Match: read`, and returns
/// the statuses, sorted.
async fn race(app: &TestApp, method: Method, path: &str, token: &str, read: &str, bodies: Vec<Value>) -> Vec<u16> {
    let calls = bodies
        .into_iter()
        .map(|body| app.request(method.clone(), path, Some(token)).header("If-Match", read).json(&body).send());
    let mut statuses: Vec<u16> =
        join_all(calls).await.into_iter().map(|r| r.expect("request sent").status().as_u16()).collect();
    statuses.sort_unstable();
    statuses
}

fn one_through(statuses: &[u16]) {
    let mut expected = vec![200];
    expected.extend(std::iter::repeat_n(412, WRITERS - 1));
    assert_eq!(statuses, expected, "exactly one writer of a version gets through");
}

#[tokio::test]
async fn of_writers_who_read_the_same_version_exactly_one_gets_through() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let names = |what: &str| (0..WRITERS).map(|i| json!({ "name": format!("{what} {i}") })).collect::<Vec<_>>();

    let child = app.child_in(&officer, KAMPAR_VILLAGE).await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    one_through(&race(&app, Method::PATCH, &path, &officer, "\"1\"", names("Siti")).await);
    let after: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(after["version"], 2, "one change, one new version");

    // Agencies, accounts and regions were compare-and-swap before; they lock now like the rest.
    let agency: Value = app
        .post_json(
            "/api/v1/agencies",
            Some(&officer),
            &json!({"district_code": "14.01", "name": "Dinas Kesehatan", "short_name": "DINKES", "sector": "health"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/agencies/{}", agency["id"].as_str().unwrap());
    one_through(&race(&app, Method::PATCH, &path, &officer, "\"1\"", names("Dinas Kesehatan")).await);

    let admin = app.token_for(Role::Admin, None).await;
    one_through(&race(&app, Method::PATCH, "/api/v1/regions/14.01", &admin, "\"1\"", names("Kampar")).await);

    let cadre = app.create_user(Role::Cadre, Some(KAMPAR_VILLAGE)).await;
    let path = format!("/api/v1/users/{}", cadre.id);
    let display_names = (0..WRITERS).map(|i| json!({ "display_name": format!("Kader {i}") })).collect();
    one_through(&race(&app, Method::PATCH, &path, &officer, "\"1\"", display_names).await);
}

#[tokio::test]
async fn of_first_writes_under_one_key_exactly_one_gets_through() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.03")).await;
    let figures = (0..WRITERS).map(|i| json!({ "stunting_pct": 10.0 + i as f64 })).collect();
    let path = "/api/v1/survey-figures/14.03/2025/other";
    one_through(&race(&app, Method::PUT, path, &officer, "\"0\"", figures).await);

    // The assessment was an upsert checked after the fact; it is the same path now.
    let province = app.token_for(Role::Officer, Some("14")).await;
    let scores = (0..WRITERS).map(|i| json!({ "score": 80.0 + i as f64 })).collect();
    let path = "/api/v1/convergence/14.03/2021/assessment";
    one_through(&race(&app, Method::PUT, path, &province, "\"0\"", scores).await);
    let trail = app.audit_trail("14.03/2021").await;
    assert_eq!(trail.len(), 1, "a refused write leaves no audit line: {trail:?}");
}

#[tokio::test]
async fn a_removal_keeps_who_removed_the_record_and_why() {
    use stunting_api::db::schema::budgets;
    let app = TestApp::spawn().await;
    let officer = app.create_user(Role::Officer, Some("14.01")).await;
    let token = app.token(&officer);
    let budget: Value = app
        .post_json(
            "/api/v1/budgets",
            Some(&token),
            &json!({"region_code": "14.01", "fiscal_year": 2024, "funding_source": "apbd_district", "title": "APBD 2024"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = budget["id"].as_str().unwrap();
    let removed = app
        .request(Method::DELETE, &format!("/api/v1/budgets/{id}"), Some(&token))
        .header("If-Match", "\"1\"")
        .json(&json!({"reason": "entered twice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);

    let mut conn = app.pool.get().await.unwrap();
    let (by, reason): (Option<uuid::Uuid>, Option<String>) = budgets::table
        .find(uuid::Uuid::parse_str(id).unwrap())
        .select((budgets::deleted_by, budgets::deleted_reason))
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!((by, reason.as_deref()), (Some(officer.id.0), Some("entered twice")));
    let trail: Vec<String> = app.audit_trail(id).await.into_iter().map(|(action, _)| action).collect();
    assert_eq!(trail, ["budget.create", "budget.delete"]);
}

/// A write from an old version (an offline app syncing) is a 412 whose problem carries the
/// record as it is now, exactly as a GET answers it, so the app can merge and retry at once.
#[tokio::test]
async fn a_stale_write_gets_the_current_record_to_merge() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, KAMPAR_VILLAGE).await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let moved = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"name": "Siti Rahma"})).await;
    assert_eq!(moved.status(), StatusCode::OK);

    let stale = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"name": "Siti R."})).await;
    let problem = crate::common::problem(stale, StatusCode::PRECONDITION_FAILED).await;
    let now: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(problem["current"], now, "the current child, as GET shows it");
    assert_eq!(problem["current"]["version"], 2);
    let removal = app.delete_json(&path, Some(&officer), Some("\"1\""), &json!({"reason": "registered twice"})).await;
    assert_eq!(crate::common::problem(removal, StatusCode::PRECONDITION_FAILED).await["current"], now);

    app.measure_at(&officer, &child, "2025-02-10", -2.6).await;
    let case = app.cases_of(&officer, &child, Some("open")).await.remove(0);
    let case_path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    let noted = app.patch_json(&case_path, Some(&officer), Some("\"1\""), &json!({"notes": "home visit"})).await;
    assert_eq!(noted.status(), StatusCode::OK);
    let stale = app.patch_json(&case_path, Some(&officer), Some("\"1\""), &json!({"notes": "other"})).await;
    let problem = crate::common::problem(stale, StatusCode::PRECONDITION_FAILED).await;
    let now: Value = app.get(&case_path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(problem["current"], now, "the current case with its services");
    assert_eq!(problem["current"]["notes"], "home visit");

    let activity: Value = app
        .post_json(
            "/api/v1/interventions",
            Some(&officer),
            &json!({"type_code": "growth_monitoring", "region_code": KAMPAR_VILLAGE, "year": 2024, "target": 120}),
        )
        .await
        .json()
        .await
        .unwrap();
    let activity_path = format!("/api/v1/interventions/{}", activity["id"].as_str().unwrap());
    let retargeted = app.patch_json(&activity_path, Some(&officer), Some("\"1\""), &json!({"target": 130})).await;
    assert_eq!(retargeted.status(), StatusCode::OK);
    let stale = app.patch_json(&activity_path, Some(&officer), Some("\"1\""), &json!({"target": 140})).await;
    let problem = crate::common::problem(stale, StatusCode::PRECONDITION_FAILED).await;
    let now: Value = app.get(&activity_path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(problem["current"], now, "the current activity");
    assert_eq!(problem["current"]["target"], 130);

    // Teams and budget documents too.
    let team = app.tpk_in(&officer, KAMPAR_VILLAGE).await;
    let budget: Value = app
        .post_json(
            "/api/v1/budgets",
            Some(&officer),
            &json!({"region_code": "14.01", "fiscal_year": 2025, "funding_source": "apbd_district", "title": "APBD"}),
        )
        .await
        .json()
        .await
        .unwrap();
    for (path, first, second) in [
        (format!("/api/v1/teams/{}", team["id"].as_str().unwrap()), json!({"name": "TPK A"}), json!({"name": "TPK B"})),
        (format!("/api/v1/budgets/{}", budget["id"].as_str().unwrap()), json!({"title": "A"}), json!({"title": "B"})),
    ] {
        assert_eq!(app.patch_json(&path, Some(&officer), Some("\"1\""), &first).await.status(), StatusCode::OK);
        let stale = app.patch_json(&path, Some(&officer), Some("\"1\""), &second).await;
        let problem = crate::common::problem(stale, StatusCode::PRECONDITION_FAILED).await;
        let now: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
        assert_eq!(problem["current"], now, "{path}");
    }

    // A budget line, as the document's list of lines shows it.
    let lines = format!("/api/v1/budgets/{}/lines", budget["id"].as_str().unwrap());
    let line: Value = app
        .post_json(&lines, Some(&officer), &json!({"activity": "PMT balita", "ceiling": 100_000_000}))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("{lines}/{}", line["id"].as_str().unwrap());
    let raised = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"ceiling": 120_000_000})).await;
    assert_eq!(raised.status(), StatusCode::OK);
    let stale = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"ceiling": 90_000_000})).await;
    let problem = crate::common::problem(stale, StatusCode::PRECONDITION_FAILED).await;
    let listed: Value = app.get(&lines, Some(&officer)).await.json().await.unwrap();
    assert_eq!(problem["current"], listed[0], "the current line");
    assert_eq!(problem["current"]["ceiling"], 120_000_000);
    let removal = app.delete_json(&path, Some(&officer), Some("\"1\""), &json!({})).await;
    assert_eq!(crate::common::problem(removal, StatusCode::PRECONDITION_FAILED).await["current"], listed[0]);
}
