use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::page;
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::records::changes::{self as feed, Change, Position, trimmed};

const TAG: &str = "changes";

/// Days of changes the feed keeps (`CHANGE_FEED_RETENTION_DAYS`; 0: all).
#[derive(Debug, Clone, Copy)]
pub struct FeedRetention(pub u32);
const DEFAULT_LIMIT: u32 = 100;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// `next` of the previous answer; absent: from the beginning.
    #[param(pattern = r"^[0-9]{1,19}-[0-9]{1,19}$", example = "812-5")]
    pub since: Option<String>,
    /// At most this many changes (default 100).
    pub limit: Option<u32>,
}

/// A page of the feed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangePage {
    /// Oldest first; each record once per write.
    pub items: Vec<Change>,
    /// The `since` of the next call. Kept by the client between syncs.
    pub next: String,
    /// A full page: call again at once with `next`. Otherwise the feed is read up to now.
    pub more: bool,
}

/// `GET /api/v1/changes?since=&limit=`: every record written in the caller's scope after
/// `since` (children, measurements, cases, activities and their monthly reports, teams,
/// families at risk, budgets with their lines and spending), oldest first, removals and voids
/// included as tombstones (`removed: true`). A change never appears twice and is never
/// skipped: the feed only goes as far as the oldest write still in progress, so one that
/// commits later is still ahead of `next`. Items name the record; read it at its resource
/// (personal fields follow that resource's rules). Not for analysts, whose dashboards read
/// aggregates.
#[utoipa::path(
    tag = TAG,
    params(ChangesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changes after `since`", body = ChangePage),
        (status = 400, description = "A `since` this API did not hand out"),
        (status = 410, description = "`since` (or its absence: the beginning) is older than the changes the feed \
            keeps (`CHANGE_FEED_RETENTION_DAYS`): resync from the exports, then follow the feed from there"),
        (status = 403, description = "Analysts read aggregates, not the feed"),
    )
)]
#[get("/changes")]
pub async fn changes(
    caller: Caller,
    Query(query): Query<ChangesQuery>,
    pool: web::Data<DbPool>,
    retention: Option<web::Data<FeedRetention>>,
) -> Result<web::Json<ChangePage>, ApiError> {
    caller.require_feed_reader()?;
    let limit = page::limit(query.limit, DEFAULT_LIMIT)?;
    let since = match query.since.as_deref() {
        None => Position::default(),
        Some(token) => Position::parse(token)
            .ok_or_else(|| ApiError::bad_request(text!("`since` must be a `next` this API handed out")))?,
    };
    let (low, high) = match caller.scope.code_range() {
        Some((from, to)) => (from.to_owned(), to),
        // Every region code sorts below `~`, and so does the empty one of an unplaced record.
        None => (String::new(), "~".to_owned()),
    };
    // The primary: a replica's horizon would lag, and the client's `next` must not run ahead of
    // what it can read there next time.
    let mut conn = pool.get().await?;
    if let Some(trimmed) = trimmed::trimmed(&mut conn).await?
        && since < trimmed
    {
        let days = retention.map_or(0, |r| r.0);
        return Err(ApiError::Gone(text!(
            "`since` is older than the %{days} days of changes the feed keeps; resync from the exports and follow the \
             feed from since=%{kept}",
            days = days,
            kept = trimmed.token()
        )));
    }
    let page = feed::after(&mut conn, since, &low, &high, i64::from(limit)).await?;
    Ok(web::Json(ChangePage { items: page.changes, next: page.next.token(), more: page.more }))
}
