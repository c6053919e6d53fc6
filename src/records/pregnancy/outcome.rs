//! How a pregnancy ended. The outcome closes it; each baby born alive becomes a child record
//! linked to the mother, with its birth weight and length and their flags, in the same
//! transaction.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use super::{PregnancyRecord, PregnancyView};
use crate::auth::Caller;
use crate::db::audit;
use crate::db::schema::{births, pregnancies};
use crate::domain::pregnancy::{self, MAX_GESTATION_DAYS, STILLBIRTH_FROM_DAYS};
use crate::domain::{ChildId, PregnancyId, PregnancyOutcome, Sex, latest_local_date};
use crate::error::{ApiError, FieldErrors};
use crate::records::access::Writable;
use crate::records::child::{self, NewChild};
use crate::records::person;

/// A baby born alive, as the outcome registers it.
#[derive(Debug, Clone)]
pub struct NewBaby {
    pub id: ChildId,
    pub name: String,
    pub sex: Sex,
    pub birth_weight_g: i32,
    pub birth_length_cm: f64,
    pub nik_hash: Option<Vec<u8>>,
}

/// An outcome to record.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub outcome: PregnancyOutcome,
    pub ended_on: NaiveDate,
    pub babies: Vec<NewBaby>,
}

/// How the babies of an outcome arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Babies {
    /// All in one request: the same outcome again names the same babies.
    AllAtOnce,
    /// One per register row (`POST /imports/pregnancies`): once the birth is recorded, a row
    /// of the same outcome with a baby not yet born of it is another baby of that birth (twins
    /// arrive a row each), and a row with a baby already born of it is that baby again.
    OneAtATime,
}

/// Records how pregnancy `id` ended, in the caller's transaction. The same outcome sent again
/// (same kind, date and babies) is the stored one (`false`: nothing written); another outcome
/// of an ended pregnancy is a 409.
pub async fn record(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: PregnancyId,
    outcome: &Outcome,
    arriving: Babies,
) -> Result<(PregnancyView, bool), ApiError> {
    let current = super::lock(conn, caller, id).await?;
    if let (Some(kind), Some(ended)) = (current.outcome, current.ended_on) {
        let born = born_of(conn, id).await?;
        let mut sent: Vec<ChildId> = outcome.babies.iter().map(|b| b.id).collect();
        sent.sort();
        let alike = kind == outcome.outcome && ended == outcome.ended_on;
        let again = match arriving {
            Babies::AllAtOnce => born == sent,
            Babies::OneAtATime => sent.iter().all(|baby| born.contains(baby)),
        };
        return match (alike, again, &outcome.babies[..]) {
            (true, true, _) => Ok((super::reload(conn, &current).await?, false)),
            (true, false, [baby]) if arriving == Babies::OneAtATime && !born.is_empty() => {
                let added = Outcome { outcome: kind, ended_on: ended, babies: vec![baby.clone()] };
                Ok((write(conn, caller, &current, &added, true).await?, true))
            }
            _ => Err(ApiError::conflict(text!(
                "the pregnancy already ended on %{ended} (%{kind}); remove it and enter it again to correct that",
                ended = ended,
                kind = kind.as_str()
            ))),
        };
    }
    check(&current, outcome)?;
    Ok((write(conn, caller, &current, outcome, false).await?, true))
}

