//! Realistic request content per protocol, built with the partners' own wire types so the field
//! names and shapes are the ones the ingress parses.
//!
//! Contract: content is deterministic in `(protocol, seq, run_tag)` apart from times; each request
//! gets a unique idempotency id `LT{run_tag}{seq}` (prefixed per protocol), so runs never collide
//! with each other or with real traffic. Personal fields hold obviously fake values.

use std::collections::BTreeMap;

use chrono::{Duration as ChronoDuration, Utc};
use serde_json::{json, Value};
use switchyard_domain::{Currency, Money};
use switchyard_partners::daojia::push::DaojiaOrderDetail;
use switchyard_partners::daojia::{DaojiaOrder, Personal};
use switchyard_partners::dstore::wire::{
    CreateOrderRequest as DstoreCreateOrder, DstoreAmount, DstoreCustomer, OrderProduct,
    ServiceType,
};
use switchyard_partners::dujiao::wire::{CallbackBody, CreateOrderRequest, Fulfillment};
use switchyard_partners::vending::wire::DeliveryNotify;

use super::credentials::Credentials;
use super::protocol::{LogicalRequest, Protocol};

/// Builds request `seq` of `protocol` for the run tagged `run_tag`.
pub fn build_logical(
    protocol: Protocol,
    seq: u64,
    run_tag: &str,
    credentials: &Credentials,
) -> LogicalRequest {
    let id = |prefix: &str| format!("{prefix}{run_tag}{seq:08}");
    let (idempotency_id, content) = match protocol {
        Protocol::DujiaoOrder => {
            let order_no = id("LTD");
            (order_no.clone(), dujiao_order(seq, order_no, credentials))
        }
        Protocol::DujiaoCallback => {
            let order_no = id("LTC");
            (order_no.clone(), dujiao_callback(seq, order_no))
        }
        Protocol::DstoreCreateOrder => {
            let request_order_id = id("LTS");
            let content = dstore_order(seq, request_order_id.clone(), credentials);
            (request_order_id, content)
        }
        Protocol::DaojiaPush => {
            let order_id = id("LTJ");
            (order_id.clone(), daojia_order(seq, order_id))
        }
        Protocol::VendingNotify => {
            let order_id = id("LTV");
            (order_id.clone(), vending_notify(seq, order_id))
        }
    };
    LogicalRequest {
        protocol,
        idempotency_id,
        content,
    }
}

fn to_value(value: impl serde::Serialize) -> Value {
    // Serialising plain data structs (string keys, no custom errors) into a Value cannot fail.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn dujiao_order(seq: u64, downstream_order_no: String, credentials: &Credentials) -> Value {
    let form = BTreeMap::from([(
        "email".to_string(),
        json!(format!("buyer{}@example.test", seq % 1000)),
    )]);
    to_value(CreateOrderRequest {
        sku_id: credentials.dujiao_sku_id,
        quantity: 1 + (seq % 3) as u32,
        manual_form_data: form.into(),
        downstream_order_no,
        trace_id: uuid::Uuid::new_v4().simple().to_string(),
        callback_url: credentials.dujiao_callback_url.clone(),
    })
}

fn dujiao_callback(seq: u64, downstream_order_no: String) -> Value {
    let now = Utc::now();
    to_value(CallbackBody {
        event: "order.fulfilled".into(),
        order_id: 1_000_000 + seq,
        order_no: format!("UP{:010}", seq),
        downstream_order_no,
        status: "delivered".into(),
        fulfillment: Some(Fulfillment {
            kind: "auto".into(),
            status: "delivered".into(),
            payload: format!("CARD-TEST-{seq:06}").into(),
            delivery_data: json!({"codes": [format!("CODE-{seq:06}")]}).into(),
            delivered_at: Some(now.to_rfc3339()),
        }),
        timestamp: now.timestamp(),
    })
}

