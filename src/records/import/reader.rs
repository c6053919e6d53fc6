//! Reads an import's records from its bytes as they arrive, on a blocking thread (the parsers
//! are `std::io::Read` based), and hands them on in chunks: never the whole file in memory.
//!
//! A record that cannot be read as the kind's record (a wrong type, a missing field, a broken
//! NDJSON line) is rejected on its own, with its position. A file whose structure is broken
//! (not a JSON array, a CSV header with a missing or unknown column, a row with more or fewer
//! fields than the header, an unclosed quote) cannot be read on, and fails as a whole, naming
//! the line.

use std::io::{BufRead, BufReader, Read};

use bytes::Bytes;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::domain::text::refuse_nul;
use crate::error::{ApiError, Invalid, Problem};
use crate::i18n::Text;

/// How the records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON array of record objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A header row, then one record per row.
    Csv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Ndjson => "ndjson",
            Self::Csv => "csv",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Json, Self::Ndjson, Self::Csv].into_iter().find(|f| f.as_str() == s)
    }
}

/// The CSV columns a kind knows; `required` must be in the header.
pub struct Columns {
    pub known: &'static [&'static str],
    pub required: &'static [&'static str],
}

/// One record, where it was and what it holds (or why it could not be read).
pub struct Parsed<T> {
    /// From 0, in file order.
    pub index: u32,
    /// The line it starts on (CSV and NDJSON).
    pub line: Option<u64>,
    pub record: Result<T, Box<Problem>>,
}

/// What the reader sends: a chunk of records, or the reason the file cannot be read on.
pub type Chunk<T> = Result<Vec<Parsed<T>>, ApiError>;

/// The most records one import may hold.
pub const MAX_RECORDS: u32 = 100_000;

/// Bytes sent in by the async side, read as a `std::io::Read` by the parser's thread.
pub struct ChannelReader {
    incoming: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChannelReader {
    pub fn new(incoming: mpsc::Receiver<Bytes>) -> Self {
        Self { incoming, current: Bytes::new() }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.incoming.blocking_recv() {
                Some(bytes) => self.current = bytes,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Starts reading `input` as `format` on a blocking thread; chunks of `chunk` records arrive
/// on the returned channel. The channel holds two chunks, so a slow writer slows the reader
/// rather than filling memory.
pub fn spawn<T: DeserializeOwned + Send + 'static>(
    format: Format,
    columns: &'static Columns,
    input: ChannelReader,
    chunk: usize,
) -> mpsc::Receiver<Chunk<T>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let mut out = Batcher { tx, chunk, pending: Vec::with_capacity(chunk), count: 0 };
        let result = match format {
            Format::Json => read_json(input, &mut out),
            Format::Ndjson => read_ndjson(input, &mut out),
            Format::Csv => read_csv(input, columns, &mut out),
        };
        match result {
            Ok(()) => out.flush(),
            Err(Stop::Failed(error)) => {
                let _ = out.tx.blocking_send(Err(error));
            }
            Err(Stop::Closed) => {}
        }
    });
    rx
}

enum Stop {
    /// The file cannot be read on.
    Failed(ApiError),
    /// Nobody listens any more.
    Closed,
}

struct Batcher<T> {
    tx: mpsc::Sender<Chunk<T>>,
    chunk: usize,
    pending: Vec<Parsed<T>>,
    count: u32,
}

impl<T> Batcher<T> {
    fn push(&mut self, line: Option<u64>, record: Result<T, Box<Problem>>) -> Result<(), Stop> {
        if self.count == MAX_RECORDS {
            return Err(Stop::Failed(ApiError::PayloadTooLarge(text!(
                "an import holds at most %{max_records} records; split the file",
                max_records = MAX_RECORDS
            ))));
        }
        self.pending.push(Parsed { index: self.count, line, record });
        self.count += 1;
        if self.pending.len() == self.chunk {
            let full = std::mem::replace(&mut self.pending, Vec::with_capacity(self.chunk));
            self.tx.blocking_send(Ok(full)).map_err(|_| Stop::Closed)?;
        }
        Ok(())
    }

