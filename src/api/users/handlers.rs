use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use validator::Validate;

use super::dto::{CreateUser, CreatedUser, ListUsersQuery, UpdateUser, UserView};

use crate::auth::accounts::Accounts;
use crate::auth::policy::{require_manageable, scope_fits_role};
use crate::auth::{Caller, password};
use crate::db::{AsyncPgConnection, DbPool};
use crate::domain::page::{Page, PageRequest};
use crate::domain::{RegionCode, Role, Scope, UserId};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{Json, Query};
use crate::http::precondition::{IfMatch, etag, ok_with_etag};
use crate::i18n::Text;
use crate::records::region;
use crate::records::user::{self, NewUser, UserChanges, UserFilter};

const TAG: &str = "users";

/// `GET /api/v1/users`: accounts inside the caller's scope (admins and officers).
#[utoipa::path(
    operation_id = "list_users",
    tag = TAG,
    params(ListUsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of accounts, oldest first", body = Page<UserView>),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "Neither admin nor officer"),
        (status = 422, description = "An invalid parameter"),
    )
)]
#[get("/users")]
pub async fn list(
    caller: Caller,
    Query(query): Query<ListUsersQuery>,
    pool: web::Data<DbPool>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    caller.require_account_manager()?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = UserFilter { role: query.role, active: query.active };
    let rows = user::list(&mut *pool.get().await?, &caller.scope, &filter, &page).await?;
    Ok(web::Json(page.page(rows, |u| u.id)))
}

/// `POST /api/v1/users`: creates an account. Admins create any; officers create cadres and
/// analysts inside their scope.
#[utoipa::path(
    operation_id = "create_user",
    tag = TAG,
    request_body = CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CreatedUser, headers(("Location" = String), ("ETag" = String))),
        (status = 403, description = "The caller may not create this role or scope"),
        (status = 409, description = "The username is taken"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[post("/users")]
pub async fn create(
    caller: Caller,
    Json(body): Json<CreateUser>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    caller.require_account_manager()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let username = errors.check("username", normalize_username(&body.username));
    let scope = parse_scope(&mut errors, body.scope.as_deref(), body.role);
    if body.password.is_none() && body.role != Role::Integration {
        errors.add("password", text!("is required (only integration accounts get a generated secret)"));
    }
    let (username, scope) = errors.finish_with(username.zip(scope))?;
    require_manageable(&caller, body.role, &scope)?;

    let mut conn = pool.get().await?;
    require_known_region(&mut conn, &scope).await?;
    if user::username_taken(&mut conn, &username).await? {
        return Err(ApiError::conflict(text!("the username %{username} is taken", username = username)));
    }
    let (secret, client_secret) = match body.password {
        Some(password) => (password, None),
        None => {
            let generated = password::generate_secret();
            (generated.clone(), Some(generated))
        }
    };
    let hash = password::hash(secret).await?;
    let new = NewUser {
        id: UserId::new(),
        username: &username,
        display_name: body.display_name.as_deref().map(str::trim),
        password_hash: &hash,
        role: body.role,
        scope: scope.code(),
        created_by: Some(caller.id),
    };
    let user = user::create(&mut conn, &new, "api").await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .insert_header(etag(user.version))
        .json(CreatedUser { user, client_secret }))
}

/// `GET /api/v1/users/{id}`: one account: your own, or one inside your scope (admins, officers).
#[utoipa::path(
    operation_id = "get_user",
    tag = TAG,
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView, headers(("ETag" = String))),
        (status = 403, description = "The account is outside the caller's reach"),
        (status = 404, description = "No such account"),
        (status = 422, description = "A malformed id"),
    )
)]
#[get("/users/{id}")]
pub async fn get(caller: Caller, path: web::Path<UserId>, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let user = load(&mut *pool.get().await?, *path).await?;
    if user.id != caller.id {
        caller.require_account_manager()?;
        if !caller.scope.covers(&Scope::from_code(user.scope.clone())) {
            return Err(ApiError::forbidden(text!("this account is outside your scope")));
        }
    }
    Ok(ok_with_etag(user.version, &user))
}

