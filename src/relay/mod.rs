//! Pushes the change feed to NATS JetStream (`NATS_URL`; unset: off).
//!
//! The feed's table is the transactional outbox: a change is in it once its write commits, and
//! only then. Every instance runs a relay, and the one holding the relay's session lock
//! publishes: it reads the feed after its saved position, publishes a batch in feed order,
//! waits until JetStream has acknowledged every message, and only then saves the batch's end.
//! A relay that dies in between publishes the batch again under the same `Nats-Msg-Id` (the
//! change's position), which JetStream drops within its duplicate window and a consumer can
//! drop after it. NATS being away stops nothing but the relay: writes go on, the lag grows.

mod metrics;
mod subject;

use std::time::Duration;

use async_nats::jetstream::{self, context::PublishAckFuture, message::PublishMessage, stream};
use bytes::Bytes;
use chrono::Utc;

use crate::db::DbPool;
use crate::records::changes::{self, Change, relayed};

pub use metrics::RelayMetrics;
pub use subject::subject;

/// The JetStream stream the relay creates when it does not exist yet.
pub const STREAM: &str = "STUNTING_CHANGES";
/// The subjects it takes: `stunting.changes.<province>.<district>.<entity>`.
pub const SUBJECTS: &str = "stunting.changes.>";
/// The relay's row in `change_relay` and the name of its lock.
const TARGET: &str = "nats";
/// How long a relay that has published everything waits before looking again.
const IDLE: Duration = Duration::from_millis(250);
/// How long a relay that another instance leads waits before trying for the lock again.
const STANDBY: Duration = Duration::from_secs(2);
/// The longest wait between attempts while NATS or the database fails.
const RETRY_MAX: Duration = Duration::from_secs(30);

pub struct Relay {
    pool: DbPool,
    url: String,
    batch: i64,
    metrics: RelayMetrics,
}

impl Relay {
    pub fn new(pool: DbPool, url: String, batch: i64, metrics: RelayMetrics) -> Self {
        Self { pool, url, batch, metrics }
    }

    /// Relays for as long as the process lives: leads while it holds the lock, waits while
    /// another instance does, and after a failure tries again, waiting longer each time (up to
    /// 30 seconds) until a batch gets through.
    pub async fn run(self) {
        let mut retry = Duration::from_secs(1);
        loop {
            let mut progressed = false;
            let wait = match self.lead(&mut progressed).await {
                Ok(()) => STANDBY,
                Err(error) => {
                    // The error names what failed, never the URL (it may hold credentials).
                    tracing::warn!(error = %format!("{error:#}"), "the change relay stopped; trying again");
                    if progressed {
                        retry = Duration::from_secs(1);
                    }
                    let wait = retry;
                    retry = (retry * 2).min(RETRY_MAX);
                    wait
                }
            };
            self.metrics.active.set(0);
            if let Err(error) = self.measure_lag().await {
                tracing::warn!(%error, "the change relay could not measure its lag");
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Returns at once (`Ok`) when another session holds the lock; otherwise publishes until
    /// something fails. `progressed` tells whether a batch got through before that.
    async fn lead(&self, progressed: &mut bool) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        if !relayed::try_lock(&mut conn, TARGET).await? {
            return Ok(());
        }
        // The lock lives as long as this session: the connection leaves the pool with it, and
        // closing it (however this task ends) hands the lock to the next instance.
        let mut conn = deadpool::managed::Object::take(conn);
        let jetstream = connect(&self.url).await?;
        tracing::info!(stream = STREAM, "the change relay leads");
        self.metrics.active.set(1);
        let mut at = relayed::position(&mut conn, TARGET).await?;
        loop {
            let page = changes::after(&mut conn, at, "", "~", self.batch).await?;
            let mut acks: Vec<PublishAckFuture> = Vec::with_capacity(page.changes.len());
            for change in &page.changes {
                acks.push(
                    jetstream.send_publish(subject(&change.entity, &change.region_code), message(change)?).await?,
                );
            }
            for ack in acks {
                let ack = ack.await?;
                let counter = if ack.duplicate { &self.metrics.duplicates } else { &self.metrics.published };
                counter.inc();
            }
            if page.next != at {
                relayed::advance(&mut conn, TARGET, page.next).await?;
                at = page.next;
                *progressed = true;
            }
            self.metrics.set_lag(relayed::oldest_waiting(&mut conn, TARGET).await?, Utc::now());
            if !page.more {
                tokio::time::sleep(IDLE).await;
            }
        }
    }

    async fn measure_lag(&self) -> anyhow::Result<()> {
        let oldest = relayed::oldest_waiting(&mut *self.pool.get().await?, TARGET).await?;
        self.metrics.set_lag(oldest, Utc::now());
        Ok(())
    }
}

/// A client of `url` and the stream, made if it is missing. A stream that exists keeps its
/// operator's settings (retention, replicas, the duplicate window).
async fn connect(url: &str) -> anyhow::Result<jetstream::Context> {
    let client = async_nats::ConnectOptions::new().name("stunting-api change relay").connect(url).await?;
    let jetstream = jetstream::new(client);
    let config = stream::Config { name: STREAM.to_owned(), subjects: vec![SUBJECTS.to_owned()], ..Default::default() };
    jetstream.get_or_create_stream(config).await?;
    Ok(jetstream)
}

/// The change as `GET /changes` lists it, under its position as the message id.
fn message(change: &Change) -> anyhow::Result<PublishMessage> {
    Ok(PublishMessage::build().payload(Bytes::from(serde_json::to_vec(change)?)).message_id(&change.change))
}
