//! TOP / Qimen request signing, also used by 58 Daojia's TOP-md5 rule.
//!
//! Take every parameter except `sign`, drop empty values, sort by key (byte order), concatenate
//! `key+value` with no separators; Qimen appends the raw body; then `md5` = MD5(secret + s +
//! secret), `hmac` = HMAC-MD5(secret, s), `hmac-sha256` = HMAC-SHA256(secret, s); upper-case hex.
//! Verification compares in constant time and accepts the signature in either hex case.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The `sign_method` system parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignMethod {
    /// `md5`: MD5(secret + s + secret).
    Md5,
    /// `hmac`: HMAC-MD5 keyed with the secret.
    HmacMd5,
    /// `hmac-sha256`: HMAC-SHA256 keyed with the secret.
    HmacSha256,
}

impl SignMethod {
    /// The wire value of `sign_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::HmacMd5 => "hmac",
            Self::HmacSha256 => "hmac-sha256",
        }
    }

    /// Parses the wire value (case-insensitive); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "md5" => Some(Self::Md5),
            "hmac" => Some(Self::HmacMd5),
            "hmac-sha256" => Some(Self::HmacSha256),
            _ => None,
        }
    }
}

/// The string the digest runs over: sorted `key+value` pairs (no `sign`, no empty values), then
/// the raw body when there is one.
pub fn string_to_sign<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(key, value)| *key != "sign" && !value.is_empty())
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::new();
    for (key, value) in pairs {
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    if let Some(body) = body {
        out.extend_from_slice(body);
    }
    out
}

/// Signs `params` (and the raw `body`, for Qimen) with `secret`; upper-case hex.
pub fn top_sign<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Option<&[u8]>,
    secret: &[u8],
    method: SignMethod,
) -> String {
    let s = string_to_sign(params, body);
    let digest = match method {
        SignMethod::Md5 => {
            use md5::Digest as _;
            let mut hasher = Md5::new();
            hasher.update(secret);
            hasher.update(&s);
            hasher.update(secret);
            hasher.finalize().to_vec()
        }
        SignMethod::HmacMd5 => {
            // HMAC accepts keys of any length, so construction cannot fail.
            let Ok(mut mac) = Hmac::<Md5>::new_from_slice(secret) else {
                return String::new();
            };
            mac.update(&s);
            mac.finalize().into_bytes().to_vec()
        }
        SignMethod::HmacSha256 => {
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
                return String::new();
            };
            mac.update(&s);
            mac.finalize().into_bytes().to_vec()
        }
    };
    hex::encode_upper(digest)
}

/// True when `provided` is the signature of `params` + `body`; constant-time, hex case ignored.
pub fn verify_top_sign<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: Option<&[u8]>,
    secret: &[u8],
    method: SignMethod,
    provided: &str,
) -> bool {
    let expected = top_sign(params, body, secret, method);
    let provided = provided.trim().to_ascii_uppercase();
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(provided.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item_seller_get(sign_method: &'static str) -> Vec<(&'static str, &'static str)> {
        vec![
            ("app_key", "12345678"),
            ("fields", "num_iid,title,nick,price,num"),
            ("format", "json"),
            ("method", "taobao.item.seller.get"),
            ("num_iid", "11223344"),
            ("session", "test"),
            ("sign_method", sign_method),
            ("timestamp", "2016-01-01 12:00:00"),
            ("v", "2.0"),
        ]
    }

    #[test]
    fn official_md5_vector() {
        let sign = top_sign(item_seller_get("md5"), None, b"helloworld", SignMethod::Md5);
        assert_eq!(sign, "66987CB115214E59E6EC978214934FB8");
    }

    #[test]
    fn official_hmac_vector() {
        let sign = top_sign(
            item_seller_get("hmac"),
            None,
            b"helloworld",
            SignMethod::HmacMd5,
        );
        assert_eq!(sign, "D56D7858309C31B6251083A874D48273");
    }

    #[test]
    fn official_second_md5_vector() {
        let params = [
            ("app_key", "test"),
            ("fields", "nick"),
            ("format", "xml"),
            ("method", "taobao.user.seller.get"),
            ("session", "test"),
            ("sign_method", "md5"),
            ("timestamp", "2013-05-06 13:52:03"),
            ("v", "2.0"),
        ];
        let sign = top_sign(params, None, b"test", SignMethod::Md5);
        assert_eq!(sign, "72CB4D809B375A54502C09360D879C64");
    }

    #[test]
    fn sign_and_empty_values_are_not_signed_and_order_does_not_matter() {
        let mut params = item_seller_get("md5");
        params.reverse();
        params.push(("sign", "whatever"));
        params.push(("empty", ""));
        let sign = top_sign(params, None, b"helloworld", SignMethod::Md5);
        assert_eq!(sign, "66987CB115214E59E6EC978214934FB8");
    }

    #[test]
    fn every_method_round_trips_with_and_without_body() {
        let params = [("method", "wdt.trade.push"), ("app_key", "k")];
        for method in [SignMethod::Md5, SignMethod::HmacMd5, SignMethod::HmacSha256] {
            for body in [None, Some(&b"{\"a\":1}"[..])] {
                let sign = top_sign(params, body, b"secret", method);
                assert!(verify_top_sign(params, body, b"secret", method, &sign));
                assert!(verify_top_sign(
                    params,
                    body,
                    b"secret",
                    method,
                    &sign.to_lowercase()
                ));
                assert!(
                    !verify_top_sign(params, body, b"other", method, &sign),
                    "wrong key"
                );
                assert!(
                    !verify_top_sign(params, Some(b"x"), b"secret", method, &sign)
                        || body == Some(b"x")
                );
            }
        }
        let md5 = top_sign(params, None, b"s", SignMethod::Md5);
        let sha = top_sign(params, None, b"s", SignMethod::HmacSha256);
        assert_eq!(md5.len(), 32);
        assert_eq!(sha.len(), 64);
    }

    #[test]
    fn body_is_signed() {
        let params = [("method", "wdt.trade.push")];
        let sign = top_sign(params, Some(b"{\"tid\":\"1\"}"), b"s", SignMethod::Md5);
        assert!(!verify_top_sign(
            params,
            Some(b"{\"tid\":\"2\"}"),
            b"s",
            SignMethod::Md5,
            &sign
        ));
        assert!(!verify_top_sign(params, None, b"s", SignMethod::Md5, &sign));
    }

    #[test]
    fn sign_method_wire_names() {
        for method in [SignMethod::Md5, SignMethod::HmacMd5, SignMethod::HmacSha256] {
            assert_eq!(SignMethod::parse(method.as_str()), Some(method));
        }
        assert_eq!(SignMethod::parse("sha1"), None);
    }
}
