use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::Datelike;

use super::dto::{Worklist, WorklistQuery};
use crate::auth::Caller;
use crate::db::ReadPool;
use crate::domain::page::PageRequest;
use crate::domain::{PosyanduId, RegionCode, TeamId, YEARS, latest_local_date};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::tabular;
use crate::records::worklist::{self, Target};

const TAG: &str = "worklist";

/// `GET /api/v1/worklist`: what is due or overdue on a day for the people a village's cadres,
/// one posyandu or one TPK care for, each item with its reason, the person, the day it is due,
/// how overdue it is and where to act. Referrals first, then overdue items, then due ones.
/// Officers and cadres, for a village in their scope. Read in one snapshot: `changes_since` is
/// the change-feed position it reflects.
#[utoipa::path(
    tag = TAG,
    params(WorklistQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the list", body = Worklist,
            headers(("ETag" = String, description = "Changes whenever the page does (not when only `changes_since` moves)"),
                    ("Cache-Control" = String, description = "`private, no-cache`: revalidate with If-None-Match"))),
        (status = 304, description = "Unchanged since the ETag named in If-None-Match"),
        (status = 400, description = "A cursor this list did not give out"),
        (status = 403, description = "An analyst or an integration, or a village outside the caller's scope"),
        (status = 404, description = "No posyandu or team has this id"),
        (status = 422, description = "Not exactly one of village, posyandu and team; a code that is not a known \
            village; a team that is not a TPK; a malformed day or one outside 2000–2100; a malformed reason or limit"),
    )
)]
#[get("/worklist")]
pub async fn get_worklist(
    req: HttpRequest,
    caller: Caller,
    Query(query): Query<WorklistQuery>,
    pool: web::Data<ReadPool>,
) -> Result<HttpResponse, ApiError> {
    let target = match (&query.village, query.posyandu, query.team) {
        (Some(village), None, None) => {
            Target::Village(RegionCode::parse(village).map_err(|e| ApiError::invalid("village", e.into()))?)
        }
        (None, Some(id), None) => Target::Posyandu(PosyanduId(id)),
        (None, None, Some(id)) => Target::Team(TeamId(id)),
        _ => return Err(ApiError::invalid("village", text!("give exactly one of village, posyandu and team"))),
    };
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let on = query.on.unwrap_or_else(latest_local_date);
    if !YEARS.contains(&on.year()) {
        return Err(ApiError::invalid("on", text!("must be a day between 2000 and 2100")));
    }
    let mut conn = pool.get().await?;
    let audience = worklist::resolve(&mut conn, &caller, target).await?;
    let listed = worklist::read(&mut conn, &audience, on, query.reason, &page).await?;
    let body = Worklist {
        as_of: on,
        changes_since: listed.changes_since.token(),
        items: listed.page.items,
        next_cursor: listed.page.next_cursor,
    };
    // The feed position moves with every write anywhere: the tag covers the list alone.
    tabular::answer_json_tagged_without(&req, &body, "changes_since")
}
