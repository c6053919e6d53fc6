//! Every aggregate's CSV answer, over real rows: a header of its `COLUMNS`, one line per JSON
//! row. The service refuses to write a CSV row with a field that has no column (it would
//! vanish from the table), so a row type that outgrew its columns fails here as a 500.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::TestApp;
use crate::common::app::children::VILLAGE;

#[tokio::test]
async fn every_table_answer_has_a_column_for_each_field_of_real_rows() {
    let app = TestApp::spawn().await;
    let url = app.database_url.clone();
    // Kampar's budget, its 479 teams, Bengkalis' convergence records.
    let loaded = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_stunting-api"))
            .args(["--database-url", &url, "demo", "load"])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));

    let admin = app.token_for(Role::Admin, None).await;
    let child = app.child_in(&admin, VILLAGE).await;
    app.measure_at(&admin, &child, "2025-02-10", -2.5).await;
    let activity: Value = app
        .post_json(
            "/api/v1/interventions",
            Some(&admin),
            &json!({"type_code": "ttd_pregnant", "region_code": VILLAGE, "year": 2025, "target": 40}),
        )
        .await
        .json()
        .await
        .unwrap();
    let report = format!("/api/v1/interventions/{}/reports", activity["id"].as_str().unwrap());
    assert_eq!(app.post_json(&report, Some(&admin), &json!({"month": "2025-02", "reached": 12})).await.status(), 201);
    let families = json!({"year": 2025, "families": [{"family_key": "1401010001000001", "village_code": VILLAGE,
        "risk_factors": ["no_safe_water"], "has_pregnant_woman": true, "has_under_two": true, "has_under_five": true}]});
    assert_eq!(app.post_json("/api/v1/families-at-risk/import", Some(&admin), &families).await.status(), 200);

    // A region name a spreadsheet would run: every table writes it inert.
    app.execute("UPDATE regions SET name = '=HYPERLINK(\"http://evil/\",\"x\")' WHERE code = '14.01.01.2009'").await;
    let officer = app.token_for(Role::Officer, Some("14.01")).await;
    for path in [
        "/api/v1/stats/prevalence?year=2025&region=14.01&level=village",
        "/api/v1/stats/cases?year=2025&region=14.01&level=village",
        "/api/v1/stats/interventions?year=2025&region=14.01&level=village",
        "/api/v1/stats/budgets?year=2024&region=14.01",
        "/api/v1/stats/teams?region=14.01",
        "/api/v1/stats/families-at-risk?year=2025&region=14.01&level=village",
    ] {
        let json: Value = app.get(path, Some(&officer)).await.json().await.unwrap();
        // Coverage groups its rows by category.
        let rows = json["rows"].as_array().or(json["categories"][0]["rows"].as_array());
        let rows = rows.unwrap_or_else(|| panic!("{path}: {json}"));
        assert!(!rows.is_empty(), "{path} has no rows to check");
        let csv = app.request(Method::GET, path, Some(&officer)).header("Accept", "text/csv").send().await.unwrap();
        assert_eq!(csv.status(), StatusCode::OK, "{path}");
        let text = csv.text().await.unwrap();
        assert!(crate::exports::formulas(&text).is_empty(), "{path}: {:?}", crate::exports::formulas(&text));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1, "{path}: {text}");
        // Coverage writes a line per type of each region; the others one per JSON row, and
        // one per total of the whole region where the answer has `totals` (or a `total`).
        let totals = json["totals"].as_array().map_or(usize::from(json["total"].is_object()), Vec::len);
        if !path.contains("interventions") {
            assert_eq!(lines.len() - 1, rows.len() + totals, "{path}: {text}");
        }
    }
    // The series (a line per area and period) name the village as well, inert.
    for path in [
        "/api/v1/stats/skdn?year=2025&region=14.01.01&level=village",
        "/api/v1/stats/data-quality?year=2025&region=14.01.01&level=village",
        "/api/v1/stats/pathway?year=2025&region=14.01.01&level=village",
    ] {
        let csv = app.request(Method::GET, path, Some(&officer)).header("Accept", "text/csv").send().await.unwrap();
        assert_eq!(csv.status(), StatusCode::OK, "{path}");
        let text = csv.text().await.unwrap();
        assert!(crate::exports::formulas(&text).is_empty(), "{path}: {:?}", crate::exports::formulas(&text));
        assert!(text.contains("'=HYPERLINK"), "{path} names the village: {text}");
    }
}
