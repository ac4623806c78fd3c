//! Vending dispense results `POST /vending/notify`.
//!
//! Contract: the platform does not sign these reports; the `notify_url` we gave it for the
//! order does: `…/vending/notify?machine_no=12345678&ref={procurement id}&token=…`
//! (`switchyard_partners::vending::notify_token`). Before anything touches the database or a
//! topic, the token is checked in constant time against (machine, ref): missing
//! (with `ingress.vending_notify_tokens = "required"`, the default) or wrong → 401
//! `{code:401, message}` naming why, counted as outcome `unauthenticated`. Then every field is
//! capped (machine 8 digits, ids ≤ 64 bytes, `deliver_status` "0"/"1", `floor_status` ≤ 8,
//! `error_msg` ≤ 512; 400 otherwise). A verified report is still a *claim*: queued as
//! `VendingDispenseResult` (with `procurement_id` = ref; `reported_delivered` unverified) for
//! the callback-relayer, which confirms by querying the order back. Without a token
//! (`optional`, rollout only) the machine may also come from a body field, as before.
//! `order_id`, `record_id` and `deliver_status` are required (400 otherwise, nothing produced).
//! A repeat of (machine, order, record, status) produces nothing. 200 `{code:0}` only once the
//! event is durable; otherwise 503 so the platform retries.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use switchyard_topics::events::VendingDispenseResult;

use crate::answer::{vending, Partner};
use crate::config::TokenMode;
use crate::deliver::{answer_once, replay};
use crate::state::{now_millis, traceparent, AppState};

const ENDPOINT: &str = "vending_notify";
const CHANNEL: &str = "vending.dispense";

/// The vending routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/vending/notify", post(notify))
}

/// Longest platform order or record id accepted.
const MAX_ID: usize = 64;
/// Longest `floor_status` accepted (the codes are 1–2 digits).
const MAX_FLOOR_STATUS: usize = 8;
/// Longest `error_msg` accepted, in bytes.
const MAX_ERROR_MSG: usize = 512;
/// Longest `ref` accepted (a procurement id is a 36-character UUID).
const MAX_REF: usize = 64;

#[derive(Deserialize)]
struct NotifyQuery {
    machine_no: Option<String>,
    #[serde(rename = "ref")]
    reference: Option<String>,
    token: Option<String>,
}

/// The notify body; the vendor serialises from protobuf, so ids may be numbers or strings.
#[derive(Deserialize)]
struct DispenseReport {
    #[serde(default)]
    machine_no: Option<Value>,
    #[serde(default)]
    order_id: Option<Value>,
    #[serde(default)]
    record_id: Option<Value>,
    #[serde(default)]
    deliver_status: Option<Value>,
    #[serde(default)]
    floor_status: Option<Value>,
    #[serde(default)]
    error_msg: Option<String>,
    #[serde(default)]
    method: Option<Value>,
}

/// A JSON string or number as text; anything else (or blank) is absent.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn is_machine_no(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `POST /vending/notify`.
pub(crate) async fn notify(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bad = |message: &str| {
        state.metrics.count(ENDPOINT, "rejected");
        vending(StatusCode::BAD_REQUEST, message)
    };
    let refused = |message: &str| {
        state.metrics.count(ENDPOINT, "unauthenticated");
        vending(StatusCode::UNAUTHORIZED, message)
    };
    let Ok(query) = serde_urlencoded::from_str::<NotifyQuery>(query.as_deref().unwrap_or_default())
    else {
        return bad("query string is not a notify URL's");
    };
    let procurement_id = match (&query.reference, &query.token) {
        (Some(reference), Some(token)) => {
            let Some(machine_no) = query.machine_no.as_deref().filter(|no| is_machine_no(no))
            else {
                return bad("machine_no (8 digits) is required");
            };
            if reference.len() > MAX_REF
                || !state.notify_tokens.verify(machine_no, reference, token)
            {
                return refused("notify token does not match this machine and order");
            }
            Some(reference.clone())
        }
        (None, None) if state.config.vending_notify_tokens == TokenMode::Optional => None,
        _ => return refused("notify token missing: use the notify_url given with the order"),
    };
    let Ok(report) = serde_json::from_slice::<DispenseReport>(&body) else {
        return bad("body is not a dispense report");
    };
    let machine_no = match procurement_id {
        Some(_) => query.machine_no,
        None => query
            .machine_no
            .or_else(|| text(report.machine_no.as_ref())),
    };
    let Some(machine_no) = machine_no.filter(|no| is_machine_no(no)) else {
        return bad("machine_no (8 digits) is required");
    };
    let (Some(order_id), Some(record_id), Some(deliver_status)) = (
        text(report.order_id.as_ref()),
        text(report.record_id.as_ref()),
        text(report.deliver_status.as_ref()),
    ) else {
        return bad("order_id, record_id and deliver_status are required");
    };
    let floor_status = text(report.floor_status.as_ref()).unwrap_or_default();
    let method_len = text(report.method.as_ref()).map_or(0, |method| method.len());
    if order_id.len() > MAX_ID || record_id.len() > MAX_ID || method_len > MAX_ID {
        return bad("order_id, record_id and method are at most 64 bytes");
    }
    if deliver_status != "0" && deliver_status != "1" {
        return bad("deliver_status must be \"0\" or \"1\"");
    }
    if floor_status.len() > MAX_FLOOR_STATUS {
        return bad("floor_status is at most 8 bytes");
    }
    if report
        .error_msg
        .as_ref()
        .is_some_and(|m| m.len() > MAX_ERROR_MSG)
    {
        return bad("error_msg is at most 512 bytes");
    }
    let event = VendingDispenseResult {
        machine_no: machine_no.clone(),
        vending_order_id: order_id.clone(),
        record_id: record_id.clone(),
        reported_delivered: deliver_status == "1",
        floor_status,
        error_message: report.error_msg.filter(|message| !message.is_empty()),
        received_at: now_millis(),
        procurement_id,
    };
    let key = format!("{machine_no}:{order_id}:{record_id}:{deliver_status}");
    let answered = answer_once(
        &state,
        ENDPOINT,
        CHANNEL,
        &key,
        |event_id| state.encode(&event, event_id, traceparent(&headers)),
        || br#"{"code":0,"message":"success"}"#.to_vec(),
    )
    .await;
    match answered {
        Ok(answer) => replay(answer),
        Err(_) => Partner::Vending.unavailable(),
    }
}
