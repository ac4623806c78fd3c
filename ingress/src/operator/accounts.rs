//! Operator: downstream accounts, their Dujiao-Next API credentials, and wallets.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{json, Value};
use switchyard_store::credentials::{self, ApiCredential};
use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{users, Currency};

use super::{problem, store_problem};
use crate::state::AppState;
use switchyard_runtime::operator::Body;

/// `POST /admin/v1/users` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    label: String,
    currency: String,
}

pub(crate) async fn create_user(
    State(state): State<AppState>,
    Body(new): Body<NewUser>,
) -> Response {
    let Ok(currency) = Currency::parse(&new.currency) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "currency must be an ISO-4217 code",
        );
    };
    match users::create(&state.pool, &new.label, currency).await {
        Ok(user) => (
            StatusCode::CREATED,
            Json(json!({ "id": user.id, "label": user.label, "currency": currency.as_str() })),
        )
            .into_response(),
        Err(error) => store_problem(&error),
    }
}

fn credential_json(credential: &ApiCredential) -> Value {
    json!({
        "id": credential.id,
        "user_id": credential.user_id,
        "api_key": credential.api_key,
        "status": credential.status.as_str(),
        "reject_reason": credential.reject_reason,
        "approved_at": credential.approved_at,
        "created_at": credential.created_at,
    })
}

/// `POST /admin/v1/credentials` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Application {
    user_id: i64,
}

/// Issues a credential (pending_review) and shows its secret this once.
pub(crate) async fn apply_credential(
    State(state): State<AppState>,
    Body(application): Body<Application>,
) -> Response {
    match credentials::apply(&state.pool, &state.secret_box, application.user_id).await {
        Ok(issued) => {
            // A key remembered as unknown must not stay refused now that it exists.
            state.unknown_api_keys.clear();
            let mut body = credential_json(&issued.credential);
            body["secret"] = Value::String(issued.secret.expose_secret().to_owned());
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(error) => store_problem(&error),
    }
}

pub(crate) async fn show_credential(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Response {
    match credentials::get(&state.pool, id).await {
        Ok(credential) => Json(credential_json(&credential)).into_response(),
        Err(error) => store_problem(&error),
    }
}

/// Body of `.../reject`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Review {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /admin/v1/credentials/{id}/{approve|reject|enable|disable}`.
pub(crate) async fn review_credential(
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<Review>>,
) -> Response {
    let review = body.map(|Json(review)| review).unwrap_or_default();
    let pool = &state.pool;
    let outcome = match action.as_str() {
        "approve" => credentials::approve(pool, id).await,
        "enable" => credentials::enable(pool, id).await,
        "disable" => credentials::disable(pool, id).await,
        "reject" => match review
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            Some(reason) => credentials::reject(pool, id, reason).await,
            None => {
                return problem(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "a rejection needs a reason",
                )
            }
        },
        _ => return problem(StatusCode::NOT_FOUND, "not_found", "unknown action"),
    };
    // The provider API must see the new status at once, not after the cache's lifetime.
    state.credentials.clear();
    match outcome {
        Ok(credential) => Json(credential_json(&credential)).into_response(),
        Err(error) => store_problem(&error),
    }
}

pub(crate) async fn show_wallet(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
) -> Response {
    match wallets::balance(&state.pool, user_id).await {
        Ok(wallet) => Json(json!({
            "user_id": wallet.user_id,
            "balance_minor": wallet.balance_minor,
            "currency": wallet.currency.as_str(),
        }))
        .into_response(),
        Err(error) => store_problem(&error),
    }
}

/// `POST /admin/v1/wallets/{user_id}/credit` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credit {
    amount_minor: i64,
    idempotency_key: String,
    #[serde(default)]
    reference: Option<String>,
}

/// Tops a wallet up once per idempotency key.
pub(crate) async fn credit_wallet(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    Body(credit): Body<Credit>,
) -> Response {
    if credit.amount_minor <= 0 || credit.idempotency_key.trim().is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "amount_minor must be positive and idempotency_key set",
        );
    }
    let mut connection = match state.pool.acquire().await {
        Ok(connection) => connection,
        Err(error) => return store_problem(&error.into()),
    };
    let change = WalletMove {
        user_id,
        amount_minor: credit.amount_minor,
        idempotency_key: credit.idempotency_key.trim(),
        reference: credit.reference.as_deref(),
    };
    match wallets::credit(&mut connection, &change).await {
        Ok(entry) => Json(json!({
            "user_id": entry.user_id,
            "amount_minor": entry.amount_minor,
            "balance_minor": entry.balance_after_minor,
            "currency": entry.currency.as_str(),
            "idempotency_key": entry.idempotency_key,
        }))
        .into_response(),
        Err(error) => store_problem(&error),
    }
}
