//! The national systems' exchanges as their callers meet them, through HTTP, over the synthetic
//! country of `benches/dashboards.rs`: a region's year exported as FHIR R4 for SATUSEHAT (the
//! children's growth, the mothers' antenatal care), of the busiest district and of its province,
//! as one streamed Bundle and as linked Bundles of 100 people; the bulk exports
//! (`/exports/{kind}`, NDJSON) of the nation and of that province; and DHIS2 data value sets of
//! the nation's year (every tier, villages only, district months) and of that province's months.
//! For each: the time, the bytes, resources or values a second, and this process's resident
//! memory (the service runs in it) before, at its peak while streaming, and after.
//!
//!     BENCH_DATABASE_URL=postgres://… BENCH_CHILDREN=1000000 cargo bench --bench exchange
//!
//! Settings as for `dashboards` (BENCH_CHILDREN, BENCH_SEED, BENCH_ONLY, BENCH_DATABASE_URL).
//! Results and the machine are in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel_async::{AsyncPgConnection, RunQueryDsl};
use stunting_api::domain::Role;

#[path = "support/mod.rs"]
#[allow(dead_code)]
mod support;

use support::{Country, Service, setting};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

/// The district with the most children, and its province.
async fn busiest(conn: &mut AsyncPgConnection) -> (String, String) {
    #[derive(diesel::QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let found: Code = diesel::sql_query(
        "SELECT left(village_code, 5) AS code FROM children WHERE deleted_at IS NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )
    .get_result(conn)
    .await
    .unwrap();
    (found.code.clone(), found.code[..2].to_owned())
}

/// This process's resident memory, in MiB.
fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

/// What one export streamed.
#[derive(Default)]
struct Streamed {
    bytes: u64,
    entries: u64,
    people: u64,
    bundles: u64,
}

/// Occurrences of `needle` in a stream read in chunks: the last bytes of a chunk are kept to
/// find one cut by a chunk boundary.
struct Counter {
    needle: &'static [u8],
    tail: Vec<u8>,
    found: u64,
}

impl Counter {
    fn new(needle: &'static [u8]) -> Self {
        Self { needle, tail: Vec::new(), found: 0 }
    }

    fn feed(&mut self, chunk: &[u8]) {
        let mut window = std::mem::take(&mut self.tail);
        window.extend_from_slice(chunk);
        self.found += memchr::memmem::find_iter(&window, self.needle).count() as u64;
        let keep = window.len().min(self.needle.len() - 1);
        self.tail = window[window.len() - keep..].to_vec();
    }
}

