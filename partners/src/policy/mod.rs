//! The one HTTP policy every partner client goes through.
//!
//! Contract: every attempt first waits on the connection's rate limiter (governor, paced to
//! `rate_per_second` with a burst of `burst`), then runs under `timeout`. Transport errors,
//! timeouts and HTTP 408/429/5xx are retried with jittered exponential backoff (`backon`) up to
//! `max_retries` times; a `Retry-After` header (seconds or HTTP date) stretches the next delay up to
//! `retry_after_clamp`. Other 4xx answers are never retried: they come back as a
//! [`PartnerResponse`] for the protocol layer to decode into its own permanent error. For 2xx/3xx
//! answers the protocol layer's classifier decides whether the body is a retryable error (e.g.
//! D-Store `resultStatus: U`). The builder closure runs once per attempt, so every attempt is
//! freshly signed (a replayed Dujiao-Next signature would be refused).
//!
//! Safety: redirects are never followed (a 3xx comes back to the protocol layer like a 4xx, so
//! signed headers never travel to another host). Unless `allow_private_targets` is set by the
//! process, the URL's host and every address its name resolves to must be public
//! ([`target`]); a refusal is [`PartnerHttpError::ForbiddenTarget`], permanent, and nothing is
//! sent. An answer's body is read up to `max_body_bytes` (1 MiB by default); a longer one, or a
//! `Content-Length` announcing one, fails the call with [`PartnerHttpError::BodyTooLarge`].

mod config;
mod error;
mod http;
mod resolver;
mod retry_after;
pub mod target;

pub use config::{PolicyConfig, PolicyConfigError, DEFAULT_MAX_BODY_BYTES};
pub use error::PartnerHttpError;
pub use http::{accept_any, AnswerVerdict, PartnerHttp, PartnerResponse};
pub use resolver::GuardedResolver;
pub use retry_after::parse_retry_after;
pub use target::ForbiddenTarget;
