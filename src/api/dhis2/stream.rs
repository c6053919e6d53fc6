//! Writes an export as it is read: `{"dataValues":[` then each piece's values, one data set at
//! a time, then `]}`: memory holds one district's values of one data set.

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web;
use bytes::Bytes;
use futures_util::stream;

use crate::db::ReadPool;
use crate::dhis2::{DataSet, Period};
use crate::error::ApiError;
use crate::records::dhis2::read::{self, Piece};
use crate::records::stats::rates::Disclosure;

struct Writer {
    pool: web::Data<ReadPool>,
    /// Each piece with each data set.
    reads: std::vec::IntoIter<(Piece, DataSet)>,
    periods: Vec<Period>,
    disclosure: Disclosure,
    written: bool,
    done: bool,
}

impl Writer {
    /// The next piece's values (an empty chunk when it has none), or the closing.
    async fn next_chunk(&mut self) -> Option<Result<Bytes, ApiError>> {
        if self.done {
            return None;
        }
        let Some((piece, set)) = self.reads.next() else {
            self.done = true;
            return Some(Ok(Bytes::from_static(b"]}")));
        };
        let read = async {
            let mut conn = self.pool.get().await?;
            Ok::<_, ApiError>(read::values(&mut conn, &piece, set, &self.periods, self.disclosure).await?)
        };
        let values = match read.await {
            Ok(values) => values,
            Err(error) => {
                // The status is sent by now: the body stays unclosed, which any reader notices.
                self.done = true;
                return Some(Err(error));
            }
        };
        let mut chunk = Vec::with_capacity(values.len() * 120);
        for value in &values {
            if self.written {
                chunk.push(b',');
            }
            self.written = true;
            if let Err(error) = serde_json::to_writer(&mut chunk, value) {
                self.done = true;
                return Some(Err(ApiError::Internal(error.into())));
            }
        }
        Some(Ok(Bytes::from(chunk)))
    }
}

/// The streamed answer of an export over `pieces`.
pub fn answer(
    pool: web::Data<ReadPool>,
    pieces: Vec<Piece>,
    sets: Vec<DataSet>,
    periods: Vec<Period>,
    disclosure: Disclosure,
) -> HttpResponse {
    let reads: Vec<(Piece, DataSet)> =
        pieces.into_iter().flat_map(|piece| sets.iter().map(move |set| (piece.clone(), *set))).collect();
    let writer = Writer { pool, reads: reads.into_iter(), periods, disclosure, written: false, done: false };
    let head = stream::once(async { Ok::<_, ApiError>(Bytes::from_static(b"{\"dataValues\":[")) });
    let body = futures_util::StreamExt::chain(
        head,
        stream::unfold(writer, |mut writer| async move { writer.next_chunk().await.map(|chunk| (chunk, writer)) }),
    );
    HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body)
}
