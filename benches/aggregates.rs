//! How the heavy reads behave at national scale: every village of Indonesia with children,
//! measurements, cases, intervention activities with quarterly reports, and budgets. Builds the
//! data in a throwaway cluster (or BENCH_DATABASE_URL, a server where it may create a
//! database), then times each query. Run with `cargo bench --bench aggregates`; results and
//! machine are in docs/benchmarks.md.

// Like a test, a benchmark reports a failed setup by panicking.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use stunting_api::cli::create_database_if_missing;
use stunting_api::db::migrate;
use stunting_api::domain::page::PageRequest;
use stunting_api::domain::{PeriodKind, RegionCode, RegionLevel, Scope};
use stunting_api::embedded_pg::{Durability, EmbeddedPostgres};
use stunting_api::records::child::cases::{self as cases, CaseFilter};
use stunting_api::records::child::{self as children, ChildFilter};
use stunting_api::records::convergence;
use stunting_api::records::family as families_queries;
use stunting_api::records::region::import;
use stunting_api::records::stats::rates::Disclosure;
use stunting_api::records::stats::{Breakdown, Span, budgets, coverage, families, prevalence, teams};

/// Children per village: 83,762 villages × 6 ≈ 500,000 children.
const CHILDREN_PER_VILLAGE: i32 = 6;
/// Families at risk per village: 83,762 × 150 ≈ 12.6 million, about the national BKKBN count.
const FAMILIES_PER_VILLAGE: i32 = 150;
const RUNS: usize = 5;

const GENERATE: &str = "
INSERT INTO children (id, village_code, sex, birth_date, name)
SELECT gen_random_uuid(), v.code, CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END,
       date '2021-06-01' + ((hashtext(v.code) + g * 97) & 1023), 'Anak ' || g
FROM regions v, generate_series(1, CHILDREN_PER_VILLAGE) g WHERE v.level = 'village';

-- A bulk load: the kept counts are rebuilt once at the end instead of row by row.
ALTER TABLE measurements DISABLE TRIGGER USER;
INSERT INTO measurements (id, child_id, measured_on, age_days, length_cm, position, place, haz)
SELECT gen_random_uuid(), c.id, date '2024-08-01', date '2024-08-01' - c.birth_date, 80, 'standing', 'posyandu',
       ((hashtext(c.id::text) & 1023) / 1023.0) * 4 - 3.2
FROM children c;
ALTER TABLE measurements ENABLE TRIGGER USER;
SELECT prevalence_rebuild();
ALTER TABLE interventions DISABLE TRIGGER USER;
ALTER TABLE intervention_reports DISABLE TRIGGER USER;

INSERT INTO cases (id, child_id, village_code, status, severity, opened_on, opening_measurement_id,
                   latest_measurement_id, latest_measured_on, latest_haz)
SELECT gen_random_uuid(), m.child_id, c.village_code, 'open',
       CASE WHEN m.haz < -3 THEN 'severely_stunted' ELSE 'stunted' END, m.measured_on, m.id, m.id, m.measured_on, m.haz
FROM measurements m JOIN children c ON c.id = m.child_id WHERE m.haz < -2;

INSERT INTO interventions (id, type_code, region_code, period_start, period_end, target, reached)
SELECT gen_random_uuid(), t.code, v.code, date '2024-01-01', date '2024-12-31', 100, 0
FROM regions v, (SELECT code FROM intervention_types ORDER BY code LIMIT 10) t WHERE v.level = 'village';

INSERT INTO intervention_reports (id, intervention_id, month, reached)
SELECT gen_random_uuid(), i.id, make_date(2024, q * 3, 1), 20
FROM interventions i, generate_series(1, 4) q;

UPDATE interventions SET reached = 80;
ALTER TABLE interventions ENABLE TRIGGER USER;
ALTER TABLE intervention_reports ENABLE TRIGGER USER;
SELECT coverage_rebuild();

INSERT INTO budgets (id, region_code, fiscal_year, funding_source, title, status, lines_total)
SELECT gen_random_uuid(), r.code, 2024,
       CASE WHEN r.level = 'village' THEN 'dana_desa' ELSE 'apbd_district' END, 'Anggaran ' || r.code, 'approved', 0
FROM regions r WHERE r.level IN ('district', 'village');

INSERT INTO budget_lines (id, budget_id, activity, type_code, ceiling, realised)
SELECT gen_random_uuid(), b.id, 'Kegiatan ' || g, (SELECT code FROM intervention_types ORDER BY code OFFSET g LIMIT 1),
       100000000 * g, 40000000 * g
FROM budgets b, generate_series(1, 3) g;

-- Every tenth village is a lokus village in 2024; two TPK per village; every district has
-- recorded the 8 actions.
INSERT INTO lokus_decisions (district_code, year, decision)
SELECT code, 2024, 'Rembuk Stunting 2024' FROM regions WHERE level = 'district';
INSERT INTO lokus_villages (village_code, year, district_code)
SELECT code, 2024, left(code, 5) FROM regions v
WHERE level = 'village' AND hashtext(code) % 10 = 0 AND EXISTS (SELECT 1 FROM regions d WHERE d.code = left(v.code, 5));

