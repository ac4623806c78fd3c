//! Vending dispense results `POST /vending/notify`.
//!
//! Contract: the platform does not sign these reports, so they are *claims*: accepted, queued as
//! `VendingDispenseResult` (`reported_delivered` is unverified) for the callback-relayer, which
//! confirms by querying the order back. The machine is named by the `machine_no` query parameter
//! of the `notify_url` we registered (`…/vending/notify?machine_no=12345678`) or a body field.
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
use crate::deliver::{answer_once, replay};
use crate::state::{now_millis, traceparent, AppState};

const ENDPOINT: &str = "vending_notify";
const CHANNEL: &str = "vending.dispense";

/// The vending routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/vending/notify", post(notify))
}

#[derive(Deserialize)]
struct NotifyQuery {
    machine_no: Option<String>,
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
}

/// A JSON string or number as text; anything else (or blank) is absent.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
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
    let Ok(report) = serde_json::from_slice::<DispenseReport>(&body) else {
        return bad("body is not a dispense report");
    };
    let from_query =
        serde_urlencoded::from_str::<NotifyQuery>(query.as_deref().unwrap_or_default())
            .ok()
            .and_then(|query| query.machine_no);
    let machine_no = from_query.or_else(|| text(report.machine_no.as_ref()));
    let Some(machine_no) =
        machine_no.filter(|no| no.len() == 8 && no.bytes().all(|b| b.is_ascii_digit()))
    else {
        return bad("machine_no (8 digits) is required");
    };
    let (Some(order_id), Some(record_id), Some(deliver_status)) = (
        text(report.order_id.as_ref()),
        text(report.record_id.as_ref()),
        text(report.deliver_status.as_ref()),
    ) else {
        return bad("order_id, record_id and deliver_status are required");
    };
    let event = VendingDispenseResult {
        machine_no: machine_no.clone(),
        vending_order_id: order_id.clone(),
        record_id: record_id.clone(),
        reported_delivered: deliver_status == "1",
        floor_status: text(report.floor_status.as_ref()).unwrap_or_default(),
        error_message: report.error_msg.filter(|message| !message.is_empty()),
        received_at: now_millis(),
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
