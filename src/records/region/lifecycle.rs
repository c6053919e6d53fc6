//! The life of a region, as admins keep the Kemendagri hierarchy current: created under an
//! active parent, renamed, retired (naming the regions that replaced it). Each write is
//! audited in the caller's transaction.

use serde_json::json;

use super::{NewRegion, RegionDetail, RegionRow, unknown};
use crate::auth::Caller;
use crate::db::AsyncPgConnection;
use crate::db::audit;
use crate::domain::{ExpectedVersion, RegionCode};
use crate::error::ApiError;
use crate::records::write;

/// Creates region `code` under its active parent (admins).
pub async fn create(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    code: &RegionCode,
    name: &str,
) -> Result<RegionDetail, ApiError> {
    caller.require_admin()?;
    if super::exists(conn, code).await? {
        return Err(ApiError::conflict(text!("region %{code} already exists", code = code)));
    }
    if let Some(parent) = code.parent() {
        match super::find(conn, &parent).await? {
            Some(p) if p.retired_at.is_none() => {}
            Some(_) => {
                return Err(ApiError::invalid("code", text!("parent region %{parent} is retired", parent = parent)));
            }
            None => {
                return Err(ApiError::invalid(
                    "code",
                    text!("parent region %{parent} does not exist", parent = parent),
                ));
            }
        }
    }
    super::insert(conn, &NewRegion::new(code, name)).await?;
    audit::record(conn, Some(caller.id), "region.create", code, json!({ "name": name })).await?;
    super::detail(conn, code).await?.ok_or_else(|| unknown(code))
}

/// Renames region `code`.
pub async fn rename(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    code: &RegionCode,
    read: ExpectedVersion,
    name: &str,
) -> Result<RegionDetail, ApiError> {
    let audit = ("rename", json!({ "name": name }));
    write::change::<RegionRow, _>(conn, caller, code.clone(), read, audit, async |conn, current| {
        super::rename(conn, current, name).await?;
        super::detail(conn, code).await?.ok_or_else(|| unknown(code))
    })
    .await
}

/// Retires region `code`, replaced by `successors` (known regions); with `descendants`, every
/// active region under it too, which otherwise must be retired first (409).
pub async fn retire(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    code: &RegionCode,
    successors: &[RegionCode],
    descendants: bool,
) -> Result<RegionDetail, ApiError> {
    caller.require_admin()?;
    let current = super::find(conn, code).await?.ok_or_else(|| unknown(code))?;
    if current.retired_at.is_some() {
        return Err(ApiError::conflict(text!("region %{code} is already retired", code = code)));
    }
    let known = super::refs(conn, successors).await?;
    let missing: Vec<String> =
        successors.iter().filter(|s| !known.iter().any(|k| &k.code == *s)).map(ToString::to_string).collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid("replaced_by", text!("unknown regions: %{codes}", codes = missing.join(", "))));
    }
    let active_below = super::count_active_below(conn, code).await?;
    if active_below > 0 && !descendants {
        return Err(ApiError::conflict(text!(
            "%{active_below} active regions lie under %{code}; retire them first or send include_descendants: true",
            active_below = active_below,
            code = code
        )));
    }
    let retired = super::retire(conn, code, successors, descendants).await?;
    let entry = json!({ "replaced_by": successors, "regions_retired": retired });
    audit::record(conn, Some(caller.id), "region.retire", code, entry).await?;
    super::detail(conn, code).await?.ok_or_else(|| unknown(code))
}