INSERT INTO teams (id, kind, region_code, name, members)
SELECT gen_random_uuid(), 'tpk', v.code, 'TPK ' || g, '[]'::jsonb FROM regions v, generate_series(1, 2) g
WHERE v.level = 'village';

INSERT INTO convergence_progress (district_code, year, action, status, done_on)
SELECT d.code, 2024, a, CASE WHEN a <= (hashtext(d.code) & 7) THEN 'done' ELSE 'in_progress' END,
       CASE WHEN a <= (hashtext(d.code) & 7) THEN date '2024-06-01' END
FROM regions d, generate_series(1, 8) a WHERE d.level = 'district';

-- Bulk loading: build the per-village counts once afterwards instead of row by row.
ALTER TABLE families_at_risk DISABLE TRIGGER family_counts_keep;
INSERT INTO families_at_risk (id, year, family_key, village_code, risk_factors, has_pregnant_woman,
                              has_under_two, has_under_five, verification, verified_at)
SELECT gen_random_uuid(), 2024, v.code || '-' || g, v.code,
       CASE g % 3 WHEN 0 THEN ARRAY['no_safe_water'] WHEN 1 THEN ARRAY['no_proper_latrine', 'mother_under_20']
                  ELSE ARRAY['more_than_3_children'] END,
       g % 7 = 0, g % 3 = 0, true,
       (ARRAY['pending', 'verified', 'verified', 'not_found'])[1 + g % 4],
       CASE WHEN g % 4 = 0 THEN NULL ELSE now() END
FROM regions v, generate_series(1, FAMILIES_PER_VILLAGE) g WHERE v.level = 'village';
ALTER TABLE families_at_risk ENABLE TRIGGER family_counts_keep;
INSERT INTO family_counts
SELECT year, village_code, count(*),
       count(*) FILTER (WHERE verification = 'pending'), count(*) FILTER (WHERE verification = 'verified'),
       count(*) FILTER (WHERE verification = 'not_found'), count(*) FILTER (WHERE verification = 'not_at_risk'),
       count(*) FILTER (WHERE has_pregnant_woman), count(*) FILTER (WHERE has_under_two),
       count(*) FILTER (WHERE has_under_five), count(*) FILTER (WHERE 'no_safe_water' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'no_proper_latrine' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'mother_under_20' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'mother_over_35' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'births_under_2_years_apart' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'more_than_3_children' = ANY (risk_factors))
FROM families_at_risk GROUP BY year, village_code;

