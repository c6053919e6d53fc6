//! Kabupaten Kampar's 2024 DAK Non Fisik BKKBN operational budget as the district reported it
//! (seed 000, Rakor TPPS 29 December 2023). Its five lines add up to Rp 4,230,900,000 while the
//! report states Rp 3,900,900,000; the service shows the Rp 330,000,000 difference rather than
//! hiding it.

use anyhow::Context;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::schema::agencies;
use crate::domain::{
    AgencyId, AgencySector, BudgetId, BudgetLineId, ExpectedVersion, FundingSource, RegionCode, Role, Rupiah, Scope,
};
use crate::records::budget::{self as budgets, LineFields, NewBudget, document, lines};

const AGENCY: Uuid = Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0001);
const BUDGET: Uuid = Uuid::from_u128(0x0192_0000_0000_7000_8000_0000_0000_0100);

/// One line of a budget as a source document states it.
pub struct SeedLine {
    pub activity: &'static str,
    pub type_code: Option<&'static str>,
    pub ceiling: i64,
    pub output_value: Option<i64>,
    pub output_unit: &'static str,
}

/// Kampar's five lines, in the order the report lists them.
pub const KAMPAR_2024_LINES: [SeedLine; 5] = [
    SeedLine {
        activity: "Pendampingan keluarga berisiko stunting",
        type_code: Some("tpk_home_visit"),
        ceiling: 2_772_000_000,
        output_value: Some(250),
        output_unit: "villages/kelurahan",
    },
    SeedLine {
        activity: "Koordinasi TPPS",
        type_code: None,
        ceiling: 111_600_000,
        output_value: Some(6),
        output_unit: "times a year",
    },
    SeedLine {
        activity: "Audit kasus stunting",
        type_code: None,
        ceiling: 87_300_000,
        output_value: Some(4),
        output_unit: "lokus villages",
    },
    SeedLine {
        activity: "BKB kit stunting",
        type_code: Some("parenting_classes"),
        ceiling: 630_000_000,
        output_value: Some(10),
        output_unit: "times per subdistrict",
    },
    SeedLine {
        activity: "Minilokakarya tingkat kecamatan",
        type_code: None,
        ceiling: 630_000_000,
        output_value: None,
        output_unit: "subdistricts",
    },
];

/// The total the report states: Rp 330,000,000 less than its lines.
pub const KAMPAR_2024_REPORTED_TOTAL: i64 = 3_900_900_000;

/// Loads the budget; returns false when it was already there.
pub async fn load(conn: &mut AsyncPgConnection) -> anyhow::Result<bool> {
    let budget = BudgetId(BUDGET);
    if budgets::find_any(conn, budget).await?.is_some() {
        return Ok(false);
    }
    let kampar = RegionCode::parse("14.01")?;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        diesel::insert_into(agencies::table)
            .values((
                agencies::id.eq(AgencyId(AGENCY)),
                agencies::district_code.eq(&kampar),
                agencies::name.eq("Dinas Pengendalian Penduduk, Keluarga Berencana, Pemberdayaan Perempuan \
                                   dan Perlindungan Anak Kabupaten Kampar"),
                agencies::short_name.eq("DP3AP2KB"),
                agencies::sector.eq(AgencySector::FamilyPlanning),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let admin = Caller { id: first_admin(conn).await?, role: Role::Admin, scope: Scope::National };
        let new = NewBudget {
            id: budget,
            region_code: &kampar,
            fiscal_year: 2024,
            funding_source: FundingSource::DakNonFisikBkkbn,
            title: "Anggaran Operasional Penurunan Stunting 2024 (DAK Non Fisik BKKBN), Kabupaten Kampar",
            reported_total: Some(Rupiah::try_from(KAMPAR_2024_REPORTED_TOTAL)?),
            document_ref: Some("Rakor Percepatan Penurunan Stunting, Rumah Dinas Bupati Kampar, 29 December 2023"),
            created_by: admin.id,
        };
        // Entered, filled and approved as an officer would, through the same rules and audit.
        document::create(conn, &admin, &new).await?;
        for (i, line) in KAMPAR_2024_LINES.iter().enumerate() {
            let fields = LineFields {
                activity: Some(line.activity.to_owned()),
                type_code: line.type_code.map(str::to_owned),
                agency_id: Some(AgencyId(AGENCY)),
                ceiling: Some(Rupiah::try_from(line.ceiling)?),
                output_value: line.output_value,
                output_unit: Some(line.output_unit.to_owned()),
                village_codes: Some(Vec::new()),
            };
            let id = BudgetLineId(Uuid::from_u128(BUDGET.as_u128() + 1 + i as u128));
            lines::add(conn, &admin, budget, id, &fields).await?;
        }
        let entered = budgets::find_any(conn, budget).await?.context("the demo budget was just entered")?;
        document::approve(conn, &admin, budget, ExpectedVersion(entered.version)).await?;
        Ok(())
    })
    .await?;
    Ok(true)
}

pub async fn first_admin(conn: &mut AsyncPgConnection) -> anyhow::Result<crate::domain::UserId> {
    use crate::db::schema::users;
    use crate::domain::{Role, UserId};
    let id: Option<UserId> = users::table
        .filter(users::role.eq(Role::Admin))
        .select(users::id)
        .order(users::created_at)
        .first(conn)
        .await
        .optional()?;
    id.ok_or_else(|| anyhow::anyhow!("start the service once first: the demo data is entered by the first admin"))
}
