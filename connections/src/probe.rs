//! Testing a connection: one cheap authenticated call to the partner, timed, whatever the
//! connection's status (an operator tests a `pending` connection before enabling it).
//!
//! Contract, per kind:
//! - `dujiao_upstream`: `POST /ping` (credentials and wallet); the reply is the site's name,
//!   protocol version and balance.
//! - `dstore`: a signed `notifyOrderChange` for an order id that does not exist
//!   ([`TEST_ORDER_ID`]), whose answer signature must verify with D-Store's public key. A
//!   signed `F` other than a signature or access refusal proves both keys, so it is `ok`.
//! - `qimen_wdt`: `wdt.stock.query` over the last minute, one row.
//! - `vending`: an order query for [`TEST_ORDER_ID`] on `settings.test_machine_no` (default
//!   `00000000`): it carries Appid/AppSecret and a signed payload; "order not found" means
//!   both were accepted, while 401, 10008, 10009 and 4006 are credential failures.
//! - `daojia`: a signed `updateOrderDetail` for [`TEST_ORDER_ID`]; "order not found" proves the
//!   service key, token and secret.
//!
//! The report carries the partner's reply or its error text (codes and messages the partner
//! sent, never our keys); a misconfigured row is a failed report naming the field.

use std::time::Instant;

use serde::Serialize;
use serde_json::{json, Value};
use switchyard_partners::daojia::update::codes as daojia_codes;
use switchyard_partners::daojia::{
    DaojiaClient, DaojiaError, DaojiaOrderStatus, OrderDetailUpdate,
};
use switchyard_partners::dstore::wire::NotifyOrderChangeRequest;
use switchyard_partners::dstore::{DstoreClient, DstoreError, NotifyOrderStatus};
use switchyard_partners::dujiao::DujiaoClient;
use switchyard_partners::qimen::timestamp::format_top_timestamp;
use switchyard_partners::qimen::wire::StockQuery;
use switchyard_partners::qimen::QimenClient;
use switchyard_partners::vending::{MachineNo, VendingClient, VendingError};

use crate::clients::PartnerClient;
use crate::error::ConnectionError;
use crate::registry::ConnectionRegistry;

/// The order id the probes ask about; no partner has it.
pub const TEST_ORDER_ID: &str = "switchyard-connection-test";

/// The outcome of testing a connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeReport {
    /// The partner accepted our credentials.
    pub ok: bool,
    /// How long the call took, in milliseconds.
    pub latency_ms: u64,
    /// What the partner answered (when `ok`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_reply: Option<Value>,
    /// Why the test failed (when not `ok`): the partner's error or the transport failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

type Outcome = Result<Value, String>;

impl ConnectionRegistry {
    /// Tests connection `id` (any status); `Err` only when it does not exist or the database
    /// failed.
    pub async fn probe(&self, id: i64) -> Result<ProbeReport, ConnectionError> {
        let loaded = self.connection(id).await?;
        let client = match loaded.client() {
            Ok(client) => client,
            Err(error) => return Ok(report(Err(error.to_string()), 0)),
        };
        let machine = loaded
            .connection()
            .settings
            .get("test_machine_no")
            .and_then(Value::as_str)
            .unwrap_or("00000000")
            .to_owned();
        let started = Instant::now();
        let outcome = match client {
            PartnerClient::Dujiao(client) => dujiao(&client).await,
            PartnerClient::Dstore(client) => dstore(&client).await,
            PartnerClient::Qimen(client) => qimen(&client).await,
            PartnerClient::Vending(client) => vending(&client, &machine).await,
            PartnerClient::Daojia(client) => daojia(&client).await,
        };
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(report(outcome, latency))
    }
}

fn report(outcome: Outcome, latency_ms: u64) -> ProbeReport {
    match outcome {
        Ok(reply) => ProbeReport {
            ok: true,
            latency_ms,
            partner_reply: Some(reply),
            error: None,
        },
        Err(error) => ProbeReport {
            ok: false,
            latency_ms,
            partner_reply: None,
            error: Some(error),
        },
    }
}

async fn dujiao(client: &DujiaoClient) -> Outcome {
    let answer = client.ping().await.map_err(|error| error.to_string())?;
    Ok(json!({
        "site_name": answer.site_name,
        "protocol_version": answer.protocol_version,
        "balance": answer.balance,
        "currency": answer.currency,
    }))
}

/// D-Store result codes that mean our credentials were not accepted.
const DSTORE_AUTH_CODES: [&str; 3] = ["INVALID_SIGNATURE", "ACCESS_DENIED", "INVALID_CLIENT"];

async fn dstore(client: &DstoreClient) -> Outcome {
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let request = NotifyOrderChangeRequest {
        request_id: format!("{TEST_ORDER_ID}-{nonce}"),
        request_order_id: TEST_ORDER_ID.to_owned(),
        order_status: NotifyOrderStatus::Accepted,
        refund_amount: None,
        extend_info: None,
    };
    match client.notify_order_change(&request).await {
        Ok(answer) => Ok(json!({ "result": answer.result })),
        Err(DstoreError::Refused { code, message })
            if !DSTORE_AUTH_CODES.contains(&code.as_str()) =>
        {
            Ok(
                json!({ "result": { "resultStatus": "F", "resultCode": code, "resultMessage": message } }),
            )
        }
        Err(DstoreError::Refused { code, message }) => {
            Err(format!("D-Store refused the call: {code}: {message}"))
        }
        Err(error) => Err(error.to_string()),
    }
}

async fn qimen(client: &QimenClient) -> Outcome {
    let now = chrono::Utc::now();
    let query = StockQuery {
        start_time: format_top_timestamp(now - chrono::Duration::minutes(1)),
        end_time: format_top_timestamp(now),
        page_no: 0,
        page_size: 1,
    };
    let answer = client
        .stock_query(&query)
        .await
        .map_err(|error| error.to_string())?;
    Ok(json!({ "code": answer.code, "total_count": answer.total_count }))
}

/// Vending codes that mean our Appid, AppSecret or merchant key were not accepted.
const VENDING_AUTH_CODES: [i64; 3] = [4006, 10008, 10009];

async fn vending(client: &VendingClient, machine: &str) -> Outcome {
    let machine = MachineNo::parse(machine)
        .map_err(|_| "settings.test_machine_no is not 8 digits".to_owned())?;
    match client.query(&machine, TEST_ORDER_ID).await {
        Ok(order) => Ok(json!({ "code": 0, "status": order.status })),
        Err(VendingError::Api {
            status,
            code,
            message,
        }) if status != 401 && !VENDING_AUTH_CODES.contains(&code) => {
            Ok(json!({ "code": code, "message": message }))
        }
        Err(error) => Err(error.to_string()),
    }
}

async fn daojia(client: &DaojiaClient) -> Outcome {
    let update = OrderDetailUpdate {
        order_id: TEST_ORDER_ID.to_owned(),
        order_status: DaojiaOrderStatus::Accepted,
        total_price_fen: None,
    };
    match client.update_order_detail(&update).await {
        Ok(answer) => Ok(json!({ "code": answer.code, "msg": answer.msg })),
        Err(DaojiaError::Refused { code, msg }) if code == daojia_codes::ORDER_NOT_FOUND => {
            Ok(json!({ "code": code, "msg": msg }))
        }
        Err(error) => Err(error.to_string()),
    }
}
