//! The operator API's one front door, shared by every role that mounts admin routes.
//!
//! Contract:
//! - Route sets (ingress accounts, catalog and connections; workers' procurement and cancel) are
//!   built without authentication; the process mounts all of them under [`guard`], once.
//! - With no `admin.token` configured, every guarded route answers `503 {"error":"disabled"}`.
//! - Otherwise a request needs `Authorization: Bearer <token>`, compared in constant time; a
//!   missing, malformed or wrong header is `401 {"error":"unauthorized"}`. A missing header is
//!   never compared, so no configuration can make "no header" match.
//! - Every error answer is a [`Problem`], `{error, message}`: handlers write it with [`problem`],
//!   take bodies and query strings through [`Body`] and [`Filters`] (which refuse what does not
//!   parse as `400 bad_request`),
//!   and the guard rewrites any other error body (axum's plain-text rejections, an empty 405)
//!   into the same shape.
//! - An [`AdminToken`] parses only from at least [`MIN_TOKEN_BYTES`] bytes, so an empty or short
//!   `admin.token` stops start-up with one line naming the key.

mod extract;
mod guard;
mod problem;
mod token;

pub use extract::{Body, Filters};
pub use guard::guard;
pub use problem::{problem, Problem};
pub use token::{AdminToken, TokenError, MIN_TOKEN_BYTES};

#[cfg(test)]
mod tests;
