//! Dashboards as their callers meet them: through HTTP, 16 clients at once, over a synthetic
//! country (`demo generate`). For every question it prints p50/p95/p99 and throughput, and the
//! same answer computed by plain SQL on the raw rows with the same concurrency, and the ratio;
//! then the first page of every region-scoped list against its records call alone
//! (`lists/mod.rs`); then the cost of recording a measurement (its kept counts included), into
//! a scratch copy of the country so that every run writes into the same data.
//!
//!     BENCH_CHILDREN=1000000 cargo bench --bench dashboards
//!
//! Settings (environment): BENCH_CHILDREN (default 1,000,000), BENCH_SEED (1), BENCH_REQUESTS
//! per question (320; 0 generates the data and stops), BENCH_CLIENTS (16), BENCH_RAW_CLIENTS (as many; 0 skips the raw-SQL
//! comparison, 1 times each raw statement alone, for scales where 16 would take hours),
//! BENCH_ONLY (ask only the questions and list pages whose label contains it; `none` times only
//! the writes), and
//! BENCH_DATABASE_URL, a server where the benchmark may create a database. Without it, a
//! private cluster lives in `target/bench-pg` (durable, 4 GB of shared buffers). The
//! generated database (`dashboards_<children>_<seed>`) is kept, so a second run measures at
//! once. Results and the machine are in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::NaiveDate;
use diesel::sql_types::{Date, Integer, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stunting_api::domain::{PeriodKind, RegionCode, RegionLevel, Role, series};
use stunting_api::records::stats::{Span, code_bounds, code_length};

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

#[path = "lists/mod.rs"]
mod lists;

use lists::List;
use support::{Country, Measured, Service, count, get_ok, load, setting};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

/// One question a dashboard asks, and the tier it asks it at.
struct Question {
    label: String,
    path: String,
    /// The plain SQL that answers it from the raw rows.
    raw: &'static str,
    root: Option<RegionCode>,
    level: RegionLevel,
    span: Span,
}

async fn run() {
    let children = setting("BENCH_CHILDREN", 1_000_000);
    let seed = setting("BENCH_SEED", 1);
    let requests = setting("BENCH_REQUESTS", 320) as usize;
    let clients = setting("BENCH_CLIENTS", 16) as usize;
    let raw_clients = setting("BENCH_RAW_CLIENTS", clients as i64) as usize;

    let country = Country::open(children, seed).await;
    // The writes go to a copy, made while nothing else is connected to the country: every run
    // writes into the same data (into the country itself, each run added a weighing on the
    // same day to the same children, so no two runs compared).
    let scratch = if requests > 0 { Some(country.scratch_copy("dashboards_writes").await) } else { None };
    let mut conn = country.connect().await;
    let measurements = count(&mut conn, "SELECT count(*) AS n FROM measurements").await;
    let held = count(&mut conn, "SELECT count(*) AS n FROM children").await;
    println!("\n{held} children, {measurements} measurements; {clients} clients, {requests} requests per question\n");
    if requests == 0 {
        return; // BENCH_REQUESTS=0: generate only
    }

    let service = Service::start(&country.url).await;
    let (address, pool) = (service.address.clone(), service.pool.clone());
    let analyst = service.token(Role::Analyst).await;
    let officer = service.token(Role::Admin).await;
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();

    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let questions: Vec<Question> = questions(&mut conn).await.into_iter().filter(|q| q.label.contains(&only)).collect();
    println!("| question | p50 ms | p95 ms | p99 ms | req/s | raw SQL p50 ms | raw p95 ms | p95 ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for question in &questions {
        let ask = |_| get_ok(http.clone(), format!("{address}{}", question.path), analyst.clone());
        load(clients, clients * 2, ask).await; // warm-up: connections, caches
        let served = load(clients, requests, ask).await;
        let rows = if raw_clients > 0 { Some(raw_sql(&pool, raw_clients, question).await) } else { None };
        let (raw_p50, raw_p95, ratio) = match &rows {
            Some(r) => (format!("{:.1}", r.p50), format!("{:.1}", r.p95), format!("{:.1}×", r.p95 / served.p95)),
            None => ("–".into(), "–".into(), "–".into()),
        };
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.0} | {raw_p50} | {raw_p95} | {ratio} |",
            question.label, served.p50, served.p95, served.p99, served.per_second
        );
    }

    let pages: Vec<(String, List, RegionCode)> =
        list_pages(&mut conn).await.into_iter().filter(|(label, ..)| label.contains(&only)).collect();
    if !pages.is_empty() {
        println!(
            "\n| list page | p50 ms | p95 ms | p99 ms | req/s | its records call p50 ms | p95 ms | p95 ratio | \
             one client: page p50 ms | its records call p50 ms | p50 ratio |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
    for (label, list, region) in &pages {
        let url = format!("{address}{}", list.path(region));
        let ask = |_| get_ok(http.clone(), url.clone(), officer.clone());
        load(clients, clients * 2, ask).await;
        let served = load(clients, requests, ask).await;
        let served_alone = load(1, requests / 4, ask).await;
        let [alone, one] = lists::direct(&pool, *list, region, clients, requests).await;
        println!(
            "| {label} | {:.2} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2}× | {:.2} | {:.2} | {:.2}× |",
            served.p50,
            served.p95,
            served.p99,
            served.per_second,
            alone.p50,
            alone.p95,
            served.p95 / alone.p95,
            served_alone.p50,
            one.p50,
            served_alone.p50 / one.p50
        );
    }

    // Recording a measurement: z-scores, the case, the audit line and the kept counts.
    let scratch = scratch.unwrap();
    let writer = Service::start(&scratch.url).await;
    let (address, officer) = (writer.address.clone(), writer.token(Role::Admin).await);
    let ids: Vec<String> =
        sample_children(&mut AsyncPgConnection::establish(&scratch.url).await.unwrap(), requests).await;
    // A 503 (two writers deadlocked on the same kept counts: nothing was committed) is retried
    // as an app retries it, within the request's time, and counted.
    let retried = Arc::new(AtomicUsize::new(0));
    let record = |i: usize| {
        let (http, token, child) = (http.clone(), officer.clone(), ids[i % ids.len()].clone());
        let (url, retried) = (format!("{address}/api/v1/children/{child}/measurements"), retried.clone());
        async move {
            let body = serde_json::json!({"measured_on": "2025-11-20", "length_cm": 85.0 + (i % 20) as f64,
                                          "position": "standing", "weight_kg": 11.5, "place": "posyandu"});
            for attempt in 1.. {
                let response = http.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                let status = response.status();
                if status == 503 && attempt < 5 {
                    retried.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                // A child under two on that day would have been measured standing: still recorded.
                assert!(status == 201 || status == 422, "{url}: {status} {}", response.text().await.unwrap());
                break;
            }
        }
    };
    for writers in [1, clients] {
        // Warm-up as for the reads: each connection's first writes plan the triggers' statements.
        load(writers, writers * 2, |i| record(requests + i)).await;
        retried.store(0, Ordering::Relaxed);
        let written = load(writers, requests, record).await;
        println!(
            "| record a measurement (POST), {writers} writer(s), {} retried after a 503 | {:.1} | {:.1} | {:.1} | {:.0} | | | |",
            AtomicUsize::load(&retried, Ordering::Relaxed),
            written.p50,
            written.p95,
            written.p99,
            written.per_second
        );
    }
    scratch.drop_it().await;
}

/// The first page of every list for Jawa Tengah and its largest district.
async fn list_pages(conn: &mut AsyncPgConnection) -> Vec<(String, List, RegionCode)> {
    let province = RegionCode::parse("33").unwrap();
    let district = largest(conn, "33.", 5).await;
    let mut pages = Vec::new();
    for (name, region) in [("Jawa Tengah".to_owned(), province), (format!("district {district}"), district)] {
        for list in List::ALL {
            pages.push((format!("{}, {name}, first 50", list.name()), list, region.clone()));
        }
    }
    pages
}

/// The region with the most measured children among the codes of `length` under `under`.
async fn largest(conn: &mut AsyncPgConnection, under: &str, length: i32) -> RegionCode {
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let found: Code = diesel::sql_query(
        "SELECT left(region_code, $2) AS code FROM prevalence_counts \
         WHERE tier = 'village' AND period = 'year' AND starts_with(region_code, $1) \
         GROUP BY 1 ORDER BY sum(measured) DESC LIMIT 1",
    )
    .bind::<diesel::sql_types::Text, _>(under)
    .bind::<diesel::sql_types::Integer, _>(length)
    .get_result(conn)
    .await
    .unwrap();
    RegionCode::parse(&found.code).unwrap()
}

/// The busiest region at each tier: Jawa Tengah, then its largest district, subdistrict.
async fn questions(conn: &mut AsyncPgConnection) -> Vec<Question> {
    let province = RegionCode::parse("33").unwrap();
    let district = largest(conn, "33.", 5).await;
    let subdistrict = largest(conn, &format!("{district}."), 8).await;
    let summaries = [
        ("Indonesia".to_owned(), None),
        ("Jawa Tengah".to_owned(), Some(province.clone())),
        (format!("district {district}"), Some(district.clone())),
        (format!("subdistrict {subdistrict}"), Some(subdistrict.clone())),
    ];
    let tiers = [
        ("Indonesia by province".to_owned(), None, RegionLevel::Province),
        ("Jawa Tengah by district".to_owned(), Some(province), RegionLevel::District),
        (format!("district {district} by subdistrict"), Some(district), RegionLevel::Subdistrict),
        (format!("subdistrict {subdistrict} by village"), Some(subdistrict), RegionLevel::Village),
    ];
    let year = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let december = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let mut questions = Vec::new();
    for (label, root, level) in tiers {
        let region = root.as_ref().map(|r| format!("&region={r}")).unwrap_or_default();
        let level_name = level.as_str();
        let months = series(PeriodKind::Month, year, december).unwrap();
        for (name, endpoint, raw) in [
            ("prevalence", "prevalence", RAW_PREVALENCE),
            ("cases", "cases", RAW_CASES),
            ("coverage", "interventions", RAW_COVERAGE),
        ] {
            questions.push(Question {
                label: format!("{name}, {label}, 2025"),
                path: format!("/api/v1/stats/{endpoint}?year=2025&level={level_name}{region}"),
                raw,
                root: root.clone(),
                level,
                span: Span::Calendar { kind: PeriodKind::Year, starts: vec![year] },
            });
            questions.push(Question {
                label: format!("{name}, {label}, 12 months"),
                path: format!(
                    "/api/v1/stats/{endpoint}?from=2025-01&to=2025-12&period=month&level={level_name}{region}"
                ),
                raw,
                root: root.clone(),
                level,
                span: Span::Calendar { kind: PeriodKind::Month, starts: months.clone() },
            });
        }
    }
    // The summary's raw counterpart is its costliest tile alone: the five-year prevalence trend.
    let trend_start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
    for (label, root) in summaries {
        let code = root.as_ref().map_or("national".to_owned(), RegionCode::to_string);
        questions.push(Question {
            label: format!("summary, {label}, 2025"),
            path: format!("/api/v1/regions/{code}/summary?year=2025"),
            raw: RAW_PREVALENCE,
            level: root.as_ref().map_or(RegionLevel::Province, RegionCode::level),
            root,
            span: Span::Range { from: trend_start, to: december },
        });
    }
    questions
}

/// The best plain SQL on the raw rows for the same answer (one statement per question, such as
/// each child's latest valid measurement per period grouped by region and period), from
/// `clients` connections at once, one question each.
async fn raw_sql(pool: &stunting_api::db::DbPool, clients: usize, question: &Question) -> Measured {
    let (kind, from, to) = match &question.span {
        Span::Calendar { kind, .. } => (kind.as_str(), question.span.first_day(), question.span.last_day()),
        Span::Range { from, to } => ("year", *from, *to),
    };
    let (low, high) = code_bounds(question.root.as_ref());
    let length = code_length(question.level);
    load(clients, clients, |_| {
        let (low, high) = (low.clone(), high.clone());
        async move {
            let mut conn = pool.get().await.unwrap();
            diesel_async::SimpleAsyncConnection::batch_execute(&mut *conn, "SET statement_timeout = 0").await.unwrap();
            diesel::sql_query(question.raw)
                .bind::<Integer, _>(length)
                .bind::<Text, _>(&low)
                .bind::<Text, _>(&high)
                .bind::<Date, _>(from)
                .bind::<Date, _>(to)
                .bind::<Text, _>(kind)
                .execute(&mut conn)
                .await
                .unwrap();
            diesel_async::SimpleAsyncConnection::batch_execute(&mut *conn, "SET statement_timeout = '30s'")
                .await
                .unwrap();
        }
    })
    .await
}

const RAW_PREVALENCE: &str = "\
    WITH latest AS ( \
      SELECT DISTINCT ON (m.child_id, date_trunc($6, m.measured_on)) date_trunc($6, m.measured_on) AS period, \
             c.village_code, m.haz, m.waz, m.whz, m.waz_implausible, m.whz_implausible \
      FROM measurements m JOIN children c ON c.id = m.child_id \
      WHERE m.voided_at IS NULL AND c.deleted_at IS NULL AND m.haz IS NOT NULL AND NOT m.haz_implausible \
        AND m.measured_on BETWEEN $4 AND $5 AND c.village_code >= $2 AND c.village_code < $3 \
      ORDER BY m.child_id, date_trunc($6, m.measured_on), m.measured_on DESC, m.created_at DESC, m.id DESC \
    ) \
    SELECT period, left(village_code, $1) AS area, count(*) AS measured, \
           count(*) FILTER (WHERE haz < -2) AS stunted, count(*) FILTER (WHERE haz < -3) AS severely_stunted, \
           count(*) FILTER (WHERE waz IS NOT NULL AND NOT waz_implausible) AS weighed, \
           count(*) FILTER (WHERE waz < -2 AND NOT waz_implausible) AS underweight, \
           count(*) FILTER (WHERE whz IS NOT NULL AND NOT whz_implausible) AS wasting_measured, \
           count(*) FILTER (WHERE whz < -2 AND NOT whz_implausible) AS wasted \
    FROM latest GROUP BY 1, 2";

/// Cases from the raw rows: per period, the cases open at its end, and those opened, resolved,
/// closed by reason and audited in it.
const RAW_CASES: &str = "\
    WITH periods AS ( \
      SELECT p::date AS period_start, (p + ('1 ' || $6)::interval - interval '1 day')::date AS period_end \
      FROM generate_series($4::date, $5::date, ('1 ' || $6)::interval) p \
    ), live AS ( \
      SELECT c.village_code, c.opened_on, c.severity, c.assigned_team_id, c.status, c.close_reason, c.audited_on, \
             c.resolved_on, CASE c.status WHEN 'resolved' THEN c.resolved_on WHEN 'closed' THEN c.closed_on END AS ended_on \
      FROM cases c JOIN children ch ON ch.id = c.child_id AND ch.deleted_at IS NULL \
      WHERE c.status <> 'void' AND c.village_code >= $2 AND c.village_code < $3 AND c.opened_on <= $5 \
    ) \
    SELECT p.period_start, left(l.village_code, $1) AS area, \
           count(*) FILTER (WHERE l.ended_on IS NULL OR l.ended_on > p.period_end) AS open, \
           count(*) FILTER (WHERE (l.ended_on IS NULL OR l.ended_on > p.period_end) AND l.severity = 'severely_stunted') AS severe, \
           count(*) FILTER (WHERE (l.ended_on IS NULL OR l.ended_on > p.period_end) AND l.assigned_team_id IS NOT NULL) AS assigned, \
           count(*) FILTER (WHERE l.opened_on >= p.period_start) AS opened, \
           count(*) FILTER (WHERE l.status = 'resolved' AND l.resolved_on BETWEEN p.period_start AND p.period_end) AS resolved, \
           count(*) FILTER (WHERE l.status = 'closed' AND l.ended_on BETWEEN p.period_start AND p.period_end) AS closed, \
           count(*) FILTER (WHERE l.audited_on BETWEEN p.period_start AND p.period_end) AS audited \
    FROM periods p JOIN live l ON l.opened_on <= p.period_end \
    GROUP BY 1, 2";

/// Coverage from the raw rows: the targets of the activities touching the range, and their
/// current reports per period inside it, per region and type.
const RAW_COVERAGE: &str = "\
    WITH acts AS ( \
      SELECT i.id, i.type_code, i.target, \
             CASE WHEN length(i.region_code) >= $1 THEN left(i.region_code, $1) ELSE i.region_code END AS area \
      FROM interventions i \
      WHERE i.deleted_at IS NULL AND i.region_code >= $2 AND i.region_code < $3 \
        AND i.period_start <= $5 AND i.period_end >= $4 \
    ) \
    SELECT date_trunc($6, r.month) AS period, a.area, a.type_code, count(DISTINCT a.id) AS activities, \
           sum(r.reached) AS reached, (SELECT sum(target) FROM acts t WHERE t.area = a.area AND t.type_code = a.type_code) AS target \
    FROM acts a JOIN intervention_reports r ON r.intervention_id = a.id AND r.superseded_at IS NULL \
    WHERE r.month BETWEEN $4 AND $5 \
    GROUP BY 1, 2, 3";

async fn sample_children(conn: &mut AsyncPgConnection, n: usize) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT id::text AS id FROM children TABLESAMPLE SYSTEM (1) \
         WHERE birth_date < date '2023-11-20' AND deleted_at IS NULL LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(n as i64)
    .load(conn)
    .await
    .unwrap();
    ids.into_iter().map(|i| i.id).collect()
}
