//! Seeding a reconciliation scenario: orders at a simulated Dujiao-Next site (over its HTTP
//! control routes) and our procurement records of them, then discrepancies of every kind.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::PgPool;
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_simulators::faults::SimulatorHandle;
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_store::crypto::SecretBox;
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::{self, Channel, NewOrder, NewOrderItem};
use switchyard_store::procurement::{self, NewProcurement, ProcurementStatus, SourceType};
use switchyard_store::reconciliation::{self, Discrepancy, DiscrepancyFilter, MismatchKind};
use switchyard_store::Currency;
use uuid::Uuid;

pub const API_KEY: &str = "key-r";
const API_SECRET: &str = "secret-of-r";
/// Every seeded order's amount, minor units.
pub const AMOUNT: i64 = 500;

/// A simulated site serving over HTTP.
pub async fn site() -> (DujiaoSimulator, SimulatorHandle) {
    let sim =
        DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(API_KEY, API_SECRET, 0));
    let handle = sim.spawn().await.expect("site");
    (sim, handle)
}

/// An active connection to the site at `base_url`, paced at `per_minute` calls.
pub async fn connection(
    pool: &PgPool,
    secrets: &SecretBox,
    base_url: &str,
    per_minute: i32,
) -> i64 {
    let name = format!("reconciled-{}", Uuid::new_v4().simple());
    let mut new = NewConnection::new(ConnectionKind::DujiaoUpstream, &name, base_url);
    new.status = ConnectionStatus::Active;
    new.rate_limit_per_minute = per_minute;
    new.api_key = Some(API_KEY.into());
    new.secret = Some(SecretString::from(API_SECRET.to_owned()));
    connections::create(pool, secrets, &new)
        .await
        .expect("connection")
        .id
}

/// A period around now that covers everything seeded by this test.
pub fn period() -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Utc::now();
    (now - Duration::hours(1), now + Duration::hours(1))
}

/// `count` orders placed at the site and recorded by us (accepted, [`AMOUNT`] each); our
/// procurement ids and the site's order ids, in the same order.
pub async fn orders(
    pool: &PgPool,
    base_url: &str,
    connection_id: i64,
    count: usize,
) -> Vec<(Uuid, u64)> {
    let seeds: Vec<Value> = (0..count)
        .map(|i| json!({"api_key": API_KEY, "downstream_order_no": format!("rc-{connection_id}-{i}"), "amount_minor": AMOUNT}))
        .collect();
    let placed = control(
        base_url,
        reqwest::Method::POST,
        "/_control/orders",
        json!(seeds),
    )
    .await;
    let placed = placed.as_array().expect("seeded orders").clone();
    let parent = parent_order(pool).await;
    let mut ours = Vec::with_capacity(count);
    for order in placed {
        let key = order["downstream_order_no"]
            .as_str()
            .expect("key")
            .to_owned();
        let upstream_id = order["order_id"].as_u64().expect("order id");
        let mut conn = pool.acquire().await.expect("connection");
        let created = procurement::create(
            &mut conn,
            &NewProcurement {
                id: Uuid::now_v7(),
                order_id: parent,
                source_type: SourceType::Outbound,
                fulfiller: Some(FulfillerKind::DujiaoUpstream),
                connection_id: Some(connection_id),
                credential_id: None,
                idempotency_key: key,
                amount_minor: AMOUNT,
                currency: Currency::CNY,
                items: Vec::new(),
            },
        )
        .await
        .expect("procurement")
        .into_inner();
        let upstream = upstream_id.to_string();
        let order_no = order["order_no"].as_str().map(str::to_owned);
        procurement::mark_placed(
            &mut *conn,
            created.id,
            ProcurementStatus::Accepted,
            Some(&upstream),
            order_no.as_deref(),
        )
        .await
        .expect("placed");
        ours.push((created.id, upstream_id));
    }
    ours
}

