//! An activity's monthly reports: one current figure a month, corrections kept as history, and
//! the activity's `reached` kept equal to the sum of the current ones.

use super::{InterventionRow, InterventionView, lock_to_report, reload};
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::intervention_reports;
use crate::domain::{InterventionId, Month, ReportId, UserId};
use crate::error::ApiError;
use crate::records::access;
use crate::records::access::Writable;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every report of the activity, current and superseded, by month.
pub async fn reports(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<Vec<ReportRow>> {
    intervention_reports::table
        .filter(intervention_reports::intervention_id.eq(id))
        .select(ReportRow::as_select())
        .order((intervention_reports::month, intervention_reports::created_at))
        .load(conn)
        .await
}

/// The month's current report.
pub async fn current_report(
    conn: &mut AsyncPgConnection,
    id: InterventionId,
    month: NaiveDate,
) -> QueryResult<Option<ReportRow>> {
    intervention_reports::table
        .filter(intervention_reports::intervention_id.eq(id))
        .filter(intervention_reports::month.eq(month))
        .filter(intervention_reports::superseded_at.is_null())
        .select(ReportRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The report with this id, on any activity (a client id that is taken is taken for everyone).
pub async fn find_report_any(conn: &mut AsyncPgConnection, id: ReportId) -> QueryResult<Option<ReportRow>> {
    intervention_reports::table.find(id).select(ReportRow::as_select()).first(conn).await.optional()
}

pub async fn supersede(conn: &mut AsyncPgConnection, report: ReportId) -> QueryResult<()> {
    diesel::update(intervention_reports::table.find(report))
        .set(intervention_reports::superseded_at.eq(Utc::now()))
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Insertable)]
#[diesel(table_name = intervention_reports)]
pub struct NewReport<'a> {
    pub id: ReportId,
    pub month: NaiveDate,
    pub reached: i64,
    pub note: Option<&'a str>,
    pub reported_by: UserId,
}

/// A monthly report as a caller sends it.
#[derive(Debug, Clone)]
pub struct IncomingReport {
    pub id: ReportId,
    pub month: Month,
    pub reached: i64,
    pub note: Option<String>,
    /// Replaces the month's current figure (otherwise a second figure for a month is a 409).
    pub correction: bool,
}

impl IncomingReport {
    /// The same figure as the stored `row` (a retry).
    pub fn same_as(&self, activity: InterventionId, row: &ReportRow) -> bool {
        row.intervention_id == activity
            && row.month == self.month.first_day()
            && row.reached == self.reached
            && row.note.as_deref() == self.note.as_deref()
    }
}

/// Records a month's report on an activity, in the caller's transaction: the same report sent
/// again under its id is the stored one (`false`: nothing written); a different one under a
/// used id is a 409; a second figure for a month needs `correction`, and supersedes the first.
pub async fn report(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
    incoming: &IncomingReport,
) -> Result<(ReportOutcome, bool), ApiError> {
    let month = incoming.month;
    if month.first_day() > crate::domain::latest_local_date() {
        return Err(ApiError::invalid("month", text!("is in the future")));
    }
    let activity = lock_to_report(conn, caller, id).await?;
    if let Some(existing) = find_report_any(conn, incoming.id).await? {
        return match incoming.same_as(id, &existing) {
            true => {
                Ok((ReportOutcome { report: existing.into(), intervention: reload(conn, &activity).await? }, false))
            }
            false => Err(access::id_taken_under(existing.intervention_id == id, text!("report"), incoming.id.0)),
        };
    }
    if month.first_day() > activity.period_end || month.last_day() < activity.period_start {
        return Err(ApiError::invalid(
            "month",
            text!(
                "is outside the activity's period, %{period_start} to %{period_end}",
                period_start = activity.period_start,
                period_end = activity.period_end
            ),
        ));
    }
    let previous = current_report(conn, id, month.first_day()).await?;
    match (&previous, incoming.correction) {
        (Some(_), false) => {
            return Err(ApiError::conflict(text!(
                "%{month} is already reported; send \"correction\": true to replace the figure",
                month = month
            )));
        }
        (Some(old), true) => supersede(conn, old.id).await?,
        (None, _) => {}
    }
    let new = NewReport {
        id: incoming.id,
        month: month.first_day(),
        reached: incoming.reached,
        note: incoming.note.as_deref(),
        reported_by: caller.id,
    };
    let row = insert_report(conn, &activity, &new).await?;
    refresh_reached(conn, id).await?;
    let changes = serde_json::json!({
        "month": month, "reached": incoming.reached, "replaced": previous.map(|p| p.reached)
    });
    audit::record(conn, Some(caller.id), "intervention.report", id, changes).await?;
    Ok((ReportOutcome { report: row.into(), intervention: reload(conn, &activity).await? }, true))
}

/// Records a report on an activity the caller may report on.
pub async fn insert_report(
    conn: &mut AsyncPgConnection,
    activity: &Writable<InterventionRow>,
    new: &NewReport<'_>,
) -> QueryResult<ReportRow> {
    diesel::insert_into(intervention_reports::table)
        .values((intervention_reports::intervention_id.eq(activity.id), new))
        .returning(ReportRow::as_returning())
        .get_result(conn)
        .await
}

/// Keeps `reached` equal to the sum of the current reports, in the reporting transaction.
pub async fn refresh_reached(conn: &mut AsyncPgConnection, id: InterventionId) -> QueryResult<()> {
    // SQL: a correlated sum in SET, which the DSL cannot write.
    diesel::sql_query(
        "UPDATE interventions SET \
           reached = (SELECT coalesce(sum(r.reached), 0)::bigint FROM intervention_reports r \
                      WHERE r.intervention_id = $1 AND r.superseded_at IS NULL), \
           version = version + 1, updated_at = now() \
         WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id.0)
    .execute(conn)
    .await
    .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = intervention_reports)]
pub struct ReportRow {
    pub id: ReportId,
    pub intervention_id: InterventionId,
    pub month: NaiveDate,
    pub reached: i64,
    pub note: Option<String>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub reported_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A month's report; superseded ones are corrections' history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192b7a4-3333-7000-8000-000000000001",
    "intervention_id": "0192b7a4-2222-7000-8000-000000000001", "month": "2024-08", "reached": 12,
    "note": null, "superseded_at": null, "reported_by": null, "created_at": "2024-08-31T02:00:00Z"}))]
pub struct ReportView {
    pub id: ReportId,
    pub intervention_id: InterventionId,
    pub month: Month,
    pub reached: i64,
    pub note: Option<String>,
    /// Set when a correction replaced this figure.
    pub superseded_at: Option<DateTime<Utc>>,
    pub reported_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl From<ReportRow> for ReportView {
    fn from(r: ReportRow) -> Self {
        Self {
            id: r.id,
            intervention_id: r.intervention_id,
            month: Month::of(r.month),
            reached: r.reached,
            note: r.note,
            superseded_at: r.superseded_at,
            reported_by: r.reported_by,
            created_at: r.created_at,
        }
    }
}

/// The report just stored and the activity's new totals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReportOutcome {
    pub report: ReportView,
    pub intervention: InterventionView,
}
