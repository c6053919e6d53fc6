//! A province's files as an integration sends them, through HTTP, each run as an import job:
//! 100,000 measurements of children already registered (`/imports/measurements`), then an
//! e-PPGBM export of as many new children, each with her weighing (`/imports/children`), both
//! village by village. Timed from the first byte sent to the job's summary, so z-scores, cases,
//! kept counts, the audit trail and the change feed are all included; beside each, PostgreSQL's
//! own `COPY` of the same file into a bare table (no rules, no indexes, no triggers) in the same
//! run, and the ratio of the two. The server's durability settings are printed first.
//!
//!     cargo bench --bench imports
//!
//! Settings (environment): BENCH_RECORDS (100,000 rows per file), BENCH_KINDS
//! (`measurements,children`), BENCH_CHILDREN (1,000,000: the country of the dashboards
//! benchmark, generated on first use and kept), BENCH_SEED (1), BENCH_SPREAD=1 (children in id
//! order, so each chunk spans the whole country, instead of village by village),
//! BENCH_DATABASE_URL (as for the dashboards). Each run imports into a fresh copy of the country
//! (`CREATE DATABASE … TEMPLATE`), dropped afterwards, so runs compare. Results are in
//! docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use diesel::sql_types::{BigInt, Date, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use stunting_api::domain::Role;

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use support::{Country, Service, count, setting};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let records = setting("BENCH_RECORDS", 100_000);
    let country = Country::open(setting("BENCH_CHILDREN", 1_000_000), setting("BENCH_SEED", 1)).await;
    let scratch = country.scratch_copy("imports_scratch").await;
    let mut conn = AsyncPgConnection::establish(&scratch.url).await.unwrap();
    let day = free_day(&mut conn).await;
    let children = young_children(&mut conn, day, records).await;
    let held = count(&mut conn, "SELECT count(*) AS n FROM children").await;
    let files = [
        ("measurements", weighings(&children, day), MEASUREMENT_COLUMNS),
        ("children", new_children(&children, day), CHILD_COLUMNS),
    ];
    let kinds = std::env::var("BENCH_KINDS").unwrap_or_else(|_| "measurements,children".into());
    println!(
        "\n{} rows of {day} over the villages of {} children (of {held}); kinds: {kinds}\n",
        children.len(),
        children.len()
    );

    let service = Service::start(&scratch.url).await;
    let token = service.token(Role::Integration).await;
    println!("| import | rows | MB | upload (202) s | import s | rows/s | COPY s | COPY rows/s | import / COPY |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut summaries = Vec::new();
    for (kind, csv, columns) in files.iter().filter(|(kind, _, _)| kinds.split(',').any(|k| k == *kind)) {
        let (accepted, imported, summary) = import(&service, &token, kind, csv).await;
        let copied = copy_of(&mut conn, csv, columns).await;
        let rows = children.len() as f64;
        println!(
            "| {kind} | {} | {} | {:.2} | {:.2} | {:.0} | {:.2} | {:.0} | {:.1}× |",
            children.len(),
            csv.len() / 1_000_000,
            accepted.as_secs_f64(),
            imported.as_secs_f64(),
            rows / imported.as_secs_f64(),
            copied.as_secs_f64(),
            rows / copied.as_secs_f64(),
            imported.as_secs_f64() / copied.as_secs_f64()
        );
        summaries.push((kind, summary));
    }
    for (kind, summary) in summaries {
        println!(
            "\n{kind}: created {}, unchanged {}, rejected {}",
            summary["created"], summary["unchanged"], summary["rejected"]
        );
        if let Some(first) = summary["rejections"].as_array().and_then(|r| r.as_slice().first()) {
            println!("first rejection: {first}");
        }
    }
    drop(conn);
    service.pool.close();
    scratch.drop_it().await;
}

