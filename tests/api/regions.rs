use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

async fn json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn codes(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn riau_has_twelve_districts() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Analyst, Some("14")).await;
    let page = json(app.get("/api/v1/regions?level=district&parent=14", Some(&token)).await).await;
    let codes = codes(&page);
    assert_eq!(codes.len(), 12);
    assert!(codes.iter().all(|c| c.starts_with("14.")));
    assert_eq!(page["items"][0]["name"], "Kabupaten Kampar");
    assert!(page["next_cursor"].is_null());
}

#[tokio::test]
async fn kampar_has_its_ancestors_and_counts() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Cadre, Some("14.01.01.2009")).await;
    let response = app.get("/api/v1/regions/14.01", Some(&token)).await;
    assert_eq!(response.headers()["etag"], "\"1\"");
    let kampar = json(response).await;
    assert_eq!(kampar["name"], "Kabupaten Kampar");
    assert_eq!(kampar["level"], "district");
    assert_eq!(kampar["ancestors"], json!([{"code": "14", "level": "province", "name": "Riau"}]));
    assert_eq!(kampar["contains"], json!({"subdistrict": 21, "village": 250}));

    let riau = json(app.get("/api/v1/regions/14", Some(&token)).await).await;
    assert_eq!(riau["contains"]["district"], 12);
    let village = json(app.get("/api/v1/regions/14.01.01.2009", Some(&token)).await).await;
    assert_eq!(village["ancestors"].as_array().unwrap().len(), 3);
    assert_eq!(village["contains"], json!({}));
}

#[tokio::test]
async fn names_are_cleaned_on_import() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Analyst, None).await;
    let raas = json(app.get("/api/v1/regions/35.29.22", Some(&token)).await).await;
    assert_eq!(raas["name"], "Ra'as");
}

#[tokio::test]
async fn malformed_code_is_422_and_unknown_is_404() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Analyst, None).await;
    for bad in ["14.1", "abc", "14.01.01.20091"] {
        let body =
            problem(app.get(&format!("/api/v1/regions/{bad}"), Some(&token)).await, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        assert_eq!(body["errors"][0]["field"], "code");
    }
    problem(app.get("/api/v1/regions/14.99", Some(&token)).await, StatusCode::NOT_FOUND).await;
    problem(app.get("/api/v1/regions/14.99/children", Some(&token)).await, StatusCode::NOT_FOUND).await;
    let body =
        problem(app.get("/api/v1/regions?parent=14.1", Some(&token)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "parent");
}

#[tokio::test]
async fn children_page_through_every_subdistrict_exactly_once() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Officer, Some("14.01")).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/regions/14.01/children?limit=5".to_owned();
    loop {
        let page = json(app.get(&path, Some(&token)).await).await;
        let batch = codes(&page);
        assert!(batch.len() <= 5);
        seen.extend(batch);
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/regions/14.01/children?limit=5&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 21);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 21);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "stable code order");
}

#[tokio::test]
async fn filters_by_subtree_and_name() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Analyst, None).await;
    let villages = json(app.get("/api/v1/regions?level=village&within=14.01&limit=500", Some(&token)).await).await;
    assert_eq!(codes(&villages).len(), 250);

    let found = json(app.get("/api/v1/regions?q=KAMPAR&level=district", Some(&token)).await).await;
    assert_eq!(codes(&found), vec!["14.01"]);

    let wildcard = json(app.get("/api/v1/regions?q=%25", Some(&token)).await).await;
    assert!(codes(&wildcard).is_empty(), "% is a literal, not a wildcard");
}

#[tokio::test]
async fn paging_parameters_are_checked() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Analyst, None).await;
    problem(app.get("/api/v1/regions?cursor=garbage", Some(&token)).await, StatusCode::BAD_REQUEST).await;
    for limit in ["0", "501"] {
        let body = problem(
            app.get(&format!("/api/v1/regions?limit={limit}"), Some(&token)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "limit");
    }
    let page = json(app.get("/api/v1/regions", Some(&token)).await).await;
    assert_eq!(codes(&page).len(), 50, "default limit");
}

