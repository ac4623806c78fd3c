//! The bearer-token layer over every operator route, and the rewrite of stray error bodies
//! into `{error, message}` (contract in the module header of `operator`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;

use super::problem::{code_for, problem};
use super::AdminToken;

/// Longest framework error body carried into a `message`.
const MESSAGE_LIMIT: usize = 4 * 1024;

/// `routes` behind the operator token; with `None` every one of them answers 503 `disabled`.
/// Only routes are guarded, not the fallback: an unknown path stays a plain 404, so a route
/// that answers 401 or 503 is one that exists.
pub fn guard(routes: Router, token: Option<AdminToken>) -> Router {
    routes.route_layer(middleware::from_fn_with_state(Arc::new(token), authorize))
}

async fn authorize(
    State(token): State<Arc<Option<AdminToken>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = token.as_ref() else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "disabled",
            "operator API disabled: set admin.token (at least 16 bytes)",
        );
    };
    let authorized = bearer(request.headers()).is_some_and(|presented| token.matches(presented));
    if !authorized {
        return problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong bearer token",
        );
    }
    in_problem_shape(next.run(request).await).await
}

/// The credentials of `Authorization: Bearer <token>`; `None` when absent, of another scheme,
/// or empty.
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !credentials.is_empty())
        .then_some(credentials.as_bytes())
}

/// Error answers that are not JSON (axum's plain-text path, query and body rejections, an
/// empty 405) become `{error, message}` with the same status and headers.
async fn in_problem_shape(response: Response) -> Response {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !is_error || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MESSAGE_LIMIT)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut rewritten = problem(status, code_for(status), &message);
    parts.headers.remove(CONTENT_LENGTH);
    parts.headers.remove(CONTENT_TYPE);
    rewritten.headers_mut().extend(parts.headers);
    rewritten
}
