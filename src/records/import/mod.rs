//! Bulk import: many records of one kind, read from a JSON array, NDJSON or CSV as it arrives
//! and written in chunks through the same rules as single requests (each kind's writer lives
//! with its records). Every record ends `created`, `updated`, `unchanged` or `rejected`, and
//! the summary names each rejected record by position with its problem.
//!
//! - `mode=each` commits chunk by chunk: good records go in, bad ones are reported.
//! - `mode=all` writes everything in one transaction and commits only if no record was
//!   rejected; `dry_run` never commits. Both run the real writes (so a dry run meets the same
//!   rules, constraints included) and roll them back.

pub mod jobs;
pub mod reader;

use std::future::Future;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::DbPool;
use crate::domain::ImportJobId;
use crate::error::{ApiError, Problem};
use crate::i18n::Text;
pub use reader::{Columns, Format, MAX_RECORDS};

/// Records written per transaction: large enough that statements and kept counts move once
/// for many records, small enough that a chunk's locks are short (docs/benchmarks.md).
pub const CHUNK: usize = 2_000;

crate::domain::text_enum! {
    /// What an import does with a rejected record.
    pub enum Mode {
        /// Everything or nothing.
        All = "all",
        /// Good records in, bad ones reported.
        Each = "each",
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    pub mode: Mode,
    pub dry_run: bool,
}

impl Options {
    /// Whether everything runs in one transaction.
    pub fn at_once(self) -> bool {
        self.mode == Mode::All || self.dry_run
    }
}

/// What became of a record that was not rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

impl Outcome {
    /// A single request's `created` flag: written, or found stored (a retry).
    pub fn of_write(created: bool) -> Self {
        if created { Self::Created } else { Self::Unchanged }
    }

    /// A record that wrote several rows: created if any was, else updated if any was.
    pub fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::Created, _) | (_, Self::Created) => Self::Created,
            (Self::Updated, _) | (_, Self::Updated) => Self::Updated,
            _ => Self::Unchanged,
        }
    }
}

/// A record's verdict: its outcome, or the problem a single request would have answered.
pub type Verdict = Result<Outcome, Box<Problem>>;

/// Writes one kind of record. `write` gets a chunk in file order (with each record's index)
/// inside the import's transaction and answers a verdict per record, in order; an error fails
/// the chunk as a whole (the engine then retries its records one by one in `mode=each`).
pub trait Writer: Send {
    type Record: DeserializeOwned + Send + Sync + 'static;
    const COLUMNS: &'static Columns;

    /// The record's own id, to name it in the summary (never personal data).
    fn id_of(record: &Self::Record) -> Option<String>;

    fn write<'a>(
        &'a mut self,
        conn: &'a mut AsyncPgConnection,
        caller: &'a Caller,
        chunk: &'a [(u32, Self::Record)],
    ) -> impl Future<Output = Result<Vec<Verdict>, ApiError>> + Send + 'a;
}

/// A kind whose record each touches several rows by the single requests' rules, and is
/// written a record at a time, each in its own savepoint (`each_in_savepoint`), so a record is
/// written whole or not at all.
pub trait OneAtATime: Sync {
    type Record: Sync;

    fn one<'a>(
        &'a self,
        conn: &'a mut AsyncPgConnection,
        caller: &'a Caller,
        record: &'a Self::Record,
    ) -> impl Future<Output = Result<Outcome, ApiError>> + Send + 'a;
}

/// `Writer::write` for a `OneAtATime` kind: the chunk's records in order, each in its savepoint.
pub async fn each_in_savepoint<W: OneAtATime>(
    writer: &W,
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    chunk: &[(u32, W::Record)],
) -> Result<Vec<Verdict>, ApiError> {
    let mut verdicts = Vec::with_capacity(chunk.len());
    for (_, record) in chunk {
        verdicts.push(in_savepoint(writer, conn, caller, record).await?);
    }
    Ok(verdicts)
}

