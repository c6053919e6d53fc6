//! A document's lines: how they are stored and read, and the rules every write of one follows,
//! whoever calls: a single request or an import.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{BudgetRow, absorption_pct, lock};
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::audit;
use crate::db::schema::{budget_lines, budget_spending, intervention_types as type_rows};
use crate::domain::{
    AgencyId, BudgetId, BudgetLineId, ExpectedVersion, InterventionCategory, RegionCode, RegionLevel, Rupiah,
};
use crate::error::{ApiError, FieldErrors};
use crate::records::access;
use crate::records::access::{Scoped, Visible, Writable};
use crate::records::agency;
use crate::records::intervention::types as intervention_types;
use crate::records::region as regions;
use crate::records::write::{self, Versioned};

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
    if let Some(existing) = find_line_any(conn, line_id).await? {
        let its = existing.budget_id == id;
        return match its && fields.same_as(&existing) {
            true => Ok((line(conn, &budget, line_id).await?, false)),
            false => Err(access::id_taken_under(its, text!("budget line"), line_id.0)),
        };
    }
    super::require_open(&budget)?;
    check(conn, &budget.region_code, fields.type_code.as_deref(), fields.agency_id, fields.village_codes.as_deref())
        .await?;
    insert_line(conn, &budget, line_id, fields).await?;
    keep_totals(conn, id, "ceiling").await?;
    audit::record(
        conn,
        Some(caller.id),
        "budget.line.create",
        LineKey(id, line_id),
        json!({ "ceiling": fields.ceiling }),
    )
    .await?;
    Ok((line(conn, &budget, line_id).await?, true))
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
            return Err(ApiError::invalid("ceiling", text!("is below what the line has already spent")));
        }
        if let Some(ceiling) = fields.ceiling {
            check_total(budget.lines_total.value() - current.ceiling.value(), ceiling.value())?;
        }
        update_line(conn, locked, fields).await?;
        keep_totals(conn, key.0, "ceiling").await?;
        reload_line(conn, locked).await
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
        if has_spending(conn, line).await? {
            return Err(ApiError::conflict(text!("the line has spending recorded; it cannot be removed")));
        }
        delete_line(conn, line).await?;
        keep_totals(conn, key.0, "ceiling").await
    })
    .await
}

/// The document's lines must still sum inside `bigint` with this ceiling.
fn check_total(others: i64, ceiling: i64) -> Result<(), ApiError> {
    if i128::from(others) + i128::from(ceiling) > i128::from(i64::MAX) {
        Err(ApiError::invalid("ceiling", text!("would make the document's total too large to record")))
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
            Ok(_) => errors.add(&field, text!("must be a village inside %{region}", region = region)),
            Err(e) => errors.add(&field, e.into()),
        }
    }
    if !parsed.is_empty() {
        let known = regions::refs(conn, &parsed).await?;
        for code in parsed.iter().filter(|c| !known.iter().any(|k| &k.code == *c)) {
            errors.add("village_codes", text!("no region has code %{code}", code = code));
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
    ApiError::invalid(field, text!("would bring %{what} to more than Rp 1,000,000,000,000,000 in all", what = what))
}

/// A line of a document, locked with the document: every write to a line changes the
/// document's totals, so it locks the document first.
#[derive(Debug)]
pub struct LockedLine {
    pub budget: BudgetRow,
    pub line: LineView,
}

/// A line's key: the document it belongs to and its own id (`<budget>/<line>` in the audit).
#[derive(Debug, Clone, Copy)]
pub struct LineKey(pub BudgetId, pub BudgetLineId);

impl std::fmt::Display for LineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.0, self.1)
    }
}

impl Scoped for LockedLine {
    const RECORD: Record = Record::Budget;
    fn region(&self) -> &RegionCode {
        &self.budget.region_code
    }
}

impl Versioned for LockedLine {
    type Id = LineKey;
    const ENTITY: &'static str = "budget.line";
    fn version(&self) -> i32 {
        self.line.version
    }
    async fn lock(
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        LineKey(budget, id): LineKey,
    ) -> Result<Writable<Self>, ApiError> {
        let budget = lock(conn, caller, budget).await?.into_inner();
        let line = line_of(conn, budget.id, id).await?;
        Writable::check(caller, line.map(|line| LockedLine { budget, line }), || unknown_line(id))
    }
}

pub fn unknown_line(id: BudgetLineId) -> ApiError {
    ApiError::not_found(text!("no line %{id} in this budget", id = id))
}

/// A document the caller may read or write: what gives access to its lines.
pub trait BudgetAccess {
    fn budget_id(&self) -> BudgetId;
}

impl BudgetAccess for Visible<BudgetRow> {
    fn budget_id(&self) -> BudgetId {
        self.id
    }
}

impl BudgetAccess for Writable<BudgetRow> {
    fn budget_id(&self) -> BudgetId {
        self.id
    }
}

/// The line with this id, in any document (a taken client id, as for `find_any`).
pub async fn find_line_any(conn: &mut AsyncPgConnection, id: BudgetLineId) -> QueryResult<Option<LineRow>> {
    budget_lines::table.find(id).select(LineRow::as_select()).first(conn).await.optional()
}

