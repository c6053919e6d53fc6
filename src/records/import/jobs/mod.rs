//! Imports too large to answer while the caller waits: the file is stored in PostgreSQL as it
//! arrives (`store`), and a worker in the service writes it. A job survives a restart: a worker
//! renews its lease while it runs (`lease`), and a job whose lease ran out is taken up again,
//! from the records its journal says were committed (`mode=each`, `journal`) or from the start
//! (one transaction). What the sender sees is `view`. Which writer runs a job's kind is decided
//! above the aggregates (`records::bulk`), so this engine names none of them.

mod journal;
mod lease;
mod store;
mod view;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

pub use journal::Journal;
pub use lease::{claim, fail, renew, requeue, succeed};
pub(super) use store::feed;
pub use store::{append, begin, discard, queue};
pub use view::{JobRow, JobStatus, JobView, find};

/// How long a worker holds a job without renewing its lease; a job whose worker died is taken
/// up again after this.
pub const LEASE: Duration = Duration::from_secs(60);
/// A job that failed this often for a passing reason (the database was away) fails for good.
pub const MAX_ATTEMPTS: i32 = 3;
/// The size of a stored part.
pub const PART_BYTES: usize = 1 << 20;

/// Wakes the workers when a job is queued (they also look every few seconds, for jobs queued
/// by another replica or left by a stopped one).
#[derive(Clone, Default)]
pub struct Queue(Arc<Notify>);

impl Queue {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Resolves when a job is queued after this call.
    pub async fn notified(&self) {
        self.0.notified().await
    }
}
