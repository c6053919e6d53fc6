//! The first 1,000 days of the synthetic country: every child born in the plan's last two years has
//! a mother (registered, linked), the pregnancy that bore it with its antenatal visits (K1–K6
//! attended as SSGI/Riskesdas-like shares), the birth with its weight and length, and the
//! postpartum visits after; four mothers in ten were screened as catin before. About 0.2
//! pregnancies a year per child under five, as nationally (4.8 million a year for some 22 million
//! under-fives); three brides-to-be per hundred children have a wedding planned in the months
//! around the plan's end, half of them already screened. Everything is drawn from the seed as
//! `generate` draws, and the kept flags of each pregnancy are the service's rules
//! (`domain::pregnancy`) written in SQL; the kept counts are rebuilt once at the end. The village's
//! TPK visits six mothers in ten about monthly in pregnancy, once after the birth, and the baby
//! every two months to its second birthday (six babies in ten of the last three years). Some
//! mothers lost an earlier pregnancy (a miscarriage or a stillbirth), and one in ten is pregnant
//! again at the plan's end.

use std::time::Instant;

use anyhow::{Context, bail};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use super::plan::{BEGIN, Plan, SETTLE, helpers};
use crate::domain::pregnancy::{
    ANAEMIA_HB_G_DL, IRON_TABLETS_TARGET, KEK_MUAC_CM, LOW_BIRTH_WEIGHT_G, SHORT_AT_BIRTH_CM,
};

/// The village's TPK that visits family `b` (a row with `b.village_code`): its first active one.
const VILLAGE_TPK: &str = "JOIN LATERAL (SELECT id FROM teams t WHERE t.kind = 'tpk' AND t.active \
                           AND t.region_code = b.village_code ORDER BY t.id LIMIT 1) t ON true";

/// Adds the pathway to a generated country that has none yet, in one transaction.
pub async fn generate_pathway(
    conn: &mut AsyncPgConnection,
    plan: Plan,
    mut progress: impl FnMut(&str),
) -> anyhow::Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        pregnancies: bool,
    }
    // SQL: EXISTS in one round trip.
    let found: Found =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pregnancies) AS pregnancies").get_result(conn).await?;
    if found.pregnancies {
        bail!("the database already holds pregnancies");
    }
    let started = Instant::now();
    conn.batch_execute(BEGIN).await?;
    conn.batch_execute(&helpers(plan.seed)).await?;
    run(conn, plan, &mut progress).await?;
    conn.batch_execute("COMMIT").await?;
    progress(&format!("{:<40} {:>7.1} s", "pathway done", started.elapsed().as_secs_f64()));
    conn.batch_execute(SETTLE).await?;
    Ok(())
}

/// The pathway's statements, inside the caller's transaction (with `helpers` defined).
pub(super) async fn run(
    conn: &mut AsyncPgConnection,
    plan: Plan,
    progress: &mut impl FnMut(&str),
) -> anyhow::Result<()> {
    for (label, sql) in steps(plan) {
        let at = Instant::now();
        conn.batch_execute(&sql).await.with_context(|| format!("generating {label}"))?;
        progress(&format!("{label:<40} {:>7.1} s", at.elapsed().as_secs_f64()));
    }
    Ok(())
}

