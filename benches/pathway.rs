//! The first 1,000 days as their callers meet them: through HTTP, 16 clients at once, over the
//! synthetic country of `benches/dashboards.rs` (`demo generate`, which gives every child born
//! in 2024 and early 2025 its mother, pregnancy, visits and birth). It times `/stats/pathway`
//! for the year (every indicator) and as a 12-month series of one at every tier, the region summary with its new tile,
//! and recording an antenatal visit (its pregnancy's kept counts included), by one writer and
//! by 16.
//!
//!     BENCH_DATABASE_URL=postgres://… BENCH_CHILDREN=1000000 cargo bench --bench pathway
//!
//! Settings as for `dashboards` (BENCH_CHILDREN, BENCH_SEED, BENCH_REQUESTS, BENCH_CLIENTS,
//! BENCH_ONLY, BENCH_DATABASE_URL). Results and the machine are in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

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

/// The busiest province's largest district and subdistrict by pregnancies that ended in 2024.
async fn busiest(conn: &mut AsyncPgConnection) -> (String, String) {
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let largest = async |conn: &mut AsyncPgConnection, under: &str, length: i32| -> String {
        let found: Code = diesel::sql_query(
            "SELECT left(region_code, $2) AS code FROM pathway_counts \
             WHERE tier = 'village' AND period = 'year' AND measure = 'pregnancies_ended' \
               AND starts_with(region_code, $1) GROUP BY 1 ORDER BY sum(value) DESC LIMIT 1",
        )
        .bind::<diesel::sql_types::Text, _>(under)
        .bind::<diesel::sql_types::Integer, _>(length)
        .get_result(conn)
        .await
        .unwrap();
        found.code
    };
    let district = largest(conn, "33.", 5).await;
    let subdistrict = largest(conn, &format!("{district}."), 8).await;
    (district, subdistrict)
}

async fn run() {
    let children = setting("BENCH_CHILDREN", 1_000_000);
    let seed = setting("BENCH_SEED", 1);
    let requests = setting("BENCH_REQUESTS", 320) as usize;
    let clients = setting("BENCH_CLIENTS", 16) as usize;

    let country = Country::open(children, seed).await;
    let mut conn = country.connect().await;
    let pregnancies = count(&mut conn, "SELECT count(*) AS n FROM pregnancies").await;
    let visits = count(&mut conn, "SELECT count(*) AS n FROM anc_visits").await;
    let screenings = count(&mut conn, "SELECT count(*) AS n FROM catin_screenings").await;
    println!(
        "\n{pregnancies} pregnancies, {visits} antenatal visits, {screenings} catin screenings; \
         {clients} clients, {requests} requests per question\n"
    );
    if requests == 0 {
        return;
    }
    let service = Service::start(&country.url).await;
    let address = service.address.clone();
    let analyst = service.token(Role::Analyst).await;
    let officer = service.token(Role::Admin).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let (district, subdistrict) = busiest(&mut conn).await;
    let tiers = [
        ("Indonesia by province".to_owned(), String::new(), "national".to_owned()),
        ("Jawa Tengah by district".to_owned(), "&region=33".to_owned(), "33".to_owned()),
        (format!("district {district} by subdistrict"), format!("&region={district}"), district.clone()),
        (format!("subdistrict {subdistrict} by village"), format!("&region={subdistrict}"), subdistrict.clone()),
    ];
    let mut questions = Vec::new();
    for (label, region, code) in &tiers {
        questions.push((format!("pathway, {label}, 2024"), format!("/api/v1/stats/pathway?year=2024{region}")));
        // A chart of one statistic over the year's months.
        questions.push((
            format!("pathway, {label}, 12 months of K6"),
            format!("/api/v1/stats/pathway?from=2024-01&to=2024-12&period=month&indicators=anc_k6{region}"),
        ));
        questions.push((format!("summary, {code}, 2024"), format!("/api/v1/regions/{code}/summary?year=2024")));
    }
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    println!("| question | p50 ms | p95 ms | p99 ms | req/s |");
    println!("|---|---:|---:|---:|---:|");
    for (label, path) in questions.iter().filter(|(label, _)| label.contains(&only)) {
        let ask = |_| get_ok(http.clone(), format!("{address}{path}"), analyst.clone());
        load(clients, clients * 2, ask).await; // warm-up: connections, caches
        let served = load(clients, requests, ask).await;
        println!("| {label} | {:.1} | {:.1} | {:.1} | {:.0} |", served.p50, served.p95, served.p99, served.per_second);
    }

    // Recording an antenatal visit: the checks, the visit, the pregnancy's recount and its kept
    // statistics, the audit line, in one durable transaction. Each visit is dated on its
    // pregnancy's last visit (visits on one day are in order), so a rerun records again.
    let open = open_pregnancies(&mut conn, &http, &address, &officer, requests).await;
    let record = |i: usize| {
        let (http, token, (id, on)) = (http.clone(), officer.clone(), open[i % open.len()].clone());
        let url = format!("{address}/api/v1/pregnancies/{id}/anc-visits");
        async move {
            let body = serde_json::json!({"visited_on": on, "examiner": "midwife", "muac_cm": 23.0 + (i % 5) as f64,
                                          "hb_g_dl": 11.5, "iron_tablets": 30});
            let response = http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
            let status = response.status();
            assert_eq!(status, 201, "{url}: {}", response.text().await.unwrap());
        }
    };
    for writers in [1, clients] {
        let written = load(writers, requests, record).await;
        println!(
            "| record an antenatal visit (POST), {writers} writer(s) | {:.1} | {:.1} | {:.1} | {:.0} |",
            written.p50, written.p95, written.p99, written.per_second
        );
    }
}

/// `n` open pregnancies with the day their next visit may take: those opened by an earlier run,
/// and new ones (HPHT 2 June 2025) for mothers whose last pregnancy ended before.
async fn open_pregnancies(
    conn: &mut AsyncPgConnection,
    http: &reqwest::Client,
    address: &str,
    token: &str,
    n: usize,
) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let mothers: Vec<Id> = diesel::sql_query(
        "SELECT person_id::text AS id FROM pregnancies GROUP BY person_id \
         HAVING bool_and(outcome IS NOT NULL) AND max(ended_on) < date '2025-06-02' ORDER BY person_id LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>((n as i64 - count(conn, OPEN).await).max(0))
    .load(conn)
    .await
    .unwrap();
    for mother in mothers {
        let url = format!("{address}/api/v1/people/{}/pregnancies", mother.id);
        let body = serde_json::json!({"lmp_on": "2025-06-02"});
        let response = http.post(&url).bearer_auth(token).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201, "{url}");
    }
    #[derive(diesel::QueryableByName)]
    struct Open {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        next: String,
    }
    let open: Vec<Open> = diesel::sql_query(
        "SELECT id::text, greatest(last_visit_on, lmp_on + 56)::text AS next FROM pregnancies \
         WHERE outcome IS NULL AND deleted_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(n as i64)
    .load(conn)
    .await
    .unwrap();
    open.into_iter().map(|o| (o.id, o.next)).collect()
}

const OPEN: &str = "SELECT count(*) AS n FROM pregnancies WHERE outcome IS NULL AND deleted_at IS NULL";
