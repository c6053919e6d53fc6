//! Budget ceilings and spending per region, broken down by funding source, agency and
//! intervention category, beside the stunted children they serve. One GROUPING SETS query;
//! sums are numeric in PostgreSQL and i128 here, so a national total cannot overflow.
//!
//! The sums come from `budget_counts` (migration 000014), kept with every line and document in
//! the writing transaction, and the stunted children from `case_counts`. Lokus villages are
//! picked line by line (a line names the villages it serves), so `lokus=true` sums the lines.

use super::rates::{Disclosure, shown};
use super::{code_bounds, code_length, region_named};
use crate::db::prepared::KeepPrepared;
use crate::domain::{FundingSource, InterventionCategory, RegionCode, RegionLevel};
use diesel::QueryableByName;
use diesel::sql_types::{Array, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Ceiling, realised and absorption of one slice.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Money {
    /// Sum of ceilings (*pagu*), rupiah.
    #[schema(value_type = i64)]
    pub ceiling: i128,
    /// Sum of realised spending (*realisasi*), rupiah.
    #[schema(value_type = i64)]
    pub realised: i128,
    /// realised ÷ ceiling, percent.
    pub absorption_pct: Option<f64>,
}

impl Money {
    fn new(ceiling: i128, realised: i128) -> Self {
        let absorption_pct = (ceiling > 0).then(|| (realised as f64 / ceiling as f64 * 10_000.0).round() / 100.0);
        Self { ceiling, realised, absorption_pct }
    }

    /// The sums of `parts`, with their absorption.
    pub fn sum<'a>(parts: impl Iterator<Item = &'a Money>) -> Self {
        let (ceiling, realised) = parts.fold((0, 0), |(c, r), m| (c + m.ceiling, r + m.realised));
        Self::new(ceiling, realised)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BySource {
    pub funding_source: FundingSource,
    #[serde(flatten)]
    pub money: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ByAgency {
    /// `null`: lines naming no agency.
    pub agency_id: Option<uuid::Uuid>,
    pub agency_short_name: Option<String>,
    #[serde(flatten)]
    pub money: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ByCategory {
    /// `null`: lines with no intervention type.
    pub category: Option<InterventionCategory>,
    #[serde(flatten)]
    pub money: Money,
}

/// One region's budgets. For analysts, a count of 1 to 4 stunted children in a row below
/// district level is `null`, and so is the spending per child that would reveal it
/// (`suppressed: true`); the money is not a count and is always shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "region_code": "14.01", "region_name": "Kabupaten Kampar", "region_level": "district",
    "ceiling": 4230900000_i64, "realised": 0, "absorption_pct": 0.0,
    "by_funding_source": [{"funding_source": "dak_non_fisik_bkkbn", "ceiling": 4230900000_i64, "realised": 0, "absorption_pct": 0.0}],
    "by_agency": [], "by_category": [], "stunted_children": 605, "realised_per_stunted_child": 0,
    "suppressed": false
}))]
pub struct BudgetRow {
    pub region_code: RegionCode,
    pub region_name: String,
    pub region_level: RegionLevel,
    #[serde(flatten)]
    pub money: Money,
    pub by_funding_source: Vec<BySource>,
    pub by_agency: Vec<ByAgency>,
    pub by_category: Vec<ByCategory>,
    /// Children with an open stunting case in the region now; `null` where none are recorded.
    pub stunted_children: Option<i64>,
    /// realised ÷ stunted_children, rupiah.
    #[schema(value_type = Option<i64>)]
    pub realised_per_stunted_child: Option<i128>,
    /// The stunted children (and the spending per child) are withheld from this caller.
    pub suppressed: bool,
}

#[derive(QueryableByName)]
struct Slice {
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = Text)]
    region_name: String,
    #[diesel(sql_type = Text)]
    region_level: String,
    #[diesel(sql_type = Nullable<Text>)]
    funding_source: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    agency_id: Option<uuid::Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    agency_short_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Integer)]
    grouping: i32,
    #[diesel(sql_type = Text)]
    ceiling: String,
    #[diesel(sql_type = Text)]
    realised: String,
}

#[derive(QueryableByName)]
struct Stunted {
    #[diesel(sql_type = Text)]
    area: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    children: i64,
}

/// The kept sums of the tiers a breakdown at `level` reads ($5): a province's own rows; a
/// district's, with the provinces' own budgets beside them; below that every region's own.
const KEPT: &str = "\
    SELECT CASE WHEN length(k.region_code) >= $1 THEN left(k.region_code, $1) ELSE k.region_code END AS area, \
           k.funding_source, k.agency_id, a.short_name AS agency_short_name, k.category, k.ceiling, k.realised \
    FROM budget_counts k LEFT JOIN agencies a ON a.id = k.agency_id \
    WHERE k.tier = ANY ($5) AND k.fiscal_year = $4 AND k.region_code >= $2 AND k.region_code < $3 \
      AND k.lines <> 0";

/// The lines of lokus villages' budgets, and lines that name a lokus village.
const LOKUS_LINES: &str = "\
    SELECT CASE WHEN length(b.region_code) >= $1 THEN left(b.region_code, $1) ELSE b.region_code END AS area, \
           b.funding_source, l.agency_id, a.short_name AS agency_short_name, t.category, l.ceiling, l.realised \
    FROM budget_lines l \
    JOIN budgets b ON b.id = l.budget_id \
    LEFT JOIN agencies a ON a.id = l.agency_id \
    LEFT JOIN intervention_types t ON t.code = l.type_code \
    WHERE b.deleted_at IS NULL AND b.status IN ('approved', 'revised') AND b.fiscal_year = $4 \
      AND b.region_code >= $2 AND b.region_code < $3 \
      AND (b.region_code IN (SELECT village_code FROM lokus_villages WHERE year = $4) \
           OR l.village_codes && ARRAY(SELECT village_code FROM lokus_villages WHERE year = $4))";

