//! The token in the `notify_url` we give a vending platform.
//!
//! Contract: the platform does not sign dispense reports, so the URL it posts them to is the
//! credential. For each order we issue `token = base64url(HMAC-SHA256(key, "vending-notify/v1"
//! \n machine_no \n reference))`, where `reference` is our procurement sub-order id and `key`
//! is derived from the hub's secret key for [`PURPOSE`] (never stored, never logged). The URL
//! carries `machine_no`, `ref` and `token` as query parameters; [`NotifyTokens::verify`] checks
//! a report's in constant time, with no database. A token names one machine and one order: it
//! cannot be replayed for another, and nobody without the key can mint one.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The purpose the token key is derived for.
pub const PURPOSE: &str = "vending-notify-token/v1";

/// Length of a token's text (32 bytes, base64url without padding).
pub const TOKEN_LEN: usize = 43;

/// Issues and verifies notify tokens with one key.
#[derive(Clone)]
pub struct NotifyTokens {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for NotifyTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NotifyTokens([redacted])")
    }
}

impl NotifyTokens {
    /// Tokens under `key` (derive it for [`PURPOSE`]).
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            mac: <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    fn keyed(&self, machine_no: &str, reference: &str) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(b"vending-notify/v1\n");
        mac.update(machine_no.as_bytes());
        mac.update(b"\n");
        mac.update(reference.as_bytes());
        mac
    }

    /// The token for reports of order `reference` on `machine_no`.
    pub fn issue(&self, machine_no: &str, reference: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.keyed(machine_no, reference).finalize().into_bytes())
    }

    /// Whether `token` was issued for (`machine_no`, `reference`); constant time in the token.
    pub fn verify(&self, machine_no: &str, reference: &str, token: &str) -> bool {
        if token.len() != TOKEN_LEN {
            return false;
        }
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        self.keyed(machine_no, reference)
            .verify_slice(&bytes)
            .is_ok()
    }

    /// The notify URL's query: `machine_no=…&ref=…&token=…` (all URL-safe as issued).
    pub fn notify_query(&self, machine_no: &str, reference: &str) -> String {
        let token = self.issue(machine_no, reference);
        format!("machine_no={machine_no}&ref={reference}&token={token}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_machine_and_order() {
        let tokens = NotifyTokens::new(&[7; 32]);
        let token = tokens.issue("12345678", "order-a");
        assert_eq!(token.len(), TOKEN_LEN);
        assert!(tokens.verify("12345678", "order-a", &token));
        assert!(!tokens.verify("12345679", "order-a", &token));
        assert!(!tokens.verify("12345678", "order-b", &token));
        assert!(!NotifyTokens::new(&[8; 32]).verify("12345678", "order-a", &token));
        assert!(!tokens.verify("12345678", "order-a", ""));
        assert!(!tokens.verify("12345678", "order-a", &token[..42]));
        let mut flipped = token.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        assert!(!tokens.verify(
            "12345678",
            "order-a",
            std::str::from_utf8(&flipped).unwrap()
        ));
        assert_eq!(format!("{tokens:?}"), "NotifyTokens([redacted])");
    }
}
