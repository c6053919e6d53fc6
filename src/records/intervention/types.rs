use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::intervention_types;
use crate::domain::{CountUnit, ExpectedVersion, InterventionCategory, TargetGroup};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::Writable;
use crate::records::write::{self, Versioned};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use validator::Validate;

/// One type of intervention.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = intervention_types)]
#[schema(example = json!({
    "code": "ttd_pregnant", "name_id": "Ibu hamil mengonsumsi minimal 90 tablet tambah darah (TTD)",
    "name_en": "Pregnant women taking at least 90 iron tablets", "category": "specific",
    "target_group": "pregnant", "unit": "persons", "national_target_pct": 80.0, "national_target_year": 2024,
    "version": 1, "created_at": "2026-11-22T00:00:00Z", "updated_at": "2026-11-22T00:00:00Z"
}))]
pub struct InterventionType {
    pub code: String,
    pub name_id: String,
    pub name_en: String,
    pub category: InterventionCategory,
    pub target_group: TargetGroup,
    pub unit: CountUnit,
    /// Percent of the target group to reach nationally, where a target is set.
    pub national_target_pct: Option<f64>,
    pub national_target_year: Option<i32>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new type (admins).
#[derive(Debug, Deserialize, Validate, ToSchema, Insertable)]
#[diesel(table_name = intervention_types)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "zinc_supplementation", "name_id": "Suplementasi zinc", "name_en": "Zinc supplementation",
    "category": "specific", "target_group": "under_five", "unit": "persons",
    "national_target_pct": null, "national_target_year": null
}))]
pub struct NewInterventionType {
    /// Lower case letters, digits and `_`, starting with a letter.
    #[validate(length(min = 2, max = 40))]
    #[schema(min_length = 2, max_length = 40, pattern = "^[a-z][a-z0-9_]*$")]
    pub code: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name_id: String,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name_en: String,
    pub category: InterventionCategory,
    pub target_group: TargetGroup,
    pub unit: CountUnit,
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub national_target_pct: Option<f64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub national_target_year: Option<i32>,
}

/// Changes to a type; absent fields stay as they are. The code never changes.
#[derive(Debug, Deserialize, Validate, ToSchema, AsChangeset)]
#[diesel(table_name = intervention_types)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"national_target_pct": 90.0, "national_target_year": 2029}))]
pub struct TypeChanges {
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name_id: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub name_en: Option<String>,
    pub category: Option<InterventionCategory>,
    pub target_group: Option<TargetGroup>,
    pub unit: Option<CountUnit>,
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub national_target_pct: Option<f64>,
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub national_target_year: Option<i32>,
}

pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<InterventionType>> {
    intervention_types::table
        .select(InterventionType::as_select())
        .order((intervention_types::category, intervention_types::code))
        .load(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, code: &str) -> QueryResult<Option<InterventionType>> {
    intervention_types::table.find(code).select(InterventionType::as_select()).first(conn).await.optional()
}

/// Adds a type to the catalogue (admins): its code is lower case letters, digits and `_`, and
/// unused; a national target has both its percentage and its year.
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    new: &NewInterventionType,
) -> Result<InterventionType, ApiError> {
    caller.require_admin()?;
    let mut errors = FieldErrors::from_validation(new.validate());
    let code_ok = new.code.starts_with(|c: char| c.is_ascii_lowercase())
        && new.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !code_ok {
        errors.add("code", text!("must be lower case letters, digits and '_', starting with a letter"));
    }
    check_target(&mut errors, new.national_target_pct, new.national_target_year);
    errors.finish()?;
    if find(conn, &new.code).await?.is_some() {
        return Err(ApiError::conflict(text!("an intervention type with code %{code} exists", code = new.code)));
    }
    let created = insert(conn, new).await?;
    let entry = json!({ "category": created.category, "target_group": created.target_group });
    audit::record(conn, Some(caller.id), "intervention_type.create", created.code.clone(), entry).await?;
    Ok(created)
}

/// Changes a type (admins); the national target keeps both its parts.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    code: String,
    read: ExpectedVersion,
    changes: &TypeChanges,
) -> Result<InterventionType, ApiError> {
    let audit = ("update", json!({ "national_target_pct": changes.national_target_pct }));
    write::change::<InterventionType, _>(conn, caller, code, read, audit, async |conn, current| {
        let mut errors = FieldErrors::default();
        check_target(
            &mut errors,
            changes.national_target_pct.or(current.national_target_pct),
            changes.national_target_year.or(current.national_target_year),
        );
        errors.finish()?;
        Ok(update(conn, current, changes).await?)
    })
    .await
}

fn check_target(errors: &mut FieldErrors, pct: Option<f64>, year: Option<i32>) {
    if pct.is_some() != year.is_some() {
        errors.add("national_target_year", text!("a national target needs both its percentage and its year"));
    }
}

async fn insert(conn: &mut AsyncPgConnection, new: &NewInterventionType) -> QueryResult<InterventionType> {
    diesel::insert_into(intervention_types::table)
        .values(new)
        .returning(InterventionType::as_returning())
        .get_result(conn)
        .await
}

impl Versioned for InterventionType {
    type Id = String;
    const ENTITY: &'static str = "intervention_type";
    fn version(&self) -> i32 {
        self.version
    }
    /// The national catalogue: only an admin changes it.
    async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, code: String) -> Result<Writable<Self>, ApiError> {
        let row = intervention_types::table
            .find(&code)
            .select(InterventionType::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        Writable::check_by(
            row,
            || ApiError::not_found(text!("no intervention type has code %{code}", code = code)),
            |_| caller.require_admin(),
        )
    }
}

async fn update(
    conn: &mut AsyncPgConnection,
    current: &Writable<InterventionType>,
    changes: &TypeChanges,
) -> QueryResult<InterventionType> {
    diesel::update(intervention_types::table.find(&current.code))
        .set((
            changes,
            intervention_types::version.eq(intervention_types::version + 1),
            intervention_types::updated_at.eq(Utc::now()),
        ))
        .returning(InterventionType::as_returning())
        .get_result(conn)
        .await
}

/// Records in `errors` that no intervention type has `code`.
pub async fn check_known(
    conn: &mut crate::db::AsyncPgConnection,
    code: &str,
    errors: &mut crate::error::FieldErrors,
) -> diesel::QueryResult<()> {
    if find(conn, code).await?.is_none() {
        errors.add("type_code", text!("no intervention type has code %{code}", code = code));
    }
    Ok(())
}