fn steps(plan: Plan) -> Vec<(&'static str, String)> {
    let Plan { seed, year, .. } = plan;
    let tables = [
        "people",
        "children",
        "pregnancies",
        "anc_visits",
        "births",
        "postpartum_visits",
        "catin_screenings",
        "tpk_visits",
        // Kept team counts take an advisory lock per village written: tens of thousands of
        // TPKs in one transaction would fill the lock table. They are rebuilt at the end.
        "teams",
    ];
    let switch = |on: &str| tables.map(|t| format!("ALTER TABLE {t} {on} TRIGGER USER;")).join(" ");
    vec![
        (
            "mothers of the children born",
            format!(
                "{disable} \
                 CREATE TEMP TABLE demo_births ON COMMIT DROP AS \
                 SELECT k, child_id, village_code, birth_date, \
                        birth_date - (259 + floor(pg_temp.u(k, 40) * 35))::integer AS lmp_on \
                 FROM (SELECT hashtextextended(c.id::text, {seed}) >> 8 AS k, c.id AS child_id, c.village_code, c.birth_date \
                       FROM children c \
                       WHERE c.deleted_at IS NULL AND c.mother_id IS NULL \
                         AND c.birth_date >= make_date({year} - 1, 1, 1)) b; \
                 ANALYZE demo_births; \
                 INSERT INTO people (id, village_code, sex, birth_date, name) \
                 SELECT md5('{seed}:mother:' || k)::uuid, village_code, 'female', \
                        birth_date - floor(365.25 * (18 + 19 * pg_temp.u(k, 41)))::integer, 'Ibu ' || k \
                 FROM demo_births; \
                 UPDATE children c SET mother_id = md5('{seed}:mother:' || b.k)::uuid, mother_name = 'Ibu ' || b.k \
                 FROM demo_births b WHERE b.child_id = c.id",
                disable = switch("DISABLE"),
            ),
        ),
        (
            "antenatal visits",
            format!(
                "CREATE TEMP TABLE demo_anc ON COMMIT DROP AS \
                 WITH drawn AS ( \
                   SELECT b.k, b.k * 16 + s.n AS i, s.n, b.village_code, b.lmp_on, b.birth_date, s.doctor, \
                          b.lmp_on + s.week * 7 + floor(pg_temp.u(b.k * 16 + s.n, 43) * 7)::integer - 3 AS visited_on \
                   FROM demo_births b \
                   CROSS JOIN (VALUES (1, 8, 0.85, 0.6), (2, 12, 0.6, 0.3), (3, 20, 0.85, 0.2), (4, 28, 0.85, 0.6), \
                                      (5, 32, 0.75, 0.2), (6, 36, 0.7, 0.2), (7, 38, 0.3, 0.2), (8, 39, 0.15, 0.2)) \
                              s (n, week, p, doctor) \
                   WHERE pg_temp.u(b.k * 16 + s.n, 42) < s.p \
                 ) \
                 SELECT k, md5('{seed}:anc:' || i)::uuid AS id, md5('{seed}:pregnancy:' || k)::uuid AS pregnancy_id, \
                        village_code, lmp_on, visited_on, \
                        CASE WHEN pg_temp.u(i, 44) < doctor THEN 'doctor' ELSE 'midwife' END AS examiner, \
                        CASE WHEN n = 1 AND pg_temp.u(i, 45) < 0.9 \
                             THEN greatest(15, round((25.5 + 2.6 * pg_temp.n(i, 46))::numeric, 1))::double precision END AS muac_cm, \
                        CASE WHEN n IN (1, 5) AND pg_temp.u(i, 47) < 0.7 \
                             THEN least(18, greatest(5, round((11.9 + 1.3 * pg_temp.n(i, 48))::numeric, 1)))::double precision END AS hb_g_dl, \
                        CASE WHEN n > 1 AND pg_temp.u(i, 49) < 0.8 THEN 30 ELSE 0 END AS iron_tablets \
                 FROM drawn WHERE visited_on >= lmp_on AND visited_on < birth_date; \
                 ANALYZE demo_anc"
            ),
        ),
        (
            "pregnancies and births",
            format!(
                "CREATE TEMP TABLE demo_newborns ON COMMIT DROP AS \
                 SELECT k, least(5500, greatest(800, round(3150 + 480 * pg_temp.n(k, 50))))::integer AS weight_g, \
                        least(58, greatest(35, round((49.2 + 2.3 * pg_temp.n(k, 51))::numeric, 1)))::double precision AS length_cm \
                 FROM demo_births; \
                 INSERT INTO pregnancies (id, person_id, village_code, lmp_on, due_on, outcome, ended_on, anc_contacts, \
                                          anc_first_trimester, anc_second_trimester, anc_third_trimester, anc_by_doctor, \
                                          iron_tablets, kek, anaemia, last_visit_on, anc_k4, anc_k6, iron_complete, \
                                          babies, low_birth_weight_babies, short_babies) \
                 WITH visits AS ( \
                   SELECT k, count(*) AS contacts, \
                          count(*) FILTER (WHERE (visited_on - lmp_on) / 7 <= 12) AS t1, \
                          count(*) FILTER (WHERE (visited_on - lmp_on) / 7 BETWEEN 13 AND 24) AS t2, \
                          count(*) FILTER (WHERE (visited_on - lmp_on) / 7 > 24) AS t3, \
                          count(*) FILTER (WHERE examiner = 'doctor') AS doctor, sum(iron_tablets) AS iron, \
                          bool_or(muac_cm < {kek}) AS kek, bool_or(hb_g_dl < {anaemia}) AS anaemia, \
                          max(visited_on) AS last_visit_on \
                   FROM demo_anc GROUP BY k \
                 ) \
                 SELECT md5('{seed}:pregnancy:' || b.k)::uuid, md5('{seed}:mother:' || b.k)::uuid, b.village_code, \
                        b.lmp_on, b.lmp_on + 280, 'live_birth', b.birth_date, coalesce(v.contacts, 0), \
                        coalesce(v.t1, 0), coalesce(v.t2, 0), coalesce(v.t3, 0), coalesce(v.doctor, 0), \
                        coalesce(v.iron, 0), coalesce(v.kek, false), coalesce(v.anaemia, false), v.last_visit_on, \
                        coalesce(v.t1 >= 1 AND v.t2 >= 1 AND v.t3 >= 2, false), \
                        coalesce(v.t1 >= 2 AND v.t2 >= 1 AND v.t3 >= 3 AND v.doctor >= 2, false), \
                        coalesce(v.iron >= {iron}, false), 1, (n.weight_g < {lbw})::integer, (n.length_cm < {short})::integer \
                 FROM demo_births b JOIN demo_newborns n ON n.k = b.k LEFT JOIN visits v ON v.k = b.k; \
                 INSERT INTO anc_visits (id, pregnancy_id, village_code, visited_on, examiner, muac_cm, hb_g_dl, kek, \
                                         anaemia, iron_tablets) \
                 SELECT id, pregnancy_id, village_code, visited_on, examiner, muac_cm, hb_g_dl, muac_cm < {kek}, \
                        hb_g_dl < {anaemia}, iron_tablets FROM demo_anc; \
                 INSERT INTO births (child_id, pregnancy_id, birth_weight_g, birth_length_cm, low_birth_weight, short_at_birth) \
                 SELECT b.child_id, md5('{seed}:pregnancy:' || b.k)::uuid, n.weight_g, n.length_cm, n.weight_g < {lbw}, \
                        n.length_cm < {short} \
                 FROM demo_births b JOIN demo_newborns n ON n.k = b.k",
                kek = KEK_MUAC_CM,
                anaemia = ANAEMIA_HB_G_DL,
                iron = IRON_TABLETS_TARGET,
                lbw = LOW_BIRTH_WEIGHT_G,
                short = SHORT_AT_BIRTH_CM,
            ),
        ),
        (
            "losses and pregnancies still open",
            // Before the pregnancy that bore the child, about one mother in eight lost one
            // (a miscarriage at 7-21 weeks) and one in eighty a stillbirth (28-40 weeks); after
            // it, one in ten is pregnant again at the plan's end (HPHT 13-19 months after the
            // birth). None of them has an antenatal visit yet.
            format!(
                "INSERT INTO pregnancies (id, person_id, village_code, lmp_on, due_on, outcome, ended_on) \
                 SELECT md5('{seed}:loss:' || k)::uuid, md5('{seed}:mother:' || k)::uuid, village_code, lmp, lmp + 280, \
                        outcome, lmp + days \
                 FROM (SELECT k, village_code, \
                              CASE WHEN pg_temp.u(k, 80) < 0.12 THEN 'miscarriage' ELSE 'stillbirth' END AS outcome, \
                              CASE WHEN pg_temp.u(k, 80) < 0.12 THEN lmp_on - 240 - floor(pg_temp.u(k, 81) * 90)::integer \
                                   ELSE lmp_on - 420 - floor(pg_temp.u(k, 81) * 60)::integer END AS lmp, \
                              CASE WHEN pg_temp.u(k, 80) < 0.12 THEN 49 + floor(pg_temp.u(k, 82) * 98)::integer \
                                   ELSE 196 + floor(pg_temp.u(k, 82) * 84)::integer END AS days \
                       FROM demo_births WHERE pg_temp.u(k, 80) < 0.132) l; \
                 INSERT INTO pregnancies (id, person_id, village_code, lmp_on, due_on) \
                 SELECT md5('{seed}:open:' || k)::uuid, md5('{seed}:mother:' || k)::uuid, village_code, lmp, lmp + 280 \
                 FROM (SELECT k, village_code, birth_date + 400 + floor(pg_temp.u(k, 83) * 180)::integer AS lmp \
                       FROM demo_births WHERE pg_temp.u(k, 84) < 0.1) o \
                 WHERE lmp <= least(make_date({year}, 12, 31), current_date)"
            ),
        ),
        (
            "postpartum visits",
            format!(
                "INSERT INTO postpartum_visits (id, pregnancy_id, village_code, visited_on, kf, examiner, contraception, \
                                                exclusive_breastfeeding) \
                 SELECT md5('{seed}:kf:' || b.k || ':' || s.kf)::uuid, md5('{seed}:pregnancy:' || b.k)::uuid, \
                        b.village_code, b.birth_date + s.first + floor(pg_temp.u(b.k * 8 + s.kf, 53) * s.days)::integer, \
                        s.kf, 'midwife', \
                        CASE WHEN s.kf < 4 THEN NULL WHEN pg_temp.u(b.k, 54) < 0.45 \
                             THEN (ARRAY['injectable', 'implant', 'iud', 'pill'])[1 + floor(pg_temp.u(b.k, 55) * 4)::integer] \
                             WHEN pg_temp.u(b.k, 54) < 0.65 THEN 'none' END, \
                        CASE WHEN pg_temp.u(b.k * 8 + s.kf, 56) < 0.8 THEN pg_temp.u(b.k, 57) < 0.65 END \
                 FROM demo_births b \
                 CROSS JOIN (VALUES (1, 0, 3, 0.9), (2, 3, 5, 0.8), (3, 8, 21, 0.65), (4, 29, 14, 0.55)) s (kf, first, days, p) \
                 WHERE pg_temp.u(b.k * 8 + s.kf, 52) < s.p AND b.birth_date + s.first <= current_date; \
                 UPDATE pregnancies p SET kf_done = v.kf_done, contraception = v.contraception, \
                                          breastfeeding_exclusive = v.exclusive \
                 FROM (SELECT pregnancy_id, sum(DISTINCT 1 << (kf - 1))::smallint AS kf_done, \
                              (array_agg(contraception ORDER BY visited_on DESC) FILTER (WHERE contraception IS NOT NULL))[1] AS contraception, \
                              bool_and(exclusive_breastfeeding) AS exclusive \
                       FROM postpartum_visits GROUP BY pregnancy_id) v \
                 WHERE v.pregnancy_id = p.id"
            ),
        ),
        (
            "brides-to-be, weddings in the next months",
            // About 2 million weddings a year for some 22 million under-fives: 3 in 100 per
            // child fall in the five months around the plan's end.
            format!(
                "CREATE TEMP TABLE demo_brides ON COMMIT DROP AS \
                 SELECT k, village_code, make_date({year}, 12, 31) - 30 + floor(pg_temp.u(k, 81) * 150)::integer AS wedding_on \
                 FROM (SELECT hashtextextended('bride:' || c.id::text, {seed}) >> 8 AS k, c.village_code \
                       FROM children c WHERE c.deleted_at IS NULL) b \
                 WHERE pg_temp.u(k, 80) < 0.03; \
                 INSERT INTO people (id, village_code, sex, birth_date, name, wedding_planned_on) \
                 SELECT md5('{seed}:bride:' || k)::uuid, village_code, 'female', \
                        wedding_on - floor(365.25 * (17 + 10 * pg_temp.u(k, 82)))::integer, 'Catin ' || k, wedding_on \
                 FROM demo_brides"
            ),
        ),
        (
            "catin screenings: four mothers in ten, half the brides",
            format!(
                "INSERT INTO catin_screenings (id, person_id, village_code, screened_on, wedding_planned_on, age_years, \
                                               height_cm, weight_kg, bmi, muac_cm, hb_g_dl, smokes, smoke_exposed, \
                                               thresholds_version, risk_factors, at_risk) \
                 WITH screened AS ( \
                   SELECT b.k, md5('{seed}:screening:' || b.k)::uuid AS id, md5('{seed}:mother:' || b.k)::uuid AS person_id, \
                          b.village_code, b.lmp_on - 60 - floor(pg_temp.u(b.k, 61) * 360)::integer AS screened_on, \
                          NULL::date AS wedding_planned_on \
                   FROM demo_births b WHERE pg_temp.u(b.k, 60) < 0.4 \
                   UNION ALL \
                   SELECT w.k, md5('{seed}:bride-screening:' || w.k)::uuid, md5('{seed}:bride:' || w.k)::uuid, \
                          w.village_code, w.wedding_on - 90 - floor(pg_temp.u(w.k, 83) * 30)::integer, w.wedding_on \
                   FROM demo_brides w \
                   WHERE pg_temp.u(w.k, 84) < 0.5 AND w.wedding_on - 120 <= make_date({year}, 12, 31) \
                 ), drawn AS ( \
                   SELECT b.k, b.id, b.person_id, b.village_code, \
                          least(b.screened_on, make_date({year}, 12, 31)) AS screened_on, b.wedding_planned_on, \
                          round((152 + 6 * pg_temp.n(b.k, 62))::numeric, 1)::double precision AS height_cm, \
                          greatest(14, 21.5 + 3.5 * pg_temp.n(b.k, 63)) AS bmi_drawn, \
                          greatest(15, round((25.5 + 2.8 * pg_temp.n(b.k, 64))::numeric, 1))::double precision AS muac_cm, \
                          least(18, greatest(5, round((12.4 + 1.4 * pg_temp.n(b.k, 65))::numeric, 1)))::double precision AS hb_g_dl, \
                          pg_temp.u(b.k, 66) < 0.03 AS smokes, pg_temp.u(b.k, 67) < 0.35 AS smoke_exposed, \
                          p.birth_date \
                   FROM screened b JOIN people p ON p.id = b.person_id \
                 ), measured AS ( \
                   SELECT d.*, greatest(25, round((d.bmi_drawn * (d.height_cm / 100) ^ 2)::numeric, 1))::double precision AS weight_kg, \
                          extract(year FROM age(d.screened_on, d.birth_date))::smallint AS age_years \
                   FROM drawn d \
                 ), judged AS ( \
                   SELECT m.*, round((m.weight_kg / (m.height_cm / 100) ^ 2)::numeric, 1)::double precision AS bmi, t.* \
                   FROM measured m CROSS JOIN (SELECT * FROM catin_thresholds ORDER BY version DESC LIMIT 1) t \
                 ) \
                 SELECT id, person_id, village_code, screened_on, wedding_planned_on, \
                        age_years, height_cm, weight_kg, bmi, muac_cm, hb_g_dl, smokes, smoke_exposed, version, f, \
                        cardinality(f) > 0 \
                 FROM judged CROSS JOIN LATERAL (SELECT array_remove(ARRAY[ \
                        CASE WHEN age_years < min_age_women THEN 'too_young' END, \
                        CASE WHEN age_years > max_age_women THEN 'too_old' END, \
                        CASE WHEN bmi < min_bmi THEN 'underweight' END, \
                        CASE WHEN muac_cm < min_muac_cm THEN 'kek' END, \
                        CASE WHEN hb_g_dl < min_hb_women THEN 'anaemia' END, \
                        CASE WHEN smokes OR smoke_exposed THEN 'smoke' END], NULL) AS f) r \
                 WHERE age_years BETWEEN 10 AND 80"
            ),
        ),
        (
            "a TPK in every village with babies",
            // As BKKBN formed them nationwide; Kampar's own 479 are the seed's facts.
            format!(
                "INSERT INTO teams (id, kind, region_code, name, members) \
                 SELECT md5('{seed}:tpk:' || v.village_code)::uuid, 'tpk', v.village_code, 'TPK ' || r.name, \
                        $json${members}$json$::jsonb \
                 FROM (SELECT DISTINCT village_code FROM children \
                       WHERE deleted_at IS NULL AND birth_date >= make_date({year} - 3, 1, 1)) v \
                 JOIN regions r ON r.code = v.village_code \
                 WHERE NOT EXISTS (SELECT 1 FROM teams t WHERE t.kind = 'tpk' AND t.active \
                                   AND t.region_code = v.village_code)",
                members = super::convergence::TPK_MEMBERS,
            ),
        ),
        (
            "TPK visits to mothers",
            // Visits 0-9: monthly from the seventh week while pregnant; 10: a week after the
            // birth (breastfeeding asked).
            format!(
                "INSERT INTO tpk_visits (id, team_id, person_id, village_code, visited_on, stage, counselling, \
                                         referral, social_assistance, exclusive_breastfeeding, next_visit_on) \
                 SELECT md5('{seed}:tpk:' || b.k || ':' || v.n)::uuid, t.id, md5('{seed}:mother:' || b.k)::uuid, \
                        b.village_code, v.day, CASE WHEN v.n < 10 THEN 'pregnant' ELSE 'postpartum' END, \
                        pg_temp.u(b.k * 32 + v.n, 71) < 0.9, pg_temp.u(b.k * 32 + v.n, 72) < 0.1, \
                        pg_temp.u(b.k * 32 + v.n, 73) < 0.05, \
                        CASE WHEN v.n = 10 THEN pg_temp.u(b.k, 74) < 0.6 END, v.day + 30 \
                 FROM demo_births b \
                 {village_tpk} \
                 CROSS JOIN LATERAL (SELECT n, CASE WHEN n < 10 THEN b.lmp_on + 45 + 30 * n ELSE b.birth_date + 7 END AS day \
                                     FROM generate_series(0, 10) n) v \
                 WHERE pg_temp.u(b.k, 70) < 0.6 AND pg_temp.u(b.k * 32 + v.n, 75) < 0.8 \
                   AND (v.n = 10 OR v.day < b.birth_date) AND v.day <= current_date",
                village_tpk = VILLAGE_TPK,
            ),
        ),
        (
            "TPK visits to babies",
            // Visits 11-22: every child born in the plan's last three years, when its family
            // is one of the six in ten visited (the same draw as its mother's visits), every
            // two months to its second birthday (breastfeeding asked before six months).
            format!(
                "INSERT INTO tpk_visits (id, team_id, child_id, village_code, visited_on, stage, counselling, \
                                         referral, social_assistance, exclusive_breastfeeding, next_visit_on) \
                 SELECT md5('{seed}:tpk:' || b.k || ':' || b.n)::uuid, t.id, b.id, b.village_code, b.day, \
                        'child_under_two', pg_temp.u(b.k * 32 + b.n, 71) < 0.9, pg_temp.u(b.k * 32 + b.n, 72) < 0.1, \
                        pg_temp.u(b.k * 32 + b.n, 73) < 0.05, \
                        CASE WHEN b.day < b.birth_date + interval '6 months' THEN pg_temp.u(b.k, 74) < 0.6 END, \
                        b.day + 30 \
                 FROM (SELECT hashtextextended(c.id::text, {seed}) >> 8 AS k, c.id, c.village_code, c.birth_date, \
                              n, c.birth_date + 60 * (n - 10) AS day \
                       FROM children c CROSS JOIN generate_series(11, 22) n \
                       WHERE c.deleted_at IS NULL AND c.birth_date >= make_date({year} - 3, 1, 1)) b \
                 {village_tpk} \
                 WHERE pg_temp.u(b.k, 70) < 0.6 AND pg_temp.u(b.k * 32 + b.n, 75) < 0.8 AND b.day <= current_date",
                village_tpk = VILLAGE_TPK,
            ),
        ),
        (
            "pathway and team kept counts",
            format!("{} SELECT pathway_counts_rebuild(); SELECT team_counts_rebuild()", switch("ENABLE")),
        ),
    ]
}
