use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::{VILLAGE, tpk_members};
use crate::common::{TestApp, problem};

const OTHER_KAMPAR_VILLAGE: &str = "14.01.02.2001";

async fn tpk(app: &TestApp, token: &str, village: &str) -> Value {
    app.tpk_in(token, village).await
}

#[tokio::test]
async fn a_tpk_is_three_people_in_a_village_and_analysts_never_see_their_phones() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let id = uuid::Uuid::now_v7();
    let body =
        json!({"id": id, "kind": "tpk", "region_code": VILLAGE, "name": "TPK Kumantan 2", "members": tpk_members()});
    let created = app.post_json("/api/v1/teams", Some(&officer), &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let retried = app.post_json("/api/v1/teams", Some(&officer), &body).await;
    assert_eq!(retried.status(), StatusCode::OK, "a retry adds nothing");

    let mut two = body.clone();
    two["id"] = json!(uuid::Uuid::now_v7());
    two["members"].as_array_mut().unwrap().pop();
    let e = problem(app.post_json("/api/v1/teams", Some(&officer), &two).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e["errors"][0]["field"], "members");
    let mut twice = two.clone();
    twice["members"] = json!([tpk_members()[0], tpk_members()[0], {"name": "X", "role": "driver", "phone": "call me"}]);
    let e =
        problem(app.post_json("/api/v1/teams", Some(&officer), &twice).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = e["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["members[2].phone", "members[2].role", "members"]);
    let mut not_village = two.clone();
    not_village["members"] = tpk_members();
    not_village["region_code"] = json!("14.01.01");
    let e =
        problem(app.post_json("/api/v1/teams", Some(&officer), &not_village).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(e["errors"][0]["field"], "region_code");
    let tpps = json!({"kind": "tpps", "region_code": "14.01", "name": "TPPS Kabupaten Kampar", "members": [
        {"name": "H. Ahmad", "position": "Wakil Bupati", "agency": "Pemkab Kampar", "role": "ketua"}]});
    assert_eq!(app.post_json("/api/v1/teams", Some(&officer), &tpps).await.status(), StatusCode::CREATED);

    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    let mut elsewhere = body.clone();
    elsewhere["id"] = json!(uuid::Uuid::now_v7());
    problem(app.post_json("/api/v1/teams", Some(&bengkalis), &elsewhere).await, StatusCode::FORBIDDEN).await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    problem(app.post_json("/api/v1/teams", Some(&cadre), &elsewhere).await, StatusCode::FORBIDDEN).await;

    let path = format!("/api/v1/teams/{id}");
    let seen_by_officer: Value = app.get(&path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(seen_by_officer["members"][0]["phone"], "+6281234567890");
    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    let seen_by_analyst: Value = app.get(&path, Some(&analyst)).await.json().await.unwrap();
    assert_eq!(seen_by_analyst["members"][0]["name"], "Rahmawati");
    assert!(seen_by_analyst["members"][0]["phone"].is_null());
    let page: Value = app.get("/api/v1/teams?kind=tpk", Some(&analyst)).await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().iter().all(|t| t["members"][0]["phone"].is_null()));
    problem(app.get(&path, Some(&bengkalis)).await, StatusCode::FORBIDDEN).await;

    let off = app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"active": false})).await;
    assert_eq!(off.status(), StatusCode::OK);
    problem(
        app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"active": true})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let trail: Vec<String> = app.audit_trail(&id.to_string()).await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(trail, ["team.create", "team.update"]);
}

