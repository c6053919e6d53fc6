//! `stunting-api demo generate`: a synthetic country for benchmarks and demos, over the real
//! region list. Children are spread over every village in proportion to its province's
//! population (and a log-normal village size), registered to one of its village's posyandu (one
//! per 50 children, at most six; one child in ten to none) with a KIA book for most. Each is
//! measured in February and August (85% turn up) and, in the last year, weighed at her posyandu
//! in the other months too (65% turn up), with length-for-age drawn so that about one child in
//! five is stunted, as SSGI reports per province; one posyandu in five rounds its lengths to the
//! half centimetre (the heaping data checks look for). Lengths and weights are derived from the
//! drawn z-scores through the WHO tables and scored back from the rounded values, so every stored
//! z-score is what the service would compute. Cases are made from the measurements by the service's
//! own rules, after its data checks; every village with children runs four interventions with
//! monthly reports; every district, and every village with children, has a budget approved by a
//! demo account (inactive: nobody signs in as it) with its audit line, as the API records one.
//! The first 1,000 days of the children born in the last two years are in `pathway`.
//!
//! Everything is drawn from a hash of the seed and the record's number, so a seed gives the same
//! data on any machine. The rows are written by set-based SQL in one transaction with the
//! counting triggers off, and the kept counts are built once at the end.

use std::time::Instant;

use anyhow::{Context, bail};
use diesel::sql_types::{Double, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::domain::Sex;
use crate::growth;

const PROVINCES_CSV: &str = include_str!("../../data/demo_provinces.csv");

pub use super::plan::Plan;
use super::plan::{BEGIN, SETTLE, helpers};

/// Fills an empty database (regions loaded, no children) with the plan's data; `progress`
/// hears one line per step.
pub async fn generate(conn: &mut AsyncPgConnection, plan: Plan, mut progress: impl FnMut(&str)) -> anyhow::Result<()> {
    if plan.children < 1 || !(1..=10).contains(&plan.years) || !crate::domain::YEARS.contains(&(plan.year - plan.years))
    {
        bail!("give at least one child, 1 to 10 years, and a year between 2001 and 2100");
    }
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        children: bool,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        villages: bool,
    }
    // SQL: EXISTS of two tables in one round trip.
    let found: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM children) AS children, \
                EXISTS (SELECT 1 FROM regions WHERE level = 'village') AS villages",
    )
    .get_result(conn)
    .await?;
    if found.children {
        bail!("the database already holds children: generate into a new one");
    }
    if !found.villages {
        bail!("no villages: load the regions first (`stunting-api regions import`)");
    }

    let started = Instant::now();
    conn.batch_execute(BEGIN).await?;
    load_provinces(conn).await?;
    load_growth_tables(conn).await?;
    conn.batch_execute(&helpers(plan.seed)).await?;
    add_approver(conn, plan.seed).await?;
    for (label, sql) in steps(plan) {
        if label == KEPT_COUNTS {
            // The service's own data checks, before the counts are made from their flags.
            let at = Instant::now();
            crate::records::child::quality::judge_everyone(conn, 5_000, true, |_| ()).await?;
            progress(&format!("{:<40} {:>7.1} s", "data checks", at.elapsed().as_secs_f64()));
            // The service's own case rules, on the measurements the checks left counted.
            let at = Instant::now();
            crate::records::child::cases::derive_everyone(conn, 20_000).await?;
            progress(&format!("{:<40} {:>7.1} s", "cases", at.elapsed().as_secs_f64()));
        }
        let at = Instant::now();
        conn.batch_execute(&sql).await.with_context(|| format!("generating {label}"))?;
        progress(&format!("{label:<40} {:>7.1} s", at.elapsed().as_secs_f64()));
    }
    super::pathway::run(conn, plan, &mut progress).await?;
    conn.batch_execute("COMMIT").await?;
    progress(&format!("{:<40} {:>7.1} s", "done", started.elapsed().as_secs_f64()));
    conn.batch_execute(SETTLE).await?;
    Ok(())
}

