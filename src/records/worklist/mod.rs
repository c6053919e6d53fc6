//! The worklist (`GET /worklist`): what is due or overdue on a day for the people a village's
//! cadres, one posyandu or one TPK care for. The rules are `domain::worklist`; this module
//! reads a village's facts in one snapshot, applies them, orders the items by urgency and
//! hands back the change-feed position the list reflects, so an app keeps it offline and
//! knows when to ask again.

mod facts;

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::prepared::use_generic_plans;
use crate::domain::page::{Page, PageRequest};
use crate::domain::worklist::{self as rules, Antenatal, Due, Reason, Subject, Urgency, Weighing};
use crate::domain::{PosyanduId, RegionCode, RegionLevel, TeamId, TeamKind};
use crate::error::ApiError;
use crate::records::changes::{self, Position};
use crate::records::{posyandu, region, team};

/// Whose list is asked for.
#[derive(Debug, Clone)]
pub enum Target {
    /// Everyone a village's cadres care for.
    Village(RegionCode),
    /// The children registered to one posyandu.
    Posyandu(PosyanduId),
    /// A TPK's work in its village: pregnancies, postpartum mothers, catin, families at risk,
    /// the visits it set, and the cases assigned to it.
    Team(TeamId),
}

/// A list the caller may read: only `resolve` builds one.
#[derive(Debug)]
pub struct Audience {
    village: RegionCode,
    whose: Whose,
}

#[derive(Debug, Clone, Copy)]
enum Whose {
    Village,
    Posyandu(Uuid),
    Team(Uuid),
}

/// The list `target` names, if the caller may read it: officers and cadres, for a village in
/// their scope. 404 for an unknown posyandu or team, 422 for a team that is not a TPK.
pub async fn resolve(conn: &mut AsyncPgConnection, caller: &Caller, target: Target) -> Result<Audience, ApiError> {
    caller.require_worklist_reader()?;
    let (village, whose) = match target {
        Target::Village(village) if village.level() != RegionLevel::Village => {
            return Err(ApiError::invalid("village", text!("must be a village")));
        }
        Target::Village(village) => (village, Whose::Village),
        Target::Posyandu(id) => {
            let found = posyandu::find(conn, caller, id).await?.into_inner();
            (found.village_code, Whose::Posyandu(id.0))
        }
        Target::Team(id) => {
            let (kind, region) = team::identity(conn, id)
                .await?
                .ok_or_else(|| ApiError::not_found(text!("no team has id %{id}", id = id)))?;
            if kind != TeamKind::Tpk {
                return Err(ApiError::invalid("team", text!("must be a TPK: a TPPS keeps no worklist")));
            }
            (region, Whose::Team(id.0))
        }
    };
    caller.require_child_in_scope(&village)?;
    if matches!(whose, Whose::Village) {
        // Only once the caller may see the village: existence is not told to outsiders.
        region::require_known(conn, &village, "village").await?;
    }
    Ok(Audience { village, whose })
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "reason": "refer_bgm", "urgency": "refer", "due_on": "2025-03-04", "days_overdue": 6,
    "subject": "child", "subject_id": "0192b7a4-1111-7000-8000-000000000001", "name": "Siti Aminah",
    "record_id": null, "href": "/api/v1/children/0192b7a4-1111-7000-8000-000000000001/services"
}))]
pub struct WorkItem {
    pub reason: Reason,
    pub urgency: Urgency,
    /// The day it is due: the weighing that found a referral, the last day of a window, the
    /// day a visit was set for.
    pub due_on: NaiveDate,
    /// Days since `due_on`; 0 until it passes.
    pub days_overdue: i64,
    pub subject: Subject,
    pub subject_id: Uuid,
    /// The child's or the person's name; a family's BKKBN family key.
    pub name: String,
    /// The case, pregnancy or TPK visit the item is about; `null` when it is the subject's own.
    pub record_id: Option<Uuid>,
    /// Where to act, with the method `reason` names.
    pub href: String,
}

/// The order of the list, and its cursor: urgency, day, reason, subject, record.
pub type ItemKey = (Urgency, NaiveDate, Reason, Uuid, Uuid);

