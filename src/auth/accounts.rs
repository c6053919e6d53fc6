//! What each account may do now: its role, scope, whether it is active and which of its logins
//! have ended, read from the database rather than trusted from the access token, so a demotion,
//! a move to another region, a deactivation or a logout judges the account's very next request,
//! not the one after its token expires.
//!
//! Each instance keeps a copy per account so a request costs no query. PostgreSQL announces
//! every change at commit (`account_changed`, migrations 000020 and 000042) and a listener
//! forgets the copy; while the listener is not connected nothing is kept, and every request
//! reads the row.
//! A plain map is enough: one small entry per active account, and `forget` must act at once,
//! which a cache with its own eviction policy would not add to.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use futures_util::StreamExt;
use uuid::Uuid;

use crate::db::DbPool;
use crate::db::schema::{refresh_tokens, users};
use crate::domain::{RegionCode, Role, Scope, UserId};
use crate::error::ApiError;

const CHANNEL: &str = "account_changed";

/// An account as the next request is judged.
#[derive(Debug, Clone)]
pub struct Account {
    pub role: Role,
    pub region: Option<RegionCode>,
    pub active: bool,
    /// Logins ended lately enough that an access token of theirs may not have expired yet.
    ended_logins: Vec<Uuid>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct Standing {
    role: Role,
    scope: Option<RegionCode>,
    active: bool,
}

impl Account {
    /// Admins act everywhere, whatever region their account names.
    pub fn scope(&self) -> Scope {
        if self.role == Role::Admin { Scope::National } else { Scope::from_code(self.region.clone()) }
    }

    /// Whether login `session` has ended (its access tokens no longer speak for the account).
    pub fn login_ended(&self, session: Uuid) -> bool {
        self.ended_logins.contains(&session)
    }
}

pub struct Accounts {
    kept: RwLock<HashMap<UserId, Account>>,
    /// Bumped by every `forget`: a row read before it must not be kept after it.
    generation: AtomicU64,
    listening: AtomicBool,
    /// How far back an ended login matters: older ones have no access token left alive.
    login_memory: TimeDelta,
}

impl Accounts {
    pub fn new(login_memory: Duration) -> Self {
        // Access tokens live at most a day (config), far inside TimeDelta's range.
        let login_memory = TimeDelta::from_std(login_memory).unwrap_or(TimeDelta::days(2));
        Self { kept: RwLock::default(), generation: AtomicU64::new(0), listening: AtomicBool::new(false), login_memory }
    }

    /// The account as it stands, or `None` when it no longer exists.
    pub async fn current(&self, pool: &DbPool, id: UserId) -> Result<Option<Account>, ApiError> {
        if let Some(account) = self.read_kept().get(&id) {
            return Ok(Some(account.clone()));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let account = read(pool, id, self.login_memory).await?;
        if let Some(account) = &account {
            let mut kept = self.kept.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Checked under the lock `forget` takes: no change can slip between check and keep.
            if self.listening.load(Ordering::Acquire) && self.generation.load(Ordering::Acquire) == generation {
                kept.insert(id, account.clone());
            }
        }
        Ok(account)
    }

    fn read_kept(&self) -> std::sync::RwLockReadGuard<'_, HashMap<UserId, Account>> {
        self.kept.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Called by the instance that changed the account, after commit, so its own next request
    /// does not wait for the announcement.
    pub fn changed(&self, id: UserId) {
        self.forget(Some(id));
    }

    fn forget(&self, id: Option<UserId>) {
        let mut kept = self.kept.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        match id {
            Some(id) => drop(kept.remove(&id)),
            None => kept.clear(),
        }
    }

    /// Follows the announcements for as long as the service runs, reconnecting after a lost
    /// connection. Until it listens (and between connections) nothing is kept.
    pub async fn follow_changes(self: Arc<Self>, pool: DbPool) {
        loop {
            if let Err(error) = self.listen(&pool).await {
                tracing::warn!(%error, "the account change listener lost its connection; reconnecting");
            }
            self.listening.store(false, Ordering::Release);
            self.forget(None);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen(&self, pool: &DbPool) -> anyhow::Result<()> {
        // Taken out of the pool for good: a listening connection is never handed to a request.
        let mut conn: AsyncPgConnection =
            deadpool::managed::Object::take(pool.get().await.map_err(|e| anyhow::anyhow!("{e}"))?);
        conn.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        // Anything kept before now may have changed while no one listened.
        self.forget(None);
        self.listening.store(true, Ordering::Release);
        let mut changes = std::pin::pin!(conn.notifications_stream());
        while let Some(change) = changes.next().await {
            let change = change?;
            match change.payload.parse::<uuid::Uuid>() {
                Ok(id) => self.forget(Some(UserId(id))),
                Err(_) => self.forget(None),
            }
        }
        anyhow::bail!("the listening connection closed")
    }
}

async fn read(pool: &DbPool, id: UserId, login_memory: TimeDelta) -> Result<Option<Account>, ApiError> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await?;
    let Some(standing) = users::table.find(id).select(Standing::as_select()).first(&mut conn).await.optional()? else {
        return Ok(None);
    };
    let ended_logins = refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(id))
        .filter(refresh_tokens::revoked_at.gt(Utc::now() - login_memory))
        .select(refresh_tokens::family_id)
        .distinct()
        .load(&mut conn)
        .await?;
    Ok(Some(Account { role: standing.role, region: standing.scope, active: standing.active, ended_logins }))
}
