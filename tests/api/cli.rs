//! The binary itself: README command 1 end to end, and the maintenance commands.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, contract};

const BIN: &str = env!("CARGO_BIN_EXE_stunting-api");

fn run(database_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(BIN)
        .args(["--database-url", database_url, "--log-format", "pretty"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn regions_import_is_idempotent_and_picks_up_renames() {
    let app = TestApp::spawn().await;
    let url = app.database_url.clone();
    let first = tokio::task::spawn_blocking(move || run(&url, &["regions", "import"], None)).await.unwrap();
    assert_eq!(first.trim(), "91599 regions read: 0 added, 0 renamed, 91599 unchanged");

    app.execute("UPDATE regions SET name = 'Old Name' WHERE code = '14.01'").await;
    let url = app.database_url.clone();
    let second = tokio::task::spawn_blocking(move || run(&url, &["regions", "import"], None)).await.unwrap();
    assert_eq!(second.trim(), "91599 regions read: 0 added, 1 renamed, 91598 unchanged");
}

#[tokio::test]
async fn users_create_makes_an_account_that_can_sign_in() {
    let app = TestApp::spawn().await;
    let url = app.database_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &url,
            &["users", "create", "--username", "BKKBN.Riau", "--role", "officer", "--scope", "14", "--password-stdin"],
            Some("a password typed in\n"),
        )
    })
    .await
    .unwrap();
    assert!(out.starts_with("created bkkbn.riau (officer)"), "{out}");
    assert!(!out.contains("a password typed in"));
    assert_eq!(app.login("bkkbn.riau", "a password typed in").await.status(), StatusCode::OK);
}

/// README command 1: no DATABASE_URL, so the binary runs its own cluster; SIGTERM stops both.
#[tokio::test]
async fn serve_runs_an_embedded_cluster_and_stops_it_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let pg_dir = dir.path().join("pg");
    let port = crate::common::free_port();
    let mut child = Command::new(BIN)
        .env_remove("DATABASE_URL")
        .env("EMBEDDED_PG_DIR", &pg_dir)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ADMIN_PASSWORD", "first admin password")
        .env("RUST_LOG", "warn")
        .arg("--dev")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(response) = client.get(format!("{base}/health/ready")).send().await {
            let response = contract::checked(&Method::GET, "/health/ready", None, response).await;
            assert_eq!(response.status(), StatusCode::OK);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the service did not become ready");
        assert!(child.try_wait().unwrap().is_none(), "the service exited early");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let credentials = json!({"grant_type": "password", "username": "admin", "password": "first admin password"});
    let login = client.post(format!("{base}/api/v1/auth/token")).json(&credentials).send().await.unwrap();
    let login = contract::checked(&Method::POST, "/api/v1/auth/token", Some(&credentials), login).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(pg_dir.join("data/postmaster.pid").exists(), "the cluster runs while the service does");
    // What a district office runs for real: a power cut must not be able to corrupt it.
    let options = std::fs::read_to_string(pg_dir.join("data/postmaster.opts")).unwrap();
    for unsafe_setting in ["fsync=off", "full_page_writes=off", "synchronous_commit=off"] {
        assert!(!options.contains(unsafe_setting), "the service's cluster runs with {unsafe_setting}: {options}");
    }

    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
    assert!(!pg_dir.join("data/postmaster.pid").exists(), "the cluster stops with the service");
}