impl WorkItem {
    pub fn key(&self) -> ItemKey {
        (self.urgency, self.due_on, self.reason, self.subject_id, self.record_id.unwrap_or_default())
    }
}

/// A page of the list and the feed position it reflects.
pub struct Listed {
    pub page: Page<WorkItem>,
    pub changes_since: Position,
}

/// The page of `audience`'s list on `on` (only `reason`'s items when given), read in one
/// snapshot with the feed position it reflects.
pub async fn read(
    conn: &mut AsyncPgConnection,
    audience: &Audience,
    on: NaiveDate,
    reason: Option<Reason>,
    page: &PageRequest<ItemKey>,
) -> QueryResult<Listed> {
    let (mut items, changes_since) = conn
        .build_transaction()
        .read_only()
        .repeatable_read()
        .run::<_, diesel::result::Error, _>(async |conn| due_items(conn, audience, on, reason).await)
        .await?;
    items.sort_by_key(WorkItem::key);
    if let Some(after) = &page.after {
        items.retain(|item| item.key() > *after);
    }
    items.truncate(usize::try_from(page.fetch()).unwrap_or(usize::MAX));
    Ok(Listed { page: page.page(items, WorkItem::key), changes_since })
}

/// Every item of the list, unordered, and the feed position of the snapshot they were read in.
/// The facts' queries go out in one pipeline: PostgreSQL runs them one after another, but
/// the service sends them all at once instead of waiting out a round trip for each.
async fn due_items(
    conn: &AsyncPgConnection,
    audience: &Audience,
    on: NaiveDate,
    reason: Option<Reason>,
) -> QueryResult<(Vec<WorkItem>, Position)> {
    let wants = |reasons: &[Reason]| reason.is_none_or(|r| reasons.contains(&r));
    let village = audience.village.as_str();
    let (posyandu, team) = match audience.whose {
        Whose::Village => (None, None),
        Whose::Posyandu(id) => (Some(id), None),
        Whose::Team(id) => (None, Some(id)),
    };
    // A posyandu's list is its children's; a TPK's, everyone's but the weighing's.
    let children_wanted = team.is_none() && wants(&[Reason::NotWeighed, Reason::ReferBgm, Reason::ReferTwoT]);
    let households = posyandu.is_none();
    // Custom plans at the first five runs on a connection cost about a millisecond each for
    // the three larger facts; their generic plans read the same village index ranges.
    use_generic_plans(conn).await?;
    let (at, weighed, children, cases, families, pregnancies, weddings, visits) = futures_util::try_join!(
        changes::horizon(conn),
        asked(children_wanted, facts::weighed(conn, village, posyandu, on)),
        asked(children_wanted, facts::children(conn, village, posyandu, on)),
        asked(wants(&[Reason::Remeasure, Reason::CaseFollowUp]), facts::open_cases(conn, village, posyandu, team)),
        asked(households && wants(&[Reason::FamilyVerification]), facts::pending_families(conn, village, on)),
        asked(
            households && wants(&[Reason::AntenatalVisit, Reason::PostpartumVisit]),
            facts::pregnancies(conn, village, on)
        ),
        asked(households && wants(&[Reason::CatinScreening]), facts::coming_weddings(conn, village, on)),
        asked(households && wants(&[Reason::TpkVisit]), facts::latest_visits(conn, village, on)),
    )?;
    let mut list = List { on, reason, items: Vec::new() };

    let weighed: HashMap<Uuid, facts::WeighedFacts> = weighed.into_iter().map(|w| (w.child_id, w)).collect();
    for child in children {
        let latest = weighed.get(&child.id);
        add_child(&mut list, rules::not_weighed(on, child.birth_date, latest.map(|w| w.month)), &child);
        let due = latest.and_then(|w| {
            let flagged = w.flagged_on.map(|weighed_on| Weighing { weighed_on, two_t: w.two_t, bgm: w.bgm });
            rules::referral(on, flagged, w.referred_on)
        });
        add_child(&mut list, due, &child);
    }
    for case in cases {
        list.add(
            rules::remeasure(on, case.latest_measured_on),
            Subject::Child,
            case.child_id,
            &case.name,
            Some(case.id),
        );
        let follow_up = rules::case_follow_up(on, case.followed_up_on);
        list.add(follow_up, Subject::Child, case.child_id, &case.name, Some(case.id));
    }
    for family in families {
        let due = rules::family_verification(on, family.listed_on);
        list.add(Some(due), Subject::Family, family.id, &family.family_key, None);
    }
    for pregnancy in pregnancies {
        let due = match (pregnancy.outcome, pregnancy.ended_on) {
            (Some(outcome), Some(ended_on)) => rules::postpartum_visit(on, outcome, ended_on, pregnancy.kf_done),
            _ => {
                let by_trimester = <[i16; 3]>::try_from(pregnancy.by_trimester.as_slice()).unwrap_or_default();
                let facts =
                    Antenatal { lmp_on: pregnancy.lmp_on, by_trimester, last_visit_on: pregnancy.last_visit_on };
                rules::antenatal_visit(on, facts)
            }
        };
        list.add(due, Subject::Person, pregnancy.person_id, &pregnancy.name, Some(pregnancy.id));
    }
    for catin in weddings {
        let due = rules::catin_screening(on, catin.wedding_planned_on, catin.screened_on, catin.pregnant);
        list.add(due, Subject::Person, catin.id, &catin.name, None);
    }
    for visit in visits.into_iter().filter(|visit| team.is_none_or(|team| team == visit.team_id)) {
        let (subject, subject_id) = match (visit.person_id, visit.child_id) {
            (Some(person), _) => (Subject::Person, person),
            (None, Some(child)) => (Subject::Child, child),
            (None, None) => continue,
        };
        list.add(rules::tpk_visit(on, visit.next_visit_on), subject, subject_id, &visit.name, Some(visit.id));
    }
    Ok((list.items, at))
}

