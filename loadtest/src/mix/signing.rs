//! Turns a [`LogicalRequest`] into signed bytes on the wire, with the partners' own signing code.
//!
//! Contract: every call signs afresh — Dujiao-Next through one [`UniqueSigner`] (no two requests of
//! this process ever share a signature, so the hub's replay protection refuses none of them),
//! D-Store with the current time verbatim in `Request-Time`, 58 with a new nonce and timestamp.
//! A *tampered* request is well-formed but its signature covers something else than what is sent
//! (flipped digit, other time, other nonce), which a correct verifier must refuse.

use chrono::{SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde_json::Value;
use switchyard_partners::daojia::push::FUN_CREATE_ORDER;
use switchyard_partners::daojia::sign::push_sign;
use switchyard_partners::daojia::DaojiaPushForm;
use switchyard_partners::dstore::signature::sign_message;
use switchyard_partners::dstore::MessageKind;
use switchyard_partners::dujiao::{
    UniqueSigner, CALLBACK_SIGNED_PATH, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};

use super::credentials::Credentials;
use super::protocol::{LogicalRequest, Protocol};

/// Headers and body of a signed request.
pub type Signed = (Vec<(&'static str, String)>, Vec<u8>);

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// Signs requests of every protocol.
#[derive(Debug)]
pub struct Signer {
    credentials: Credentials,
    dujiao: UniqueSigner,
}

impl Signer {
    /// A signer with these credentials.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            dujiao: UniqueSigner::default(),
        }
    }

    /// The credentials it signs with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Signs `logical` (with `content` instead of its own, when given); `tamper` breaks the
    /// signature on purpose.
    pub fn sign(&self, logical: &LogicalRequest, content: Option<&Value>, tamper: bool) -> Signed {
        let content = content.unwrap_or(&logical.content);
        let json = content.to_string().into_bytes();
        match logical.protocol {
            Protocol::DujiaoOrder => {
                let (api_key, secret) = self.credentials.dujiao_site(&logical.idempotency_id);
                self.dujiao(api_key, secret, logical.protocol.path(), json, tamper)
            }
            Protocol::DujiaoCallback => self.dujiao(
                &self.credentials.callback_api_key,
                &self.credentials.callback_api_secret,
                CALLBACK_SIGNED_PATH,
                json,
                tamper,
            ),
            Protocol::DstoreCreateOrder => self.dstore(json, tamper),
            Protocol::DaojiaPush => self.daojia(content, tamper),
            Protocol::VendingNotify => (vec![("content-type", JSON.to_string())], json),
        }
    }

    fn dujiao(
        &self,
        api_key: &str,
        secret: &secrecy::SecretString,
        signed_path: &str,
        body: Vec<u8>,
        tamper: bool,
    ) -> Signed {
        // Off the runtime (generator threads): a repeat with no free second blocks until one is.
        let (timestamp, signature) =
            self.dujiao
                .sign_when_free_blocking(secret, "POST", signed_path, &body);
        let mut hex = signature.to_hex();
        if tamper {
            hex = flip_first_hex_digit(&hex);
        }
        let headers = vec![
            (HEADER_API_KEY, api_key.to_string()),
            (HEADER_TIMESTAMP, timestamp.to_string()),
            (HEADER_SIGNATURE, hex),
            ("content-type", JSON.to_string()),
        ];
        (headers, body)
    }

    fn dstore(&self, body: Vec<u8>, tamper: bool) -> Signed {
        let now = Utc::now();
        let time = now.to_rfc3339_opts(SecondsFormat::Millis, true);
        // A tampered request signs another time than the one it sends.
        let signed_time = if tamper {
            (now + chrono::Duration::seconds(1)).to_rfc3339_opts(SecondsFormat::Millis, true)
        } else {
            time.clone()
        };
        let mut headers = sign_message(
            &self.credentials.dstore_private_key,
            MessageKind::Request,
            &self.credentials.dstore_client_id,
            &signed_time,
            "POST",
            Protocol::DstoreCreateOrder.path(),
            &body,
        );
        for (name, value) in &mut headers {
            if *name == MessageKind::Request.time_header() {
                value.clone_from(&time);
            }
        }
        headers.push(("content-type", JSON.to_string()));
        (headers, body)
    }

    fn daojia(&self, content: &Value, tamper: bool) -> Signed {
        let daojia_json = content.to_string();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = Utc::now().timestamp_millis().to_string();
        // A tampered push is signed with another nonce than the one it carries.
        let signed_nonce = if tamper {
            format!("{nonce}x")
        } else {
            nonce.clone()
        };
        let daojia_sig = push_sign(
            &daojia_json,
            FUN_CREATE_ORDER,
            &signed_nonce,
            &timestamp,
            self.credentials.daojia_secret.expose_secret().as_bytes(),
        );
        let form = DaojiaPushForm {
            fun_id: FUN_CREATE_ORDER.into(),
            nonce,
            timestamp,
            daojia_json,
            daojia_sig,
        };
        // A struct of strings always URL-encodes.
        let body = serde_urlencoded::to_string(&form).unwrap_or_default();
        (vec![("content-type", FORM.to_string())], body.into_bytes())
    }
}

/// Changes the first hex digit to another one, keeping the text well-formed.
fn flip_first_hex_digit(hex: &str) -> String {
    let mut chars: Vec<char> = hex.chars().collect();
    if let Some(first) = chars.first_mut() {
        *first = if *first == '0' { '1' } else { '0' };
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mix::build_logical;
    use reqwest::header::HeaderMap;
    use switchyard_partners::daojia::sign::verify_push_sign;
    use switchyard_partners::dstore::{verify_message, DstorePublicKey};
    use switchyard_partners::dujiao::sign;

    fn signer() -> Signer {
        Signer::new(Credentials::test_defaults().expect("test key"))
    }

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> &'a str {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    fn dujiao_verifies(signer: &Signer, protocol: Protocol, tamper: bool) -> bool {
        let logical = build_logical(protocol, 1, "t", signer.credentials());
        let (headers, body) = signer.sign(&logical, None, tamper);
        let (secret, path) = match protocol {
            Protocol::DujiaoOrder => (&signer.credentials().dujiao_api_secret, protocol.path()),
            _ => (
                &signer.credentials().callback_api_secret,
                CALLBACK_SIGNED_PATH,
            ),
        };
        let timestamp: i64 = header(&headers, HEADER_TIMESTAMP).parse().expect("ts");
        sign::sign(secret, "POST", path, timestamp, &body).to_hex()
            == header(&headers, HEADER_SIGNATURE)
    }

    #[test]
    fn dujiao_requests_verify_unless_tampered() {
        let signer = signer();
        for protocol in [Protocol::DujiaoOrder, Protocol::DujiaoCallback] {
            assert!(dujiao_verifies(&signer, protocol, false));
            assert!(!dujiao_verifies(&signer, protocol, true));
        }
    }

    #[test]
    fn dstore_requests_verify_with_the_public_test_key_unless_tampered() {
        let signer = signer();
        let public = DstorePublicKey::parse(include_str!("../../keys/dstore_test_public.pem"))
            .expect("public key");
        let logical = build_logical(Protocol::DstoreCreateOrder, 1, "t", signer.credentials());
        for (tamper, valid) in [(false, true), (true, false)] {
            let (headers, body) = signer.sign(&logical, None, tamper);
            let mut map = HeaderMap::new();
            for (name, value) in &headers {
                map.insert(*name, value.parse().expect("header value"));
            }
            let verdict = verify_message(
                &public,
                MessageKind::Request,
                Some("loadtest-dstore"),
                "POST",
                Protocol::DstoreCreateOrder.path(),
                &map,
                &body,
            );
            assert_eq!(verdict.is_ok(), valid, "tamper={tamper}");
        }
    }

    #[test]
    fn daojia_pushes_verify_unless_tampered() {
        let signer = signer();
        let logical = build_logical(Protocol::DaojiaPush, 1, "t", signer.credentials());
        for (tamper, valid) in [(false, true), (true, false)] {
            let (_, body) = signer.sign(&logical, None, tamper);
            let form: DaojiaPushForm = serde_urlencoded::from_bytes(&body).expect("form decodes");
            assert_eq!(
                verify_push_sign(
                    &form.daojia_json,
                    &form.fun_id,
                    &form.nonce,
                    &form.timestamp,
                    b"loadtest-daojia-secret",
                    &form.daojia_sig
                ),
                valid
            );
        }
    }

    #[test]
    fn repeated_dujiao_requests_never_share_a_signature() {
        let signer = signer();
        let logical = build_logical(Protocol::DujiaoOrder, 1, "t", signer.credentials());
        let (first, _) = signer.sign(&logical, None, false);
        let (second, _) = signer.sign(&logical, None, false);
        assert_ne!(
            header(&first, HEADER_SIGNATURE),
            header(&second, HEADER_SIGNATURE)
        );
    }
}
