use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::{child_services, intervention_types};
use crate::domain::{ChildId, InterventionCategory, InterventionId, ServiceId, UserId};
use crate::error::{ApiError, FieldErrors};
use crate::records::access;
use crate::records::access::Writable;
use crate::records::child::{ChildAccess, ChildRecord};
use crate::records::intervention::types;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A service as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable)]
#[schema(example = json!({
    "id": "0192b7a4-4444-7000-8000-000000000001", "child_id": "7b0c2f0e-3c1a-4c55-9f0e-2d7f1a9b8c01",
    "type_code": "pmt_undernourished_children", "type_name_en": "Supplementary food for undernourished under-fives",
    "category": "specific", "given_on": "2025-08-20", "intervention_id": null, "given_by": "Kader Posyandu Melati",
    "note": "biscuits, 30 days", "recorded_by": null, "created_at": "2025-08-20T03:00:00Z"
}))]
pub struct ServiceView {
    pub id: ServiceId,
    pub child_id: ChildId,
    pub type_code: String,
    pub type_name_en: String,
    pub category: InterventionCategory,
    pub given_on: NaiveDate,
    /// The activity it was part of, if any.
    pub intervention_id: Option<InterventionId>,
    pub given_by: Option<String>,
    pub note: Option<String>,
    pub recorded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// A service to record. The type's target group must be children (under-two or under-five)
/// and fit the child's age on the day.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type_code": "vitamin_a", "given_on": "2025-08-20", "given_by": "Bidan Desa"}))]
pub struct CreateService {
    /// Bring your own id to make a retry safe.
    pub id: Option<Uuid>,
    pub type_code: String,
    pub given_on: NaiveDate,
    pub intervention_id: Option<Uuid>,
    #[validate(length(min = 1, max = 200), custom(function = "crate::domain::text::non_blank"))]
    #[schema(min_length = 1, max_length = 200)]
    pub given_by: Option<String>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = child_services)]
pub struct NewService<'a> {
    pub id: ServiceId,
    pub type_code: &'a str,
    pub given_on: NaiveDate,
    pub intervention_id: Option<InterventionId>,
    pub given_by: Option<&'a str>,
    pub note: Option<&'a str>,
    pub recorded_by: UserId,
}

macro_rules! view_columns {
    () => {
        (
            child_services::id,
            child_services::child_id,
            child_services::type_code,
            intervention_types::name_en,
            intervention_types::category,
            child_services::given_on,
            child_services::intervention_id,
            child_services::given_by,
            child_services::note,
            child_services::recorded_by,
            child_services::created_at,
        )
    };
}

/// The child's services from `since` on (all of them without it), oldest first.
pub async fn for_child(
    conn: &mut AsyncPgConnection,
    child: &impl ChildAccess,
    since: Option<NaiveDate>,
) -> QueryResult<Vec<ServiceView>> {
    let mut query = child_services::table
        .inner_join(intervention_types::table)
        .filter(child_services::child_id.eq(child.child_id()))
        .select(view_columns!())
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(child_services::given_on.ge(since));
    }
    query.order((child_services::given_on, child_services::created_at)).load(conn).await
}

/// The service with this id, whichever child it was given to: what a retried write to `child`
/// compares with (the answer names only the id).
pub async fn find_any(
    conn: &mut AsyncPgConnection,
    _child: &Writable<ChildRecord>,
    id: ServiceId,
) -> QueryResult<Option<ServiceView>> {
    child_services::table
        .inner_join(intervention_types::table)
        .filter(child_services::id.eq(id))
        .select(view_columns!())
        .first(conn)
        .await
        .optional()
}

/// Records a service a child received, as the caller (who may write about the child): the
/// same service sent again under its id is the stored one (`false`: nothing written); a
/// different one under a used id is a 409.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    child_id: ChildId,
    new: &NewService<'_>,
) -> Result<(ServiceView, bool), ApiError> {
    let id = new.id;
    let child = super::lock(conn, caller, child_id).await?;
    if let Some(existing) = find_any(conn, &child, id).await? {
        let same = existing.child_id == child_id
            && existing.type_code == new.type_code
            && existing.given_on == new.given_on
            && existing.intervention_id == new.intervention_id;
        return match same {
            true => Ok((existing, false)),
            false => Err(access::id_taken_under(existing.child_id == child_id, text!("service"), id.0)),
        };
    }
    check_references(conn, &child, new.type_code, new.given_on, new.intervention_id).await?;
    insert(conn, &child, new).await?;
    let entry = serde_json::json!({ "child_id": child_id, "type_code": new.type_code, "given_on": new.given_on });
    audit::record(conn, Some(caller.id), "service.create", id, entry).await?;
    let view = find_any(conn, &child, id).await?.ok_or_else(|| ApiError::not_found(text!("the service vanished")))?;
    Ok((view, true))
}

/// Records a service given to a child the caller may write about.
pub async fn insert(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    new: &NewService<'_>,
) -> QueryResult<()> {
    diesel::insert_into(child_services::table)
        .values((child_services::child_id.eq(child.id), new))
        .execute(conn)
        .await
        .map(drop)
}

/// 422 naming each field that does not fit the child: a type given to children of the child's
/// age, and an activity (if named) of that type, covering the child's village on that day.
pub async fn check_references(
    conn: &mut AsyncPgConnection,
    child: &Writable<ChildRecord>,
    type_code: &str,
    given_on: NaiveDate,
    activity: Option<InterventionId>,
) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    match types::find(conn, type_code).await? {
        None => errors.add("type_code", text!("no intervention type has code %{type_code}", type_code = type_code)),
        Some(t) => match t.target_group.child_ages() {
            None => errors.add(
                "type_code",
                text!("a %{target_group} intervention is not given to a child", target_group = t.target_group.as_str()),
            ),
            Some(ages) => {
                let age = (given_on - child.birth_date).num_days();
                if age < 0 {
                    errors.add("given_on", text!("is before the child's birth date"));
                } else if !ages.contains(&age) {
                    errors.add(
                        "type_code",
                        text!(
                            "a %{target_group} intervention does not fit a child %{age} days old",
                            target_group = t.target_group.as_str(),
                            age = age
                        ),
                    );
                }
            }
        },
    }
    if let Some(activity_id) = activity {
        match crate::records::intervention::load(conn, activity_id).await? {
            None => {
                errors.add("intervention_id", text!("no activity has id %{activity_id}", activity_id = activity_id))
            }
            Some(a) if a.type_code != type_code => errors.add(
                "intervention_id",
                text!("the activity delivers %{delivered}, not %{asked}", delivered = a.type_code, asked = type_code),
            ),
            Some(a) if !a.region_code.contains(&child.village_code) => {
                errors.add("intervention_id", text!("the activity's region does not include the child's village"))
            }
            Some(a) if given_on < a.period_start || given_on > a.period_end => {
                errors.add("given_on", text!("is outside the activity's period"))
            }
            Some(_) => {}
        }
    }
    errors.finish()
}
