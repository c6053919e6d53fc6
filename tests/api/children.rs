use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::app::children::{BIRTH, OTHER_VILLAGE, VILLAGE};
use crate::common::{TestApp, problem};

fn child(nik: Option<&str>) -> Value {
    json!({"village_code": VILLAGE, "sex": "female", "birth_date": BIRTH, "name": "Siti Aminah", "nik": nik})
}

#[tokio::test]
async fn a_cadre_registers_a_child_in_their_village_and_the_nik_never_comes_back() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let response = app.register_child(&cadre, child(Some("1401014106240001"))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();
    assert!(!text.contains("1401014106240001"), "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(created["has_nik"], true);
    assert_eq!(created["open_case_id"], Value::Null);

    let fetched = app.get(&location, Some(&cadre)).await.text().await.unwrap();
    assert!(!fetched.contains("nik\":\"") && fetched.contains("\"has_nik\":true"), "{fetched}");
}

#[tokio::test]
async fn a_cadre_cannot_touch_another_village() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mut elsewhere = child(None);
    elsewhere["village_code"] = json!(OTHER_VILLAGE);
    problem(app.register_child(&cadre, elsewhere).await, StatusCode::FORBIDDEN).await;

    let officer = app.token_for(Role::Officer, Some("14.03")).await;
    let theirs = app.child_in(&officer, OTHER_VILLAGE).await;
    let path = format!("/api/v1/children/{}", theirs["id"].as_str().unwrap());
    problem(app.get(&path, Some(&cadre)).await, StatusCode::FORBIDDEN).await;
    problem(app.get(&format!("{path}/measurements"), Some(&cadre)).await, StatusCode::FORBIDDEN).await;
    let page: Value = app.get("/api/v1/children", Some(&cadre)).await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn dashboards_see_no_child_level_data() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    let id = child["id"].as_str().unwrap();
    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    for path in [
        "/api/v1/children".to_owned(),
        format!("/api/v1/children/{id}"),
        format!("/api/v1/children/{id}/measurements"),
        format!("/api/v1/children/{id}/growth"),
        "/api/v1/cases".to_owned(),
    ] {
        problem(app.get(&path, Some(&analyst)).await, StatusCode::FORBIDDEN).await;
    }
    problem(app.register_child(&analyst, child_body()).await, StatusCode::FORBIDDEN).await;
}

fn child_body() -> Value {
    child(None)
}

#[tokio::test]
async fn officers_list_their_scope_and_may_narrow_it() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(Role::Admin, None).await;
    let kampar = app.child_in(&admin, VILLAGE).await;
    let bengkalis = app.child_in(&admin, OTHER_VILLAGE).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
    };
    let mine: Value = app.get("/api/v1/children", Some(&officer)).await.json().await.unwrap();
    assert_eq!(ids(&mine), vec![kampar["id"].as_str().unwrap()]);
    let riau: Value = app.get("/api/v1/children?region=14", Some(&officer)).await.json().await.unwrap();
    assert_eq!(ids(&riau), ids(&mine), "a wider region is narrowed to the caller's scope");
    problem(app.get("/api/v1/children?region=14.03", Some(&officer)).await, StatusCode::FORBIDDEN).await;
    let all: Value = app.get("/api/v1/children?region=14", Some(&admin)).await.json().await.unwrap();
    assert_eq!(ids(&all).len(), 2);
    assert!(ids(&all).contains(&bengkalis["id"].as_str().unwrap().to_owned()));
}

/// Every page of every list of records in a region walks the region's index: by village code,
/// then id. Children registered village after village, interleaved, come back in that order,
/// each once, across pages of two; a cursor of the old shape (a bare id) is refused.
#[tokio::test]
async fn pages_walk_a_district_village_by_village_each_child_once() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let mut expected = Vec::new();
    for village in ["14.01.01.2010", VILLAGE, "14.01.02.2001", VILLAGE, "14.01.01.2010", "14.01.02.2001", VILLAGE] {
        let child = app.child_in(&officer, village).await;
        expected.push((village.to_owned(), child["id"].as_str().unwrap().to_owned()));
    }
    expected.sort();
    let (mut walked, mut cursor) = (Vec::new(), String::new());
    loop {
        let page: Value =
            app.get(&format!("/api/v1/children?limit=2{cursor}"), Some(&officer)).await.json().await.unwrap();
        for child in page["items"].as_array().unwrap() {
            walked.push((child["village_code"].as_str().unwrap().to_owned(), child["id"].as_str().unwrap().to_owned()));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(walked, expected);

    let bare_id =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, format!("\"{}\"", expected[0].1));
    problem(app.get(&format!("/api/v1/children?cursor={bare_id}"), Some(&officer)).await, StatusCode::BAD_REQUEST)
        .await;
}