/// The account that approves the budgets: inactive, with the hash of a secret nobody keeps, so
/// nobody signs in as it (and a sign-in attempt is refused like any other).
async fn add_approver(conn: &mut AsyncPgConnection, seed: i64) -> anyhow::Result<()> {
    let hash = crate::auth::password::hash(crate::auth::password::generate_secret()).await?;
    // SQL: the id is drawn from the seed like every generated record's (md5 in the database).
    diesel::sql_query(
        "INSERT INTO users (id, username, display_name, password_hash, role, active) \
         VALUES (md5($1 || ':approver')::uuid, 'demo.approver', 'Demo approver', $2, 'admin', false)",
    )
    .bind::<Text, _>(seed.to_string())
    .bind::<Text, _>(hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// The last step: triggers back on, every kept count made from the rows.
const KEPT_COUNTS: &str = "kept counts";

/// The provinces' weights, with the mean length-for-age that gives each its prevalence.
async fn load_provinces(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "CREATE TEMP TABLE demo_provinces (code text COLLATE \"C\" PRIMARY KEY, population double precision, \
                                           mean_haz double precision) ON COMMIT DROP",
    )
    .await?;
    for line in PROVINCES_CSV.lines().filter(|l| !l.starts_with('#')).skip(1).filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let [code, population, stunting] = fields[..] else { bail!("bad province line {line}") };
        let (population, stunting): (f64, f64) = (population.parse()?, stunting.parse()?);
        // SQL: demo_provinces is a scratch table of the generator, outside schema.rs.
        diesel::sql_query("INSERT INTO demo_provinces VALUES ($1, $2, $3)")
            .bind::<Text, _>(code)
            .bind::<Double, _>(population)
            .bind::<Double, _>(mean_for_share_below(crate::growth::BELOW_MODERATE, stunting / 100.0, SPREAD))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The spread of length-for-age around a province's mean: a child's own level (1.05 SD) and
/// round-to-round noise (0.25 SD).
const SPREAD: f64 = 1.079_3;

/// The mean of a normal distribution with standard deviation `sd` that puts `share` below
/// `cut`.
fn mean_for_share_below(cut: f64, share: f64, sd: f64) -> f64 {
    cut - sd * inverse_normal(share)
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
fn inverse_normal(p: f64) -> f64 {
    const A: [f64; 6] = [
        -39.696_830_286_653_76,
        220.946_098_424_520_5,
        -275.928_510_446_968_7,
        138.357_751_867_269,
        -30.664_798_066_147_16,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -54.476_098_798_224_06,
        161.585_836_858_040_9,
        -155.698_979_859_886_6,
        66.801_311_887_719_72,
        -13.280_681_552_885_72,
    ];
    const C: [f64; 6] = [
        -0.007_784_894_002_430_293,
        -0.322_396_458_041_136_5,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [0.007_784_695_709_041_462, 0.322_467_129_070_039_8, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The WHO LMS tables, so lengths and weights are scored in SQL exactly as the service does.
async fn load_growth_tables(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "CREATE TEMP TABLE demo_lms (indicator text, sex text, idx integer, l double precision, \
                                     m double precision, s double precision, \
                                     PRIMARY KEY (indicator, sex, idx)) ON COMMIT DROP",
    )
    .await?;
    let rows = growth::lms_rows();
    let texts =
        |pick: fn(&(&'static str, Sex, usize, growth::Lms)) -> &'static str| rows.iter().map(pick).collect::<Vec<_>>();
    let numbers = |pick: fn(&growth::Lms) -> f64| rows.iter().map(|row| pick(&row.3)).collect::<Vec<_>>();
    let indices = rows.iter().map(|row| i32::try_from(row.2)).collect::<Result<Vec<_>, _>>()?;
    use diesel::sql_types::Array;
    // SQL: demo_lms is a scratch table of the generator, outside schema.rs.
    diesel::sql_query("INSERT INTO demo_lms SELECT * FROM unnest($1, $2, $3, $4, $5, $6)")
        .bind::<Array<Text>, _>(texts(|row| row.0))
        .bind::<Array<Text>, _>(texts(|row| row.1.as_str()))
        .bind::<Array<Integer>, _>(indices)
        .bind::<Array<Double>, _>(numbers(|lms| lms.l))
        .bind::<Array<Double>, _>(numbers(|lms| lms.m))
        .bind::<Array<Double>, _>(numbers(|lms| lms.s))
        .execute(conn)
        .await?;
    conn.batch_execute("ANALYZE demo_lms").await?;
    Ok(())
}

/// The generating statements, in order.
fn steps(plan: Plan) -> Vec<(&'static str, String)> {
    let Plan { children, seed, year, years } = plan;
    let first_year = year - years + 1;
    vec![
        (
            "villages",
            format!(
                "CREATE TEMP TABLE demo_villages ON COMMIT DROP AS \
                 WITH v AS ( \
                   SELECT r.code, p.mean_haz, \
                          p.population / count(*) OVER (PARTITION BY left(r.code, 2)) \
                            * exp(0.6 * pg_temp.n(hashtext(r.code), 1)) AS weight \
                   FROM regions r JOIN demo_provinces p ON p.code = left(r.code, 2) \
                   WHERE r.level = 'village' AND r.retired_at IS NULL \
                 ), sized AS ( \
                   SELECT code, mean_haz, \
                          floor({children} * weight / sum(weight) OVER () + pg_temp.u(hashtext(code), 2))::bigint AS n \
                   FROM v \
                 ) \
                 SELECT code, mean_haz, n, (sum(n) OVER (ORDER BY code) - n)::bigint AS first FROM sized; \
                 ANALYZE demo_villages"
            ),
        ),
        (
            "children",
            format!(
                "CREATE TEMP TABLE demo_children ON COMMIT DROP AS \
                 SELECT k, md5('{seed}:child:' || k)::uuid AS id, v.code AS village_code, v.mean_haz, \
                        CASE WHEN pg_temp.u(k, 3) < 0.51 THEN 'male' ELSE 'female' END AS sex, \
                        make_date({first_year}, 8, 1) - 1800 \
                          + floor(pg_temp.u(k, 4) * (make_date({year}, 2, 1) - make_date({first_year}, 8, 1) + 1800))::integer \
                          AS birth_date \
                 FROM demo_villages v CROSS JOIN LATERAL generate_series(v.first + 1, v.first + v.n) k; \
                 CREATE TEMP TABLE demo_posyandu ON COMMIT DROP AS \
                 SELECT md5('{seed}:posyandu:' || v.code || ':' || g)::uuid AS id, v.code AS village_code, g, \
                        pg_temp.u(hashtext(v.code)::bigint * 8 + g, 13) < 0.2 AS heaps \
                 FROM demo_villages v \
                 CROSS JOIN LATERAL generate_series(1, greatest(1, least(6, ceil(v.n / 50.0)))::integer) g \
                 WHERE v.n > 0; \
                 ALTER TABLE demo_children ADD COLUMN posyandu_id uuid, ADD COLUMN heaps boolean NOT NULL DEFAULT false; \
                 UPDATE demo_children c SET posyandu_id = p.id, heaps = p.heaps \
                 FROM demo_villages v, demo_posyandu p \
                 WHERE v.code = c.village_code AND p.village_code = c.village_code AND pg_temp.u(c.k, 14) >= 0.1 \
                   AND p.g = 1 + floor(pg_temp.u(c.k, 15) * greatest(1, least(6, ceil(v.n / 50.0))))::integer; \
                 ALTER TABLE posyandu DISABLE TRIGGER USER; \
                 INSERT INTO posyandu (id, village_code, name) \
                 SELECT id, village_code, \
                        'Posyandu ' || (ARRAY['Melati', 'Mawar', 'Anggrek', 'Kenanga', 'Dahlia', 'Cempaka'])[g] \
                 FROM demo_posyandu; \
                 ALTER TABLE children DISABLE TRIGGER USER; \
                 ALTER TABLE measurements DISABLE TRIGGER USER; \
                 ALTER TABLE cases DISABLE TRIGGER USER; \
                 ALTER TABLE budgets DISABLE TRIGGER USER; \
                 ALTER TABLE budget_lines DISABLE TRIGGER USER; \
                 ALTER TABLE budget_spending DISABLE TRIGGER USER; \
                 ALTER TABLE interventions DISABLE TRIGGER USER; \
                 ALTER TABLE intervention_reports DISABLE TRIGGER USER; \
                 INSERT INTO children (id, village_code, sex, birth_date, name, posyandu_id, kia_book) \
                 SELECT id, village_code, sex, birth_date, 'Anak ' || k, posyandu_id, pg_temp.u(k, 16) < 0.85 \
                 FROM demo_children; \
                 ANALYZE demo_children"
            ),
        ),
        (
            "measurements (February and August, and monthly weighings)",
            format!(
                "INSERT INTO measurements (id, child_id, measured_on, age_days, length_cm, position, weight_kg, \
                                           place, posyandu_id, haz, waz, whz, haz_implausible, waz_implausible, \
                                           whz_implausible) \
                 WITH rounds AS ( \
                   SELECT c.k, c.id, c.sex, c.birth_date, c.mean_haz, c.posyandu_id, c.heaps, r.n, \
                          make_date(r.y, r.month, 1 + floor(pg_temp.u(c.k * 64 + r.n, 5) * 27)::integer) AS measured_on \
                   FROM demo_children c \
                   CROSS JOIN (SELECT (y - {first_year}) * 2 + m.i AS n, y, m.month, 0.85 AS turnout \
                               FROM generate_series({first_year}, {year}) y, (VALUES (0, 2), (1, 8)) m (i, month) \
                               UNION ALL \
                               SELECT 20 + month, {year}, month, 0.65 FROM generate_series(1, 12) month \
                               WHERE month NOT IN (2, 8)) r \
                   WHERE pg_temp.u(c.k * 64 + r.n, 6) < r.turnout \
                 ), drawn AS ( \
                   SELECT r.*, r.measured_on - r.birth_date AS age_days, \
                          r.mean_haz + 1.05 * pg_temp.n(r.k, 7) + 0.25 * pg_temp.n(r.k * 64 + r.n, 8) AS z_length, \
                          0.7 * pg_temp.n(r.k, 9) + 0.1 * pg_temp.n(r.k * 64 + r.n, 17) - 0.3 AS weight_noise \
                   FROM rounds r OFFSET 0 \
                 ), sized AS ( \
                   SELECT d.*, la.m AS lm, la.s AS ls, wa.l AS wl, wa.m AS wm, wa.s AS ws, \
                          CASE WHEN d.heaps THEN round((la.m * (1 + la.s * d.z_length) * 2)::numeric) / 2 \
                               ELSE round((la.m * (1 + la.s * d.z_length))::numeric, 1) END::double precision AS length_cm, \
                          round((wa.m * power(1 + wa.l * wa.s * (0.6 * d.z_length + d.weight_noise), 1 / wa.l))::numeric, 1)::double precision AS weight_kg \
                   FROM drawn d \
                   JOIN demo_lms la ON la.indicator = 'lfa' AND la.sex = d.sex AND la.idx = d.age_days \
                   JOIN demo_lms wa ON wa.indicator = 'wfa' AND wa.sex = d.sex AND wa.idx = d.age_days \
                   WHERE d.age_days BETWEEN 0 AND 1826 OFFSET 0 \
                 ), placed AS ( \
                   SELECT s.*, CASE WHEN s.age_days < 731 THEN 'wfl' ELSE 'wfh' END AS wh_table, \
                          round((s.length_cm - CASE WHEN s.age_days < 731 THEN 45 ELSE 65 END) * 10)::integer AS wh_index \
                   FROM sized s WHERE s.length_cm BETWEEN 38 AND 130 AND s.weight_kg BETWEEN 0.9 AND 58 OFFSET 0 \
                 ), scored AS ( \
                   SELECT s.*, round(((s.length_cm / s.lm - 1) / s.ls)::numeric, 2)::double precision AS haz, \
                          round(((power(s.weight_kg / s.wm, s.wl) - 1) / (s.wl * s.ws))::numeric, 2)::double precision AS waz, \
                          round(((power(s.weight_kg / h.m, h.l) - 1) / (h.l * h.s))::numeric, 2)::double precision AS whz \
                   FROM placed s \
                   LEFT JOIN demo_lms h ON h.indicator = s.wh_table AND h.sex = s.sex AND h.idx = s.wh_index \
                   OFFSET 0 \
                 ) \
                 SELECT md5('{seed}:measurement:' || k || ':' || n)::uuid, id, measured_on, age_days, length_cm, \
                        CASE WHEN age_days < 731 THEN 'lying' ELSE 'standing' END, weight_kg, 'posyandu', posyandu_id, \
                        haz, waz, whz, haz NOT BETWEEN -6 AND 6, waz NOT BETWEEN -6 AND 5, coalesce(whz NOT BETWEEN -5 AND 5, false) \
                 FROM scored"
            ),
        ),
        (
            "interventions with monthly reports",
            format!(
                "CREATE TEMP TABLE demo_activities ON COMMIT DROP AS \
                 SELECT md5('{seed}:activity:' || v.code || ':' || t.code || ':' || y)::uuid AS id, t.code AS type_code, \
                        v.code AS region_code, y, greatest(v.n, 1) AS target, \
                        0.55 + 0.4 * pg_temp.u(hashtext(v.code || t.code)::bigint + y, 10) AS coverage \
                 FROM demo_villages v \
                 CROSS JOIN (SELECT code FROM intervention_types WHERE unit = 'persons' ORDER BY category DESC, code LIMIT 4) t \
                 CROSS JOIN generate_series({first_year}, {year}) y \
                 WHERE v.n > 0; \
                 INSERT INTO interventions (id, type_code, region_code, period_start, period_end, target, reached) \
                 SELECT id, type_code, region_code, make_date(y, 1, 1), make_date(y, 12, 31), target, \
                        12 * round(target * coverage / 12) FROM demo_activities; \
                 INSERT INTO intervention_reports (id, intervention_id, month, reached) \
                 SELECT md5(a.id::text || ':' || m)::uuid, a.id, make_date(a.y, m, 1), round(a.target * a.coverage / 12) \
                 FROM demo_activities a, generate_series(1, 12) m"
            ),
        ),
        (
            "budgets",
            format!(
                "CREATE TEMP TABLE demo_budgets ON COMMIT DROP AS \
                 SELECT md5('{seed}:budget:' || r.code || ':' || y)::uuid AS id, r.code, r.level, y \
                 FROM regions r, generate_series({first_year}, {year}) y \
                 WHERE (r.level = 'district' OR r.code IN (SELECT code FROM demo_villages WHERE n > 0)) \
                   AND r.retired_at IS NULL; \
                 INSERT INTO budgets (id, region_code, fiscal_year, funding_source, title, status, approved_at, \
                                      approved_by, version) \
                 SELECT id, code, y, CASE WHEN level = 'village' THEN 'dana_desa' ELSE 'apbd_district' END, \
                        'Anggaran stunting ' || code || ' ' || y, 'approved', make_date(y, 1, 15), \
                        md5('{seed}:approver')::uuid, 2 FROM demo_budgets; \
                 INSERT INTO audit_log (at, actor_id, action, entity, entity_id, changes, region_code) \
                 SELECT make_date(y, 1, 15), md5('{seed}:approver')::uuid, 'budget.approve', 'budget', id::text, '{{}}', code \
                 FROM demo_budgets ORDER BY y, code; \
                 INSERT INTO budget_lines (id, budget_id, activity, type_code, ceiling, realised) \
                 SELECT md5(b.id::text || ':' || g)::uuid, b.id, 'Kegiatan ' || g, \
                        (SELECT code FROM intervention_types ORDER BY code OFFSET g LIMIT 1), \
                        c.ceiling, (c.ceiling * (0.4 + 0.55 * pg_temp.u(hashtext(b.id::text)::bigint + g, 12)))::bigint \
                 FROM demo_budgets b \
                 CROSS JOIN LATERAL generate_series(1, CASE WHEN b.level = 'village' THEN 2 ELSE 8 END) g \
                 CROSS JOIN LATERAL (SELECT (CASE WHEN b.level = 'village' THEN 20000000 ELSE 400000000 END \
                                     * (0.5 + pg_temp.u(hashtext(b.id::text)::bigint + g, 11)))::bigint AS ceiling) c; \
                 INSERT INTO budget_spending (id, line_id, amount, spent_on) \
                 SELECT md5(l.id::text || ':spent')::uuid, l.id, l.realised, make_date(b.y, 9, 30) \
                 FROM budget_lines l JOIN demo_budgets b ON b.id = l.budget_id; \
                 UPDATE budgets b SET lines_total = s.ceiling, realised_total = s.realised \
                 FROM (SELECT budget_id, sum(ceiling)::bigint AS ceiling, sum(realised)::bigint AS realised \
                       FROM budget_lines GROUP BY budget_id) s \
                 WHERE s.budget_id = b.id"
            ),
        ),
        (
            KEPT_COUNTS,
            "ALTER TABLE posyandu ENABLE TRIGGER USER; \
             ALTER TABLE children ENABLE TRIGGER USER; \
             ALTER TABLE measurements ENABLE TRIGGER USER; \
             ALTER TABLE cases ENABLE TRIGGER USER; \
             ALTER TABLE budgets ENABLE TRIGGER USER; \
             ALTER TABLE budget_lines ENABLE TRIGGER USER; \
             ALTER TABLE budget_spending ENABLE TRIGGER USER; \
             ALTER TABLE interventions ENABLE TRIGGER USER; \
             ALTER TABLE intervention_reports ENABLE TRIGGER USER; \
             SELECT prevalence_rebuild(); \
             SELECT case_counts_rebuild(); \
             SELECT budget_counts_rebuild(); \
             SELECT coverage_rebuild(); \
             SELECT skdn_counts_rebuild(); \
             SELECT quality_counts_rebuild()"
                .to_owned(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inverse_normal_matches_known_quantiles() {
        for (p, z) in [(0.5, 0.0), (0.975, 1.959_964), (0.2, -0.841_621), (0.01, -2.326_348)] {
            assert!((inverse_normal(p) - z).abs() < 1e-5, "{p}: {}", inverse_normal(p));
        }
        // A province with 20% stunted: its mean lies 0.84 spreads above −2.
        assert!((mean_for_share_below(-2.0, 0.2, 1.0) - -1.158_379).abs() < 1e-5);
    }
}
