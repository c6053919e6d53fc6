use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

const KAPUAS_A: &str = "62.03.01.1006";
const KAPUAS_B: &str = "62.03.01.1007";

fn family(key: &str, village: &str) -> Value {
    json!({"family_key": key, "village_code": village, "risk_factors": ["no_safe_water"],
           "has_pregnant_woman": false, "has_under_two": true, "has_under_five": true})
}

async fn import(app: &TestApp, token: &str, families: Value) -> Value {
    let response = app
        .post_json("/api/v1/families-at-risk/import", Some(token), &json!({"year": 2022, "families": families}))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn family_page(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let page: Value =
        app.get(&format!("/api/v1/families-at-risk?year=2022{query}"), Some(token)).await.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_import_writes_the_valid_records_names_the_rest_and_is_safe_to_retry() {
    let app = TestApp::spawn().await;
    let integration = app.token_for(Role::Integration, Some("62")).await;
    let mut no_factors = family("6203-0004", KAPUAS_A);
    no_factors["risk_factors"] = json!([]);
    let mut nobody = family("6203-0005", KAPUAS_A);
    nobody["has_under_two"] = json!(false);
    nobody["has_under_five"] = json!(false);
    let batch = json!([
        family("6203-0001", KAPUAS_A),
        family("6203-0002", KAPUAS_B),
        family("6203-0003", "62.03.01.1999"),
        family("1401-0001", "14.01.01.2009"),
        family("6203-0001", KAPUAS_B),
        no_factors,
        nobody,
        family("bad key!", KAPUAS_A),
    ]);
    let summary = import(&app, &integration, batch.clone()).await;
    assert_eq!((summary["received"].as_i64(), summary["inserted"].as_i64()), (Some(8), Some(2)));
    let failed: Vec<(i64, &str)> = summary["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["index"].as_i64().unwrap(), f["errors"][0]["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        failed,
        [
            (2, "village_code"),
            (3, "village_code"),
            (4, "family_key"),
            (5, "risk_factors"),
            (6, "has_under_five"),
            (7, "family_key")
        ]
    );

    let retry = import(&app, &integration, batch).await;
    assert_eq!(
        (retry["inserted"].as_i64(), retry["updated"].as_i64(), retry["unchanged"].as_i64()),
        (Some(0), Some(0), Some(2))
    );
    let mut changed = family("6203-0001", KAPUAS_A);
    changed["risk_factors"] = json!(["no_safe_water", "no_proper_latrine"]);
    let update = import(&app, &integration, json!([changed])).await;
    assert_eq!(update["updated"], 1);
    let officer = app.token_for(Role::Officer, Some("62.03")).await;
    assert_eq!(family_page(&app, &officer, "").await.len(), 2);

    // Another province's integration cannot take over Kapuas's families.
    let riau = app.token_for(Role::Integration, Some("14")).await;
    let takeover = import(&app, &riau, json!([family("6203-0001", "14.01.01.2009")])).await;
    assert_eq!(takeover["failed"][0]["errors"][0]["field"], "family_key");
    let cadre = app.token_for(Role::Cadre, Some(KAPUAS_A)).await;
    let body = json!({"year": 2022, "families": [family("6203-0009", KAPUAS_A)]});
    problem(app.post_json("/api/v1/families-at-risk/import", Some(&cadre), &body).await, StatusCode::FORBIDDEN).await;
    let too_many: Vec<Value> = (0..2001).map(|i| family(&format!("K-{i}"), KAPUAS_A)).collect();
    let body = json!({"year": 2022, "families": too_many});
    problem(
        app.post_json("/api/v1/families-at-risk/import", Some(&integration), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let empty = json!({"year": 2022, "families": []});
    problem(
        app.post_json("/api/v1/families-at-risk/import", Some(&integration), &empty).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
}

#[tokio::test]
async fn concurrent_imports_into_one_village_lose_no_count() {
    let app = TestApp::spawn().await;
    let integration = app.token_for(Role::Integration, Some("62")).await;
    let batch = |prefix: &str| -> Value { (0..300).map(|i| family(&format!("{prefix}-{i}"), KAPUAS_A)).collect() };
    let (a, b, c) = tokio::join!(
        import(&app, &integration, batch("A")),
        import(&app, &integration, batch("B")),
        import(&app, &integration, batch("C")),
    );
    assert_eq!([&a, &b, &c].map(|s| s["inserted"].as_i64()), [Some(300); 3]);
    let analyst = app.token_for(Role::Analyst, Some("62")).await;
    let stats: Value = app
        .get("/api/v1/stats/families-at-risk?region=62.03.01&level=village&year=2022", Some(&analyst))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((stats["rows"][0]["families"].as_i64(), stats["rows"][0]["pending"].as_i64()), (Some(900), Some(900)));
}

#[tokio::test]
async fn villages_verify_their_families_and_the_province_follows_the_progress() {
    let app = TestApp::spawn().await;
    let integration = app.token_for(Role::Integration, Some("62")).await;
    import(&app, &integration, json!([family("A-1", KAPUAS_A), family("A-2", KAPUAS_A), family("B-1", KAPUAS_B)]))
        .await;
    let cadre = app.create_user(Role::Cadre, Some(KAPUAS_A)).await;
    let cadre_token = app.token(&cadre);
    let mine = family_page(&app, &cadre_token, "").await;
    assert_eq!(mine.len(), 2, "a cadre sees their own village's families");
    let path = format!("/api/v1/families-at-risk/{}/verification", mine[0]["id"].as_str().unwrap());
    let found = app.put_json(&path, Some(&cadre_token), Some("\"1\""), &json!({"status": "verified"})).await;
    assert_eq!(found.status(), StatusCode::OK);
    let found: Value = found.json().await.unwrap();
    assert_eq!(found["verification"], "verified");
    assert_eq!(found["verified_by"], json!(cadre.id));
    let retry = app.put_json(&path, Some(&cadre_token), Some("\"1\""), &json!({"status": "verified"})).await;
    assert_eq!(retry.status(), StatusCode::OK, "a retry of the same verdict is answered, not refused");
    assert_eq!(retry.headers()["etag"], "\"2\"");
    let stale = problem(
        app.put_json(&path, Some(&cadre_token), Some("\"1\""), &json!({"status": "not_found"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let family_path = format!("/api/v1/families-at-risk/{}", mine[0]["id"].as_str().unwrap());
    let now: Value = app.get(&family_path, Some(&cadre_token)).await.json().await.unwrap();
    assert_eq!(stale["current"], now, "a stale verdict gets the family as it is now");
    let other_path = format!("/api/v1/families-at-risk/{}/verification", mine[1]["id"].as_str().unwrap());
    let gone = json!({"status": "not_found", "note": "pindah ke Palangka Raya"});
    assert_eq!(app.put_json(&other_path, Some(&cadre_token), Some("\"1\""), &gone).await.status(), StatusCode::OK);
    let neighbour = app.token_for(Role::Cadre, Some(KAPUAS_B)).await;
    problem(
        app.put_json(&path, Some(&neighbour), Some("\"2\""), &json!({"status": "pending"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let analyst = app.token_for(Role::Analyst, Some("62")).await;
    problem(
        app.put_json(&path, Some(&analyst), Some("\"2\""), &json!({"status": "pending"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Household rows are not for dashboards (a village's one row could point at a family):
    // analysts read the counts below, where small ones are withheld.
    let rows = app.get("/api/v1/families-at-risk?region=62&year=2022", Some(&analyst)).await;
    problem(rows, StatusCode::FORBIDDEN).await;
    let one = app.get(&format!("/api/v1/families-at-risk/{}", mine[1]["id"].as_str().unwrap()), Some(&analyst)).await;
    problem(one, StatusCode::FORBIDDEN).await;
    assert_eq!(family_page(&app, &cadre_token, "&verification=not_found").await.len(), 1);

    let stats: Value = app
        .get("/api/v1/stats/families-at-risk?region=62&level=district&year=2022", Some(&analyst))
        .await
        .json()
        .await
        .unwrap();
    let kapuas = &stats["rows"][0];
    assert_eq!(kapuas["region_code"], "62.03");
    assert_eq!((kapuas["families"].as_i64(), kapuas["pending"].as_i64()), (Some(3), Some(1)));
    assert_eq!((kapuas["verified"].as_i64(), kapuas["not_found"].as_i64()), (Some(1), Some(1)));
    assert_eq!(kapuas["verification_pct"], 66.67);
    assert_eq!(kapuas["no_safe_water"], 3);

    // A family that moves village goes back to pending: the new village has to check it.
    import(&app, &integration, json!([family(mine[0]["family_key"].as_str().unwrap(), KAPUAS_B)])).await;
    let moved: Value = app
        .get(&format!("/api/v1/families-at-risk/{}", mine[0]["id"].as_str().unwrap()), Some(&integration))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((moved["verification"].as_str(), moved["village_code"].as_str()), (Some("pending"), Some(KAPUAS_B)));
    // The counts follow: one family left village A (and its "verified"), village B gained it.
    // (Read by the integration: an analyst sees none of these small counts.)
    let villages: Value = app
        .get("/api/v1/stats/families-at-risk?region=62.03.01&level=village&year=2022", Some(&integration))
        .await
        .json()
        .await
        .unwrap();
    let counts: Vec<(&str, i64, i64, i64)> = villages["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_i64().unwrap();
            (r["region_code"].as_str().unwrap(), n("families"), n("pending"), n("verified"))
        })
        .collect();
    assert_eq!(counts, [(KAPUAS_A, 1, 0, 0), (KAPUAS_B, 2, 2, 0)]);
}