#[tokio::test]
async fn lists_filter_by_sex_birth_date_and_name() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for (name, sex, birth) in [
        ("Ahmad Fauzi", "male", "2023-02-01"),
        ("Siti Aminah", "female", "2024-06-01"),
        ("Siti Rahma", "female", "2025-01-10"),
    ] {
        let body = json!({"village_code": VILLAGE, "sex": sex, "birth_date": birth, "name": name});
        assert_eq!(app.register_child(&officer, body).await.status(), StatusCode::CREATED);
    }
    let names = |page: Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    let get = |q: &'static str| {
        let app = &app;
        let officer = officer.clone();
        async move { app.get(&format!("/api/v1/children?{q}"), Some(&officer)).await.json::<Value>().await.unwrap() }
    };
    assert_eq!(names(get("sex=male").await), ["Ahmad Fauzi"]);
    let mut sitis = names(get("q=siti").await);
    sitis.sort();
    assert_eq!(sitis, ["Siti Aminah", "Siti Rahma"]);
    assert_eq!(names(get("born_from=2024-01-01&born_to=2024-12-31").await), ["Siti Aminah"]);
    problem(
        app.get("/api/v1/children?born_from=2025-01-01&born_to=2024-01-01", Some(&officer)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn a_second_child_with_the_same_nik_is_409_naming_the_first() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14")).await;
    let first: Value = app.register_child(&officer, child(Some("1401014106240001"))).await.json().await.unwrap();
    let mut again = child(Some("1401014106240001"));
    again["name"] = json!("Siti A.");
    let body = problem(app.register_child(&officer, again).await, StatusCode::CONFLICT).await;
    assert_eq!(body["existing_id"], first["id"]);
    assert!(!body.to_string().contains("1401014106240001"));
}

/// The NIK stays unique across the country, but a caller who may not read the other record is
/// not told its id: it would only confirm where the NIK is registered (issue 14, item 10).
#[tokio::test]
async fn a_nik_registered_outside_the_scope_is_409_without_the_record_s_id() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let first = app.register_child(&kampar, child(Some("1401014106240001"))).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    let mut elsewhere = child(Some("1401014106240001"));
    elsewhere["village_code"] = json!("14.03.01.1001");
    let body = problem(app.register_child(&bengkalis, elsewhere).await, StatusCode::CONFLICT).await;
    assert!(body.get("existing_id").is_none_or(Value::is_null), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("outside your scope"), "{body}");
}

/// An integration creates and corrects children as its source system holds them, but never
/// removes one (issue 14, item 10).
#[tokio::test]
async fn an_integration_may_not_remove_a_child() {
    let app = TestApp::spawn().await;
    let integration = app.token_for(Role::Integration, Some("14.01")).await;
    let child = app.child_in(&integration, "14.01.01.2009").await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let corrected = app.patch_json(&path, Some(&integration), Some("\"1\""), &json!({"name": "Siti Aminah"})).await;
    assert_eq!(corrected.status(), StatusCode::OK);
    let reason = json!({"reason": "registered twice"});
    problem(app.delete_json(&path, Some(&integration), Some("\"2\""), &reason).await, StatusCode::FORBIDDEN).await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let removed = app.delete_json(&path, Some(&officer), Some("\"2\""), &reason).await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_retry_with_the_same_id_never_duplicates() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(Role::Cadre, Some(VILLAGE)).await;
    let mut body = child(None);
    body["id"] = json!("6f1f5c3a-2b7e-4d8a-9c1e-3a5b7d9f1e20");
    assert_eq!(app.register_child(&cadre, body.clone()).await.status(), StatusCode::CREATED);
    let replay = app.register_child(&cadre, body.clone()).await;
    assert_eq!(replay.status(), StatusCode::OK);
    let page: Value = app.get("/api/v1/children", Some(&cadre)).await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    body["name"] = json!("Someone Else");
    problem(app.register_child(&cadre, body).await, StatusCode::CONFLICT).await;
}

