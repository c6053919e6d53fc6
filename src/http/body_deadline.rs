//! Slow bodies: actix times out slow headers (`client_request_timeout`) but waits for a body
//! as long as the client keeps the connection open, so a client that declares 1,000 bytes and
//! sends 10 holds a connection for ever. Every body must arrive within `BODY_TIMEOUT_SECS` of
//! its headers, with no pause longer than `IDLE`; past either, reading it fails and the
//! request is answered 408.

use std::pin::Pin;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use crate::error::ApiError;

/// The longest pause between two parts of a body.
const IDLE: Duration = Duration::from_secs(10);

/// How long a whole body may take (`BODY_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

pub async fn limit_body_time<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if let Some(total) = req.app_data::<web::Data<BodyTimeout>>().map(|t| t.0) {
        let deadline = Instant::now() + total;
        let payload = req.take_payload();
        let timed = futures_util::stream::unfold(Some(payload), move |payload| async move {
            let mut payload = payload?;
            let wait_until = deadline.min(Instant::now() + IDLE);
            match tokio::time::timeout_at(wait_until, payload.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(payload))),
                Ok(None) => None,
                // Ends the stream after the error: the rest of the body is not waited for.
                Err(_) => Some((Err(timed_out()), None)),
            }
        });
        // Readers such as multipart poll again after the end; a fused stream answers `None`.
        let timed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(timed.fuse());
        req.set_payload(Payload::from(timed));
    }
    next.call(req).await
}

fn timed_out() -> PayloadError {
    PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time"))
}

/// The answer for a body that could not be read: 408 when it was too slow, 413 when too large,
/// 400 otherwise.
pub fn unreadable(error: &PayloadError) -> ApiError {
    match error {
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            ApiError::RequestTimeout(text!("the request body did not arrive in time; send it again"))
        }
        PayloadError::Overflow => ApiError::PayloadTooLarge(text!("the request body is too large")),
        _ => ApiError::bad_request(text!("the request body could not be read")),
    }
}