ANALYZE;
";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let (_cluster, base) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) => (None, url),
        Err(_) => {
            let root = dir.path().join("pg");
            let cluster = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root, Durability::Throwaway))
                .await
                .unwrap()
                .unwrap();
            let url = cluster.url("postgres");
            (Some(cluster), url)
        }
    };
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    create_database_if_missing(&base, &name).await.unwrap();
    let url = base.rsplit_once('/').map(|(head, _)| format!("{head}/{name}")).unwrap();
    migrate::run_pending(&url).await.unwrap();
    let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
    import::import(&mut conn, &import::parse_csv(import::BUNDLED_CSV).unwrap()).await.unwrap();

    let started = Instant::now();
    let generate = GENERATE
        .replace("CHILDREN_PER_VILLAGE", &CHILDREN_PER_VILLAGE.to_string())
        .replace("FAMILIES_PER_VILLAGE", &FAMILIES_PER_VILLAGE.to_string());
    conn.batch_execute(&generate).await.unwrap();
    println!("generated the data set in {:.0?}", started.elapsed());
    for table in [
        "children",
        "measurements",
        "cases",
        "interventions",
        "intervention_reports",
        "budget_lines",
        "lokus_villages",
        "teams",
        "families_at_risk",
    ] {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        use diesel_async::RunQueryDsl;
        let count: Count =
            diesel::sql_query(format!("SELECT count(*) AS n FROM {table}")).get_result(&mut conn).await.unwrap();
        println!("  {table:<22} {:>12}", count.n);
    }
    println!("\n{:<62} {:>10} {:>10}", "query", "median", "max");

    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let code = |s: &str| RegionCode::parse(s).unwrap();
    let (riau, kampar, jatim) = (code("14"), code("14.01"), code("35"));
    let year = Span::Calendar { kind: PeriodKind::Year, starts: vec![day("2024-01-01")] };
    let year_of = |root, level, lokus| Breakdown { root, level, span: &year, lokus };
    let half = Span::Range { from: day("2024-01-01"), to: day("2024-05-31") };
    let half_of = |root, level| Breakdown { root, level, span: &half, lokus: false };
    let everything = Disclosure::new(true);

    time("stats/interventions: Indonesia by province, 2024", &mut conn, async |c| {
        coverage::coverage(c, &year_of(None, RegionLevel::Province, false), everything).await.unwrap();
    })
    .await;
    time("stats/interventions: Indonesia by province, Jan-May (reports)", &mut conn, async |c| {
        coverage::coverage(c, &half_of(None, RegionLevel::Province), everything).await.unwrap();
    })
    .await;
    time("stats/interventions: Jawa Timur by district, 2024", &mut conn, async |c| {
        coverage::coverage(c, &year_of(Some(&jatim), RegionLevel::District, false), everything).await.unwrap();
    })
    .await;
    time("stats/interventions: Kampar by village, 2024", &mut conn, async |c| {
        coverage::coverage(c, &year_of(Some(&kampar), RegionLevel::Village, false), everything).await.unwrap();
    })
    .await;
    time("stats/prevalence: Indonesia by province, 2024", &mut conn, async |c| {
        prevalence::prevalence(c, &year_of(None, RegionLevel::Province, false), everything).await.unwrap();
    })
    .await;
    time("stats/prevalence: Riau by district, 2024", &mut conn, async |c| {
        prevalence::prevalence(c, &year_of(Some(&riau), RegionLevel::District, false), everything).await.unwrap();
    })
    .await;
    time("stats/budgets: Indonesia by province, 2024", &mut conn, async |c| {
        budgets::budgets(c, None, RegionLevel::Province, 2024, false, everything).await.unwrap();
    })
    .await;
    time("stats/budgets: Riau by district, 2024", &mut conn, async |c| {
        budgets::budgets(c, Some(&riau), RegionLevel::District, 2024, false, everything).await.unwrap();
    })
    .await;
    time("stats/prevalence: Indonesia by province, 2024, lokus only", &mut conn, async |c| {
        prevalence::prevalence(c, &year_of(None, RegionLevel::Province, true), everything).await.unwrap();
    })
    .await;
    time("stats/families-at-risk: Indonesia by province, 2024", &mut conn, async |c| {
        families::families(c, None, RegionLevel::Province, 2024, false, everything).await.unwrap();
    })
    .await;
    time("stats/families-at-risk: Riau by district, 2024", &mut conn, async |c| {
        families::families(c, Some(&riau), RegionLevel::District, 2024, false, everything).await.unwrap();
    })
    .await;
    time("stats/families-at-risk: Kampar by village, 2024", &mut conn, async |c| {
        families::families(c, Some(&kampar), RegionLevel::Village, 2024, false, everything).await.unwrap();
    })
    .await;
    time("stats/teams: Indonesia by province", &mut conn, async |c| {
        teams::teams(c, None, RegionLevel::Province, None).await.unwrap();
    })
    .await;
    time("convergence: every district of Indonesia, 2024", &mut conn, async |c| {
        convergence::district_counts(c, "0", ":", 2024).await.unwrap();
    })
    .await;
    // An import of 2,000 new families (the largest a request takes), counting trigger on.
    let batch = std::cell::Cell::new(0);
    time("families-at-risk import: 2,000 new families in one transaction", &mut conn, async |c| {
        batch.set(batch.get() + 1);
        let mut rows = families_queries::ImportColumns::default();
        for i in 0..2000 {
            rows.ids.push(uuid::Uuid::now_v7());
            rows.keys.push(format!("bench-{}-{i}", batch.get()));
            rows.villages.push("14.01.01.2009".to_owned());
            rows.risk_factors.push("no_safe_water".to_owned());
            rows.pregnant.push(false);
            rows.under_two.push(true);
            rows.under_five.push(true);
        }
        c.transaction::<_, diesel::result::Error, _>(async |c| {
            families_queries::upsert(c, 2024, &rows, "0", ":").await.map(drop)
        })
        .await
        .unwrap();
    })
    .await;
    time("children: first page of Kampar (50)", &mut conn, async |c| {
        let page = PageRequest::parse(Some(50), None).unwrap();
        children::list(c, &Scope::Region(kampar.clone()), &ChildFilter::default(), &page).await.unwrap();
    })
    .await;
    time("children: Jawa Timur, name search 'anak 5', 50", &mut conn, async |c| {
        let page = PageRequest::parse(Some(50), None).unwrap();
        let filter = ChildFilter { name_contains: Some("anak 5".into()), ..ChildFilter::default() };
        children::list(c, &Scope::Region(jatim.clone()), &filter, &page).await.unwrap();
    })
    .await;
    time("cases: first page of open cases in Riau (50)", &mut conn, async |c| {
        let page = PageRequest::parse(Some(50), None).unwrap();
        cases::list(c, &Scope::Region(riau.clone()), &CaseFilter::default(), &page).await.unwrap();
    })
    .await;
}

async fn time(label: &str, conn: &mut AsyncPgConnection, query: impl AsyncFn(&mut AsyncPgConnection)) {
    query(conn).await; // warm the cache and the plan
    let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        query(conn).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    println!("{label:<62} {:>10.1?} {:>10.1?}", samples[RUNS / 2], samples[RUNS - 1]);
}