/// Writes `outcome` on the pregnancy and registers its babies, audited: a first outcome
/// (`added` false, the pregnancy's counts of babies still zero), or one more baby of the birth
/// already recorded (`added` true). The counts are added to, so both are one statement.
async fn write(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    current: &Writable<PregnancyRecord>,
    outcome: &Outcome,
    added: bool,
) -> Result<PregnancyView, ApiError> {
    let mother = person::lock(conn, caller, current.person_id).await?;
    let flags: Vec<(bool, bool)> =
        outcome.babies.iter().map(|b| pregnancy::birth_flags(b.birth_weight_g, b.birth_length_cm)).collect();
    let (babies, low, short) = tally(&flags);
    diesel::update(pregnancies::table.find(current.id))
        .set((
            pregnancies::outcome.eq(outcome.outcome),
            pregnancies::ended_on.eq(outcome.ended_on),
            pregnancies::babies.eq(pregnancies::babies + babies),
            pregnancies::low_birth_weight_babies.eq(pregnancies::low_birth_weight_babies + low),
            pregnancies::short_babies.eq(pregnancies::short_babies + short),
            pregnancies::version.eq(pregnancies::version + 1),
            pregnancies::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await?;
    register(conn, caller, current, &mother.name, outcome.ended_on, &outcome.babies, &flags).await?;
    let ids: Vec<ChildId> = outcome.babies.iter().map(|b| b.id).collect();
    let entry = match added {
        true => json!({ "outcome": outcome.outcome, "babies": ids, "added": true }),
        false => json!({ "outcome": outcome.outcome, "babies": ids }),
    };
    audit::record(conn, Some(caller.id), "pregnancy.outcome", current.id, entry).await?;
    super::reload(conn, current).await
}

async fn born_of(conn: &mut AsyncPgConnection, id: PregnancyId) -> QueryResult<Vec<ChildId>> {
    births::table.filter(births::pregnancy_id.eq(id)).order(births::child_id).select(births::child_id).load(conn).await
}

/// How many babies there are, of low birth weight, and short at birth, from each baby's
/// `(low birth weight, short at birth)`.
fn tally(flags: &[(bool, bool)]) -> (i16, i16, i16) {
    flags.iter().fold((0, 0, 0), |(n, low, short), &(is_low, is_short)| {
        (n + 1, low + i16::from(is_low), short + i16::from(is_short))
    })
}

/// Registers `babies` as children of the mother, born of the pregnancy on `born_on`, each
/// birth with its `flags` (the pregnancy's counts of them are the caller's).
async fn register(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    current: &Writable<PregnancyRecord>,
    mother_name: &str,
    born_on: NaiveDate,
    babies: &[NewBaby],
    flags: &[(bool, bool)],
) -> Result<(), ApiError> {
    for (baby, &(low_birth_weight, short_at_birth)) in babies.iter().zip(flags) {
        let new = NewChild {
            id: baby.id,
            village_code: &current.village_code,
            sex: baby.sex,
            birth_date: born_on,
            name: &baby.name,
            mother_name: Some(mother_name),
            mother_id: Some(current.person_id),
            nik_hash: baby.nik_hash.clone(),
            posyandu_id: None,
            kia_book: None,
            created_by: caller.id,
        };
        let (_, created) = child::register(conn, caller, &new).await?;
        if !created {
            return Err(ApiError::DuplicateOf {
                detail: text!(
                    "child %{id} is already registered; a baby is registered by its birth only",
                    id = baby.id
                ),
                existing_id: baby.id.0,
            });
        }
        diesel::insert_into(births::table)
            .values((
                births::child_id.eq(baby.id),
                births::pregnancy_id.eq(current.id),
                births::birth_weight_g.eq(baby.birth_weight_g),
                births::birth_length_cm.eq(baby.birth_length_cm),
                births::low_birth_weight.eq(low_birth_weight),
                births::short_at_birth.eq(short_at_birth),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// 422 naming each field that does not fit: a date before HPHT or the last visit, in the
/// future or past 44 weeks; a miscarriage at 22 weeks or later, a stillbirth before; babies
/// for an outcome that has none, or none for a live birth.
fn check(current: &Writable<PregnancyRecord>, outcome: &Outcome) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    let days = pregnancy::gestational_days(current.lmp_on, outcome.ended_on);
    if outcome.ended_on > latest_local_date() {
        errors.add("ended_on", text!("is in the future"));
    } else if days < 0 {
        errors.add("ended_on", text!("is before HPHT (%{lmp_on})", lmp_on = current.lmp_on));
    } else if days > MAX_GESTATION_DAYS {
        errors.add("ended_on", text!("is more than 44 weeks after HPHT"));
    } else if let Some(last) = current.last_visit_on.filter(|last| outcome.ended_on < *last) {
        errors.add("ended_on", text!("is before the pregnancy's last visit (%{last})", last = last));
    }
    match outcome.outcome {
        PregnancyOutcome::Miscarriage if days >= STILLBIRTH_FROM_DAYS => {
            errors.add("outcome", text!("a loss at 22 weeks or later is a stillbirth"));
        }
        PregnancyOutcome::Stillbirth if (0..STILLBIRTH_FROM_DAYS).contains(&days) => {
            errors.add("outcome", text!("a loss before 22 weeks is a miscarriage"));
        }
        _ => {}
    }
    match (outcome.outcome, outcome.babies.len()) {
        (PregnancyOutcome::LiveBirth, 0) => errors.add("babies", text!("a live birth names at least one baby")),
        (PregnancyOutcome::Stillbirth | PregnancyOutcome::Miscarriage, n) if n > 0 => {
            errors.add("babies", text!("only a live birth (or a maternal death with a baby born alive) has babies"));
        }
        _ => {}
    }
    let mut ids: Vec<ChildId> = outcome.babies.iter().map(|b| b.id).collect();
    ids.sort();
    ids.dedup();
    if ids.len() != outcome.babies.len() {
        errors.add("babies", text!("two babies have the same id"));
    }
    errors.finish()
}
