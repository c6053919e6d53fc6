//! The posyandu's monthly weighing as its callers meet it: through HTTP, 16 clients at once,
//! over the synthetic country of `benches/dashboards.rs` (`demo generate` registers children to
//! posyandu and weighs them monthly in 2025). It times `/stats/skdn` and `/stats/data-quality`
//! for the year and as a 12-month series at every tier down to one village's posyandu; the worklist of the country's
//! largest village, of 320 villages in turn, of its largest posyandu and of its TPK on
//! 15 December 2025 (with the whole village list's size, plain and gzipped); and recording a
//! weighing at a posyandu (its child's weighed months and SKDN kept in the same transaction), by
//! one writer and by 16.
//!
//!     BENCH_DATABASE_URL=postgres://… BENCH_CHILDREN=1000000 cargo bench --bench posyandu
//!
//! Settings as for `dashboards` (BENCH_CHILDREN, BENCH_SEED, BENCH_REQUESTS, BENCH_CLIENTS,
//! BENCH_ONLY, BENCH_DATABASE_URL). Results and the machine are in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use diesel::sql_types::{BigInt, Double, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stunting_api::domain::Role;

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use support::{Country, Service, count, get_ok, load, setting};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

/// The area of `length` characters under `under` with the most children.
async fn largest(conn: &mut AsyncPgConnection, under: &str, length: i32) -> String {
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = Text)]
        code: String,
    }
    let found: Code = diesel::sql_query(
        "SELECT left(village_code, $2) AS code FROM children WHERE starts_with(village_code, $1) \
         GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )
    .bind::<Text, _>(under)
    .bind::<Integer, _>(length)
    .get_result(conn)
    .await
    .unwrap();
    found.code
}

/// Codes or ids, as text.
#[derive(diesel::QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
}

async fn names(conn: &mut AsyncPgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql).load::<Named>(conn).await.unwrap().into_iter().map(|n| n.name).collect()
}

