//! The rules every write of a budget line follows, whoever calls: a single request or an import.

use diesel_async::AsyncPgConnection;
use serde_json::json;

use super::{LineFields, LineKey, LineRow, LineView};
use crate::auth::Caller;
use crate::db::audit;
use crate::domain::{AgencyId, BudgetId, BudgetLineId, RegionCode, RegionLevel};
use crate::error::{ApiError, FieldErrors};
use crate::records::agency;
use crate::records::intervention::types as intervention_types;
use crate::records::region as regions;

impl LineFields {
    /// A retry of the stored line: field for field the same.
    pub fn same_as(&self, existing: &LineRow) -> bool {
        Some(&existing.activity) == self.activity.as_ref()
            && existing.type_code == self.type_code
            && existing.agency_id == self.agency_id
            && Some(existing.ceiling) == self.ceiling
            && existing.output_value == self.output_value
            && existing.output_unit == self.output_unit
            && Some(&existing.village_codes) == self.village_codes.as_ref()
    }
}

/// Adds a line to a document the caller may change, in the caller's transaction: the same
/// line sent again under its id is the stored one (`false`: nothing written); a different one
/// under a used id is a 409; an approved document takes no new lines.
pub async fn add(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: BudgetId,
    line_id: BudgetLineId,
    fields: &LineFields,
) -> Result<(LineView, bool), ApiError> {
    let budget = super::lock(conn, caller, id).await?;
    if let Some(existing) = super::find_line_any(conn, line_id).await? {
        return match existing.budget_id == id && fields.same_as(&existing) {
            true => Ok((super::line(conn, &budget, line_id).await?, false)),
            false => Err(ApiError::DuplicateOf {
                detail: format!("a different budget line already has id {line_id}"),
                existing_id: line_id.0,
            }),
        };
    }
    super::require_open(&budget)?;
    check(conn, &budget.region_code, fields.type_code.as_deref(), fields.agency_id, fields.village_codes.as_deref())
        .await?;
    super::insert_line(conn, &budget, line_id, fields).await?;
    keep_totals(conn, id, "ceiling").await?;
    audit::record(
        conn,
        Some(caller.id),
        "budget.line.create",
        LineKey(id, line_id),
        json!({ "ceiling": fields.ceiling }),
    )
    .await?;
    Ok((super::line(conn, &budget, line_id).await?, true))
}

/// The type and agency exist, the agency's district overlaps the document's region, and every
/// village is a known village inside that region.
pub async fn check(
    conn: &mut AsyncPgConnection,
    region: &RegionCode,
    type_code: Option<&str>,
    agency: Option<AgencyId>,
    villages: Option<&[String]>,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    if let Some(code) = type_code {
        intervention_types::check_known(conn, code, &mut errors).await?;
    }
    if let Some(id) = agency {
        agency::check_serves(conn, id, region, &mut errors).await?;
    }
    let mut parsed = Vec::new();
    for (i, raw) in villages.unwrap_or_default().iter().enumerate() {
        let field = format!("village_codes[{i}]");
        match RegionCode::parse(raw) {
            Ok(code) if code.level() == RegionLevel::Village && region.contains(&code) => parsed.push(code),
            Ok(_) => errors.add(&field, format!("must be a village inside {region}")),
            Err(e) => errors.add(&field, e.to_string()),
        }
    }
    if !parsed.is_empty() {
        let known = regions::refs(conn, &parsed).await?;
        for code in parsed.iter().filter(|c| !known.iter().any(|k| &k.code == *c)) {
            errors.add("village_codes", format!("no region has code {code}"));
        }
    }
    errors.finish()
}

/// Refreshes the document's totals, or refuses the change (rolling it back) that would carry one
/// past `Rupiah::MAX`, the most any amount of the API can be.
pub async fn keep_totals(conn: &mut AsyncPgConnection, id: BudgetId, field: &str) -> Result<(), ApiError> {
    match super::refresh_totals(conn, id).await? {
        true => Ok(()),
        false => Err(over_cap(field, "the budget's lines")),
    }
}

pub fn over_cap(field: &str, what: &str) -> ApiError {
    ApiError::invalid(field, format!("would bring {what} to more than Rp 1,000,000,000,000,000 in all"))
}
