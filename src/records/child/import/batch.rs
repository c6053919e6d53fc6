//! `/imports/children` set-based: a chunk's new children registered in one statement and all
//! its weighings recorded together (`measurements::record_many`), so the kept counts, cases,
//! change feed and audit move once per chunk instead of once per row (a row at a time, a
//! chunk of 2,000 took 47 s at a million children). A row this path cannot settle by itself
//! (a child to correct, a key another row of the chunk shares, anything the single-row rules
//! would refuse) goes through `ChildrenWriter::one` after it, so every verdict is the one the
//! single-row path gives.

use std::collections::HashMap;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::{CheckedRow, ChildRow, ChildrenWriter};
use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::domain::{ChildId, PosyanduId, RegionCode};
use crate::error::ApiError;
use crate::records::child;
use crate::records::child::measurements::{self, Recorded};
use crate::records::import::{Outcome, Verdict, in_savepoint};
use crate::records::{posyandu, region};

/// What becomes of a row that passed its own checks.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    /// A child nobody has: registered with the chunk's others.
    New(ChildId),
    /// A known child the row repeats field for field: only its weighing is written.
    Same(ChildId),
    /// Through the single-row rules, after the others.
    Alone,
}

/// What ties rows together: rows sharing one must see each other's writes in file order, so
/// they go alone.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Key<'a> {
    Child(Uuid),
    Nik(&'a [u8]),
    Measurement(Uuid),
}

/// Why a batch stopped: rows whose new child's weighing was refused (the child must not be
/// registered without it), or a failure.
enum Stop {
    Refused(Vec<usize>),
    Failed(ApiError),
}

impl From<diesel::result::Error> for Stop {
    fn from(error: diesel::result::Error) -> Self {
        Self::Failed(error.into())
    }
}

/// `Writer::write` for children: each row's verdict, in order.
pub(super) async fn write(
    writer: &ChildrenWriter,
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    chunk: &[(u32, ChildRow)],
) -> Result<Vec<Verdict>, ApiError> {
    let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(chunk.len());
    let mut checked: Vec<Option<CheckedRow>> = Vec::with_capacity(chunk.len());
    for (_, row) in chunk {
        match row.check(&writer.nik_key) {
            Ok(c) => {
                checked.push(Some(c));
                verdicts.push(None);
            }
            Err(error) => {
                checked.push(None);
                verdicts.push(Some(Err(error.rejection())));
            }
        }
    }
    let mut plans = plan(conn, caller, chunk, &checked).await?;
    // Twice at most: a second refusal sends every row of the batch alone.
    for attempt in 0..2 {
        let batch: Vec<usize> = (0..chunk.len()).filter(|&i| plans[i].is_some_and(|p| p != Plan::Alone)).collect();
        if batch.is_empty() {
            break;
        }
        let written = conn
            .transaction::<_, Stop, _>(async |conn| together(conn, caller, chunk, &checked, &plans, &batch).await)
            .await;
        match written {
            Ok(written) => {
                for (i, verdict) in batch.into_iter().zip(written) {
                    verdicts[i] = Some(verdict);
                }
                break;
            }
            Err(Stop::Refused(refused)) => {
                let alone = if attempt == 0 { refused } else { batch };
                for i in alone {
                    plans[i] = Some(Plan::Alone);
                }
            }
            Err(Stop::Failed(error)) => return Err(error),
        }
    }
    for (i, plan) in plans.iter().enumerate() {
        if *plan == Some(Plan::Alone) {
            verdicts[i] = Some(in_savepoint(writer, conn, caller, &chunk[i].1).await?);
        }
    }
    verdicts.into_iter().map(|v| v.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a verdict is missing")))).collect()
}

/// Each checked row's plan (`None` for a row its checks refused): reads the chunk's regions,
/// children, NIKs and posyandu once each, and locks the known children it repeats.
async fn plan(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    chunk: &[(u32, ChildRow)],
    checked: &[Option<CheckedRow>],
) -> Result<Vec<Option<Plan>>, ApiError> {
    let rows: Vec<(&ChildRow, &CheckedRow)> =
        chunk.iter().zip(checked).filter_map(|((_, row), c)| Some((row, c.as_ref()?))).collect();
    let mut keys_seen: HashMap<Key, u32> = HashMap::new();
    for (row, c) in &rows {
        for key in keys(row, c) {
            *keys_seen.entry(key).or_default() += 1;
        }
    }
    let mut villages: Vec<RegionCode> = rows.iter().map(|(_, c)| c.village.clone()).collect();
    villages.sort_unstable();
    villages.dedup();
    let regions = region::existing(conn, &villages).await?;
    let ids: Vec<ChildId> = rows.iter().filter_map(|(row, _)| row.child_id.map(ChildId)).collect();
    let by_id = child::known_ids(conn, &ids).await?;
    let hashes: Vec<Vec<u8>> = rows.iter().filter_map(|(_, c)| c.nik_hash.clone()).collect();
    let by_nik = child::living_by_nik(conn, &hashes).await?;

    let mut plans: Vec<Option<Plan>> = chunk
        .iter()
        .zip(checked)
        .map(|((_, row), c)| {
            let c = c.as_ref()?;
            let free = keys(row, c).all(|key| keys_seen[&key] == 1)
                && regions.contains(&c.village)
                && caller.require_in_scope(&c.village).is_ok()
                && caller.require_write(Record::Child, &c.village).is_ok();
            let known = match (row.child_id, &c.nik_hash) {
                (Some(id), _) => by_id.get(&ChildId(id)).map(|living| (ChildId(id), *living)),
                (None, Some(hash)) => by_nik.get(hash).map(|id| (*id, true)),
                (None, None) => None,
            };
            Some(match known {
                _ if !free => Plan::Alone,
                Some((id, true)) => Plan::Same(id),
                // A removed child, or a NIK another child has: the single-row answer says which.
                Some((_, false)) => Plan::Alone,
                None if c.nik_hash.as_ref().is_some_and(|h| by_nik.contains_key(h)) => Plan::Alone,
                None => Plan::New(row.child_id.map_or_else(ChildId::default, ChildId)),
            })
        })
        .collect();

    let wanted: Vec<(PosyanduId, &RegionCode)> = plans
        .iter()
        .zip(chunk.iter().zip(checked))
        .filter(|(p, _)| matches!(p, Some(Plan::New(_))))
        .filter_map(|(_, ((_, row), c))| Some((PosyanduId(row.posyandu_id?), &c.as_ref()?.village)))
        .collect();
    let open = posyandu::open_to_children(conn, &wanted).await?;
    let same: Vec<ChildId> =
        plans.iter().filter_map(|p| if let Some(Plan::Same(id)) = p { Some(*id) } else { None }).collect();
    let locked = child::lock_many(conn, caller, &same).await?;
    for (plan, ((_, row), c)) in plans.iter_mut().zip(chunk.iter().zip(checked)) {
        let (Some(p), Some(c)) = (plan.as_mut(), c) else { continue };
        let stays = match *p {
            Plan::New(_) => row.posyandu_id.is_none_or(|id| open.contains(&(PosyanduId(id), c.village.clone()))),
            Plan::Same(id) => {
                locked[&id].as_ref().is_ok_and(|current| row.as_new_child(c, id, caller).same_as(current))
            }
            Plan::Alone => true,
        };
        if !stays {
            *p = Plan::Alone;
        }
    }
    Ok(plans)
}

/// The keys of a row: its child's id and NIK, and its weighing's id.
fn keys<'a>(row: &ChildRow, c: &'a CheckedRow) -> impl Iterator<Item = Key<'a>> {
    [row.child_id.map(Key::Child), c.nik_hash.as_deref().map(Key::Nik), row.measurement_id.map(Key::Measurement)]
        .into_iter()
        .flatten()
}