#[tokio::test]
async fn reading_regions_needs_a_token() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/regions", None).await;
    assert!(response.headers().contains_key("www-authenticate"));
    problem(response, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn only_admins_change_regions() {
    let app = TestApp::spawn().await;
    for (role, scope) in [(Role::Officer, Some("14")), (Role::Cadre, Some("14.01.01.2009")), (Role::Analyst, None)] {
        let token = app.token_for(role, scope).await;
        let create = app.post_json("/api/v1/regions", Some(&token), &json!({"code": "14.01.22", "name": "Baru"})).await;
        problem(create, StatusCode::FORBIDDEN).await;
        let rename = app.patch_json("/api/v1/regions/14.01", Some(&token), Some("\"1\""), &json!({"name": "X"})).await;
        problem(rename, StatusCode::FORBIDDEN).await;
        let retire = app.post_json("/api/v1/regions/14.01.01.2009/retire", Some(&token), &json!({})).await;
        problem(retire, StatusCode::FORBIDDEN).await;
    }
}

#[tokio::test]
async fn admin_creates_a_region_under_an_active_parent() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let response =
        app.post_json("/api/v1/regions", Some(&token), &json!({"code": "14.01.22", "name": " Kampar Baru "})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], "/api/v1/regions/14.01.22");
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["name"], "Kampar Baru");
    assert_eq!(created["level"], "subdistrict");
    assert_eq!(created["parent_code"], "14.01");

    let kampar = json(app.get("/api/v1/regions/14.01", Some(&token)).await).await;
    assert_eq!(kampar["contains"]["subdistrict"], 22);

    let again = app.post_json("/api/v1/regions", Some(&token), &json!({"code": "14.01.22", "name": "Twice"})).await;
    problem(again, StatusCode::CONFLICT).await;
    let orphan = app.post_json("/api/v1/regions", Some(&token), &json!({"code": "14.98.01", "name": "Orphan"})).await;
    let body = problem(orphan, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("14.98"));
    let blank = app.post_json("/api/v1/regions", Some(&token), &json!({"code": "14.01.23", "name": "   "})).await;
    problem(blank, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn rename_needs_the_current_etag() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    let body = json!({"name": "Kabupaten Kampar (baru)"});
    problem(
        app.patch_json("/api/v1/regions/14.01", Some(&token), None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    problem(
        app.patch_json("/api/v1/regions/14.01", Some(&token), Some("\"7\""), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let renamed = app.patch_json("/api/v1/regions/14.01", Some(&token), Some("\"1\""), &body).await;
    assert_eq!(renamed.headers()["etag"], "\"2\"");
    let renamed = json(renamed).await;
    assert_eq!(renamed["name"], "Kabupaten Kampar (baru)");
    // A second client still holding version 1 does not overwrite the first.
    let stale = app.patch_json("/api/v1/regions/14.01", Some(&token), Some("\"1\""), &json!({"name": "Lost"})).await;
    problem(stale, StatusCode::PRECONDITION_FAILED).await;
}

#[tokio::test]
async fn retiring_keeps_the_code_readable_and_names_successors() {
    let app = TestApp::spawn().await;
    let token = app.token_for(Role::Admin, None).await;
    for (code, name) in [("14.01.22", "Pecahan Satu"), ("14.01.23", "Pecahan Dua")] {
        let created = app.post_json("/api/v1/regions", Some(&token), &json!({"code": code, "name": name})).await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let busy =
        app.post_json("/api/v1/regions/14.01.01/retire", Some(&token), &json!({"replaced_by": ["14.01.22"]})).await;
    let body = problem(busy, StatusCode::CONFLICT).await;
    assert!(body["detail"].as_str().unwrap().contains("active regions"));

    let unknown =
        app.post_json("/api/v1/regions/14.01.01/retire", Some(&token), &json!({"replaced_by": ["14.01.77"]})).await;
    problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await;

    let retired = app
        .post_json(
            "/api/v1/regions/14.01.01/retire",
            Some(&token),
            &json!({"replaced_by": ["14.01.22", "14.01.23"], "include_descendants": true}),
        )
        .await;
    let retired = json(retired).await;
    assert!(retired["retired_at"].is_string());
    assert_eq!(retired["replaced_by"], json!(["14.01.22", "14.01.23"]));

    let again = app.post_json("/api/v1/regions/14.01.01/retire", Some(&token), &json!({})).await;
    problem(again, StatusCode::CONFLICT).await;

    let children = json(app.get("/api/v1/regions/14.01/children?limit=100", Some(&token)).await).await;
    assert!(!codes(&children).contains(&"14.01.01".to_owned()), "retired regions leave lists");
    let all = json(app.get("/api/v1/regions/14.01/children?limit=100&include_retired=true", Some(&token)).await).await;
    assert!(codes(&all).contains(&"14.01.01".to_owned()));
    let village = json(app.get("/api/v1/regions/14.01.01.2009", Some(&token)).await).await;
    assert!(village["retired_at"].is_string(), "descendants retired too");
    let kampar = json(app.get("/api/v1/regions/14.01", Some(&token)).await).await;
    assert_eq!(kampar["contains"]["subdistrict"], 22);
}
