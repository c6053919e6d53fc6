//! The province's monitoring table: each district's counts, and the totals a tile shows.

use crate::db::prepared::KeepPrepared;
use crate::domain::RegionCode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One district's counts for the monitoring table, before ranking.
#[derive(Debug, QueryableByName)]
pub struct DistrictCounts {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub done: i64,
    #[diesel(sql_type = BigInt)]
    pub in_progress: i64,
    #[diesel(sql_type = Nullable<SmallInt>)]
    pub latest_done: Option<i16>,
    /// Documents per action 1..8, as `{n1,...,n8}` text (one array per district).
    #[diesel(sql_type = Text)]
    pub documents: String,
    #[diesel(sql_type = BigInt)]
    pub lokus: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub score: Option<f64>,
}

/// Every current district in [low, high) with its counts for `year`; one pass per table.
pub async fn district_counts(
    conn: &mut AsyncPgConnection,
    low: &str,
    high: &str,
    year: i32,
) -> QueryResult<Vec<DistrictCounts>> {
    // SQL: five CTEs and an array_agg per district; the DSL has neither.
    diesel::sql_query(
        "WITH d AS ( \
           SELECT code, name FROM regions \
           WHERE level = 'district' AND retired_at IS NULL AND code >= $1 AND code < $2 \
         ), p AS ( \
           SELECT district_code, count(*) FILTER (WHERE status = 'done') AS done, \
                  count(*) FILTER (WHERE status = 'in_progress') AS in_progress, \
                  max(action) FILTER (WHERE status = 'done') AS latest_done \
           FROM convergence_progress WHERE year = $3 AND district_code >= $1 AND district_code < $2 GROUP BY 1 \
         ), doc AS ( \
           SELECT district_code, action, count(*) AS n FROM convergence_documents \
           WHERE deleted_at IS NULL AND year = $3 AND district_code >= $1 AND district_code < $2 GROUP BY 1, 2 \
         ), docs AS ( \
           SELECT d.code, array_agg(coalesce(doc.n, 0) ORDER BY a.number)::text AS documents \
           FROM d CROSS JOIN convergence_actions a \
           LEFT JOIN doc ON doc.district_code = d.code AND doc.action = a.number GROUP BY d.code \
         ), l AS ( \
           SELECT district_code, count(*) AS n FROM lokus_villages \
           WHERE year = $3 AND district_code >= $1 AND district_code < $2 GROUP BY 1 \
         ) \
         SELECT d.code, d.name, coalesce(p.done, 0) AS done, coalesce(p.in_progress, 0) AS in_progress, \
                p.latest_done, docs.documents, coalesce(l.n, 0) AS lokus, s.score \
         FROM d JOIN docs ON docs.code = d.code \
         LEFT JOIN p ON p.district_code = d.code LEFT JOIN l ON l.district_code = d.code \
         LEFT JOIN convergence_assessments s ON s.district_code = d.code AND s.year = $3 \
         ORDER BY d.code",
    )
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .bind::<Integer, _>(year)
    .load(conn)
    .await
}

/// Convergence over every current district in [low, high), summed for one year.
#[derive(Debug, QueryableByName)]
pub struct ProgressTotals {
    #[diesel(sql_type = BigInt)]
    pub districts: i64,
    #[diesel(sql_type = BigInt)]
    pub actions_done: i64,
    #[diesel(sql_type = BigInt)]
    pub districts_all_done: i64,
    /// Mean over the districts assessed.
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub mean_assessment_score: Option<f64>,
}

/// The totals a dashboard tile shows, without `district_counts`' per-district documents.
pub async fn progress_totals(
    conn: &mut AsyncPgConnection,
    low: &str,
    high: &str,
    year: i32,
) -> QueryResult<ProgressTotals> {
    // SQL: a CTE with filtered aggregates (count … FILTER), which the DSL cannot write.
    diesel::sql_query(
        "WITH p AS ( \
           SELECT district_code, count(*) AS done FROM convergence_progress \
           WHERE year = $3 AND status = 'done' AND district_code >= $1 AND district_code < $2 GROUP BY 1 \
         ) \
         SELECT count(*) AS districts, coalesce(sum(p.done), 0)::bigint AS actions_done, \
                count(*) FILTER (WHERE p.done >= 8) AS districts_all_done, \
                avg(s.score) AS mean_assessment_score \
         FROM regions d LEFT JOIN p ON p.district_code = d.code \
         LEFT JOIN convergence_assessments s ON s.district_code = d.code AND s.year = $3 \
         WHERE d.level = 'district' AND d.retired_at IS NULL AND d.code >= $1 AND d.code < $2",
    )
    .bind::<Text, _>(low)
    .bind::<Text, _>(high)
    .bind::<Integer, _>(year)
    .prepared()
    .get_result(conn)
    .await
}

/// One district's progress in the province's monitoring table.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "district_code": "14.03", "district_name": "Kabupaten Bengkalis", "province_code": "14",
    "actions_done": 5, "actions_in_progress": 1, "latest_action_done": 5,
    "documents_per_action": [2, 1, 3, 1, 0, 0, 0, 0], "actions_with_documents": 4, "documents_up_to_action": 4,
    "lokus_villages": 15, "assessment_score": null, "rank": 1, "documents_rank": 1
}))]
pub struct DistrictProgress {
    pub district_code: RegionCode,
    pub district_name: String,
    pub province_code: RegionCode,
    /// Actions done, out of 8.
    pub actions_done: i64,
    pub actions_in_progress: i64,
    /// The highest action number done ("has done action 5").
    pub latest_action_done: Option<i16>,
    /// Documents on record for actions 1 to 8, in order.
    pub documents_per_action: Vec<i64>,
    /// Actions with at least one document, out of 8.
    pub actions_with_documents: i64,
    /// The highest action number with a document ("uploaded up to action 4").
    pub documents_up_to_action: Option<i16>,
    pub lokus_villages: i64,
    pub assessment_score: Option<f64>,
    /// Rank in the province by actions done, then by actions documented; ties share a rank.
    pub rank: i64,
    /// Rank in the province by actions documented, then by documents.
    pub documents_rank: i64,
}