/// GETs `path` and every Bundle its `next` links lead to, reading each body as it arrives.
async fn export(http: &reqwest::Client, base: &str, token: &str, path: String) -> Streamed {
    let mut streamed = Streamed::default();
    let mut next = Some(path);
    while let Some(path) = next.take() {
        let url = format!("{base}{path}");
        let mut response =
            http.get(&url).bearer_auth(token).header("accept", "application/fhir+json").send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let (mut entries, mut people) = (Counter::new(b"\"fullUrl\""), Counter::new(b"\"resourceType\":\"Patient\""));
        let mut last = Vec::new();
        while let Some(chunk) = response.chunk().await.unwrap() {
            streamed.bytes += chunk.len() as u64;
            entries.feed(&chunk);
            people.feed(&chunk);
            // The `next` link closes a Bundle: keep its last bytes only.
            last.extend_from_slice(&chunk);
            if last.len() > 4096 {
                last.drain(..last.len() - 4096);
            }
        }
        streamed.entries += entries.found;
        streamed.people += people.found;
        streamed.bundles += 1;
        let end = String::from_utf8_lossy(&last);
        next = end.find("\"relation\":\"next\",\"url\":\"").map(|at| {
            let rest = &end[at + "\"relation\":\"next\",\"url\":\"".len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        });
    }
    streamed
}

async fn run() {
    let children = setting("BENCH_CHILDREN", 1_000_000);
    let seed = setting("BENCH_SEED", 1);
    let only = std::env::var("BENCH_ONLY").ok();

    let country = Country::open(children, seed).await;
    let mut conn = country.connect().await;
    let (district, province) = busiest(&mut conn).await;
    let service = Service::start(&country.url).await;
    let token = service.token(Role::Admin).await;
    let http = reqwest::Client::new();
    println!("\nFHIR exports of a year, one client; resident memory of this process (service and client)\n");
    println!(
        "{:<44} {:>8} {:>9} {:>8} {:>11} {:>10} {:>9} {:>23}",
        "export", "seconds", "MB", "MB/s", "resources/s", "people", "bundles", "RSS MiB before/peak/after"
    );
    // The country's children are weighed in 2025; the mothers of those born in 2024 and early
    // 2025 had their antenatal visits in 2024.
    for (kind, region, year) in [
        ("growth", &district, 2025),
        ("antenatal", &district, 2024),
        ("growth", &province, 2025),
        ("antenatal", &province, 2024),
    ] {
        for limit in [None, Some(100)] {
            let label = format!(
                "{kind} of {region} in {year}{}",
                limit.map_or(" (one Bundle)".to_owned(), |n| format!(" (Bundles of {n})"))
            );
            if only.as_deref().is_some_and(|o| !label.contains(o)) {
                continue;
            }
            let mut path =
                format!("/api/v1/fhir/{kind}?region={region}&from={year}-01-01&to={year}-12-31&type=transaction");
            if let Some(n) = limit {
                path.push_str(&format!("&limit={n}"));
            }
            let (streamed, seconds, memory) = with_memory(export(&http, &service.address, &token, path)).await;
            let megabytes = streamed.bytes as f64 / 1e6;
            println!(
                "{label:<44} {seconds:>8.1} {megabytes:>9.1} {:>8.1} {:>11.0} {:>10} {:>9} {:>23}",
                megabytes / seconds,
                streamed.entries as f64 / seconds,
                streamed.people,
                streamed.bundles,
                memory,
            );
        }
    }

    println!("\nBulk exports (NDJSON), one client, the nation's and the province's\n");
    println!(
        "{:<44} {:>8} {:>9} {:>8} {:>10} {:>23}",
        "export", "seconds", "MB", "MB/s", "rows/s", "RSS MiB before/peak/after"
    );
    for kind in ["children", "measurements", "cases", "pregnancies", "tpk-visits"] {
        for region in [None, Some(&province)] {
            let label = format!("{kind} of {}", region.map_or("Indonesia", |r| r.as_str()));
            if only.as_deref().is_some_and(|o| !label.contains(o)) {
                continue;
            }
            let url = match region {
                Some(region) => format!("{}/api/v1/exports/{kind}?region={region}", service.address),
                None => format!("{}/api/v1/exports/{kind}", service.address),
            };
            let ((bytes, rows), seconds, memory) = with_memory(streamed(&http, &url, &token, b"\n")).await;
            let megabytes = bytes as f64 / 1e6;
            println!(
                "{label:<44} {seconds:>8.1} {megabytes:>9.1} {:>8.1} {:>10.0} {memory:>23}",
                megabytes / seconds,
                rows as f64 / seconds
            );
        }
    }

    println!("\nDHIS2 data value sets, one client (every data set: prevalence, interventions, SKDN, survey figures)\n");
    println!(
        "{:<52} {:>8} {:>9} {:>8} {:>10} {:>23}",
        "export", "seconds", "MB", "MB/s", "values/s", "RSS MiB before/peak/after"
    );
    let sets =
        "dataSet=STUNTING_PREVALENCE&dataSet=STUNTING_INTERVENTIONS&dataSet=STUNTING_SKDN&dataSet=STUNTING_SURVEY";
    let months: String = (1..=12).map(|m| format!("&period=2025{m:02}")).collect();
    for (label, query) in [
        (
            "Indonesia, 2025, every tier (children=true)".to_owned(),
            "period=2025&orgUnit=national&children=true".to_owned(),
        ),
        (
            "Indonesia, 2025, villages (level=village)".to_owned(),
            "period=2025&orgUnit=national&level=village".to_owned(),
        ),
        ("Indonesia, 12 months of 2025, districts".to_owned(), format!("orgUnit=national&level=district{months}")),
        (format!("{province}, 12 months of 2025, every tier"), format!("orgUnit={province}&children=true{months}")),
    ] {
        if only.as_deref().is_some_and(|o| !label.contains(o)) {
            continue;
        }
        let url = format!("{}/api/v1/dhis2/dataValueSets?{sets}&{query}", service.address);
        let ((bytes, values), seconds, memory) = with_memory(streamed(&http, &url, &token, b"\"dataElement\"")).await;
        let megabytes = bytes as f64 / 1e6;
        println!(
            "{label:<52} {seconds:>8.1} {megabytes:>9.1} {:>8.1} {:>10.0} {memory:>23}",
            megabytes / seconds,
            values as f64 / seconds
        );
    }
}

/// Runs `work`, sampling this process's resident memory every 50 ms: its result, the seconds
/// it took, and the memory before, at its peak, and after.
async fn with_memory<T>(work: impl std::future::Future<Output = T>) -> (T, f64, String) {
    let before = resident_mib();
    let peak = Arc::new(AtomicU64::new(before.to_bits()));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                let now = resident_mib();
                if now > f64::from_bits(AtomicU64::load(&peak, Ordering::Relaxed)) {
                    AtomicU64::store(&peak, now.to_bits(), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let result = work.await;
    let seconds = started.elapsed().as_secs_f64();
    sampling.abort();
    let peak = f64::from_bits(AtomicU64::load(&peak, Ordering::Relaxed));
    (result, seconds, format!("{before:.0}/{peak:.0}/{:.0}", resident_mib()))
}

/// GETs `url`, reading the body as it arrives: its bytes, and how often `needle` occurs in it
/// (a data value set's values, an NDJSON export's lines).
async fn streamed(http: &reqwest::Client, url: &str, token: &str, needle: &'static [u8]) -> (u64, u64) {
    let mut response = http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let (mut bytes, mut found) = (0, Counter::new(needle));
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len() as u64;
        found.feed(&chunk);
    }
    (bytes, found.found)
}