pub async fn lines(conn: &mut AsyncPgConnection, budget: &impl BudgetAccess) -> QueryResult<Vec<LineView>> {
    let budget = budget.budget_id();
    let rows: Vec<(LineRow, Option<InterventionCategory>)> = budget_lines::table
        .left_join(type_rows::table)
        .filter(budget_lines::budget_id.eq(budget))
        .select((LineRow::as_select(), type_rows::category.nullable()))
        .order((budget_lines::created_at, budget_lines::id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(row, category)| LineView::new(row, category)).collect())
}

/// A line of a document the caller may read: 404 unless it is one of the document's.
pub async fn line(
    conn: &mut AsyncPgConnection,
    budget: &impl BudgetAccess,
    id: BudgetLineId,
) -> Result<LineView, ApiError> {
    line_of(conn, budget.budget_id(), id).await?.ok_or_else(|| unknown_line(id))
}

/// A locked line as the API shows it, after a write.
pub async fn reload_line(conn: &mut AsyncPgConnection, line: &Writable<LockedLine>) -> Result<LineView, ApiError> {
    line_of(conn, line.budget.id, line.line.id).await?.ok_or_else(|| unknown_line(line.line.id))
}

async fn line_of(conn: &mut AsyncPgConnection, budget: BudgetId, id: BudgetLineId) -> QueryResult<Option<LineView>> {
    let row: Option<(LineRow, Option<InterventionCategory>)> = budget_lines::table
        .left_join(type_rows::table)
        .filter(budget_lines::budget_id.eq(budget))
        .filter(budget_lines::id.eq(id))
        .select((LineRow::as_select(), type_rows::category.nullable()))
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(|(row, category)| LineView::new(row, category)))
}

#[derive(Insertable, AsChangeset, Default)]
#[diesel(table_name = budget_lines)]
pub struct LineFields {
    pub activity: Option<String>,
    pub type_code: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub ceiling: Option<Rupiah>,
    pub output_value: Option<i64>,
    pub output_unit: Option<String>,
    pub village_codes: Option<Vec<String>>,
}

pub async fn insert_line(
    conn: &mut AsyncPgConnection,
    budget: &Writable<BudgetRow>,
    id: BudgetLineId,
    fields: &LineFields,
) -> QueryResult<()> {
    diesel::insert_into(budget_lines::table)
        .values((budget_lines::id.eq(id), budget_lines::budget_id.eq(budget.id), fields))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn update_line(
    conn: &mut AsyncPgConnection,
    line: &Writable<LockedLine>,
    fields: &LineFields,
) -> QueryResult<()> {
    diesel::update(budget_lines::table.find(line.line.id))
        .set((fields, budget_lines::version.eq(budget_lines::version + 1), budget_lines::updated_at.eq(Utc::now())))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn has_spending(conn: &mut AsyncPgConnection, line: &Writable<LockedLine>) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(budget_spending::table.filter(budget_spending::line_id.eq(line.line.id))))
        .get_result(conn)
        .await
}

/// Deletes the row of a line with no spending (a draft's line leaves no trace worth keeping
/// but its audit line).
pub async fn delete_line(conn: &mut AsyncPgConnection, line: &Writable<LockedLine>) -> QueryResult<()> {
    diesel::delete(budget_lines::table.find(line.line.id)).execute(conn).await.map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = budget_lines)]
pub struct LineRow {
    pub id: BudgetLineId,
    pub budget_id: BudgetId,
    pub activity: String,
    pub type_code: Option<String>,
    pub agency_id: Option<AgencyId>,
    pub ceiling: Rupiah,
    pub output_value: Option<i64>,
    pub output_unit: Option<String>,
    pub village_codes: Vec<String>,
    pub realised: Rupiah,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A budget line with its spending.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192b7a4-6666-7000-8000-000000000001", "budget_id": "0192b7a4-5555-7000-8000-000000000001",
    "activity": "Pendampingan keluarga berisiko stunting", "type_code": "tpk_home_visit", "category": "specific",
    "agency_id": null, "ceiling": 2772000000_i64, "output_value": 250, "output_unit": "villages/kelurahan",
    "village_codes": [], "realised": 0, "absorption_pct": 0.0, "version": 1,
    "created_at": "2024-01-02T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"
}))]
pub struct LineView {
    pub id: BudgetLineId,
    pub budget_id: BudgetId,
    pub activity: String,
    /// The intervention type it funds, which makes it specific or sensitive.
    pub type_code: Option<String>,
    pub category: Option<InterventionCategory>,
    /// The responsible agency (OPD).
    pub agency_id: Option<AgencyId>,
    /// The ceiling (*pagu*).
    pub ceiling: Rupiah,
    /// The output target: `250` `villages`, `6` `times a year`.
    pub output_value: Option<i64>,
    pub output_unit: Option<String>,
    /// The villages it covers, all inside the document's region.
    #[schema(value_type = Vec<String>)]
    pub village_codes: Vec<String>,
    /// Realised spending (*realisasi*).
    pub realised: Rupiah,
    pub absorption_pct: Option<f64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl LineView {
    pub fn new(r: LineRow, category: Option<InterventionCategory>) -> Self {
        Self {
            absorption_pct: absorption_pct(r.realised.value(), r.ceiling.value()),
            id: r.id,
            budget_id: r.budget_id,
            activity: r.activity,
            type_code: r.type_code,
            category,
            agency_id: r.agency_id,
            ceiling: r.ceiling,
            output_value: r.output_value,
            output_unit: r.output_unit,
            village_codes: r.village_codes,
            realised: r.realised,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
