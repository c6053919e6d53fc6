//! The kinds of record an import takes, and which writer writes each.

use super::jobs::Journal;
use super::{Format, Input, Options, Summary};
use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::NikKey;
use crate::error::ApiError;
use crate::records::child::import::{ChildrenWriter, MeasurementsWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Children with their weighings, a row per weighing (as e-PPGBM exports them).
    Children,
    /// Measurements of children already registered.
    Measurements,
}

impl Kind {
    pub const ALL: &[Kind] = &[Kind::Children, Kind::Measurements];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Children => "children",
            Self::Measurements => "measurements",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// 403 unless the caller may write this kind at all (each record's region is checked too).
    pub fn require(self, caller: &Caller) -> Result<(), ApiError> {
        match self {
            Self::Children | Self::Measurements => caller.require_child_data(),
        }
    }

    /// Checks the file's structure; the number of records it holds.
    pub async fn check(self, pool: &DbPool, format: Format, input: &Input) -> Result<u32, ApiError> {
        match self {
            Self::Children => super::check::<ChildrenWriter>(pool, format, input).await,
            Self::Measurements => super::check::<MeasurementsWriter>(pool, format, input).await,
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
            Self::Children => super::run(pool, caller, ChildrenWriter::new(nik_key), options, input, journal).await,
            Self::Measurements => {
                super::run(pool, caller, MeasurementsWriter::default(), options, input, journal).await
            }
        }
    }
}