/// One record of a `OneAtATime` kind, in its savepoint.
pub async fn in_savepoint<W: OneAtATime>(
    writer: &W,
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    record: &W::Record,
) -> Result<Verdict, ApiError> {
    verdict(conn.transaction::<Outcome, ApiError, _>(async |conn| writer.one(conn, caller, record).await).await)
}

/// A record written in its own savepoint (`conn.transaction` inside the chunk's): its outcome,
/// or its rejection; a failure of the database itself fails the chunk.
fn verdict(written: Result<Outcome, ApiError>) -> Result<Verdict, ApiError> {
    match written {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(error) if error.is_fault() => Err(error),
        Err(error) => Ok(Err(error.rejection())),
    }
}

/// A record sent without its id and found by its natural key (its day, say), where the stored
/// one differs: the 409 names the record on file instead of an id the caller never sent.
pub fn on_file(error: ApiError, what: Text) -> ApiError {
    match error {
        ApiError::DuplicateOf { existing_id, .. } => ApiError::DuplicateOf {
            detail: text!(
                "differs from the %{what} on file (%{id}); void that one and send it again",
                what => what,
                id = existing_id
            ),
            existing_id,
        },
        other => other,
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"received": 3, "created": 1, "updated": 0, "unchanged": 1, "rejected": 1,
    "committed": true, "rejections": [{"index": 2, "line": 4, "id": "3f1d6a52-8e4b-4c1e-a7f3-9b2d4e6c8a10",
    "problem": {"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
        "detail": "the request has invalid fields",
        "errors": [{"field": "length_cm", "message": "must be between 38 and 130"}]}}]}))]
pub struct Summary {
    /// Records read.
    pub received: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub rejected: u32,
    /// Whether the writes were kept: false for a dry run, and for `mode=all` with a rejection.
    /// The counts then say what the import would have done.
    pub committed: bool,
    /// Every rejected record, in file order.
    pub rejections: Vec<Rejection>,
}

/// A record that was not written, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rejection {
    /// Position in the file, from 0 (array element, NDJSON record or CSV row).
    pub index: u32,
    /// The line the record starts on (CSV and NDJSON; the header is line 1).
    pub line: Option<u64>,
    /// The record's own id, when it has one.
    pub id: Option<String>,
    /// The problem a single request with this record would have answered.
    pub problem: Box<Problem>,
}

impl Summary {
    fn count(&mut self, verdict: &Verdict) {
        self.received += 1;
        match verdict {
            Ok(Outcome::Created) => self.created += 1,
            Ok(Outcome::Updated) => self.updated += 1,
            Ok(Outcome::Unchanged) => self.unchanged += 1,
            Err(_) => self.rejected += 1,
        }
    }

    fn add(&mut self, other: Summary) {
        self.received += other.received;
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.rejected += other.rejected;
        self.rejections.extend(other.rejections);
    }
}

/// Where an import's bytes come from.
pub enum Input {
    /// A body small enough to be answered while the caller waits.
    Memory(Bytes),
    /// A job's stored parts, read one at a time.
    Job(ImportJobId),
}

/// Checks the file's structure and counts its records without writing anything: a broken
/// file is refused before a job is queued or a record written.
pub async fn check<W: Writer>(pool: &DbPool, format: Format, input: &Input) -> Result<u32, ApiError> {
    let (mut chunks, feeding) = open::<serde::de::IgnoredAny>(pool, format, W::COLUMNS, input);
    // Owns the receiver, so that stopping early (a broken file) stops the reader and the feed.
    let counting = async move {
        let mut count = 0;
        while let Some(chunk) = chunks.recv().await {
            count += chunk?.len() as u32;
        }
        Ok::<_, ApiError>(count)
    };
    let (fed, count) = futures_util::future::join(feeding, counting).await;
    fed?;
    count
}

