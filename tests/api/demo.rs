use serde_json::Value;
use stunting_api::domain::Role;

use crate::common::TestApp;

#[tokio::test]
async fn the_demo_command_loads_the_seed_districts_facts_once() {
    let app = TestApp::spawn().await;
    let url = app.database_url.clone();
    let run = move || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_stunting-api"))
            .args(["--database-url", &url, "demo", "load"])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let again = run.clone();
    let first = tokio::task::spawn_blocking(run).await.unwrap();
    assert_eq!(first.lines().filter(|l| l.starts_with("loaded")).count(), 2, "{first}");
    let second = tokio::task::spawn_blocking(again).await.unwrap();
    assert!(second.contains("already"), "{second}");

    let analyst = app.token_for(Role::Analyst, None).await;
    let get = async |path: &str| -> Value { app.get(path, Some(&analyst)).await.json().await.unwrap() };

    // Seed 000: Kampar's budget and its Rp 330,000,000 discrepancy.
    let page = get("/api/v1/budgets?region=14.01&fiscal_year=2024").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["reconciliation"]["difference"], 330_000_000);
    assert_eq!(items[0]["status"], "approved");

    // Seed 001: Bengkalis leads Riau with action 5 done and documents up to action 4.
    let riau = get("/api/v1/convergence?region=14&year=2021").await;
    let bengkalis = &riau["districts"][0];
    assert_eq!(bengkalis["district_code"], "14.03");
    assert_eq!((bengkalis["rank"].as_i64(), bengkalis["latest_action_done"].as_i64()), (Some(1), Some(5)));
    assert_eq!(bengkalis["documents_up_to_action"], 4);
    assert_eq!(bengkalis["lokus_villages"], 15);
    let lokus_2022 = get("/api/v1/lokus/14.03/2022").await;
    assert_eq!(lokus_2022["villages"].as_array().unwrap().len(), 23);

    // Kampar's 479 family assistance teams.
    let teams = get("/api/v1/stats/teams?region=14.01").await;
    assert_eq!(teams["total"]["tpk_active"], 479);

    // Seeds 002 and 003: Bengkalis 8.4% (2023) and Kaur 11% (2021), beside the national figures.
    let bengkalis = get("/api/v1/prevalence-figures?region=14.03&year=2023").await;
    assert_eq!(bengkalis["surveys"][0]["stunting_pct"], 8.4);
    assert_eq!(bengkalis["above"][0]["stunting_pct"], 21.5);
    let kaur = get("/api/v1/prevalence-figures?region=17.04&year=2021").await;
    assert_eq!(kaur["surveys"][0]["stunting_pct"], 11.0);
    let kaur_2022 = get("/api/v1/convergence/17.04/2022").await;
    assert_eq!(kaur_2022["actions"][2]["done_on"], "2022-04-07");
}
