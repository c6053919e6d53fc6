use reqwest::StatusCode;
use serde_json::{Value, json};
use stunting_api::domain::Role;

use crate::common::{TestApp, problem};

const BENGKALIS_VILLAGE: &str = "14.03.01.1001";

#[tokio::test]
async fn official_figures_and_targets_sit_beside_measured_prevalence() {
    let app = TestApp::spawn().await;
    let national = app.token_for(Role::Analyst, None).await;
    let indonesia: Value = app.get("/api/v1/prevalence-figures?year=2024", Some(&national)).await.json().await.unwrap();
    assert_eq!(indonesia["region_name"], "Indonesia");
    assert_eq!(indonesia["surveys"][0]["stunting_pct"], 19.8);
    assert_eq!(
        (indonesia["target"]["stunting_pct"].as_f64(), indonesia["target"]["basis"].as_str()),
        (Some(14.0), Some("Perpres 72/2021"))
    );

    let officer = app.token_for(Role::Officer, Some("14.03")).await;
    let body = json!({"stunting_pct": 8.4, "note": "TPPS Rakornis, 5 December 2023"});
    let saved = app.put_json("/api/v1/survey-figures/14.03/2025/other", Some(&officer), Some("\"0\""), &body).await;
    assert_eq!(saved.status(), StatusCode::OK, "{}", saved.text().await.unwrap());
    let child = app.child_in(&officer, BENGKALIS_VILLAGE).await;
    app.measure_at(&officer, &child, "2025-08-01", -2.5).await;
    let healthy = app.child_in(&officer, BENGKALIS_VILLAGE).await;
    app.measure_at(&officer, &healthy, "2025-08-01", 0.5).await;

    let analyst = app.token_for(Role::Analyst, Some("14")).await;
    let bengkalis: Value =
        app.get("/api/v1/prevalence-figures?region=14.03&year=2025", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(bengkalis["region_name"], "Kabupaten Bengkalis");
    assert_eq!(bengkalis["surveys"][0]["stunting_pct"], 8.4);
    assert!(bengkalis["above"].as_array().unwrap().is_empty(), "no Riau or national figure for 2025 yet");
    assert!(bengkalis["target"]["region_code"].is_null(), "the national default applies");
    assert_eq!(bengkalis["target"]["stunting_pct"], 18.8);
    assert_eq!(
        (bengkalis["measured"]["measured"].as_i64(), bengkalis["measured"]["stunted"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(bengkalis["measured"]["stunting_pct"], 50.0);

    let own = app
        .put_json(
            "/api/v1/prevalence-targets/14.03/2025",
            Some(&officer),
            Some("\"0\""),
            &json!({"stunting_pct": 7.5, "basis": "RPJMD"}),
        )
        .await;
    assert_eq!(own.status(), StatusCode::OK);
    let admin = app.token_for(Role::Admin, None).await;
    let riau = json!({"stunting_pct": 13.6});
    assert_eq!(
        app.put_json("/api/v1/survey-figures/14/2025/ssgi", Some(&admin), Some("\"0\""), &riau).await.status(),
        200
    );
    let bengkalis: Value =
        app.get("/api/v1/prevalence-figures?region=14.03&year=2025", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(
        (bengkalis["target"]["region_code"].as_str(), bengkalis["target"]["stunting_pct"].as_f64()),
        (Some("14.03"), Some(7.5))
    );
    assert_eq!(bengkalis["above"][0]["region_code"], "14");
    let listed: Vec<Value> =
        app.get("/api/v1/survey-figures?region=14&year=2025", Some(&analyst)).await.json().await.unwrap();
    assert_eq!(listed.len(), 2);
    let measured_kampar: Value =
        app.get("/api/v1/prevalence-figures?region=14.01&year=2025", Some(&analyst)).await.json().await.unwrap();
    assert!(measured_kampar["measured"].is_null(), "no measurements in Kampar");
}

#[tokio::test]
async fn figures_are_written_in_scope_with_an_interval_that_holds_them() {
    let app = TestApp::spawn().await;
    let bengkalis = app.token_for(Role::Officer, Some("14.03")).await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    let figure = json!({"stunting_pct": 8.4});
    let path = "/api/v1/survey-figures/14.03/2023/ssgi";
    problem(app.put_json(path, Some(&kampar), Some("\"0\""), &figure).await, StatusCode::FORBIDDEN).await;
    let analyst = app.token_for(Role::Analyst, Some("14.03")).await;
    problem(app.put_json(path, Some(&analyst), Some("\"0\""), &figure).await, StatusCode::FORBIDDEN).await;
    problem(
        app.put_json("/api/v1/survey-figures/national/2023/ssgi", Some(&bengkalis), Some("\"0\""), &figure).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let outside = json!({"stunting_pct": 8.4, "ci_low_pct": 9.0, "ci_high_pct": 12.0});
    let e =
        problem(app.put_json(path, Some(&bengkalis), Some("\"0\""), &outside).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(e["errors"][0]["field"], "ci_low_pct");
    let half = json!({"stunting_pct": 8.4, "ci_low_pct": 7.0});
    problem(app.put_json(path, Some(&bengkalis), Some("\"0\""), &half).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let e = problem(
        app.put_json("/api/v1/survey-figures/14.03/2023/census", Some(&bengkalis), Some("\"0\""), &figure).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(e["errors"][0]["field"], "source");
    problem(
        app.put_json("/api/v1/survey-figures/14.03.99/2023/ssgi", Some(&bengkalis), Some("\"0\""), &figure).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let with_ci = json!({"stunting_pct": 8.4, "ci_low_pct": 6.1, "ci_high_pct": 10.9});
    assert_eq!(app.put_json(path, Some(&bengkalis), Some("\"0\""), &with_ci).await.status(), StatusCode::OK);
    problem(app.put_json(path, Some(&bengkalis), Some("\"0\""), &figure).await, StatusCode::PRECONDITION_FAILED).await;
    let corrected = app.put_json(path, Some(&bengkalis), Some("\"1\""), &figure).await;
    assert_eq!(corrected.headers()["etag"], "\"2\"");
    let corrected: Value = corrected.json().await.unwrap();
    assert!(corrected["ci_low_pct"].is_null());
    let delete = |etag: &'static str| {
        app.request(reqwest::Method::DELETE, path, Some(&bengkalis)).header("If-Match", etag).send()
    };
    problem(delete("\"1\"").await.unwrap(), StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(delete("\"2\"").await.unwrap().status(), StatusCode::NO_CONTENT);
    problem(delete("\"2\"").await.unwrap(), StatusCode::NOT_FOUND).await;
    let listed: Vec<Value> =
        app.get("/api/v1/survey-figures?region=14.03", Some(&bengkalis)).await.json().await.unwrap();
    assert!(listed.is_empty());
    problem(
        app.put_json(
            "/api/v1/prevalence-targets/national/2030",
            Some(&bengkalis),
            Some("\"0\""),
            &json!({"stunting_pct": 10}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn an_official_figure_may_be_a_count_of_stunted_children() {
    let app = TestApp::spawn().await;
    let kampar = app.token_for(Role::Officer, Some("14.01")).await;
    // Kampar's e-PPGBM reports: 1,300, then 679, then 605 stunted children.
    for (year, count) in [(2021, 1300), (2022, 679), (2023, 605)] {
        let path = format!("/api/v1/survey-figures/14.01/{year}/e_ppgbm");
        let saved = app.put_json(&path, Some(&kampar), Some("\"0\""), &json!({"stunted_count": count})).await;
        assert_eq!(saved.status(), StatusCode::OK);
        let saved: Value = saved.json().await.unwrap();
        assert_eq!((saved["stunted_count"].as_i64(), saved["stunting_pct"].is_null()), (Some(count), true));
    }
    let both = json!({"stunting_pct": 8.4, "stunted_count": 605, "measured_count": 7200});
    let path = "/api/v1/survey-figures/14.01/2023/e_ppgbm";
    let saved: Value = app.put_json(path, Some(&kampar), Some("\"1\""), &both).await.json().await.unwrap();
    assert_eq!((saved["measured_count"].as_i64(), saved["stunting_pct"].as_f64()), (Some(7200), Some(8.4)));

    let cases = [
        (json!({"note": "nothing reported"}), "stunting_pct"),
        (json!({"measured_count": 7200, "stunting_pct": 8.4}), "measured_count"),
        (json!({"stunted_count": 7300, "measured_count": 7200}), "stunted_count"),
        (json!({"stunted_count": 605, "ci_low_pct": 7.0, "ci_high_pct": 9.0}), "ci_low_pct"),
        (json!({"stunted_count": -1}), "stunted_count"),
    ];
    for (body, field) in cases {
        let e =
            problem(app.put_json(path, Some(&kampar), Some("\"2\""), &body).await, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        assert_eq!(e["errors"][0]["field"], field, "{body}: {e}");
    }
    let listed: Vec<Value> =
        app.get("/api/v1/survey-figures?region=14.01&source=e_ppgbm", Some(&kampar)).await.json().await.unwrap();
    let counts: Vec<i64> = listed.iter().map(|f| f["stunted_count"].as_i64().unwrap()).collect();
    assert_eq!(counts, [1300, 679, 605]);
}