/// Runs an import. A job's `journal` records each committed chunk (in its transaction), and a
/// resumed job skips the records its journal already holds.
pub async fn run<W: Writer>(
    pool: &DbPool,
    caller: &Caller,
    writer: W,
    options: Options,
    input: &Input,
    journal: Option<&jobs::Journal>,
) -> Result<Summary, ApiError> {
    let (chunks, feeding) = open::<W::Record>(pool, options.format, W::COLUMNS, input);
    let broken = Arc::new(Mutex::new(None));
    let feeding = {
        let broken = broken.clone();
        async move {
            if let Err(error) = feeding.await {
                *broken.lock().expect("not poisoned") = Some(error);
            }
        }
    };
    let mut conn = pool.get().await?;
    let mut engine = Engine { writer, caller, chunks, broken, journal, skip: journal.map_or(0, |j| j.done) };
    // Owns the engine and its receiver: a write that fails part-way drops them, which stops the
    // reader and then the feed, instead of leaving both waiting on a full channel.
    let writing = async move {
        if options.at_once() { engine.at_once(&mut conn, options).await } else { engine.each(&mut conn).await }
    };
    let ((), summary) = futures_util::future::join(feeding, writing).await;
    summary
}

/// The reader's chunks, and the future that feeds it the bytes.
fn open<T: DeserializeOwned + Send + 'static>(
    pool: &DbPool,
    format: Format,
    columns: &'static Columns,
    input: &Input,
) -> (mpsc::Receiver<reader::Chunk<T>>, impl Future<Output = Result<(), ApiError>>) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let chunks = reader::spawn::<T>(format, columns, reader::ChannelReader::new(rx), CHUNK);
    let pool = pool.clone();
    let source = match input {
        Input::Memory(bytes) => Ok(bytes.clone()),
        Input::Job(id) => Err(*id),
    };
    let feeding = async move {
        match source {
            Ok(bytes) => {
                let _ = tx.send(bytes).await;
            }
            Err(job) => jobs::feed(&pool, job, &tx).await?,
        }
        Ok(())
    };
    (chunks, feeding)
}

struct Engine<'a, W: Writer> {
    writer: W,
    caller: &'a Caller,
    chunks: mpsc::Receiver<reader::Chunk<W::Record>>,
    /// Why the bytes stopped coming, if they did not end: the reader then saw a cut file.
    broken: Arc<Mutex<Option<ApiError>>>,
    journal: Option<&'a jobs::Journal>,
    skip: u32,
}

/// How a single-transaction import ends: committed, or rolled back with what it would have done.
enum End {
    RolledBack(Summary),
    Failed(ApiError),
}

impl From<diesel::result::Error> for End {
    fn from(error: diesel::result::Error) -> Self {
        Self::Failed(error.into())
    }
}

impl From<ApiError> for End {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

/// A chunk still to write: its readable records and where they were, what the reader already
/// rejected, and the index after its last record.
struct Pending<R> {
    records: Vec<(u32, R)>,
    positions: Vec<Parsed>,
    unreadable: Summary,
    end: u32,
}

impl<W: Writer> Engine<'_, W> {
    async fn next(&mut self) -> Result<Option<Pending<W::Record>>, ApiError> {
        loop {
            let Some(chunk) = self.chunks.recv().await else {
                if let Some(error) = self.broken.lock().expect("not poisoned").take() {
                    return Err(error);
                }
                return Ok(None);
            };
            let mut pending =
                Pending { records: Vec::new(), positions: Vec::new(), unreadable: Summary::default(), end: 0 };
            for parsed in chunk? {
                pending.end = parsed.index + 1;
                if parsed.index < self.skip {
                    continue;
                }
                let at = Parsed { index: parsed.index, line: parsed.line, id: None };
                match parsed.record {
                    Ok(record) => {
                        pending.positions.push(Parsed { id: W::id_of(&record), ..at });
                        pending.records.push((parsed.index, record));
                    }
                    Err(problem) => pending.unreadable.note(at, Err(problem)),
                }
            }
            if pending.end > self.skip {
                return Ok(Some(pending));
            }
        }
    }