/// The worklists of the country's largest village (and of 320 villages in turn, so no one
/// village's pages stay hot), of its largest posyandu and of its TPK, as a cadre's app asks:
/// the whole list in one page, on a day of the demo's weighing year.
async fn worklists(
    conn: &mut AsyncPgConnection,
    http: &reqwest::Client,
    address: &str,
    token: &str,
    clients: usize,
    requests: usize,
    only: &str,
) {
    let villages = names(
        conn,
        "SELECT village_code AS name FROM children WHERE deleted_at IS NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 320",
    )
    .await;
    let village = villages[0].clone();
    let posyandu = names(
        conn,
        &format!(
            "SELECT posyandu_id::text AS name FROM children WHERE village_code = '{village}' AND posyandu_id IS NOT NULL \
             GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ),
    )
    .await;
    let team = names(
        conn,
        &format!("SELECT id::text AS name FROM teams WHERE kind = 'tpk' AND region_code = '{village}' LIMIT 1"),
    )
    .await;
    let on = "&on=2025-12-15&limit=500";
    let whole =
        http.get(format!("{address}/api/v1/worklist?village={village}{on}")).bearer_auth(token).send().await.unwrap();
    let whole: serde_json::Value = whole.json().await.unwrap();
    let plain = serde_json::to_vec(&whole).unwrap().len();
    let zipped = http
        .get(format!("{address}/api/v1/worklist?village={village}{on}"))
        .bearer_auth(token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    let items = whole["items"].as_array().unwrap();
    let mut reasons = std::collections::BTreeMap::new();
    for item in items {
        *reasons.entry(item["reason"].as_str().unwrap().to_owned()).or_insert(0) += 1;
    }
    println!(
        "\nworklist of village {village} on 2025-12-15: {} items, {plain} bytes of JSON ({zipped} gzipped); {reasons:?}\n",
        items.len()
    );
    let mut questions = vec![
        (format!("worklist, village {village}"), vec![format!("/api/v1/worklist?village={village}{on}")]),
        (
            "worklist, 320 largest villages in turn".to_owned(),
            villages.iter().map(|v| format!("/api/v1/worklist?village={v}{on}")).collect(),
        ),
    ];
    if let Some(posyandu) = <[String]>::first(&posyandu) {
        questions.push((
            "worklist, its largest posyandu".to_owned(),
            vec![format!("/api/v1/worklist?posyandu={posyandu}{on}")],
        ));
    }
    if let Some(team) = <[String]>::first(&team) {
        questions.push(("worklist, its TPK".to_owned(), vec![format!("/api/v1/worklist?team={team}{on}")]));
    }
    for (label, paths) in questions.iter().filter(|(label, _)| label.contains(only)) {
        let ask = |i: usize| get_ok(http.clone(), format!("{address}{}", paths[i % paths.len()]), token.to_owned());
        load(clients, clients * 2, ask).await;
        let served = load(clients, requests, ask).await;
        println!("| {label} | {:.1} | {:.1} | {:.1} | {:.0} |", served.p50, served.p95, served.p99, served.per_second);
    }
}

/// A child registered to a posyandu, with her latest length and weight.
#[derive(diesel::QueryableByName, Clone)]
struct Registered {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    posyandu_id: String,
    #[diesel(sql_type = Double)]
    length_cm: f64,
    #[diesel(sql_type = Double)]
    weight_kg: f64,
}

async fn run() {
    let children = setting("BENCH_CHILDREN", 1_000_000);
    let seed = setting("BENCH_SEED", 1);
    let requests = setting("BENCH_REQUESTS", 320) as usize;
    let clients = setting("BENCH_CLIENTS", 16) as usize;

    let country = Country::open(children, seed).await;
    let mut conn = country.connect().await;
    let posyandu = count(&mut conn, "SELECT count(*) AS n FROM posyandu").await;
    let months = count(&mut conn, "SELECT count(*) AS n FROM weighing_months").await;
    println!(
        "\n{posyandu} posyandu, {months} weighed child-months; {clients} clients, {requests} requests per question\n"
    );
    if requests == 0 {
        return;
    }
    let service = Service::start(&country.url).await;
    let address = service.address.clone();
    let analyst = service.token(Role::Analyst).await;
    let officer = service.token(Role::Admin).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let district = largest(&mut conn, "33.", 5).await;
    let subdistrict = largest(&mut conn, &format!("{district}."), 8).await;
    let village = largest(&mut conn, &format!("{subdistrict}."), 13).await;
    let tiers = [
        ("Indonesia by province".to_owned(), String::new()),
        ("Jawa Tengah by district".to_owned(), "&region=33".to_owned()),
        (format!("district {district} by subdistrict"), format!("&region={district}")),
        (format!("subdistrict {subdistrict} by village"), format!("&region={subdistrict}")),
        (format!("village {village} by posyandu"), format!("&region={village}&level=posyandu")),
    ];
    let mut questions = Vec::new();
    for (label, region) in &tiers {
        questions.push((format!("skdn, {label}, 2025"), format!("/api/v1/stats/skdn?year=2025{region}")));
        questions
            .push((format!("skdn, {label}, 12 months"), format!("/api/v1/stats/skdn?year=2025&period=month{region}")));
    }
    for (label, region) in &tiers {
        questions
            .push((format!("data quality, {label}, 2025"), format!("/api/v1/stats/data-quality?year=2025{region}")));
        questions.push((
            format!("data quality, {label}, 12 months"),
            format!("/api/v1/stats/data-quality?year=2025&period=month{region}"),
        ));
    }
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    println!("| question | p50 ms | p95 ms | p99 ms | req/s | KB |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, path) in questions.iter().filter(|(label, _)| label.contains(&only)) {
        let url = format!("{address}{path}");
        let size = http.get(&url).bearer_auth(&analyst).send().await.unwrap().bytes().await.unwrap().len();
        let ask = |_| get_ok(http.clone(), url.clone(), analyst.clone());
        load(clients, clients * 2, ask).await; // warm-up: connections, caches
        let served = load(clients, requests, ask).await;
        println!(
            "| {label} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
            served.p50,
            served.p95,
            served.p99,
            served.per_second,
            size as f64 / 1000.0
        );
    }

    worklists(&mut conn, &http, &address, &officer, clients, requests, &only).await;

    // Recording a weighing at the child's posyandu: the checks, the measurement, its z-scores,
    // the data checks on her series, the child's cases, her weighed months, SKDN and data-quality
    // counts at every tier, the prevalence counts and the audit line, in one durable transaction. A new day each run keeps the weighings new.
    let weighed: Vec<Registered> = diesel::sql_query(
        "SELECT c.id::text, c.posyandu_id::text, m.length_cm, m.weight_kg \
         FROM children c CROSS JOIN LATERAL (SELECT length_cm, weight_kg FROM measurements \
             WHERE child_id = c.id AND weight_kg IS NOT NULL ORDER BY measured_on DESC LIMIT 1) m \
         WHERE c.posyandu_id IS NOT NULL AND c.deleted_at IS NULL AND c.birth_date > date '2021-03-01' \
         ORDER BY c.id LIMIT $1",
    )
    .bind::<BigInt, _>((requests * 2) as i64)
    .load(&mut conn)
    .await
    .unwrap();
    let runs = count(&mut conn, "SELECT count(*) AS n FROM measurements WHERE measured_on >= date '2026-01-01'").await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new((runs as u64 / 1000) % 28);
    for writers in [1, clients] {
        let record = |i: usize| {
            let child = weighed[(i + writers) % weighed.len()].clone();
            let (http, token) = (http.clone(), officer.clone());
            let url = format!("{address}/api/v1/children/{}/measurements", child.id);
            async move {
                let body = serde_json::json!({"measured_on": day, "length_cm": child.length_cm + 0.4,
                    "position": if child.length_cm < 87.0 { "lying" } else { "standing" },
                    "weight_kg": child.weight_kg + 0.2, "place": "posyandu", "posyandu_id": child.posyandu_id});
                let response = http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                let status = response.status();
                assert_eq!(status, 201, "{url}: {}", response.text().await.unwrap());
            }
        };
        // Warm-up as for the reads (other children, so the timed weighings are still new).
        load(writers, writers * 2, |i| record(requests + i)).await;
        let written = load(writers, requests, record).await;
        println!(
            "| record a weighing at a posyandu (POST), {writers} writer(s) | {:.1} | {:.1} | {:.1} | {:.0} |",
            written.p50, written.p95, written.p99, written.per_second
        );
    }
}
