//! The rules every write of a budget line follows, whoever calls: a single request or an import.

use diesel_async::AsyncPgConnection;
use serde_json::json;

use super::{LineFields, LineKey, LineRow, LineView, LockedLine};
use crate::auth::Caller;
use crate::db::audit;
use crate::domain::{AgencyId, BudgetId, BudgetLineId, ExpectedVersion, RegionCode, RegionLevel};
use crate::error::{ApiError, FieldErrors};
use crate::records::agency;
use crate::records::intervention::types as intervention_types;
use crate::records::region as regions;
use crate::records::write;

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

/// Changes a line of a draft or revised document: its references are checked as on entry, its
/// ceiling may not fall below what it has spent, and the document's totals follow.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    key: LineKey,
    read: ExpectedVersion,
    fields: &LineFields,
) -> Result<LineView, ApiError> {
    let audit = ("update", json!({ "ceiling": fields.ceiling }));
    write::change::<LockedLine, _>(conn, caller, key, read, audit, async |conn, locked| {
        let (budget, current) = (&locked.budget, &locked.line);
        super::require_open(budget)?;
        let villages = fields.village_codes.as_deref();
        check(conn, &budget.region_code, fields.type_code.as_deref(), fields.agency_id, villages).await?;
        if fields.ceiling.is_some_and(|c| c < current.realised) {
            return Err(ApiError::invalid("ceiling", "is below what the line has already spent"));
        }
        if let Some(ceiling) = fields.ceiling {
            check_total(budget.lines_total.value() - current.ceiling.value(), ceiling.value())?;
        }
        super::update_line(conn, locked, fields).await?;
        keep_totals(conn, key.0, "ceiling").await?;
        super::reload_line(conn, locked).await
    })
    .await
}

/// Removes a line with no spending from a draft or revised document.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    key: LineKey,
    read: ExpectedVersion,
) -> Result<(), ApiError> {
    write::change::<LockedLine, _>(conn, caller, key, read, ("delete", json!({})), async |conn, line| {
        super::require_open(&line.budget)?;
        if super::has_spending(conn, line).await? {
            return Err(ApiError::conflict("the line has spending recorded; it cannot be removed"));
        }
        super::delete_line(conn, line).await?;
        keep_totals(conn, key.0, "ceiling").await
    })
    .await
}

/// The document's lines must still sum inside `bigint` with this ceiling.
fn check_total(others: i64, ceiling: i64) -> Result<(), ApiError> {
    if i128::from(others) + i128::from(ceiling) > i128::from(i64::MAX) {
        Err(ApiError::invalid("ceiling", "would make the document's total too large to record"))
    } else {
        Ok(())
    }
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