/// `PATCH /api/v1/users/{id}`: changes an account (needs `If-Match`). Deactivating it, or
/// setting a new password, ends its sessions at once.
#[utoipa::path(
    operation_id = "update_user",
    tag = TAG,
    params(
        ("id" = Uuid, Path, description = "User id"),
        IfMatch,
    ),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed", body = UserView, headers(("ETag" = String))),
        (status = 403, description = "The caller may not manage this account, role or scope, or would change \
            their own role, scope or active flag"),
        (status = 404, description = "No such account"),
        (status = 422, description = "Invalid fields"),
    )
)]
#[patch("/users/{id}")]
pub async fn update(
    caller: Caller,
    path: web::Path<UserId>,
    if_match: IfMatch,
    Json(body): Json<UpdateUser>,
    pool: web::Data<DbPool>,
    accounts: web::Data<Arc<Accounts>>,
) -> Result<HttpResponse, ApiError> {
    caller.require_account_manager()?;
    let mut errors = FieldErrors::from_validation(body.validate());
    let mut conn = pool.get().await?;
    let target = load(&mut conn, *path).await?;
    require_manageable(&caller, target.role, &Scope::from_code(target.scope.clone()))?;

    let role = body.role.unwrap_or(target.role);
    let scope = match &body.scope {
        Some(raw) => parse_scope(&mut errors, raw.as_deref(), role),
        None => {
            let current = Scope::from_code(target.scope.clone());
            if let Err(message) = scope_fits_role(role, &current) {
                errors.add("scope", message);
            }
            Some(current)
        }
    };
    let changes_self = body.role.is_some() || body.scope.is_some() || body.active.is_some();
    // Not a field's fault but this caller's: nobody may lock themselves out (or in).
    if target.id == caller.id && changes_self {
        return Err(ApiError::forbidden(text!("you cannot change your own role, scope or active flag")));
    }
    let scope = errors.finish_with(scope)?;
    require_manageable(&caller, role, &scope)?;
    require_known_region(&mut conn, &scope).await?;

    let password_hash = match body.password {
        Some(password) => Some(password::hash(password).await?),
        None => None,
    };
    let changes = UserChanges {
        display_name: body.display_name.map(|n| n.trim().to_owned()),
        role: body.role,
        scope: body.scope.map(|_| scope.code().cloned()),
        active: body.active,
        password_hash,
    };
    // The checks above read the account unlocked; its version, compared under the lock, says
    // they judged the account as it still is.
    let user = conn
        .transaction::<_, ApiError, _>(async |conn| {
            user::change(conn, &caller, target.id, if_match.expected(), &changes).await
        })
        .await?;
    accounts.changed(user.id);
    Ok(ok_with_etag(user.version, &user))
}

async fn load(conn: &mut AsyncPgConnection, id: UserId) -> Result<UserView, ApiError> {
    user::find(conn, id).await?.ok_or_else(|| user::unknown(id))
}

/// Lower case; letters, digits and `.`, `_`, `-`, `@` only.
fn normalize_username(raw: &str) -> Result<String, Text> {
    let name = raw.trim().to_lowercase();
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_@".contains(c);
    if name.chars().all(allowed) {
        Ok(name)
    } else {
        Err(text!("may contain only letters, digits, '.', '-', '_' and '@'"))
    }
}

/// `null` is national; otherwise a region code that fits the role.
fn parse_scope(errors: &mut FieldErrors, raw: Option<&str>, role: Role) -> Option<Scope> {
    let scope = match raw {
        None => Scope::National,
        Some(code) => Scope::Region(errors.check("scope", RegionCode::parse(code))?),
    };
    match scope_fits_role(role, &scope) {
        Ok(()) => Some(scope),
        Err(message) => {
            errors.add("scope", message);
            None
        }
    }
}

async fn require_known_region(conn: &mut AsyncPgConnection, scope: &Scope) -> Result<(), ApiError> {
    match scope {
        Scope::Region(code) => region::require_known(conn, code, "scope").await,
        Scope::National => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_restricted() {
        assert_eq!(normalize_username(" Kader.Kampar@Desa ").unwrap(), "kader.kampar@desa");
        assert!(normalize_username("bad name").is_err());
        assert!(normalize_username("émile").is_err());
    }
}
