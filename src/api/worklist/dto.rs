use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::domain::worklist::Reason;
use crate::records::worklist::WorkItem;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorklistQuery {
    /// Everyone a village's cadres care for (a village code)…
    #[param(example = "14.01.01.2009")]
    pub village: Option<String>,
    /// …or the children registered to one posyandu…
    pub posyandu: Option<Uuid>,
    /// …or a TPK's work in its village: pregnancies, postpartum mothers, catin, families at
    /// risk, the visits it set and the cases assigned to it. Exactly one of the three.
    pub team: Option<Uuid>,
    /// The day the list is for (default: today, as Indonesia's easternmost zone counts it).
    /// Windows are judged on this day against the records as they are now. Between 2000 and
    /// 2100.
    #[param(example = "2025-03-10")]
    pub on: Option<NaiveDate>,
    /// Only items of this reason.
    pub reason: Option<Reason>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of the worklist: referrals first, then overdue items (the longest overdue first),
/// then what is due, by day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "as_of": "2025-03-10", "changes_since": "812-0",
    "items": [{
        "reason": "refer_bgm", "urgency": "refer", "due_on": "2025-03-04", "days_overdue": 6,
        "subject": "child", "subject_id": "0192b7a4-1111-7000-8000-000000000001", "name": "Siti Aminah",
        "record_id": null, "href": "/api/v1/children/0192b7a4-1111-7000-8000-000000000001/services"
    }, {
        "reason": "antenatal_visit", "urgency": "due", "due_on": "2025-03-28", "days_overdue": 0,
        "subject": "person", "subject_id": "0192b7a4-7777-7000-8000-000000000001", "name": "Nurhayati",
        "record_id": "0192b7a4-9999-7000-8000-000000000001",
        "href": "/api/v1/pregnancies/0192b7a4-9999-7000-8000-000000000001/anc-visits"
    }],
    "next_cursor": null
}))]
pub struct Worklist {
    /// The day the windows were judged on.
    pub as_of: NaiveDate,
    /// The change-feed position this list reflects: follow `GET /changes?since=` from it for
    /// the village, and ask for the list again (with `If-None-Match`) when a change arrives or
    /// the day turns.
    pub changes_since: String,
    pub items: Vec<WorkItem>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
