//! The seed districts' convergence facts. Bengkalis (seed 001, 29 June 2021): the most advanced
//! district of Riau, action 5 done and documents uploaded up to action 4; 15 lokus villages in
//! 2021 and 23 in 2022. Kampar: 479 family assistance teams (TPK). Kaur (seed 003): its Rembuk
//! Stunting of 7 April 2022, and 11% stunting in 2021. Bengkalis (seed 002): 8.4% in 2023.
//! The seeds name no villages and no team members: the lokus villages are the district's first
//! villages by code and the TPK members are placeholders, both marked as demo data.

use crate::db::schema::convergence_documents;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::budget::first_admin;

/// Marks that this part was loaded: the first of Bengkalis's documents.
const FIRST_DOCUMENT: Uuid = Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0200);

pub(super) const TPK_MEMBERS: &str = r#"[
  {"name": "Bidan desa (demo)", "position": "Bidan", "agency": "Puskesmas", "role": "midwife", "phone": null},
  {"name": "Kader PKK (demo)", "position": null, "agency": "TP PKK Desa", "role": "pkk_cadre", "phone": null},
  {"name": "Kader KB (demo)", "position": null, "agency": "PPKBD/Sub-PPKBD", "role": "family_planning_cadre", "phone": null}
]"#;

pub async fn load(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let already = convergence_documents::table.find(FIRST_DOCUMENT).count().get_result::<i64>(conn).await?;
    if already > 0 {
        return Ok(false);
    }
    let admin = first_admin(conn).await?.0;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        bengkalis_actions(conn, admin).await?;
        for (year, count) in [(2021, 15), (2022, 23)] {
            lokus(conn, admin, year, count).await?;
        }
        kampar_teams(conn, admin).await?;
        kaur_rembuk(conn, admin).await?;
        figures(conn, admin).await?;
        Ok(())
    })
    .await?;
    Ok(true)
}

