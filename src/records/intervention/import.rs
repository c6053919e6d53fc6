//! Monthly reports arriving in bulk (`POST /imports/intervention-reports`), each written by the
//! rules of `POST /interventions/{id}/reports`, in its own savepoint.

use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{IncomingReport, current_report, report};
use crate::auth::Caller;
use crate::domain::text;
use crate::domain::{InterventionId, Month, ReportId};
use crate::error::ApiError;
use crate::records::import::{Columns, OneAtATime, Outcome, Verdict, Writer, each_in_savepoint};

/// A month's figure for an activity. Without an `id` a report is known by its activity and
/// month: the same figure again is unchanged; a different one needs `correction`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "5c2e8f14-3b7a-4d19-9e06-7a1f2c3d4e5b", "intervention_id": "0f8e7d6c-5b4a-4392-8a1b-2c3d4e5f6a7b",
    "month": "2025-03", "reached": 42, "note": "posyandu Melati and Mawar", "correction": false}))]
pub struct ReportRecord {
    pub id: Option<Uuid>,
    pub intervention_id: Uuid,
    pub month: Month,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub reached: i64,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Replace the month's figure (default false).
    pub correction: Option<bool>,
}

#[derive(Default)]
pub struct ReportsWriter;

impl OneAtATime for ReportsWriter {
    type Record = ReportRecord;

    async fn one(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        record: &ReportRecord,
    ) -> Result<Outcome, ApiError> {
        record.validate()?;
        let activity = InterventionId(record.intervention_id);
        let incoming = IncomingReport {
            id: record.id.map_or_else(ReportId::new, ReportId),
            month: record.month,
            reached: record.reached,
            note: text::given(record.note.as_deref()).map(str::to_owned),
            correction: record.correction.unwrap_or(false),
        };
        let current = current_report(conn, activity, record.month.first_day()).await?;
        if record.id.is_none()
            && let Some(current) = &current
            && incoming.same_as(activity, current)
        {
            // Still checked as a write: the caller must be allowed to report on it.
            super::lock_to_report(conn, caller, activity).await?;
            return Ok(Outcome::Unchanged);
        }
        let (_, created) = report(conn, caller, activity, &incoming).await?;
        Ok(match (created, current) {
            (false, _) => Outcome::Unchanged,
            (true, Some(_)) => Outcome::Updated,
            (true, None) => Outcome::Created,
        })
    }
}

impl Writer for ReportsWriter {
    type Record = ReportRecord;
    const COLUMNS: &'static Columns = &Columns {
        known: &["id", "intervention_id", "month", "reached", "note", "correction"],
        required: &["intervention_id", "month", "reached"],
    };

    fn id_of(record: &ReportRecord) -> Option<String> {
        record.id.map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, ReportRecord)],
    ) -> Result<Vec<Verdict>, ApiError> {
        each_in_savepoint(self, conn, caller, chunk).await
    }
}
