//! Budget lines arriving in bulk (`POST /imports/budget-lines`), each added by the rules of
//! `POST /budgets/{id}/lines`, in its own savepoint.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::{LineFields, LineRow, lines};
use crate::auth::Caller;
use crate::db::schema::budget_lines;
use crate::domain::{AgencyId, BudgetId, BudgetLineId, Rupiah};
use crate::error::ApiError;
use crate::records::import::{Columns, OneAtATime, Outcome, Verdict, Writer, each_in_savepoint};

/// A line of a budget document: `POST /budgets/{id}/lines`'s body with the document's id.
/// Without an `id` a line is known by its document and activity.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "2d4f6a8c-1e3b-4c5d-9f7a-0b1c2d3e4f5a", "budget_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "activity": "Pemberian makanan tambahan balita", "type_code": "supplementary_feeding", "agency_id": null,
    "ceiling": 250000000, "output_value": 400, "output_unit": "balita", "village_codes": ["14.01.01.2009"]}))]
pub struct LineRecord {
    pub id: Option<Uuid>,
    pub budget_id: Uuid,
    #[validate(length(min = 1, max = 300), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 300)]
    pub activity: String,
    pub type_code: Option<String>,
    pub agency_id: Option<Uuid>,
    pub ceiling: Rupiah,
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub output_value: Option<i64>,
    #[validate(length(min = 1, max = 100), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 100)]
    pub output_unit: Option<String>,
    /// The villages it reaches; in CSV, separated by `;`.
    #[serde(default, deserialize_with = "list_or_text")]
    #[validate(length(max = 10000))]
    #[schema(max_items = 10000)]
    pub village_codes: Vec<String>,
}

/// A JSON array of codes, or (CSV) the codes in one field, separated by `;`.
fn list_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Given::deserialize(deserializer)? {
        Given::List(list) => list,
        Given::Text(text) => text.split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect(),
    })
}

#[derive(Default)]
pub struct LinesWriter;

impl OneAtATime for LinesWriter {
    type Record = LineRecord;

    async fn one(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        record: &LineRecord,
    ) -> Result<Outcome, ApiError> {
        record.validate()?;
        let budget = BudgetId(record.budget_id);
        let activity = record.activity.trim().to_owned();
        let fields = LineFields {
            activity: Some(activity.clone()),
            type_code: record.type_code.clone(),
            agency_id: record.agency_id.map(AgencyId),
            ceiling: Some(record.ceiling),
            output_value: record.output_value,
            output_unit: record.output_unit.as_deref().map(str::trim).map(str::to_owned),
            village_codes: Some(record.village_codes.clone()),
        };
        let line_id = match record.id {
            Some(id) => BudgetLineId(id),
            None => match same_activity(conn, budget, &activity).await? {
                Some(stored) if fields.same_as(&stored) => stored.id,
                Some(stored) => {
                    return Err(ApiError::DuplicateOf {
                        detail: text!("the document has a different line for this activity; change it with PATCH"),
                        existing_id: stored.id.0,
                    });
                }
                None => BudgetLineId::new(),
            },
        };
        let (_, created) = lines::add(conn, caller, budget, line_id, &fields).await?;
        Ok(Outcome::of_write(created))
    }
}

/// The document's line for `activity`, if it has one.
async fn same_activity(conn: &mut AsyncPgConnection, budget: BudgetId, activity: &str) -> QueryResult<Option<LineRow>> {
    budget_lines::table
        .filter(budget_lines::budget_id.eq(budget))
        .filter(budget_lines::activity.eq(activity))
        .select(LineRow::as_select())
        .first(conn)
        .await
        .optional()
}

impl Writer for LinesWriter {
    type Record = LineRecord;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "id",
            "budget_id",
            "activity",
            "type_code",
            "agency_id",
            "ceiling",
            "output_value",
            "output_unit",
            "village_codes",
        ],
        required: &["budget_id", "activity", "ceiling"],
    };

    fn id_of(record: &LineRecord) -> Option<String> {
        record.id.map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, LineRecord)],
    ) -> Result<Vec<Verdict>, ApiError> {
        each_in_savepoint(self, conn, caller, chunk).await
    }
}