fn dstore_order(seq: u64, request_order_id: String, credentials: &Credentials) -> Value {
    let quantity = 1 + (seq % 2) as u32;
    let unit = DstoreAmount {
        value: 450,
        currency: "SGD".into(),
    };
    to_value(DstoreCreateOrder {
        channel_order_id: Some(format!("DS{request_order_id}")),
        request_order_id,
        pos_account_id: credentials.dstore_pos_account_id.clone(),
        pos_store_id: credentials.dstore_pos_store_id.clone(),
        order_channel: Some("ALIPAY_DSTORE".into()),
        service_type: Some(ServiceType::Pickup),
        expect_fulfillment_time: Some((Utc::now() + ChronoDuration::minutes(20)).to_rfc3339()),
        customer: Some(DstoreCustomer {
            name: Some("Load Test".into()),
            phone: Some("+6500000000".into()),
        }),
        order_products: vec![OrderProduct {
            pos_product_id: credentials.dstore_pos_product_id.clone(),
            quantity,
            price: Some(unit.clone()),
        }],
        order_amount: DstoreAmount {
            value: unit.value * i64::from(quantity),
            currency: unit.currency,
        },
    })
}

fn daojia_order(seq: u64, order_id: String) -> Value {
    let begin = Utc::now() + ChronoDuration::hours(2);
    let price = Money::from_minor(12_000, Currency::CNY);
    to_value(DaojiaOrder {
        order_id: order_id.into(),
        user_mobile: Personal::new("13800000000".into()),
        city_id: Some(1),
        city_name: Some("Beijing".into()),
        lng: Personal::new(Some(116.40)),
        lat: Personal::new(Some(39.90)),
        service_address: Personal::new(format!("Test Road {}", seq % 100)),
        service_begin_time: begin.format("%Y-%m-%d %H:%M:%S").to_string(),
        service_end_time: Some(
            (begin + ChronoDuration::hours(2))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
        ),
        service_duration: Some(120),
        total_price: price,
        remark: Personal::new(Some("load test".into())),
        order_details: vec![DaojiaOrderDetail {
            goods_id: "CLEANING-2H".into(),
            goods_number: 1,
            goods_price: price,
        }],
    })
}

fn vending_notify(seq: u64, order_id: String) -> Value {
    to_value(DeliveryNotify {
        method: "device.delivery.response".into(),
        record_id: format!("R{order_id}"),
        order_id,
        deliver_status: if seq % 10 == 0 { "0" } else { "1" }.into(),
        floor_status: if seq % 10 == 0 { "2" } else { "1" }.into(),
        error_msg: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_gets_a_unique_idempotency_id_inside_its_content() {
        let credentials = Credentials::test_defaults().expect("test key parses");
        for protocol in Protocol::ALL {
            let first = build_logical(protocol, 1, "run1", &credentials);
            let second = build_logical(protocol, 2, "run1", &credentials);
            assert_ne!(first.idempotency_id, second.idempotency_id);
            assert!(
                first.content.to_string().contains(&first.idempotency_id),
                "{protocol:?} content carries its id"
            );
        }
    }

    #[test]
    fn contents_parse_back_into_the_partner_wire_types() {
        let credentials = Credentials::test_defaults().expect("test key parses");
        let content = |p| build_logical(p, 7, "t", &credentials).content;
        serde_json::from_value::<CreateOrderRequest>(content(Protocol::DujiaoOrder))
            .expect("dujiao order");
        serde_json::from_value::<CallbackBody>(content(Protocol::DujiaoCallback))
            .expect("callback");
        serde_json::from_value::<DstoreCreateOrder>(content(Protocol::DstoreCreateOrder))
            .expect("dstore");
        serde_json::from_value::<DaojiaOrder>(content(Protocol::DaojiaPush)).expect("daojia");
        serde_json::from_value::<DeliveryNotify>(content(Protocol::VendingNotify))
            .expect("vending");
    }
}