    /// Writes the records and adds their verdicts to `summary`.
    async fn write(
        &mut self,
        conn: &mut AsyncPgConnection,
        records: &[(u32, W::Record)],
        positions: &[Parsed],
        summary: &mut Summary,
    ) -> Result<(), ApiError> {
        if records.is_empty() {
            return Ok(());
        }
        let verdicts = self.writer.write(conn, self.caller, records).await?;
        for (at, verdict) in positions.iter().zip(verdicts) {
            summary.note(at.clone(), verdict);
        }
        Ok(())
    }

    /// `mode=all` and dry runs: one transaction, committed only when it should be.
    async fn at_once(&mut self, conn: &mut AsyncPgConnection, options: Options) -> Result<Summary, ApiError> {
        let ended = conn
            .transaction::<Summary, End, _>(async |conn| {
                let mut total = Summary::default();
                while let Some(mut chunk) = self.next().await? {
                    self.write(conn, &chunk.records, &chunk.positions, &mut chunk.unreadable).await?;
                    total.add(chunk.unreadable);
                }
                total.rejections.sort_by_key(|r| r.index);
                if options.dry_run || total.rejected > 0 {
                    return Err(End::RolledBack(total));
                }
                total.committed = true;
                Ok(total)
            })
            .await;
        match ended {
            Ok(summary) | Err(End::RolledBack(summary)) => Ok(summary),
            Err(End::Failed(error)) => Err(error),
        }
    }

    /// `mode=each`: a transaction per chunk, with the job's journal.
    async fn each(&mut self, conn: &mut AsyncPgConnection) -> Result<Summary, ApiError> {
        let mut total = Summary { committed: true, ..Summary::default() };
        while let Some(chunk) = self.next().await? {
            let journal = self.journal;
            let written = conn
                .transaction::<Summary, ApiError, _>(async |conn| {
                    let mut summary = chunk.unreadable.clone();
                    self.write(conn, &chunk.records, &chunk.positions, &mut summary).await?;
                    if let Some(journal) = journal {
                        journal.advance(conn, &summary, chunk.end).await?;
                    }
                    Ok(summary)
                })
                .await;
            let summary = match written {
                Ok(summary) => summary,
                Err(error) if error.is_fault() => return Err(error),
                Err(_) => self.one_by_one(conn, chunk).await?,
            };
            total.add(summary);
        }
        total.rejections.sort_by_key(|r| r.index);
        Ok(total)
    }

    /// A chunk that failed as a whole (a concurrent request took an id between the checks
    /// and the insert), written again a record per transaction so only the culprit is
    /// rejected. Should the service stop before the journal's own transaction, the resumed
    /// job finds these records written and counts them unchanged.
    async fn one_by_one(
        &mut self,
        conn: &mut AsyncPgConnection,
        chunk: Pending<W::Record>,
    ) -> Result<Summary, ApiError> {
        let mut summary = chunk.unreadable;
        for (record, at) in chunk.records.chunks(1).zip(&chunk.positions) {
            let written = conn
                .transaction::<Summary, ApiError, _>(async |conn| {
                    let mut one = Summary::default();
                    self.write(conn, record, std::slice::from_ref(at), &mut one).await?;
                    Ok(one)
                })
                .await;
            match written {
                Ok(one) => summary.add(one),
                Err(error) if error.is_fault() => return Err(error),
                Err(error) => summary.note(at.clone(), Err(error.rejection())),
            }
        }
        if let Some(journal) = self.journal {
            journal.advance(&mut *conn, &summary, chunk.end).await?;
        }
        Ok(summary)
    }
}

/// Where a record was, and its id.
#[derive(Debug, Clone)]
struct Parsed {
    index: u32,
    line: Option<u64>,
    id: Option<String>,
}

impl Summary {
    /// Counts a record's verdict, and keeps a rejection.
    fn note(&mut self, at: Parsed, verdict: Verdict) {
        self.count(&verdict);
        if let Err(problem) = verdict {
            self.rejections.push(Rejection { index: at.index, line: at.line, id: at.id, problem });
        }
    }
}
