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
    // Entered, filled and approved through the records layer's rules, so the trail says who.
    let admin = app.token_for(Role::Admin, None).await;
    let trail: Value = app
        .get(&format!("/api/v1/audit?entity=budget&entity_id={}", items[0]["id"].as_str().unwrap()), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["budget.approve", "budget.create"], "{trail}");
    assert!(trail["items"][0]["actor_id"].is_string(), "{trail}");

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

#[derive(diesel::QueryableByName)]
struct Fingerprint {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    children: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    measurements: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    digest: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    drift: i64,
}

/// Generates a small synthetic country into a fresh database; returns what it holds.
async fn generated(seed: i64) -> (TestApp, Fingerprint) {
    use diesel_async::RunQueryDsl;
    use stunting_api::demo::generate::{Plan, generate};
    let app = TestApp::spawn().await;
    let mut conn = app.pool.get().await.unwrap();
    generate(&mut conn, Plan { children: 3_000, seed, year: 2025, years: 1 }, |_| {}).await.unwrap();
    let fingerprint = diesel::sql_query(
        "SELECT (SELECT count(*) FROM children) AS children, (SELECT count(*) FROM measurements) AS measurements, \
                (SELECT md5(string_agg(child_id::text || measured_on || length_cm || haz, ',' ORDER BY id)) \
                 FROM measurements) AS digest, \
                (SELECT count(*) FROM (SELECT * FROM prevalence_from_rows() \
                                       EXCEPT ALL SELECT * FROM prevalence_counts) d) \
                + (SELECT count(*) FROM (SELECT * FROM coverage_from_rows() \
                                         EXCEPT ALL SELECT * FROM coverage_counts) d) \
                + (SELECT count(*) FROM (SELECT * FROM case_counts_from_rows() \
                                         EXCEPT ALL SELECT * FROM case_counts) d) \
                + (SELECT count(*) FROM (SELECT * FROM budget_counts_from_rows() \
                                         EXCEPT ALL SELECT * FROM budget_counts) d) \
                + (SELECT count(*) FROM (SELECT * FROM skdn_counts_from_rows() \
                                         EXCEPT ALL SELECT * FROM skdn_counts) d) \
                + (SELECT count(*) FROM (SELECT * FROM skdn_born_years_from_rows() \
                                         EXCEPT ALL SELECT * FROM skdn_born_years) d) AS drift",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    drop(conn);
    (app, fingerprint)
}

#[tokio::test]
async fn a_seed_generates_the_same_plausible_country_every_time() {
    let (app, first) = generated(5).await;
    let (_, again) = generated(5).await;
    let (_, other) = generated(6).await;
    assert!((2_800..=3_200).contains(&first.children), "{} children", first.children);
    assert!(first.measurements > first.children, "two rounds, most children at both");
    assert_eq!(
        (first.children, first.measurements, &first.digest),
        (again.children, again.measurements, &again.digest)
    );
    assert_ne!(first.digest, other.digest, "another seed, another country");
    assert_eq!(first.drift, 0, "the kept counts are built from the generated rows");

    // The rates are plausible, and every stored z-score is what the engine computes from the
    // stored length.
    let officer = app.token_for(Role::Admin, None).await;
    let national: Value = app.get("/api/v1/stats/prevalence?year=2025", Some(&officer)).await.json().await.unwrap();
    let stunting = national["total"]["stunting_pct"].as_f64().unwrap();
    assert!((15.0..=30.0).contains(&stunting), "about one child in five is stunted, not {stunting}%");
    assert_eq!(national["rows"].as_array().unwrap().len(), 38, "children in every province");
    // Children are weighed monthly at their posyandu: participation, growth and books plausible.
    let march: Value =
        app.get("/api/v1/stats/skdn?from=2025-03&to=2025-03", Some(&officer)).await.json().await.unwrap();
    let skdn = &march["totals"][0];
    let pct = |field: &str| skdn[field].as_f64().unwrap();
    assert!((45.0..=75.0).contains(&pct("participation_pct")), "D/S {skdn}");
    assert!((20.0..=95.0).contains(&pct("growth_pct")), "N/D {skdn}");
    assert!((75.0..=95.0).contains(&pct("kia_pct")), "K/S {skdn}");
    assert!(skdn["not_rose"].as_i64().unwrap() > 0 && skdn["bgm"].as_i64().unwrap() > 0, "{skdn}");
    let page: Value = app.get("/api/v1/children?region=32&limit=5", Some(&officer)).await.json().await.unwrap();
    let mut checked = 0;
    for child in page["items"].as_array().unwrap() {
        let id = child["id"].as_str().unwrap();
        let measurements: Value =
            app.get(&format!("/api/v1/children/{id}/measurements"), Some(&officer)).await.json().await.unwrap();
        for m in measurements["items"].as_array().unwrap() {
            let age = m["age_days"].as_u64().unwrap() as u32;
            let sex = child["sex"].as_str().unwrap().parse().unwrap();
            let position = m["position"].as_str().unwrap().parse().unwrap();
            let z = stunting_api::growth::haz(sex, age, m["length_cm"].as_f64().unwrap(), position).unwrap();
            let stored = m["length_for_age"]["z"].as_f64().unwrap();
            assert!((z.value() - stored).abs() < 0.006, "{m}: the engine says {}", z.value());
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} measurements checked");

    // Cases by the service's rules: a child stunted again after recovering has a second case,
    // and each case resolves at the first reading of −2 or more after it opened.
    assert!(
        app.count("SELECT count(*) FROM (SELECT child_id FROM cases GROUP BY child_id HAVING count(*) > 1) t").await
            > 0
    );
    let early = "SELECT count(*) FROM cases k JOIN measurements m ON m.child_id = k.child_id \
                 WHERE k.status = 'resolved' AND m.voided_at IS NULL AND NOT m.held AND NOT m.haz_implausible \
                   AND m.haz >= -2 AND m.measured_on > k.opened_on AND m.measured_on < k.resolved_on";
    assert_eq!(app.count(early).await, 0, "a case resolved later than its first recovery");
    // Budgets approved as the API approves them: by an account, with an audit line.
    let unrecorded = "SELECT count(*) FROM budgets b WHERE b.status = 'approved' \
                      AND (b.approved_by IS NULL OR NOT EXISTS (SELECT 1 FROM audit_log a \
                           WHERE a.action = 'budget.approve' AND a.entity_id = b.id::text AND a.actor_id = b.approved_by))";
    assert!(app.count("SELECT count(*) FROM budgets WHERE status = 'approved'").await > 0);
    assert_eq!(app.count(unrecorded).await, 0, "an approval without its approver or audit line");
    // Nobody signs in as the approver: refused like any wrong password, not a 500.
    let refused = app.login("demo.approver", "anything").await;
    assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
}

/// The generated first 1,000 days follow the service's own rules: each pregnancy's kept counts
/// and K4/K6 flags are what `domain::pregnancy` makes of its visits, every baby is a child linked
/// to its mother, the kept statistics are those of the rows, and the shares are plausible.
#[tokio::test]
async fn the_generated_pathway_follows_the_service_s_rules() {
    use diesel::sql_types::{BigInt, Bool, Date, Integer, SmallInt, Text};
    use diesel_async::RunQueryDsl;
    use stunting_api::domain::Examiner;
    use stunting_api::domain::pregnancy::{self, AncContact, AncSummary};

    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = SmallInt)]
        t1: i16,
        #[diesel(sql_type = SmallInt)]
        t2: i16,
        #[diesel(sql_type = SmallInt)]
        t3: i16,
        #[diesel(sql_type = SmallInt)]
        doctor: i16,
        #[diesel(sql_type = Integer)]
        iron: i32,
        #[diesel(sql_type = Bool)]
        k4: bool,
        #[diesel(sql_type = Bool)]
        k6: bool,
        #[diesel(sql_type = Bool)]
        iron_complete: bool,
    }
    #[derive(diesel::QueryableByName)]
    struct Visit {
        #[diesel(sql_type = Text)]
        pregnancy_id: String,
        #[diesel(sql_type = Date)]
        lmp_on: chrono::NaiveDate,
        #[diesel(sql_type = Date)]
        visited_on: chrono::NaiveDate,
        #[diesel(sql_type = Text)]
        examiner: String,
        #[diesel(sql_type = SmallInt)]
        iron_tablets: i16,
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    let (app, _) = generated(7).await;
    let mut conn = app.pool.get().await.unwrap();
    let kept: Vec<Kept> = diesel::sql_query(
        "SELECT id::text, anc_first_trimester AS t1, anc_second_trimester AS t2, anc_third_trimester AS t3, \
                anc_by_doctor AS doctor, iron_tablets AS iron, anc_k4 AS k4, anc_k6 AS k6, iron_complete FROM pregnancies",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let visits: Vec<Visit> = diesel::sql_query(
        "SELECT v.pregnancy_id::text, p.lmp_on, v.visited_on, v.examiner, v.iron_tablets \
         FROM anc_visits v JOIN pregnancies p ON p.id = v.pregnancy_id",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert!(kept.len() > 300, "about 0.2 pregnancies a year per child: {}", kept.len());
    let outcomes = async |outcome: &str| {
        let sql = format!("SELECT count(*) AS n FROM pregnancies WHERE outcome IS NOT DISTINCT FROM {outcome}");
        diesel::sql_query(sql).get_result::<Count>(&mut *app.pool.get().await.unwrap()).await.unwrap().n
    };
    let (live, miscarriages, open) =
        (outcomes("'live_birth'").await, outcomes("'miscarriage'").await, outcomes("NULL").await);
    assert!(
        (0.06..0.2).contains(&(miscarriages as f64 / live as f64)),
        "{miscarriages} miscarriages, {live} live births"
    );
    assert!((0.03..0.2).contains(&(open as f64 / live as f64)), "{open} pregnancies open, {live} live births");
    assert!(outcomes("'stillbirth'").await > 0);
    let mut contacts: std::collections::HashMap<&str, Vec<AncContact>> = Default::default();
    for v in &visits {
        contacts.entry(&v.pregnancy_id).or_default().push(AncContact {
            gestational_days: pregnancy::gestational_days(v.lmp_on, v.visited_on),
            examiner: if v.examiner == "doctor" { Examiner::Doctor } else { Examiner::Midwife },
            iron_tablets: i32::from(v.iron_tablets),
            kek: None,
            anaemia: None,
        });
    }
    let mut k6 = 0;
    for p in &kept {
        let sum = AncSummary::of(contacts.get(p.id.as_str()).map_or(&[][..], Vec::as_slice));
        assert_eq!(
            (sum.by_trimester, sum.by_doctor, sum.iron_tablets),
            ([p.t1, p.t2, p.t3], p.doctor, p.iron),
            "{}",
            p.id
        );
        assert_eq!((sum.k4(), sum.k6(), sum.iron_complete()), (p.k4, p.k6, p.iron_complete), "{}", p.id);
        k6 += usize::from(p.k6);
    }
    let share = k6 as f64 / kept.len() as f64;
    assert!((0.1..0.7).contains(&share), "K6 in {share:.2} of pregnancies");

    let count = async |sql: &str| {
        diesel::sql_query(sql).get_result::<Count>(&mut *app.pool.get().await.unwrap()).await.unwrap().n
    };
    let orphans = count(
        "SELECT count(*) AS n FROM births b JOIN children c ON c.id = b.child_id JOIN pregnancies p ON p.id = b.pregnancy_id \
         WHERE c.mother_id IS DISTINCT FROM p.person_id OR c.birth_date <> p.ended_on",
    )
    .await;
    assert_eq!(orphans, 0, "every baby is its mother's child, born the day the pregnancy ended");
    let drift = crate::pathway_stats::drift(&app).await;
    assert_eq!(drift, 0, "the kept pathway counts are built from the generated rows");
    let something = "(tpps, own_tpps, tpk_active, tpk_inactive, villages_with_tpk) <> (0, 0, 0, 0, 0)";
    let teams = crate::kept_counts::drift(&app, "team_counts", "team_counts_from_rows()", something).await;
    assert_eq!(teams, 0, "the kept team counts are rebuilt after the generated TPKs");
    assert!(count("SELECT count(*) AS n FROM catin_screenings").await > 100, "four mothers in ten screened");
    assert!(count("SELECT count(*) AS n FROM tpk_visits").await > 300, "the TPK visit six mothers in ten");
    // Each visit as `POST /tpk-visits` would take it: by an active TPK of the village, at the
    // stage her records give on the day (her latest pregnancy by then), breastfeeding asked only
    // where it means something.
    let astray = count(
        "SELECT count(*) AS n FROM tpk_visits v JOIN teams t ON t.id = v.team_id \
         LEFT JOIN LATERAL (SELECT * FROM pregnancies p WHERE p.person_id = v.person_id AND p.lmp_on <= v.visited_on \
                            ORDER BY p.lmp_on DESC LIMIT 1) p ON true \
         LEFT JOIN children c ON c.id = v.child_id \
         WHERE t.kind <> 'tpk' OR NOT t.active OR t.region_code <> v.village_code \
            OR v.village_code <> coalesce(p.village_code, c.village_code) \
            OR NOT CASE v.stage \
                WHEN 'pregnant' THEN v.visited_on >= p.lmp_on AND v.visited_on < p.ended_on \
                WHEN 'postpartum' THEN v.visited_on BETWEEN p.ended_on AND p.ended_on + 42 \
                ELSE v.visited_on < c.birth_date + interval '2 years' END \
            OR (v.exclusive_breastfeeding IS NOT NULL \
                AND NOT (v.stage = 'postpartum' OR v.visited_on < c.birth_date + interval '6 months'))",
    )
    .await;
    assert_eq!(astray, 0, "every generated TPK visit keeps the visit rules");

    let admin = app.token_for(Role::Admin, None).await;
    let year: Value = app.get("/api/v1/stats/pathway?year=2024", Some(&admin)).await.json().await.unwrap();
    let share_of = |indicator: &str| {
        let indicators = year["totals"][0]["indicators"].as_array().unwrap();
        let row = indicators.iter().find(|r| r["indicator"] == indicator).unwrap();
        row["pct"].as_f64().unwrap()
    };
    assert!((2.0..12.0).contains(&share_of("low_birth_weight")), "low birth weight {}%", share_of("low_birth_weight"));
    let assisted = share_of("tpk_assisted");
    assert!((15.0..80.0).contains(&assisted), "TPK-assisted person-months {assisted}%");
    assert!((80.0..=100.0).contains(&share_of("anc_k1")), "K1 {}%", share_of("anc_k1"));
}
