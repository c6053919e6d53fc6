//! TPK visits arriving in bulk (`POST /imports/tpk-visits`): `POST /tpk-visits`'s body per
//! record, each written by its rules in its own savepoint. Without an `id`, a visit is known by
//! its team, the person or child visited and the day: the same visit again is unchanged; a
//! different one on a day on file is a 409 (void it first).

use diesel_async::AsyncPgConnection;

use super::CreateTpkVisit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::records::import::{Columns, OneAtATime, Outcome, Verdict, Writer, each_in_savepoint, on_file};

#[derive(Default)]
pub struct TpkVisitsWriter;

impl OneAtATime for TpkVisitsWriter {
    type Record = CreateTpkVisit;

    async fn one(
        &self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        record: &CreateTpkVisit,
    ) -> Result<Outcome, ApiError> {
        let on_day = match record.id {
            Some(_) => None,
            None => super::living_on(conn, record).await?,
        };
        let recorded = match on_day {
            None => super::record(conn, caller, record).await,
            Some(id) => {
                let keyed = CreateTpkVisit { id: Some(id), ..record.clone() };
                super::record(conn, caller, &keyed).await.map_err(|e| on_file(e, text!("visit of that day")))
            }
        };
        Ok(Outcome::of_write(recorded?.1))
    }
}

impl Writer for TpkVisitsWriter {
    type Record = CreateTpkVisit;
    const COLUMNS: &'static Columns = &Columns {
        known: &[
            "id",
            "team_id",
            "person_id",
            "child_id",
            "visited_on",
            "counselling",
            "referral",
            "social_assistance",
            "exclusive_breastfeeding",
            "findings",
            "next_visit_on",
        ],
        required: &["team_id", "visited_on"],
    };

    fn id_of(record: &CreateTpkVisit) -> Option<String> {
        record.id.map(|id| id.to_string())
    }

    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        caller: &Caller,
        chunk: &[(u32, CreateTpkVisit)],
    ) -> Result<Vec<Verdict>, ApiError> {
        each_in_savepoint(self, conn, caller, chunk).await
    }
}
