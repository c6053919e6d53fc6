//! Accounts, the rules of who manages whom, and the sessions (refresh tokens, sign-in
//! attempts) they sign in with.

pub mod sessions;

use crate::auth::Caller;
use crate::auth::policy::require_manageable;
use crate::db::audit;
use crate::db::schema::{refresh_tokens, users};
use crate::domain::page::PageRequest;
use crate::domain::{ExpectedVersion, RegionCode, Role, Scope, UserId};
use crate::error::ApiError;
use crate::records::access::Writable;
use crate::records::write;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: UserId,
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub password_hash: &'a str,
    pub role: Role,
    pub scope: Option<&'a RegionCode>,
    pub created_by: Option<UserId>,
}

pub async fn insert(conn: &mut AsyncPgConnection, user: &NewUser<'_>) -> QueryResult<UserView> {
    diesel::insert_into(users::table).values(user).returning(UserView::as_returning()).get_result(conn).await
}

/// Inserts the account and its audit entry in one transaction. `via` says where it came
/// from: `api`, `cli` or `first_start`.
pub async fn create(conn: &mut AsyncPgConnection, user: &NewUser<'_>, via: &str) -> QueryResult<UserView> {
    conn.transaction(async move |conn| {
        let created = insert(conn, user).await?;
        let changes = json!({ "username": created.username, "role": created.role, "scope": created.scope, "via": via });
        audit::record(conn, user.created_by, "user.create", created.id, changes).await?;
        Ok(created)
    })
    .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<Option<UserView>> {
    users::table.find(id).select(UserView::as_select()).first(conn).await.optional()
}

pub async fn username_taken(conn: &mut AsyncPgConnection, username: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::username.eq(username)))).get_result(conn).await
}

pub async fn any_admin(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.filter(users::role.eq(Role::Admin)))).get_result(conn).await
}

#[derive(Debug, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Accounts whose scope lies inside `scope`, oldest first (ids are UUIDv7).
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &UserFilter,
    page: &PageRequest<UserId>,
) -> QueryResult<Vec<UserView>> {
    let mut query = users::table.select(UserView::as_select()).into_boxed();
    if let Scope::Region(root) = scope {
        query = query.filter(users::scope.ge(root.as_str()).and(users::scope.lt(root.subtree_end())));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(after) = page.after {
        query = query.filter(users::id.gt(after));
    }
    query.order(users::id).limit(page.fetch()).load(conn).await
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub scope: Option<Option<RegionCode>>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// Locks the account for the rest of the transaction, if the caller may manage it.
pub async fn lock(conn: &mut AsyncPgConnection, caller: &Caller, id: UserId) -> Result<Writable<UserView>, ApiError> {
    let row = users::table.find(id).select(UserView::as_select()).for_update().first(conn).await.optional()?;
    Writable::check_by(
        row,
        || unknown(id),
        |user| require_manageable(caller, user.role, &Scope::from_code(user.scope.clone())),
    )
}

pub fn unknown(id: UserId) -> ApiError {
    ApiError::not_found(text!("no account has id %{id}", id = id))
}

write::versioned!(UserView, UserId, "user", lock);

/// Changes account `id` as the caller, whose right to manage it (as it was and as it will be)
/// the caller has judged from the version read: compared under the lock, that version says the
/// judgement still holds. Deactivating an account or setting its password ends its sessions.
pub async fn change(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: UserId,
    read: ExpectedVersion,
    changes: &UserChanges,
) -> Result<UserView, ApiError> {
    let ends_sessions = changes.active == Some(false) || changes.password_hash.is_some();
    let audit = ("update", describe(changes));
    write::change::<UserView, _>(conn, caller, id, read, audit, async |conn, current| {
        let user = update(conn, current, changes).await?;
        if ends_sessions {
            revoke_sessions(conn, user.id).await?;
        }
        Ok(user)
    })
    .await
}

/// What the audit trail keeps of a change: new values, but only the fact of a new password.
fn describe(changes: &UserChanges) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(name) = &changes.display_name {
        out.insert("display_name".into(), json!(name));
    }
    if let Some(role) = changes.role {
        out.insert("role".into(), json!(role));
    }
    if let Some(scope) = &changes.scope {
        out.insert("scope".into(), json!(scope));
    }
    if let Some(active) = changes.active {
        out.insert("active".into(), json!(active));
    }
    if changes.password_hash.is_some() {
        out.insert("password".into(), json!("changed"));
    }
    serde_json::Value::Object(out)
}

async fn update(
    conn: &mut AsyncPgConnection,
    user: &Writable<UserView>,
    changes: &UserChanges,
) -> QueryResult<UserView> {
    diesel::update(users::table.find(user.id))
        .set((changes, users::version.eq(users::version + 1), users::updated_at.eq(Utc::now())))
        .returning(UserView::as_returning())
        .get_result(conn)
        .await
}

/// Ends every session of the user: their refresh tokens stop working at once.
pub async fn revoke_sessions(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await
}

/// An account as the API shows it: never its password hash.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Queryable, Selectable)]
#[diesel(table_name = users)]
#[schema(example = json!({
    "id": "019a9c8e-7d2f-7b3c-9a41-3f0e2b6d8c11", "username": "kampar.officer",
    "display_name": "Dinas P3AP2KB Kampar", "role": "officer", "scope": "14.01", "active": true,
    "version": 1, "created_at": "2026-11-22T00:00:00Z", "updated_at": "2026-11-22T00:00:00Z"
}))]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    /// The region the user sees and acts in, with everything under it; `null` is all of Indonesia.
    pub scope: Option<RegionCode>,
    pub active: bool,
    /// Send it back as `If-Match` to change the account.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
