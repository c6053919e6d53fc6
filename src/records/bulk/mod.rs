//! Bulk import above the aggregates: the kinds of record an import takes, which aggregate's
//! writer writes each, and the worker that runs stored jobs. The engine (`records::import`)
//! reads, chunks and journals without naming any aggregate, and each aggregate's `import.rs`
//! writes its records through it; this module is the one place that knows them all.

mod worker;

pub use worker::work;

use crate::auth::Caller;
use crate::auth::policy::Record;
use crate::db::DbPool;
use crate::domain::NikKey;
use crate::error::ApiError;
use crate::records::budget::import::LinesWriter;
use crate::records::child::import::{ChildrenWriter, MeasurementsWriter};
use crate::records::family::import::FamiliesWriter;
use crate::records::import::jobs::Journal;
use crate::records::import::{self, Format, Input, Options, Summary};
use crate::records::intervention::import::ReportsWriter;
use crate::records::person::import::ScreeningsWriter;
use crate::records::pregnancy::import::PregnanciesWriter;
use crate::records::tpk_visit::import::TpkVisitsWriter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Children with their weighings, a row per weighing (as e-PPGBM exports them).
    Children,
    /// Measurements of children already registered.
    Measurements,
    /// Monthly reports on intervention activities.
    InterventionReports,
    /// A year's families at risk (BKKBN's list).
    FamiliesAtRisk,
    /// Lines of budget documents.
    BudgetLines,
    /// Catin screenings with the person screened (as Elsimil lists them).
    CatinScreenings,
    /// Pregnancies with their visits and outcome, a row per event (as a KIA register lists them).
    Pregnancies,
    /// TPK assistance visits.
    TpkVisits,
}

impl Kind {
    pub const ALL: &[Kind] = &[
        Kind::Children,
        Kind::Measurements,
        Kind::InterventionReports,
        Kind::FamiliesAtRisk,
        Kind::BudgetLines,
        Kind::CatinScreenings,
        Kind::Pregnancies,
        Kind::TpkVisits,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Children => "children",
            Self::Measurements => "measurements",
            Self::InterventionReports => "intervention-reports",
            Self::FamiliesAtRisk => "families-at-risk",
            Self::BudgetLines => "budget-lines",
            Self::CatinScreenings => "catin-screenings",
            Self::Pregnancies => "pregnancies",
            Self::TpkVisits => "tpk-visits",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// 403 unless the caller may write this kind at all (each record's region is checked too).
    pub fn require(self, caller: &Caller) -> Result<(), ApiError> {
        match self {
            Self::Children | Self::Measurements => caller.require_child_data(),
            Self::CatinScreenings | Self::Pregnancies | Self::TpkVisits => caller.require_writer_of(Record::Person),
            // As `POST /interventions/{id}/reports` and `POST /families-at-risk/import`.
            Self::InterventionReports => caller.require_writer_of(Record::Report),
            Self::FamiliesAtRisk => caller.require_writer_of(Record::Family),
            Self::BudgetLines => caller.require_writer_of(Record::Budget),
        }
    }

    /// Checks the file's structure; the number of records it holds.
    pub async fn check(self, pool: &DbPool, format: Format, input: &Input) -> Result<u32, ApiError> {
        match self {
            Self::Children => import::check::<ChildrenWriter>(pool, format, input).await,
            Self::Measurements => import::check::<MeasurementsWriter>(pool, format, input).await,
            Self::InterventionReports => import::check::<ReportsWriter>(pool, format, input).await,
            Self::FamiliesAtRisk => import::check::<FamiliesWriter>(pool, format, input).await,
            Self::BudgetLines => import::check::<LinesWriter>(pool, format, input).await,
            Self::CatinScreenings => import::check::<ScreeningsWriter>(pool, format, input).await,
            Self::Pregnancies => import::check::<PregnanciesWriter>(pool, format, input).await,
            Self::TpkVisits => import::check::<TpkVisitsWriter>(pool, format, input).await,
        }
    }

    pub async fn run(
        self,
        pool: &DbPool,
        caller: &Caller,
        nik_key: &NikKey,
        options: Options,
        input: &Input,
        journal: Option<&Journal>,
    ) -> Result<Summary, ApiError> {
        match self {
            Self::Children => import::run(pool, caller, ChildrenWriter::new(nik_key), options, input, journal).await,
            Self::Measurements => {
                import::run(pool, caller, MeasurementsWriter::default(), options, input, journal).await
            }
            Self::InterventionReports => import::run(pool, caller, ReportsWriter, options, input, journal).await,
            Self::FamiliesAtRisk => import::run(pool, caller, FamiliesWriter::default(), options, input, journal).await,
            Self::BudgetLines => import::run(pool, caller, LinesWriter, options, input, journal).await,
            Self::CatinScreenings => {
                import::run(pool, caller, ScreeningsWriter::new(nik_key), options, input, journal).await
            }
            Self::Pregnancies => {
                import::run(pool, caller, PregnanciesWriter::new(nik_key), options, input, journal).await
            }
            Self::TpkVisits => import::run(pool, caller, TpkVisitsWriter, options, input, journal).await,
        }
    }
}
