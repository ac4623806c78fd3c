//! One request as the runner sends it, what its answer is expected to be, and who judges it.
//!
//! Contract: a [`RequestSource`] builds request `seq` completely (signed, body encoded) before its
//! due time, on the generator thread; the runner only sends bytes. A [`Judge`] turns the answer
//! into an [`Outcome`]; the protocol judge also feeds the acknowledgement ledger.

use std::sync::Arc;

use reqwest::Method;

use crate::mix::LogicalRequest;
use crate::outcome::{ErrorClass, FaultKind, Outcome};

/// A request body, shared so that a resend costs no copy.
pub type Body = Arc<[u8]>;

/// What the answer to a request must look like.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// A plain request: any 2xx is an acknowledgement; nothing is checked or verified later.
    AnySuccess,
    /// A fresh protocol request: success is an acknowledged event.
    Fresh(Arc<LogicalRequest>),
    /// A repeat of an acknowledged request: must get the same answer (`original`).
    Duplicate {
        /// The repeated request.
        logical: Arc<LogicalRequest>,
        /// The answer the first copy got.
        original: String,
    },
    /// A tampered signature: must be refused with the partner's code.
    BadSignature(Arc<LogicalRequest>),
    /// A body over the limit: must be refused with 413.
    Oversized(Arc<LogicalRequest>),
}

impl Expectation {
    /// The injected fault, if this request is one.
    pub fn fault(&self) -> Option<FaultKind> {
        match self {
            Self::AnySuccess | Self::Fresh(_) => None,
            Self::Duplicate { .. } => Some(FaultKind::Duplicate),
            Self::BadSignature(_) => Some(FaultKind::BadSignature),
            Self::Oversized(_) => Some(FaultKind::Oversized),
        }
    }
}

/// A fully built request.
#[derive(Clone)]
pub struct PlannedRequest {
    /// HTTP method.
    pub method: Method,
    /// Path (and query) appended to the base URL.
    pub path: String,
    /// Headers, signatures included.
    pub headers: Vec<(&'static str, String)>,
    /// Raw body.
    pub body: Body,
    /// What the answer must be.
    pub expectation: Expectation,
}

impl std::fmt::Debug for PlannedRequest {
    // Headers carry signatures and bodies carry (fake) personal data: show neither.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("body_len", &self.body.len())
            .field("fault", &self.expectation.fault())
            .finish_non_exhaustive()
    }
}

/// The answer of the server, body read in full.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON, or `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Builds request `seq` of a run. Called on a dedicated thread, in order.
pub trait RequestSource: Send + Sync + 'static {
    /// The complete request with sequence number `seq`.
    fn request(&self, seq: u64) -> PlannedRequest;
}

/// Decides the [`Outcome`] of an answered (or failed) request.
pub trait Judge: Send + Sync + 'static {
    /// `answer` is the server's answer, or the transport failure.
    fn judge(&self, request: &PlannedRequest, answer: Result<Answer, ErrorClass>) -> Outcome;

    /// Whether injected faults are checked (otherwise the report shows no fault checks).
    fn checks_faults(&self) -> bool {
        true
    }
}

/// The baseline judge: any 2xx counts as acknowledged, nothing else is checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnySuccessJudge;

impl Judge for AnySuccessJudge {
    fn judge(&self, _request: &PlannedRequest, answer: Result<Answer, ErrorClass>) -> Outcome {
        match answer {
            Ok(answer) if (200..300).contains(&answer.status) => Outcome::Acked,
            Ok(answer) if matches!(answer.status, 429 | 503) => Outcome::Shed,
            Ok(answer) => Outcome::Error(ErrorClass::Status(answer.status)),
            Err(class) => Outcome::Error(class),
        }
    }

    fn checks_faults(&self) -> bool {
        false
    }
}

/// Plain `POST /bare` requests with a small JSON body (harness tests and raw HTTP runs).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainSource;

/// Path of plain requests.
pub const PLAIN_PATH: &str = "/bare";

impl RequestSource for PlainSource {
    fn request(&self, seq: u64) -> PlannedRequest {
        PlannedRequest {
            method: Method::POST,
            path: PLAIN_PATH.to_string(),
            headers: vec![("content-type", "application/json".to_string())],
            body: format!("{{\"seq\":{seq}}}").into_bytes().into(),
            expectation: Expectation::AnySuccess,
        }
    }
}
