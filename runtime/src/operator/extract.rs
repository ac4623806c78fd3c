//! Request extractors of the operator API: a body or a query string that does not parse is
//! refused with the API's own [`problem`] (`400 bad_request` and the parser's reason), so
//! handlers receive only parsed values.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::de::DeserializeOwned;

use super::problem::problem;

/// A JSON body.
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(error) => Err(problem(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &error.body_text(),
            )),
        }
    }
}

/// A route's query-string filters.
pub struct Filters<T>(pub T);

impl<T, S> FromRequestParts<S> for Filters<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Filters(value)),
            Err(error) => Err(problem(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &error.body_text(),
            )),
        }
    }
}