/// Outside development the service refuses to start without strong secrets, before it touches
/// the database (issue 14).
#[tokio::test]
async fn serve_refuses_to_start_in_production_without_strong_secrets() {
    for (secret, expected) in [(None, "JWT_SECRET is unset"), (Some("too-short"), "JWT_SECRET is weak")] {
        let mut command = Command::new(BIN);
        command
            .env_remove("DATABASE_URL")
            .env_remove("JWT_SECRET")
            .env_remove("NIK_HASH_KEY")
            .env_remove("APP_ENV")
            .env("EMBEDDED_PG_DIR", "/nonexistent/never-started")
            .env("RUST_LOG", "warn");
        if let Some(secret) = secret {
            command.env("JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("too-short"), "the secret itself is never printed: {stderr}");
    }
}

#[tokio::test]
async fn quality_judge_flags_the_measurements_recorded_before_the_checks() {
    let app = TestApp::spawn().await;
    let cadre = app.token_for(stunting_api::domain::Role::Cadre, Some(crate::common::app::children::VILLAGE)).await;
    let body = json!({"village_code": crate::common::app::children::VILLAGE, "sex": "female",
                      "birth_date": "2024-01-01", "name": "Siti"});
    let child: serde_json::Value = app.register_child(&cadre, body).await.json().await.unwrap();
    for (on, length) in [("2025-01-10", 76.0), ("2025-02-10", 68.0)] {
        let weighing = json!({"measured_on": on, "length_cm": length, "position": "lying", "place": "posyandu"});
        assert_eq!(app.measure(&cadre, &child, weighing).await.status(), StatusCode::CREATED);
    }
    // As an upgraded database holds them: recorded before the checks, with no flags.
    app.execute("UPDATE measurements SET quality_flags = '{}'").await;
    let flagged = "SELECT count(*) AS count FROM measurements WHERE quality_flags <> '{}'";
    assert_eq!(app.count(flagged).await, 0);
    let url = app.database_url.clone();
    let out = tokio::task::spawn_blocking(move || run(&url, &["quality", "judge"], None)).await.unwrap();
    assert_eq!(out.lines().last(), Some("1 children's measurements judged"), "{out}");
    assert_eq!(app.count(flagged).await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS count FROM measurements WHERE held AND measured_on = '2025-02-10'").await,
        1
    );
}

/// The binary's exit status and its standard output.
fn run_checked(database_url: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .args(["--database-url", database_url, "--log-format", "pretty"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8(output.stdout).unwrap())
}

/// After manual SQL (or a restore) the kept counts can disagree with the rows: `counts verify`
/// finds it (exit code 1, the table named), within a region and year or everywhere, and
/// `counts rebuild` repairs it, after which the API answers from the rows' truth again.
#[tokio::test]
async fn counts_verify_finds_kept_counts_that_drifted_and_rebuild_repairs_them() {
    use crate::common::app::children::VILLAGE;
    let app = TestApp::spawn().await;
    let officer = app.token_for(stunting_api::domain::Role::Officer, Some("14.01")).await;
    for z in [-2.5, -3.2, -0.4] {
        let child = app.child_in(&officer, VILLAGE).await;
        app.measure_at(&officer, &child, "2024-10-01", z).await;
    }
    let families = serde_json::json!({"year": 2024, "families": [{"family_key": "1401010001000001",
        "village_code": VILLAGE, "risk_factors": ["no_safe_water"], "has_pregnant_woman": true, "has_under_two": true,
        "has_under_five": true}]});
    assert_eq!(app.post_json("/api/v1/families-at-risk/import", Some(&officer), &families).await.status(), 200);
    let path = "/api/v1/stats/prevalence?region=14.01&level=village&year=2024";
    let truth: serde_json::Value = app.get(path, Some(&officer)).await.json().await.unwrap();
    let counts = |args: &'static [&'static str]| {
        let url = app.database_url.clone();
        tokio::task::spawn_blocking(move || run_checked(&url, args))
    };
    let (agrees, out) = counts(&["counts", "verify"]).await.unwrap();
    assert!(agrees, "{out}");
    assert!(out.contains("prevalence_counts  agrees"), "{out}");

    // Someone "fixes" a figure by hand.
    app.execute("UPDATE prevalence_counts SET stunted = stunted + 7 WHERE region_code = '14.01.01.2009'").await;
    let (agrees, out) = counts(&["counts", "verify", "--region", "14.01", "--year", "2024"]).await.unwrap();
    assert!(!agrees, "{out}");
    assert!(out.contains("prevalence_counts  ") && out.contains("rows differ"), "{out}");
    let (elsewhere, out) = counts(&["counts", "verify", "--region", "14.03"]).await.unwrap();
    assert!(elsewhere, "another district's counts are whole: {out}");
    let drifted: serde_json::Value = app.get(path, Some(&officer)).await.json().await.unwrap();
    assert_ne!(drifted["rows"], truth["rows"]);
    // The families' counts too.
    app.execute("UPDATE family_counts SET no_safe_water = 0 WHERE village_code = '14.01.01.2009'").await;
    let (agrees, out) = counts(&["counts", "verify", "--region", "14.01"]).await.unwrap();
    let differs = |table: &str| out.lines().any(|l| l.starts_with(&format!("{table} ")) && l.ends_with("rows differ"));
    assert!(!agrees && differs("prevalence_counts") && differs("family_counts"), "{out}");
    assert!(!differs("case_counts"), "{out}");

    let (rebuilt, out) = counts(&["counts", "rebuild", "--region", "14.01"]).await.unwrap();
    assert!(rebuilt, "{out}");
    let (rebuilt, out) = counts(&["counts", "rebuild"]).await.unwrap();
    assert!(rebuilt && out.contains("skdn_born_years    rebuilt"), "every table, everywhere: {out}");
    let (agrees, out) = counts(&["counts", "verify"]).await.unwrap();
    assert!(agrees, "{out}");
    let repaired: serde_json::Value = app.get(path, Some(&officer)).await.json().await.unwrap();
    assert_eq!(repaired["rows"], truth["rows"]);
}