async fn bengkalis_actions(conn: &mut AsyncPgConnection, admin: Uuid) -> anyhow::Result<()> {
    // SQL: demo fixture, one statement per set of rows (no caller, no audit).
    diesel::sql_query(
        "INSERT INTO convergence_progress (district_code, year, action, status, done_on, notes, updated_by) \
         SELECT '14.03', 2021, a, 'done', make_date(2021, a + 1, 15), \
                CASE a WHEN 5 THEN 'Highest progress in Riau on 29 June 2021 (seed 001)' END, $1 \
         FROM generate_series(1, 5) a \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(admin)
    .execute(conn)
    .await?;
    let titles = [
        (1, "Laporan analisis situasi 2021", "report"),
        (2, "Rencana kegiatan intervensi stunting 2021", "plan"),
        (3, "Berita acara Rembuk Stunting 2021", "minutes"),
        (4, "Peraturan Bupati tentang Peran Desa dalam intervensi stunting", "regulation"),
    ];
    for (i, (action, title, kind)) in titles.into_iter().enumerate() {
        // SQL: demo fixture, one statement per set of rows (no caller, no audit).
        diesel::sql_query(
            "INSERT INTO convergence_documents \
               (id, district_code, year, action, title, kind, document_date, url, created_by) \
             VALUES ($1, '14.03', 2021, $2, $3, $4, make_date(2021, $2 + 1, 10), $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind::<SqlUuid, _>(Uuid::from_u128(FIRST_DOCUMENT.as_u128() + i as u128))
        .bind::<Integer, _>(action)
        .bind::<Text, _>(format!("{title} (demo)"))
        .bind::<Text, _>(kind)
        .bind::<Text, _>(format!("https://example.org/demo/bengkalis-2021-aksi-{action}.pdf"))
        .bind::<SqlUuid, _>(admin)
        .execute(conn)
        .await?;
    }
    Ok(())
}

async fn lokus(conn: &mut AsyncPgConnection, admin: Uuid, year: i32, count: i32) -> anyhow::Result<()> {
    // SQL: demo fixture, one statement per set of rows (no caller, no audit).
    diesel::sql_query(
        "INSERT INTO lokus_decisions (district_code, year, decision, updated_by) \
         VALUES ('14.03', $1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind::<Integer, _>(year)
    .bind::<Text, _>(format!("Desa lokus stunting {year} Kabupaten Bengkalis ({count} villages; demo list)"))
    .bind::<SqlUuid, _>(admin)
    .execute(conn)
    .await?;
    // SQL: demo fixture, one statement per set of rows (no caller, no audit).
    diesel::sql_query(
        "INSERT INTO lokus_villages (village_code, year, district_code, reason) \
         SELECT code, $1, '14.03', 'demo: the first villages by code; the seed names no villages' \
         FROM regions WHERE level = 'village' AND retired_at IS NULL AND code >= '14.03.' AND code < '14.03/' \
         ORDER BY code LIMIT $2 ON CONFLICT DO NOTHING",
    )
    .bind::<Integer, _>(year)
    .bind::<diesel::sql_types::BigInt, _>(i64::from(count))
    .execute(conn)
    .await?;
    Ok(())
}

/// 479 TPK: one in every village of Kampar, and a second in the first villages by code.
async fn kampar_teams(conn: &mut AsyncPgConnection, admin: Uuid) -> anyhow::Result<()> {
    // SQL: demo fixture, 479 teams generated from the villages in one statement.
    diesel::sql_query(
        "WITH v AS ( \
           SELECT code, name, row_number() OVER (ORDER BY code) AS n, count(*) OVER () AS villages \
           FROM regions WHERE level = 'village' AND retired_at IS NULL AND code >= '14.01.' AND code < '14.01/' \
         ), slots AS ( \
           SELECT code, name, s FROM v CROSS JOIN generate_series(1, 2) s WHERE s = 1 OR n <= 479 - villages \
         ) \
         INSERT INTO teams (id, kind, region_code, name, members, created_by) \
         SELECT md5('demo-tpk-' || code || '-' || s)::uuid, 'tpk', code, 'TPK ' || name || ' ' || s, $1::jsonb, $2 \
         FROM slots ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(TPK_MEMBERS)
    .bind::<SqlUuid, _>(admin)
    .execute(conn)
    .await?;
    Ok(())
}

async fn kaur_rembuk(conn: &mut AsyncPgConnection, admin: Uuid) -> anyhow::Result<()> {
    // SQL: demo fixture, one statement per set of rows (no caller, no audit).
    diesel::sql_query(
        "INSERT INTO convergence_progress (district_code, year, action, status, done_on, notes, updated_by) \
         VALUES ('17.04', 2022, 3, 'done', '2022-04-07', \
                 'Rembuk Stunting at Aula BDC Pondok Puasaka: agreed the targets and the priority villages \
                  (seed 003)', $1) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(admin)
    .execute(conn)
    .await?;
    Ok(())
}

async fn figures(conn: &mut AsyncPgConnection, admin: Uuid) -> anyhow::Result<()> {
    let rows = [
        ("14.03", 2023, 8.4, "Stated at the TPPS technical coordination meeting of 5 December 2023 (seed 002)"),
        ("17.04", 2021, 11.0, "Stated by the regent at the Rembuk Stunting of 7 April 2022 (seed 003)"),
    ];
    for (region, year, pct, note) in rows {
        // SQL: demo fixture, one statement per set of rows (no caller, no audit).
        diesel::sql_query(
            "INSERT INTO survey_figures (id, region_code, year, source, stunting_pct, note, updated_by) \
             VALUES (md5('demo-figure-' || $1 || '-' || $2)::uuid, $1, $2, 'other', $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(region)
        .bind::<Integer, _>(year)
        .bind::<diesel::sql_types::Double, _>(pct)
        .bind::<Text, _>(note)
        .bind::<SqlUuid, _>(admin)
        .execute(conn)
        .await?;
    }
    Ok(())
}