/// `per_kind` discrepancies of every kind at the site: the expected (kind, id) set, where id is
/// our procurement id, or the site's order id for `missing_local`.
pub async fn discrepancies(
    base_url: &str,
    orders: &[(Uuid, u64)],
    per_kind: usize,
) -> BTreeSet<(String, String)> {
    let mut expected = BTreeSet::new();
    let changes = [
        (MismatchKind::Status, json!({"status": "canceled"})),
        (MismatchKind::Amount, json!({"amount_minor": AMOUNT - 1})),
        (
            MismatchKind::Both,
            json!({"status": "refunded", "amount_minor": AMOUNT + 7}),
        ),
    ];
    // Spread over the whole list, so every page of a run meets some.
    let stride = orders.len() / (per_kind * 4);
    let mut picks = (0..).map(|n| orders[n * stride]);
    for (kind, change) in &changes {
        for _ in 0..per_kind {
            let (ours, theirs) = picks.next().expect("enough orders");
            control(
                base_url,
                reqwest::Method::PATCH,
                &format!("/_control/orders/{theirs}"),
                change.clone(),
            )
            .await;
            expected.insert((kind.as_str().to_owned(), ours.to_string()));
        }
    }
    for _ in 0..per_kind {
        let (ours, theirs) = picks.next().expect("enough orders");
        control(
            base_url,
            reqwest::Method::DELETE,
            &format!("/_control/orders/{theirs}"),
            Value::Null,
        )
        .await;
        expected.insert((
            MismatchKind::MissingUpstream.as_str().to_owned(),
            ours.to_string(),
        ));
    }
    let unknown: Vec<Value> = (0..per_kind)
        .map(|i| json!({"api_key": API_KEY, "downstream_order_no": format!("not-ours-{i}"), "amount_minor": 900}))
        .collect();
    let added = control(
        base_url,
        reqwest::Method::POST,
        "/_control/orders",
        json!(unknown),
    )
    .await;
    for order in added.as_array().expect("added") {
        let id = order["order_id"].as_u64().expect("order id").to_string();
        expected.insert((MismatchKind::MissingLocal.as_str().to_owned(), id));
    }
    expected
}

/// What run `run_id` recorded, as (kind, id) pairs, and how many rows it has.
pub async fn found(pool: &PgPool, run_id: i64) -> (BTreeSet<(String, String)>, usize) {
    let filter = DiscrepancyFilter {
        run_id: Some(run_id),
        limit: 100_000,
        ..DiscrepancyFilter::default()
    };
    let rows: Vec<Discrepancy> = reconciliation::items(pool, &filter).await.expect("items");
    let set = rows
        .iter()
        .map(|row| {
            let id = match row.procurement_order_id {
                Some(id) => id.to_string(),
                None => row.upstream_order_id.clone().unwrap_or_default(),
            };
            (row.mismatch_kind.as_str().to_owned(), id)
        })
        .collect();
    (set, rows.len())
}

async fn control(base_url: &str, method: reqwest::Method, path: &str, body: Value) -> Value {
    let mut request = reqwest::Client::new().request(method, format!("{base_url}{path}"));
    if !body.is_null() {
        request = request.json(&body);
    }
    let response = request.send().await.expect("control call");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

async fn parent_order(pool: &PgPool) -> Uuid {
    let mut conn = pool.acquire().await.expect("connection");
    orders::insert(
        &mut conn,
        &NewOrder {
            id: Uuid::now_v7(),
            channel: Channel::Operator,
            channel_order_id: format!("rc-{}", Uuid::new_v4().simple()),
            source_credential_id: None,
            source_connection_id: None,
            total_minor: AMOUNT,
            currency: Currency::CNY,
            callback_url: None,
            trace_id: None,
            items: vec![NewOrderItem {
                sku_id: None,
                channel_item_id: Some("line".into()),
                title: None,
                quantity: 1,
                unit_price_minor: AMOUNT,
                manual_form_data: None,
            }],
            contact: None,
        },
    )
    .await
    .expect("order")
    .into_inner()
    .id
}
