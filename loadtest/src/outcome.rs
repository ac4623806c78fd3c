//! What became of one request, as the report counts it.
//!
//! Contract: every request ends in exactly one [`Outcome`]. Only [`Outcome::Acked`] counts as an
//! acknowledged event (and is later looked for on its topic); [`Outcome::FaultHandled`] means an
//! injected fault got the answer the protocol demands; [`Outcome::Shed`] is an overload answer
//! (429/503 in the partner's format); everything else is an [`ErrorClass`].

use std::fmt;

/// The injected faults whose answers are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// A repeat of an acknowledged request: must get the same answer and no second event.
    Duplicate,
    /// A request whose signature was tampered with: must be refused with the partner's code.
    BadSignature,
    /// A body over the ingress limit: must be refused with 413.
    Oversized,
}

impl FaultKind {
    /// Stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::BadSignature => "bad_signature",
            Self::Oversized => "oversized",
        }
    }
}

/// Why a request counts as an error. The text of [`ErrorClass::key`] is what the report shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// No answer within the request timeout.
    Timeout,
    /// The connection could not be opened.
    Connect,
    /// Any other transport failure (reset, protocol error, body read error).
    Transport,
    /// An HTTP status the protocol does not explain.
    Status(u16),
    /// The partner-format answer refused a well-formed request (`protocol:code`).
    Refused(String),
    /// An injected fault got the wrong answer (`fault:what`), e.g. a bad signature accepted.
    CheckFailed(String),
}

impl ErrorClass {
    /// The report key, e.g. `timeout`, `http_500`, `refused:dujiao:insufficient_balance`.
    pub fn key(&self) -> String {
        match self {
            Self::Timeout => "timeout".into(),
            Self::Connect => "connect".into(),
            Self::Transport => "transport".into(),
            Self::Status(status) => format!("http_{status}"),
            Self::Refused(code) => format!("refused:{code}"),
            Self::CheckFailed(what) => format!("check_failed:{what}"),
        }
    }

    /// Classifies a reqwest failure without keeping its text (it may carry a URL with secrets).
    pub fn from_transport(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Connect
        } else {
            Self::Transport
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The fate of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A fresh request acknowledged as success: its event must be on its topic.
    Acked,
    /// An injected fault answered correctly.
    FaultHandled(FaultKind),
    /// Refused for overload (429/503), in the partner's format.
    Shed,
    /// Anything else.
    Error(ErrorClass),
}

impl Outcome {
    /// Whether step mode counts this request against sustainability.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Shed | Self::Error(_))
    }
}