/// Registers the batch's new children and records every weighing of the batch, in the
/// caller's savepoint: each row's verdict, or the rows whose new child's weighing was refused.
async fn together(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    chunk: &[(u32, ChildRow)],
    checked: &[Option<CheckedRow>],
    plans: &[Option<Plan>],
    batch: &[usize],
) -> Result<Vec<Verdict>, Stop> {
    let mut news = Vec::new();
    let mut verdicts = Vec::with_capacity(batch.len());
    let mut items = Vec::new();
    let mut keyed = Vec::new();
    let mut weighed = Vec::new();
    for (at, &i) in batch.iter().enumerate() {
        let (row, c) = (&chunk[i].1, checked[i].as_ref().ok_or_else(|| Stop::Refused(vec![i]))?);
        let (id, outcome) = match plans[i] {
            Some(Plan::New(id)) => {
                news.push(row.as_new_child(c, id, caller));
                (id, Outcome::Created)
            }
            Some(Plan::Same(id)) => (id, Outcome::Unchanged),
            _ => return Err(Stop::Refused(vec![i])),
        };
        verdicts.push(Ok(outcome));
        if let Some(weighing) = &c.weighing {
            items.push((id, weighing.clone()));
            keyed.push(row.measurement_id.is_some());
            weighed.push(at);
        }
    }
    child::register_many(conn, caller, &news).await?;
    let recorded = measurements::record_many(conn, caller, &items, &keyed).await?;
    let mut refused = Vec::new();
    for (at, recorded) in weighed.into_iter().zip(recorded) {
        match recorded {
            Ok(r) => {
                if let Ok(outcome) = &mut verdicts[at] {
                    *outcome = outcome.and(Outcome::of_write(matches!(r, Recorded::Created)));
                }
            }
            Err(_) if matches!(verdicts[at], Ok(Outcome::Created)) => refused.push(batch[at]),
            Err(problem) => verdicts[at] = Err(problem),
        }
    }
    if !refused.is_empty() {
        return Err(Stop::Refused(refused));
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_row_has_a_key_for_each_identifier_it_gives() {
        let id = Uuid::from_u128(1);
        let m = Uuid::from_u128(2);
        let row: ChildRow = serde_json::from_value(serde_json::json!({
            "child_id": id, "village_code": "14.01.01.2001", "sex": "female", "birth_date": "2024-01-01",
            "name": "A", "measurement_id": m, "measured_on": "2024-06-01", "length_cm": 60.0,
            "position": "lying", "place": "posyandu"}))
        .unwrap();
        let c = CheckedRow {
            village: RegionCode::parse_village("14.01.01.2001").unwrap(),
            nik_hash: Some(vec![7]),
            weighing: None,
        };
        let found: HashSet<Key> = keys(&row, &c).collect();
        assert_eq!(found, HashSet::from([Key::Child(id), Key::Nik(&[7]), Key::Measurement(m)]));
    }
}