/// The facts `read` would give, when the list asked for needs them; none otherwise (and no
/// query is sent).
async fn asked<T>(wanted: bool, read: impl Future<Output = QueryResult<Vec<T>>>) -> QueryResult<Vec<T>> {
    if wanted { read.await } else { Ok(Vec::new()) }
}

fn add_child(list: &mut List, due: Option<Due>, child: &facts::ChildFacts) {
    list.add(due, Subject::Child, child.id, &child.name, None);
}

/// The items found so far, of the reason asked for.
struct List {
    on: NaiveDate,
    reason: Option<Reason>,
    items: Vec<WorkItem>,
}

impl List {
    fn add(&mut self, due: Option<Due>, subject: Subject, subject_id: Uuid, name: &str, record_id: Option<Uuid>) {
        if let Some(due) = due.filter(|due| self.reason.is_none_or(|r| r == due.reason)) {
            self.items.push(item(due, self.on, subject, subject_id, name, record_id));
        }
    }
}

fn item(due: Due, on: NaiveDate, subject: Subject, subject_id: Uuid, name: &str, record_id: Option<Uuid>) -> WorkItem {
    let record = record_id.unwrap_or(subject_id);
    let href = match due.reason {
        Reason::NotWeighed | Reason::Remeasure => format!("/api/v1/children/{subject_id}/measurements"),
        Reason::ReferBgm | Reason::ReferTwoT => format!("/api/v1/children/{subject_id}/services"),
        Reason::CaseFollowUp => format!("/api/v1/cases/{record}"),
        Reason::AntenatalVisit => format!("/api/v1/pregnancies/{record}/anc-visits"),
        Reason::PostpartumVisit => format!("/api/v1/pregnancies/{record}/postpartum-visits"),
        Reason::CatinScreening => format!("/api/v1/people/{subject_id}/screenings"),
        Reason::TpkVisit => "/api/v1/tpk-visits".to_owned(),
        Reason::FamilyVerification => format!("/api/v1/families-at-risk/{subject_id}/verification"),
    };
    WorkItem {
        reason: due.reason,
        urgency: due.urgency,
        due_on: due.due_on,
        days_overdue: due.days_overdue(on),
        subject,
        subject_id,
        name: name.to_owned(),
        record_id,
        href,
    }
}