#[tokio::test]
async fn teams_are_counted_per_tier_and_cases_are_assigned_to_an_active_tpk_of_the_village() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let team = tpk(&app, &officer, VILLAGE).await;
    tpk(&app, &officer, VILLAGE).await;
    let other = tpk(&app, &officer, OTHER_KAMPAR_VILLAGE).await;
    let retired = tpk(&app, &officer, VILLAGE).await;
    let path = format!("/api/v1/teams/{}", retired["id"].as_str().unwrap());
    assert_eq!(app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"active": false})).await.status(), 200);
    let tpps = json!({"kind": "tpps", "region_code": "14.01", "name": "TPPS Kampar", "members": []});
    let tpps: Value = app.post_json("/api/v1/teams", Some(&officer), &tpps).await.json().await.unwrap();

    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    let stats: Value = app.get("/api/v1/stats/teams?region=14.01", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(stats["level"], "subdistrict");
    let total = &stats["total"];
    assert_eq!(total["region_name"], "Kabupaten Kampar");
    assert_eq!((total["tpk_active"].as_i64(), total["tpk_inactive"].as_i64()), (Some(3), Some(1)));
    assert_eq!((total["tpps"].as_i64(), total["villages_with_tpk"].as_i64()), (Some(1), Some(2)));
    let regions: i64 =
        app.get("/api/v1/regions/14.01", Some(&analyst)).await.json::<Value>().await.unwrap()["contains"]["village"]
            .as_i64()
            .unwrap();
    assert_eq!(total["villages"], regions);
    let first = stats["rows"].as_array().unwrap().iter().find(|r| r["region_code"] == "14.01.01").unwrap();
    assert_eq!(first["tpk_active"], 2);
    let district_row = stats["rows"].as_array().unwrap().iter().find(|r| r["region_code"] == "14.01").unwrap();
    assert_eq!(district_row["tpps"], 1, "the district's TPPS stays in its own row");

    let child = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &child, "2025-08-01", -2.5).await;
    let case = &app.cases_of(&officer, &child, None).await[0];
    let case_path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    for wrong in [&other, &retired, &tpps] {
        let body = json!({"assigned_team_id": wrong["id"]});
        let e = problem(
            app.patch_json(&case_path, Some(&officer), Some("\"1\""), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(e["errors"][0]["field"], "assigned_team_id");
    }
    let assigned =
        app.patch_json(&case_path, Some(&officer), Some("\"1\""), &json!({"assigned_team_id": team["id"]})).await;
    assert_eq!(assigned.status(), StatusCode::OK);
    let assigned: Value = assigned.json().await.unwrap();
    assert_eq!(assigned["assigned_team_id"], team["id"]);
}

/// The kept team counts against a recount from the teams after random creations and
/// (de)activations at every tier, the TPK of one village created by eight writers at once
/// included, and the breakdowns read from them against the teams themselves.
#[tokio::test]
async fn kept_team_counts_agree_with_the_teams_after_random_and_concurrent_writes() {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14")).await;
    let places = [VILLAGE, "14.01.01.2010", OTHER_KAMPAR_VILLAGE, "14.03.01.1001", "14.01.01", "14.01", "14"];
    let mut rng = StdRng::seed_from_u64(25);
    let mut teams: Vec<(String, i64)> = Vec::new(); // (path, version)
    for _ in 0..40 {
        if teams.is_empty() || rng.random_bool(0.6) {
            let place = places[rng.random_range(0..places.len())];
            let kind = if place.len() == 13 && rng.random_bool(0.7) { "tpk" } else { "tpps" };
            let members = if kind == "tpk" { tpk_members() } else { json!([]) };
            let body = json!({"kind": kind, "region_code": place, "name": "Tim", "members": members,
                              "active": rng.random_bool(0.8)});
            let created = app.post_json("/api/v1/teams", Some(&officer), &body).await;
            assert_eq!(created.status(), StatusCode::CREATED);
            let created: Value = created.json().await.unwrap();
            teams.push((format!("/api/v1/teams/{}", created["id"].as_str().unwrap()), 1));
        } else {
            let which = rng.random_range(0..teams.len());
            let (path, version) = &mut teams[which];
            let body = json!({"active": rng.random_bool(0.5)});
            let changed = app.patch_json(path, Some(&officer), Some(&format!("\"{version}\"")), &body).await;
            assert_eq!(changed.status(), StatusCode::OK);
            *version += 1;
        }
    }
    // A new village's first TPKs, at once: it has a TPK, counted once at every tier.
    let village = "14.01.01.1011";
    let writes = (0..8).map(|_| tpk(&app, &officer, village));
    futures_util::future::join_all(writes).await;

    let something = "(tpps, own_tpps, tpk_active, tpk_inactive, villages_with_tpk) <> (0, 0, 0, 0, 0)";
    assert_eq!(crate::kept_counts::drift(&app, "team_counts", "team_counts_from_rows()", something).await, 0);
    let stats: Value = app.get("/api/v1/stats/teams?region=14.01.01", Some(&officer)).await.json().await.unwrap();
    let row = stats["rows"].as_array().unwrap().iter().find(|r| r["region_code"] == village).unwrap();
    assert_eq!((row["tpk_active"].as_i64(), row["villages_with_tpk"].as_i64()), (Some(8), Some(1)));
    // Every tier's breakdown adds up to what the teams list holds.
    let listed: Value =
        app.get("/api/v1/teams?kind=tpk&active=true&limit=500", Some(&officer)).await.json().await.unwrap();
    let active_tpk = listed["items"].as_array().unwrap().len() as i64;
    for region in ["", "?region=14", "?region=14.01", "?region=14.01.01"] {
        let stats: Value = app.get(&format!("/api/v1/stats/teams{region}"), Some(&officer)).await.json().await.unwrap();
        let in_scope = |t: &&Value| region.is_empty() || t["region_code"].as_str().unwrap().starts_with(&region[8..]);
        let expected = listed["items"].as_array().unwrap().iter().filter(in_scope).count() as i64;
        assert_eq!(stats["total"]["tpk_active"].as_i64(), Some(expected), "{region}");
        let summed: i64 = stats["rows"].as_array().unwrap().iter().map(|r| r["tpk_active"].as_i64().unwrap()).sum();
        assert_eq!(summed, expected, "{region}");
    }
    assert!(active_tpk >= 8);
}