#[tokio::test]
async fn bad_children_are_422_naming_every_field() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14")).await;
    let body =
        json!({"village_code": "14.01", "sex": "female", "birth_date": "2099-01-01", "name": " ", "nik": "12345"});
    let problem_body = problem(app.register_child(&officer, body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> =
        problem_body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for field in ["village_code", "birth_date", "name", "nik"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    let unknown = json!({"village_code": "14.01.01.2999", "sex": "female", "birth_date": BIRTH, "name": "X"});
    problem(app.register_child(&officer, unknown).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let bad_sex = json!({"village_code": VILLAGE, "sex": "x", "birth_date": BIRTH, "name": "X"});
    let body = problem(app.register_child(&officer, bad_sex).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "sex");
}

#[tokio::test]
async fn moving_a_child_needs_the_etag_and_a_village_in_scope() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    let path = format!("/api/v1/children/{}", child["id"].as_str().unwrap());
    let moved = json!({"village_code": "14.01.01.2010"});
    problem(app.patch_json(&path, Some(&officer), None, &moved).await, StatusCode::PRECONDITION_REQUIRED).await;
    let response = app.patch_json(&path, Some(&officer), Some("\"1\""), &moved).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["village_code"], "14.01.01.2010");
    assert_eq!(updated["version"], 2);
    problem(
        app.patch_json(&path, Some(&officer), Some("\"1\""), &json!({"name": "Lost"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let away = json!({"village_code": OTHER_VILLAGE});
    problem(app.patch_json(&path, Some(&officer), Some("\"2\""), &away).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn deleting_needs_a_reason_and_keeps_the_record() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    app.measure_at(&officer, &child, "2025-06-01", -2.5).await;
    let id = child["id"].as_str().unwrap();
    let path = format!("/api/v1/children/{id}");
    let no_reason = app.delete_json(&path, Some(&officer), Some("\"1\""), &json!({"reason": ""})).await;
    problem(no_reason, StatusCode::UNPROCESSABLE_ENTITY).await;
    let deleted = app.delete_json(&path, Some(&officer), Some("\"1\""), &json!({"reason": "registered twice"})).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(app.get(&path, Some(&officer)).await, StatusCode::NOT_FOUND).await;
    let page: Value = app.get("/api/v1/children", Some(&officer)).await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
    assert!(app.cases_of(&officer, &child, None).await.is_empty(), "its case leaves the list too");

    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use stunting_api::db::schema::children;
    let mut conn = app.pool.get().await.unwrap();
    let reason: Option<String> = children::table
        .filter(children::id.eq(uuid::Uuid::parse_str(id).unwrap()))
        .select(children::deleted_reason)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(reason.as_deref(), Some("registered twice"));
}

#[tokio::test]
async fn the_audit_trail_names_fields_not_personal_values() {
    let app = TestApp::spawn().await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    let child = app.child_in(&officer, VILLAGE).await;
    let id = child["id"].as_str().unwrap();
    app.patch_json(
        &format!("/api/v1/children/{id}"),
        Some(&officer),
        Some("\"1\""),
        &json!({"name": "Siti Aminah Putri", "nik": "1401014106240002"}),
    )
    .await;

    let rows = app.audit_trail(id).await;
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["child.create", "child.update"]);
    let text = serde_json::to_string(&rows).unwrap();
    assert!(!text.contains("Siti") && !text.contains("1401014106240002"), "{text}");
    assert!(text.contains("\"name\""), "the changed field is named: {text}");
}

#[tokio::test]
async fn integrations_exchange_children_inside_their_scope_only() {
    let app = TestApp::spawn().await;
    let bkkbn_riau = app.token_for(Role::Integration, Some("14")).await;
    assert_eq!(app.register_child(&bkkbn_riau, child(None)).await.status(), StatusCode::CREATED);
    let bkkbn_bengkulu = app.token_for(Role::Integration, Some("17")).await;
    problem(app.register_child(&bkkbn_bengkulu, child(None)).await, StatusCode::FORBIDDEN).await;
    let page: Value = app.get("/api/v1/children", Some(&bkkbn_bengkulu)).await.json().await.unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
}