    fn flush(self) {
        if !self.pending.is_empty() {
            let _ = self.tx.blocking_send(Ok(self.pending));
        }
    }
}

/// A record object as the kind's record, or a 422 naming every field that is wrong.
fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Box<Problem>> {
    if let Err(error) = refuse_nul(&value) {
        return Err(error.rejection());
    }
    if !value.is_object() {
        return Err(ApiError::invalid("record", text!("must be a JSON object")).rejection());
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { "record".to_owned() } else { path };
        ApiError::invalid(&field, crate::i18n::from_serde(&error.into_inner().to_string())).rejection()
    })
}

fn read_json<T: DeserializeOwned>(input: impl Read, out: &mut Batcher<T>) -> Result<(), Stop> {
    struct EachRecord<'a, T>(&'a mut Batcher<T>, Option<Stop>);
    impl<'de, T: DeserializeOwned> Visitor<'de> for &mut EachRecord<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of records")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(value) = seq.next_element::<Value>()? {
                if let Err(stop) = self.0.push(None, from_value(value)) {
                    self.1 = Some(stop);
                    return Err(serde::de::Error::custom("stopped"));
                }
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, input));
    let mut each = EachRecord(out, None);
    let read = serde::Deserializer::deserialize_seq(&mut de, &mut each).and_then(|()| de.end());
    match (read, each.1) {
        (_, Some(stop)) => Err(stop),
        (Ok(()), None) => Ok(()),
        (Err(error), None) => Err(Stop::Failed(broken(
            text!(
                "the body is not a JSON array of records: %{reason}",
                reason => crate::i18n::from_serde(&strip_position(&error.to_string()))
            ),
            error.line(),
        ))),
    }
}

fn read_ndjson<T: DeserializeOwned>(input: impl Read, out: &mut Batcher<T>) -> Result<(), Stop> {
    let mut lines = BufReader::with_capacity(64 * 1024, input);
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(Stop::Failed(broken(text!("the body is not UTF-8 text"), (number + 1) as usize))),
        }
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str::<Value>(&line)
            .map_err(|e| {
                ApiError::invalid(
                    "record",
                    text!("is not JSON: %{reason}", reason => crate::i18n::from_serde(&strip_position(&e.to_string()))),
                )
                .rejection()
            })
            .and_then(from_value);
        out.push(Some(number), record)?;
    }
}

fn read_csv<T: DeserializeOwned>(input: impl Read, columns: &Columns, out: &mut Batcher<T>) -> Result<(), Stop> {
    let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(QuoteCount { input, quotes: 0 });
    let headers = csv.headers().map_err(|e| Stop::Failed(csv_broken(&e)))?.clone();
    check_header(&headers, columns).map_err(Stop::Failed)?;
    let mut row = csv::StringRecord::new();
    let mut line = Some(1);
    loop {
        match csv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(Stop::Failed(csv_broken(&error))),
        }
        line = row.position().map(csv::Position::line);
        out.push(line, csv_record(&headers, &row))?;
    }
    // The csv crate ends a field still quoted at the end of the file without a word, so the
    // rest of the file would become one value of the last record. Quotes come in pairs in a
    // well-formed file (an escaped one is doubled).
    if csv.get_ref().quotes % 2 == 1 {
        let line = line.unwrap_or(1);
        return Err(Stop::Failed(ApiError::bad_request(text!(
            "line %{line}: a quote is left open (the file has an odd number of `\"`)",
            line = line
        ))));
    }
    Ok(())
}

/// Counts the double quotes a CSV file holds as the parser reads it.
struct QuoteCount<R> {
    input: R,
    quotes: usize,
}

impl<R: Read> Read for QuoteCount<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        self.quotes += buf[..n].iter().filter(|&&b| b == b'"').count();
        Ok(n)
    }
}