fn budget_tiers(level: RegionLevel) -> Vec<&'static str> {
    match level {
        RegionLevel::Province => vec!["province"],
        RegionLevel::District => vec!["district", "upper"],
        RegionLevel::Subdistrict | RegionLevel::Village => vec!["own"],
    }
}

/// Approved (or revised) budgets of `fiscal_year` inside `root`, grouped at `level`. A document
/// of a tier above `level` keeps a row of its own.
pub async fn budgets(
    conn: &mut AsyncPgConnection,
    root: Option<&RegionCode>,
    level: RegionLevel,
    fiscal_year: i32,
    lokus: bool,
    disclosure: Disclosure,
) -> anyhow::Result<Vec<BudgetRow>> {
    let (low, high) = code_bounds(root);
    let source = if lokus { LOKUS_LINES } else { KEPT };
    // Each area is named by key once grouped (`region_named`).
    // SQL: CTEs over one of two sources chosen at run time, grouped by a computed area.
    let slices: Vec<Slice> = diesel::sql_query(format!(
        "WITH l AS ({source}), sums AS ( \
           SELECT l.area, l.funding_source, l.agency_id, l.agency_short_name, l.category, \
                  GROUPING(l.funding_source, l.agency_id, l.category)::integer AS grouping, \
                  sum(l.ceiling)::text AS ceiling, sum(l.realised)::text AS realised \
           FROM l \
           GROUP BY GROUPING SETS ( \
             (l.area), (l.area, l.funding_source), (l.area, l.agency_id, l.agency_short_name), (l.area, l.category)) \
         ) \
         SELECT s.*, {named} FROM sums s ORDER BY s.area",
        named = region_named("s.area"),
    ))
    .bind::<Integer, _>(code_length(level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Integer, _>(fiscal_year)
    .bind::<Array<Text>, _>(budget_tiers(level))
    .prepared()
    .load(conn)
    .await?;
    // Children with an open case now: each case's opening minus its ending, over all years.
    let case_tier = match level {
        _ if lokus => "village",
        RegionLevel::Province => "province",
        RegionLevel::District => "district",
        RegionLevel::Subdistrict | RegionLevel::Village => "village",
    };
    // SQL: grouped by an area computed from each row's code (a GROUP BY expression).
    let stunted: Vec<Stunted> = diesel::sql_query(
        "SELECT left(k.region_code, $1) AS area, sum(k.net_open)::bigint AS children \
         FROM case_counts k \
         WHERE k.tier = $5 AND k.period = 'year' AND k.region_code >= $2 AND k.region_code < $3 \
           AND (NOT $6 OR k.region_code IN (SELECT village_code FROM lokus_villages WHERE year = $4)) \
         GROUP BY 1 HAVING sum(k.net_open) > 0",
    )
    .bind::<Integer, _>(code_length(level))
    .bind::<Text, _>(&low)
    .bind::<Text, _>(&high)
    .bind::<Integer, _>(fiscal_year)
    .bind::<Text, _>(case_tier)
    .bind::<diesel::sql_types::Bool, _>(lokus)
    .prepared()
    .load(conn)
    .await?;

    let mut rows: Vec<BudgetRow> = Vec::new();
    for slice in slices {
        let money = Money::new(slice.ceiling.parse()?, slice.realised.parse()?);
        if rows.last().is_none_or(|r| r.region_code.as_str() != slice.area) {
            rows.push(BudgetRow {
                region_code: RegionCode::parse(&slice.area)?,
                region_name: slice.region_name.clone(),
                region_level: slice.region_level.parse()?,
                money: Money::default(),
                by_funding_source: Vec::new(),
                by_agency: Vec::new(),
                by_category: Vec::new(),
                stunted_children: None,
                realised_per_stunted_child: None,
                suppressed: false,
            });
        }
        let Some(row) = rows.last_mut() else { continue };
        // GROUPING() has a bit set for each column left out of the set: 0b011 keeps only the
        // category, 0b101 the agency, 0b110 the source, 0b111 none.
        match slice.grouping {
            0b111 => row.money = money,
            0b011 => row
                .by_funding_source
                .push(BySource { funding_source: slice.funding_source.unwrap_or_default().parse()?, money }),
            0b101 => row.by_agency.push(ByAgency {
                agency_id: slice.agency_id,
                agency_short_name: slice.agency_short_name,
                money,
            }),
            0b110 => {
                row.by_category.push(ByCategory { category: slice.category.map(|c| c.parse()).transpose()?, money })
            }
            _ => {}
        }
    }
    for row in &mut rows {
        let Some(children) = stunted.iter().find(|s| s.area == row.region_code.as_str()).map(|s| s.children) else {
            continue;
        };
        let Some(children) = shown(children, disclosure.guards(Some(row.region_level))) else {
            row.suppressed = true;
            continue;
        };
        row.stunted_children = Some(children);
        row.realised_per_stunted_child = (children > 0).then(|| row.money.realised / i128::from(children));
    }
    Ok(rows)
}
