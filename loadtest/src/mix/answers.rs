//! Reading partner-format answers: is this an acknowledgement, a shed, a refusal of a bad
//! signature, and what part of it must a duplicate repeat.
//!
//! Contract (the ingress's edge, `ingress/src/edge.rs`): overload is HTTP 429 or 503 in every
//! protocol.
//! Success is Dujiao `200 {ok:true}`, D-Store `resultStatus S`, 58 body `code 200`, vending any
//! 200. A bad signature is Dujiao 401 `invalid_signature` (callbacks: `ok:false`, HTTP 200 or
//! 401), D-Store `F`/`INVALID_SIGNATURE`, 58 body `code 401`.

use serde_json::{json, Value};

use super::protocol::Protocol;
use crate::outcome::{ErrorClass, Outcome};
use crate::request::Answer;

/// Whether the answer is an overload refusal.
pub fn is_shed(answer: &Answer) -> bool {
    matches!(answer.status, 429 | 503)
}

fn text(value: &Value, pointer: &str) -> String {
    match value.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// The outcome of a fresh (non-fault) request.
pub fn fresh_outcome(protocol: Protocol, answer: &Answer) -> Outcome {
    if is_shed(answer) {
        return Outcome::Shed;
    }
    let body = answer.json();
    let refused = |code: String| Outcome::Error(ErrorClass::Refused(code));
    match protocol {
        Protocol::DujiaoOrder | Protocol::DujiaoCallback => {
            if answer.status == 200 && body.get("ok") == Some(&Value::Bool(true)) {
                Outcome::Acked
            } else if body.get("ok").is_some() {
                let code = text(&body, "/error_code");
                let code = if code.is_empty() {
                    "not_ok".into()
                } else {
                    code
                };
                refused(format!("{}:{code}", protocol.name()))
            } else {
                Outcome::Error(ErrorClass::Status(answer.status))
            }
        }
        Protocol::DstoreCreateOrder => match text(&body, "/result/resultStatus").as_str() {
            "S" if (200..300).contains(&answer.status) => Outcome::Acked,
            status @ ("F" | "U") => refused(format!(
                "{}:{status}:{}",
                protocol.name(),
                text(&body, "/result/resultCode")
            )),
            _ => Outcome::Error(ErrorClass::Status(answer.status)),
        },
        Protocol::DaojiaPush => match body.get("code").and_then(Value::as_u64) {
            Some(200) if answer.status == 200 => Outcome::Acked,
            Some(code) => refused(format!("{}:{code}", protocol.name())),
            None => Outcome::Error(ErrorClass::Status(answer.status)),
        },
        Protocol::VendingNotify => {
            if answer.status == 200 {
                Outcome::Acked
            } else {
                Outcome::Error(ErrorClass::Status(answer.status))
            }
        }
    }
}

/// Whether the answer refuses a tampered signature the way the protocol demands.
pub fn rejects_bad_signature(protocol: Protocol, answer: &Answer) -> bool {
    let body = answer.json();
    match protocol {
        Protocol::DujiaoOrder => {
            answer.status == 401 && text(&body, "/error_code") == "invalid_signature"
        }
        Protocol::DujiaoCallback => {
            matches!(answer.status, 200 | 401)
                && body.get("ok") == Some(&Value::Bool(false))
                && matches!(
                    text(&body, "/error_code").as_str(),
                    "" | "invalid_signature"
                )
        }
        Protocol::DstoreCreateOrder => {
            text(&body, "/result/resultStatus") == "F"
                && text(&body, "/result/resultCode") == "INVALID_SIGNATURE"
        }
        Protocol::DaojiaPush => body.get("code").and_then(Value::as_u64) == Some(401),
        // Unsigned: the mix never tampers with it.
        Protocol::VendingNotify => false,
    }
}

/// The part of an answer a duplicate must repeat exactly (ids and verdict, not volatile text).
pub fn fingerprint(protocol: Protocol, answer: &Answer) -> String {
    let body = answer.json();
    let status = answer.status;
    let print = match protocol {
        Protocol::DujiaoOrder => json!([
            status,
            body.get("ok"),
            body.get("order_id"),
            body.get("order_no")
        ]),
        Protocol::DujiaoCallback => json!([status, body.get("ok")]),
        Protocol::DstoreCreateOrder => json!([
            status,
            body.pointer("/result/resultStatus"),
            body.pointer("/result/resultCode"),
            body.get("posOrderId")
        ]),
        Protocol::DaojiaPush => json!([status, body.get("code"), body.pointer("/data/order_id")]),
        Protocol::VendingNotify => json!([status]),
    };
    print.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn successes_in_each_partner_format_are_acks() {
        let cases = [
            (
                Protocol::DujiaoOrder,
                answer(200, json!({"ok": true, "order_id": 1})),
            ),
            (
                Protocol::DujiaoCallback,
                answer(200, json!({"ok": true, "message": "received"})),
            ),
            (
                Protocol::DstoreCreateOrder,
                answer(
                    200,
                    json!({"result": {"resultStatus": "S", "resultCode": "SUCCESS"}}),
                ),
            ),
            (
                Protocol::DaojiaPush,
                answer(200, json!({"code": 200, "msg": "success"})),
            ),
            (Protocol::VendingNotify, answer(200, json!({}))),
        ];
        for (protocol, answer) in cases {
            assert_eq!(
                fresh_outcome(protocol, &answer),
                Outcome::Acked,
                "{protocol:?}"
            );
        }
    }

    #[test]
    fn refusals_keep_the_partner_code_and_overload_is_shed() {
        let payment = answer(200, json!({"ok": false, "error_code": "payment_failed"}));
        assert_eq!(
            fresh_outcome(Protocol::DujiaoOrder, &payment),
            Outcome::Error(ErrorClass::Refused("dujiao-order:payment_failed".into()))
        );
        let unknown = answer(
            200,
            json!({"result": {"resultStatus": "U", "resultCode": "UNKNOWN_EXCEPTION"}}),
        );
        assert_eq!(
            fresh_outcome(Protocol::DstoreCreateOrder, &unknown),
            Outcome::Error(ErrorClass::Refused(
                "dstore-create-order:U:UNKNOWN_EXCEPTION".into()
            ))
        );
        let shed = answer(503, json!({"code": 503, "msg": "busy"}));
        assert_eq!(fresh_outcome(Protocol::DaojiaPush, &shed), Outcome::Shed);
        let html = Answer {
            status: 500,
            body: b"<html>".to_vec(),
        };
        assert_eq!(
            fresh_outcome(Protocol::VendingNotify, &html),
            Outcome::Error(ErrorClass::Status(500))
        );
    }

    #[test]
    fn bad_signature_answers_are_recognised_per_partner() {
        let dujiao = answer(401, json!({"ok": false, "error_code": "invalid_signature"}));
        assert!(rejects_bad_signature(Protocol::DujiaoOrder, &dujiao));
        let expired = answer(401, json!({"ok": false, "error_code": "timestamp_expired"}));
        assert!(!rejects_bad_signature(Protocol::DujiaoOrder, &expired));
        let callback = answer(200, json!({"ok": false, "message": "invalid signature"}));
        assert!(rejects_bad_signature(Protocol::DujiaoCallback, &callback));
        let dstore = answer(
            200,
            json!({"result": {"resultStatus": "F", "resultCode": "INVALID_SIGNATURE"}}),
        );
        assert!(rejects_bad_signature(Protocol::DstoreCreateOrder, &dstore));
        let daojia = answer(200, json!({"code": 401, "msg": "invalid signature"}));
        assert!(rejects_bad_signature(Protocol::DaojiaPush, &daojia));
        let accepted = answer(200, json!({"code": 200}));
        assert!(!rejects_bad_signature(Protocol::DaojiaPush, &accepted));
    }

    #[test]
    fn fingerprints_ignore_volatile_text_but_not_ids() {
        let first = answer(
            200,
            json!({"ok": true, "order_id": 5, "order_no": "A", "status": "paid"}),
        );
        let later = answer(
            200,
            json!({"ok": true, "order_id": 5, "order_no": "A", "status": "delivered"}),
        );
        let other = answer(
            200,
            json!({"ok": true, "order_id": 6, "order_no": "B", "status": "paid"}),
        );
        let print = |a: &Answer| fingerprint(Protocol::DujiaoOrder, a);
        assert_eq!(print(&first), print(&later));
        assert_ne!(print(&first), print(&other));
    }
}
