//! The counts the database keeps for the dashboards (prevalence, cases, coverage, budgets,
//! teams, data quality, the first 1,000 days, SKDN, families at risk), checked against a recount from the rows
//! and rebuilt from it. Each kept table has a recount of the same shape in the database (the
//! `…_from_rows` functions and views of its migration), written by the same rules as the
//! triggers that keep it. An operator runs `stunting-api counts verify` after manual SQL or a
//! restore, and `counts rebuild` where they differ.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::domain::RegionCode;

/// One kept table and how to recount it.
pub struct Kept {
    pub table: &'static str,
    recount: &'static str,
    /// A kept row where this is false counts nothing (as if it were absent).
    counts: &'static str,
    region: &'static str,
    /// The row's year, when it has one.
    year: Option<&'static str>,
}

pub const KEPT: &[Kept] = &[
    Kept {
        table: "prevalence_counts",
        recount: "prevalence_from_rows()",
        counts: "(measured, stunted, severely_stunted, weighed, underweight, wasting_measured, wasted) \
                 <> (0, 0, 0, 0, 0, 0, 0)",
        region: "region_code",
        year: Some("extract(year FROM period_start)"),
    },
    Kept {
        table: "case_counts",
        recount: "case_counts_from_rows()",
        counts: "(opened, resolved, closed_moved_away, closed_died, closed_reached_60_months, closed_other, audited, \
                 net_open, net_open_severe, net_open_assigned) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
        region: "region_code",
        year: Some("extract(year FROM period_start)"),
    },
    Kept {
        table: "coverage_counts",
        recount: "coverage_from_rows()",
        counts: "(activities, target, reached) <> (0, 0, 0)",
        region: "region_code",
        year: Some("extract(year FROM period_start)"),
    },
    Kept {
        table: "budget_counts",
        recount: "budget_counts_from_rows()",
        counts: "(lines, ceiling, realised) <> (0, 0, 0)",
        region: "region_code",
        year: Some("fiscal_year"),
    },
    Kept {
        table: "team_counts",
        recount: "team_counts_from_rows()",
        counts: "(tpps, own_tpps, tpk_active, tpk_inactive, villages_with_tpk) <> (0, 0, 0, 0, 0)",
        region: "region_code",
        year: None,
    },
    Kept {
        table: "quality_counts",
        recount: "quality_counts_from_rows()",
        counts: "(measured, flagged, implausible, implausible_haz, length_decrease, weight_jump, age_mismatch, \
                 checked, held, heaped) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
        region: "area",
        year: Some("extract(year FROM month)"),
    },
    Kept {
        table: "pathway_counts",
        recount: "pathway_counts_from_rows()",
        counts: "value <> 0",
        region: "region_code",
        year: Some("extract(year FROM period_start)"),
    },
    Kept {
        table: "pathway_months",
        recount: "pathway_months_from_rows",
        counts: "true",
        region: "village_code",
        year: Some("extract(year FROM month)"),
    },
    Kept {
        table: "skdn_counts",
        recount: "skdn_counts_from_rows()",
        counts: "(born, born_kia, weighed, rose, not_rose, missed_last, new, two_t, bgm) <> (0, 0, 0, 0, 0, 0, 0, 0, 0)",
        region: "area",
        year: Some("extract(year FROM month)"),
    },
    Kept {
        table: "family_counts",
        recount: "family_counts_from_rows()",
        counts: "(families, pending, verified, not_found, not_at_risk, with_pregnant_woman, with_under_two, \
                 with_under_five, no_safe_water, no_proper_latrine, mother_under_20, mother_over_35, \
                 births_under_2_years_apart, more_than_3_children) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
        region: "village_code",
        year: Some("year"),
    },
    Kept {
        table: "skdn_born_years",
        recount: "skdn_born_years_from_rows()",
        counts: "(born, born_kia) <> (0, 0)",
        region: "area",
        year: Some("extract(year FROM year)"),
    },
];

/// Which rows to check: inside a region, of a year.
#[derive(Debug, Default, Clone)]
pub struct Within {
    pub region: Option<RegionCode>,
    pub year: Option<i32>,
}

impl Within {
    /// The SQL condition on `kept`'s rows. Codes and years are parsed values, never raw input.
    fn condition(&self, kept: &Kept) -> String {
        let mut parts = vec!["true".to_owned()];
        if let Some(region) = &self.region {
            let code = region.as_str();
            parts.push(format!("({col} = '{code}' OR {col} LIKE '{code}.%')", col = kept.region));
        }
        if let (Some(year), Some(of)) = (self.year, kept.year) {
            parts.push(format!("{of} = {year}"));
        }
        parts.join(" AND ")
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many rows of `kept` differ from the recount, both ways, within `within`.
pub async fn differences(conn: &mut AsyncPgConnection, kept: &Kept, within: &Within) -> diesel::QueryResult<i64> {
    let Kept { table, recount, counts, .. } = kept;
    let inside = within.condition(kept);
    // SQL: the table, its recount and their filters are chosen at run time from `KEPT`.
    let count: Count = diesel::sql_query(format!(
        "WITH k AS (SELECT * FROM {table} WHERE ({counts}) AND {inside}), \
              r AS (SELECT * FROM {recount} WHERE {inside}) \
         SELECT count(*) AS n FROM ((SELECT * FROM k EXCEPT ALL SELECT * FROM r) \
                                    UNION ALL (SELECT * FROM r EXCEPT ALL SELECT * FROM k)) d"
    ))
    .get_result(conn)
    .await?;
    Ok(count.n)
}

/// Replaces `kept`'s rows within `within` by the recount, in one transaction that holds off
/// the writers' triggers (they wait for the table), so no write lands between count and keep.
pub async fn rebuild(conn: &mut AsyncPgConnection, kept: &Kept, within: &Within) -> diesel::QueryResult<()> {
    let Kept { table, recount, .. } = kept;
    let inside = within.condition(kept);
    conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        // SQL: a lock, a delete and an insert from the recount, over a table chosen at run time.
        conn.batch_execute(&format!(
            "LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE; \
             DELETE FROM {table} WHERE {inside}; \
             INSERT INTO {table} SELECT * FROM {recount} WHERE {inside};"
        ))
        .await
    })
    .await
}