/// Sends `csv` to `/imports/{kind}` as a job and waits for its summary: the time to the 202,
/// the time to the summary, and the summary.
async fn import(service: &Service, token: &str, kind: &str, csv: &str) -> (Duration, Duration, Value) {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let queued = http
        .post(format!("{}/api/v1/imports/{kind}", service.address))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let accepted = started.elapsed();
    assert_eq!(queued.status(), 202, "{}", queued.text().await.unwrap());
    let location = format!("{}{}", service.address, queued.headers()["location"].to_str().unwrap());
    let job = loop {
        let job: Value = http.get(&location).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let imported = started.elapsed();
    assert_eq!(job["status"], "succeeded", "{job}");
    (accepted, imported, job["summary"].clone())
}

/// The latest day of the past year on which nobody was measured yet.
async fn free_day(conn: &mut AsyncPgConnection) -> NaiveDate {
    #[derive(diesel::QueryableByName)]
    struct Day {
        #[diesel(sql_type = Date)]
        day: NaiveDate,
    }
    let taken: Vec<Day> = diesel::sql_query(
        "SELECT DISTINCT measured_on AS day FROM measurements WHERE measured_on > current_date - 400",
    )
    .load(conn)
    .await
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    (1..400).map(|d| today - chrono::Days::new(d)).find(|d| !taken.iter().any(|t| t.day == *d)).unwrap()
}

/// Up to `n` living children between one and 58 months old on `day`, with their birth dates,
/// village by village (as a district's e-PPGBM export lists them, by posyandu), last weighed
/// in the generated rounds (not by an import into the country itself, as an older version of
/// this benchmark made).
async fn young_children(conn: &mut AsyncPgConnection, day: NaiveDate, n: i64) -> Vec<Young> {
    #[derive(diesel::QueryableByName)]
    struct Child {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Date)]
        birth_date: NaiveDate,
        #[diesel(sql_type = Text)]
        village_code: String,
    }
    let rows: Vec<Child> = diesel::sql_query(
        "SELECT id::text AS id, birth_date, village_code FROM children \
         WHERE deleted_at IS NULL AND birth_date > $1 - interval '58 months' AND birth_date < $1 - 31 \
           AND NOT EXISTS (SELECT 1 FROM measurements m WHERE m.child_id = children.id AND m.measured_on > $1 - 365) \
         ORDER BY CASE WHEN $3 THEN id::text ELSE village_code END, id LIMIT $2",
    )
    .bind::<Date, _>(day)
    .bind::<BigInt, _>(n)
    .bind::<diesel::sql_types::Bool, _>(setting("BENCH_SPREAD", 0) == 1)
    .load(conn)
    .await
    .unwrap();
    rows.into_iter().map(|c| (c.id, c.birth_date, c.village_code)).collect()
}

/// A child's id, birth date and village.
type Young = (String, NaiveDate, String);

/// A CSV of one weighing per child on `day`: near WHO's median for the age, a few centimetres
/// either side, so some children are stunted and their cases open or move on.
fn weighings(children: &[Young], day: NaiveDate) -> String {
    let mut csv = String::from("id,child_id,measured_on,length_cm,position,weight_kg,oedema,place,measured_by\n");
    for (i, (child, born, _)) in children.iter().enumerate() {
        let months = (day - *born).num_days() as f64 / 30.4375;
        let median = 49.9 + 25.5 * (1.0 - (-months / 8.0).exp()) + 0.55 * months;
        let length = median + ((i % 13) as f64 - 8.0) * 0.9;
        let weight = 3.3 + 8.5 * (1.0 - (-months / 10.0).exp()) + 0.1 * months;
        let position = if months < 24.0 { "lying" } else { "standing" };
        let id = uuid::Uuid::now_v7();
        csv.push_str(&format!(
            "{id},{child},{day},{length:.1},{position},{weight:.1},false,posyandu,Kader {}\n",
            day.ordinal()
        ));
    }
    csv
}

/// The columns of each file, for the bare table `COPY` fills.
const MEASUREMENT_COLUMNS: &str = "id uuid, child_id uuid, measured_on date, length_cm float8, position text, \
     weight_kg float8, oedema boolean, place text, measured_by text";
const CHILD_COLUMNS: &str = "child_id uuid, nik text, village_code text, sex text, birth_date date, name text, \
     mother_name text, measurement_id uuid, measured_on date, length_cm float8, position text, weight_kg float8, \
     place text, measured_by text";

/// An e-PPGBM export of new children: for each child given, a new one of the same village and
/// birth date (so the rows go village by village as theirs do), with a NIK and a weighing on `day`.
fn new_children(children: &[Young], day: NaiveDate) -> String {
    let weighed = weighings(children, day);
    let mut csv = String::from(
        "child_id,nik,village_code,sex,birth_date,name,mother_name,measurement_id,measured_on,length_cm,position,\
         weight_kg,place,measured_by\n",
    );
    for ((i, (_, born, village)), line) in children.iter().enumerate().zip(weighed.lines().skip(1)) {
        // id, child_id, measured_on, length_cm, position, weight_kg, oedema, place, measured_by
        let f: Vec<&str> = line.split(',').collect();
        let sex = if i % 2 == 0 { "female" } else { "male" };
        csv.push_str(&format!(
            "{},{:016},{village},{sex},{born},Anak {i},Ibu {i},{},{},{},{},{},{},{}\n",
            uuid::Uuid::now_v7(),
            9_100_000_000_000_000u64 + i as u64,
            f[0],
            f[2],
            f[3],
            f[4],
            f[5],
            f[7],
            f[8]
        ));
    }
    csv
}

/// PostgreSQL's own COPY of the same file, into a bare table of the same columns.
async fn copy_of(conn: &mut AsyncPgConnection, csv: &str, columns: &str) -> Duration {
    let path = std::env::temp_dir().join(format!("bench-import-{}.csv", std::process::id()));
    std::fs::write(&path, csv).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    diesel::sql_query("DROP TABLE IF EXISTS copied").execute(conn).await.unwrap();
    diesel::sql_query(format!("CREATE TEMP TABLE copied ({columns})")).execute(conn).await.unwrap();
    let started = Instant::now();
    diesel::sql_query(format!("COPY copied FROM '{}' (FORMAT csv, HEADER)", path.display()))
        .execute(conn)
        .await
        .unwrap();
    let took = started.elapsed();
    std::fs::remove_file(&path).unwrap();
    took
}