/// Every column of the header must be known, each only once, and the required ones there.
fn check_header(headers: &csv::StringRecord, columns: &Columns) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        if !columns.known.contains(&name) {
            errors.push(text!(
                "line 1: column %{number} `%{name}` is not a column of this kind",
                number = i + 1,
                name = name
            ));
        } else if headers.iter().take(i).any(|n| n == name) {
            errors.push(text!("line 1: column `%{name}` appears twice", name = name));
        }
    }
    for name in columns.required {
        if !headers.iter().any(|n| n == *name) {
            errors.push(text!("line 1: the required column `%{name}` is missing", name = name));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(ApiError::Validation(errors.into_iter().map(|message| Invalid::new("header", message)).collect())),
    }
}

fn csv_record<T: DeserializeOwned>(headers: &csv::StringRecord, row: &csv::StringRecord) -> Result<T, Box<Problem>> {
    if let Some(i) = row.iter().position(|f| f.contains('\0')) {
        return Err(ApiError::invalid(&headers[i], crate::domain::text::nul_message()).rejection());
    }
    row.deserialize(Some(headers)).map_err(|error| {
        let csv::ErrorKind::Deserialize { err, .. } = error.kind() else {
            return ApiError::invalid("record", text!("cannot be read")).rejection();
        };
        let message = match err.kind() {
            csv::DeserializeErrorKind::Message(m) | csv::DeserializeErrorKind::Unsupported(m) => m.clone(),
            other => other.to_string(),
        };
        let text = crate::i18n::from_serde(&message);
        let field = err
            .field()
            .and_then(|i| headers.get(i as usize))
            .or_else(|| column_named_in(&message, headers, row))
            .or_else(|| column_to_blame::<T>(&message, headers, row));
        ApiError::invalid(field.unwrap_or("record"), text).rejection()
    })
}

/// The column an error without a position is about: serde names the value (`unknown variant
/// \`sideways\``) or the field (`missing field \`place\``) between backticks.
fn column_named_in<'a>(message: &str, headers: &'a csv::StringRecord, row: &csv::StringRecord) -> Option<&'a str> {
    let quoted = message.split('`').nth(1)?;
    headers.iter().zip(row.iter()).find(|(name, value)| *value == quoted || *name == quoted).map(|(name, _)| name)
}

/// The column an error that names nothing is about (a value its type refused, such as a
/// negative amount). A row is read column by column in header order and stops at the first
/// bad value: blanking a column after it leaves the error as it is, blanking it (or one before
/// it) changes the error. The culprit is the last column whose blanking changes it.
fn column_to_blame<'a, T: DeserializeOwned>(
    message: &str,
    headers: &'a csv::StringRecord,
    row: &csv::StringRecord,
) -> Option<&'a str> {
    (0..row.len()).rev().filter(|i| !row[*i].is_empty()).find_map(|i| {
        let blanked: csv::StringRecord = row.iter().enumerate().map(|(j, f)| if j == i { "" } else { f }).collect();
        match blanked.deserialize::<T>(Some(headers)) {
            Err(other) if other.to_string().contains(message) => None,
            _ => headers.get(i),
        }
    })
}

fn csv_broken(error: &csv::Error) -> ApiError {
    let line = error.position().map_or(1, csv::Position::line);
    let what = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => text!(
            "has %{len} fields where the header has %{expected} (a stray comma, or a quote left open)",
            len = len,
            expected = expected_len
        ),
        csv::ErrorKind::Utf8 { .. } => text!("is not UTF-8 text"),
        _ => text!("cannot be read as CSV"),
    };
    ApiError::bad_request(text!("line %{line} %{what}", line = line, what => what))
}

/// A file that cannot be read on: 400, naming where.
fn broken(detail: Text, line: usize) -> ApiError {
    ApiError::bad_request(text!("line %{line}: %{detail}", line = line, detail => detail))
}

/// serde_json appends " at line L column C"; the detail says the line itself.
fn strip_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}
