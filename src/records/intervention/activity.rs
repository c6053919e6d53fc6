//! The rules every write of an intervention activity follows, whoever calls: its references
//! (type, region, responsible agency, funding lines) are checked, its period keeps every
//! current report inside it, and each write is audited in the caller's transaction.

use chrono::NaiveDate;
use serde_json::json;

use super::{InterventionChanges, InterventionRow, InterventionView, NewIntervention};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::db::audit;
use crate::domain::{AgencyId, BudgetLineId, ExpectedVersion, InterventionId, Month, RegionCode};
use crate::error::{ApiError, FieldErrors};
use crate::records::agency;
use crate::records::intervention::types as intervention_types;
use crate::records::region as regions;
use crate::records::write;

/// Creates an activity funded by `funding` (lines of living budgets covering its region); an
/// id already taken is a 409 naming it.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &NewIntervention<'_>,
    funding: &[BudgetLineId],
) -> Result<InterventionView, ApiError> {
    check_references(conn, Some(new.type_code), new.region_code, new.agency_id).await?;
    let id = new.id;
    if super::exists_any(conn, id).await? {
        return Err(ApiError::DuplicateOf {
            detail: text!("an activity already has id %{id}", id = id),
            existing_id: id.0,
        });
    }
    let created = super::insert(conn, caller, new).await?;
    let funding = check_funding(conn, new.region_code, funding).await?;
    super::set_funding(conn, &created, &funding).await?;
    let changes = json!({
        "type_code": new.type_code, "region_code": new.region_code, "target": new.target, "budget_line_ids": funding
    });
    audit::record(conn, Some(caller.id), "intervention.create", id, changes).await?;
    super::reload(conn, &created).await
}

/// Changes an activity; a new period may not leave a current report outside it, and
/// `funding`, when given, replaces its funding lines.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
    read: ExpectedVersion,
    changes: &InterventionChanges,
    funding: Option<&[BudgetLineId]>,
) -> Result<InterventionView, ApiError> {
    let audit = json!({
        "target": changes.target, "period_start": changes.period_start, "period_end": changes.period_end,
        "budget_line_ids": funding,
    });
    write::change::<InterventionRow, _>(conn, caller, id, read, ("update", audit), async |conn, current| {
        check_references(conn, None, &current.region_code, changes.agency_id).await?;
        let start = changes.period_start.unwrap_or(current.period_start);
        let end = changes.period_end.unwrap_or(current.period_end);
        if end < start {
            return Err(ApiError::invalid("period_end", text!("is before period_start")));
        }
        let reports = super::reports(conn, id).await?;
        if let Some(outside) =
            reports.iter().find(|r| r.superseded_at.is_none() && (r.month > end || last_day(r.month) < start))
        {
            return Err(ApiError::invalid(
                "period_start",
                text!("the report for %{month} would fall outside the period", month = outside.month.format("%Y-%m")),
            ));
        }
        super::update(conn, current, changes).await?;
        if let Some(lines) = funding {
            let funding = check_funding(conn, &current.region_code, lines).await?;
            super::set_funding(conn, current, &funding).await?;
        }
        super::reload(conn, current).await
    })
    .await
}

/// Removes an activity for `reason`: it leaves lists and coverage, and stays on record.
pub async fn remove(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: InterventionId,
    read: ExpectedVersion,
    reason: &str,
) -> Result<(), ApiError> {
    write::remove::<InterventionRow>(conn, caller, id, read, Some(reason)).await
}

async fn check_references(
    conn: &mut AsyncPgConnection,
    type_code: Option<&str>,
    region: &RegionCode,
    agency: Option<AgencyId>,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    if let Some(code) = type_code {
        intervention_types::check_known(conn, code, &mut errors).await?;
    }
    if !regions::exists(conn, region).await? {
        errors.add("region_code", text!("no region has code %{region}", region = region));
    }
    if let Some(id) = agency {
        agency::check_serves(conn, id, region, &mut errors).await?;
    }
    errors.finish()
}

/// Every funding line exists in a living budget whose region overlaps the activity's.
async fn check_funding(
    conn: &mut AsyncPgConnection,
    region: &RegionCode,
    ids: &[BudgetLineId],
) -> Result<Vec<BudgetLineId>, ApiError> {
    let found = super::budget_line_regions(conn, ids).await?;
    let mut errors = FieldErrors::default();
    for (i, id) in ids.iter().enumerate() {
        let field = format!("budget_line_ids[{i}]");
        match found.iter().find(|(line, _)| line == id) {
            None => errors.add(&field, text!("no budget line has id %{id}", id = id)),
            Some((_, budget_region)) if !budget_region.overlaps(region) => errors.add(
                &field,
                text!(
                    "the line's budget is for %{budget_region}, which does not cover %{region}",
                    budget_region = budget_region,
                    region = region
                ),
            ),
            Some(_) => {}
        }
    }
    errors.finish()?;
    Ok(ids.to_vec())
}

fn last_day(month_start: NaiveDate) -> NaiveDate {
    Month::of(month_start).last_day()
}
