use serde::Deserialize;
use utoipa::IntoParams;

use crate::records::import::Mode;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `each` (default): good records are written, bad ones reported. `all`: everything or
    /// nothing.
    pub mode: Option<Mode>,
    /// `true`: check and try every record, then write nothing (default false).
    pub dry_run: Option<bool>,
    /// `true`: run as a job even when the file is small (default false; a file larger than
    /// `MAX_BODY_BYTES` always does).
    pub background: Option<bool>,
}

/// How large an import may be, and from what size it runs as a job.
#[derive(Debug, Clone, Copy)]
pub struct ImportLimits {
    /// `MAX_IMPORT_BYTES`.
    pub max_bytes: usize,
    /// `MAX_BODY_BYTES`: larger files run as jobs.
    pub at_once_bytes: usize,
}
