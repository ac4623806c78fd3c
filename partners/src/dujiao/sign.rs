//! Dujiao-Next request signing: `hex(HMAC-SHA256(secret, "METHOD\nPATH\nTS\nmd5_hex(body)"))`.
//!
//! Contract: [`sign`] is the bare formula. [`UniqueSigner`] never issues one signature twice and
//! never signs outside `[now, now + MAX_TIMESTAMP_LEAD]` (inside the ±60 s window); when no
//! second is free it says when one is ([`SignLater`]) and the caller waits — a request that the
//! receiver's replay protection must refuse is never produced.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::verify::SIGNATURE_WINDOW;
use crate::policy::{AnswerVerdict, PartnerHttp, PartnerHttpError, PartnerResponse};

/// Header carrying the caller's API key.
pub const HEADER_API_KEY: &str = "Dujiao-Next-Api-Key";
/// Header carrying the Unix-seconds timestamp that was signed.
pub const HEADER_TIMESTAMP: &str = "Dujiao-Next-Timestamp";
/// Header carrying the lowercase hex signature.
pub const HEADER_SIGNATURE: &str = "Dujiao-Next-Signature";
/// The path every callback is signed with, whatever URL it is sent to.
pub const CALLBACK_SIGNED_PATH: &str = "/api/v1/upstream/callback";

/// A computed HMAC-SHA256 signature (32 bytes). `Debug` hides it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DujiaoSignature(pub(crate) [u8; 32]);

impl DujiaoSignature {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, as sent in the header.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the header form: exactly 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
        Some(DujiaoSignature(bytes))
    }
}

impl fmt::Debug for DujiaoSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DujiaoSignature([redacted])")
    }
}

/// Lowercase hex MD5 of the raw body (empty body → `d41d8cd98f00b204e9800998ecf8427e`).
pub fn body_md5_hex(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// The exact text that is signed.
pub fn signing_string(method: &str, path: &str, timestamp: i64, body: &[u8]) -> String {
    format!("{method}\n{path}\n{timestamp}\n{}", body_md5_hex(body))
}

/// Signs a request. `path` is the request path without the query string.
pub fn sign(
    secret: &SecretString,
    method: &str,
    path: &str,
    timestamp: i64,
    body: &[u8],
) -> DujiaoSignature {
    let mut mac = new_mac(secret);
    mac.update(signing_string(method, path, timestamp, body).as_bytes());
    DujiaoSignature(mac.finalize().into_bytes().into())
}

/// Signs requests so that no two ever carry the same signature, and never one a server must refuse.
///
/// Dujiao-Next has no nonce: two identical requests (a retry, a repeated poll) in the same second
/// sign identically, and a receiver with replay protection refuses the second. This signer
/// remembers what it issued and gives a repeat the next unused second, at most
/// [`MAX_TIMESTAMP_LEAD`] s ahead of the clock (the rest of the ±60 s window is left to clock
/// skew between the sites). When every second up to that lead is taken, [`UniqueSigner::sign`]
/// answers [`SignLater`] — the second from which a fresh signature is free — instead of a
/// signature the server would refuse; callers wait for it ([`SignLater::wait`],
/// [`UniqueSigner::sign_when_free`]). Issued signatures are remembered for
/// [`SIGNATURE_WINDOW`] s after their second (a clock stepping back cannot repeat one); under
/// `capacity` pressure the seconds already past are forgotten first, as they are never signed
/// again while the clock moves forward.
#[derive(Debug)]
pub struct UniqueSigner {
    capacity: usize,
    issued: Mutex<Issued>,
}

/// How far ahead of the clock a [`UniqueSigner`] may move a timestamp.
pub const MAX_TIMESTAMP_LEAD: i64 = 10;

/// Signatures a default [`UniqueSigner`] remembers at most.
const DEFAULT_CAPACITY: usize = 100_000;

/// No unique signature of the request is free now; one is from Unix second `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no unique signature free before second {at}")]
pub struct SignLater {
    /// The first Unix second at which signing again finds a free timestamp.
    pub at: i64,
}

impl SignLater {
    /// How long from `now_ms` (Unix milliseconds) until [`SignLater::at`].
    pub fn wait_from(&self, now_ms: i64) -> Duration {
        let millis = self.at.saturating_mul(1_000).saturating_sub(now_ms);
        Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }

    /// Sleeps until the clock reaches [`SignLater::at`].
    pub async fn wait(self) {
        tokio::time::sleep(self.wait_from(Utc::now().timestamp_millis())).await;
    }

    /// Blocks the thread until the clock reaches [`SignLater::at`] (for signing off the runtime).
    pub fn wait_blocking(self) {
        std::thread::sleep(self.wait_from(Utc::now().timestamp_millis()));
    }
}

/// Issued signatures by their timestamp second.
#[derive(Debug, Default)]
struct Issued {
    by_second: BTreeMap<i64, HashSet<[u8; 32]>>,
    count: usize,
}

impl Issued {
    fn forget_before(&mut self, second: i64) {
        while let Some(entry) = self.by_second.first_entry() {
            if *entry.key() >= second {
                break;
            }
            self.count -= entry.remove().len();
        }
    }

    fn contains(&self, second: i64, signature: &DujiaoSignature) -> bool {
        self.by_second
            .get(&second)
            .is_some_and(|seen| seen.contains(&signature.0))
    }
}

impl Default for UniqueSigner {
    fn default() -> Self {
        UniqueSigner::with_capacity(DEFAULT_CAPACITY)
    }
}

impl UniqueSigner {
    /// A signer remembering at most `capacity` signatures.
    pub fn with_capacity(capacity: usize) -> Self {
        UniqueSigner {
            capacity: capacity.max(1),
            issued: Mutex::new(Issued::default()),
        }
    }

    /// Signs at `now` (Unix seconds) or the first later second, at most [`MAX_TIMESTAMP_LEAD`]
    /// ahead, whose signature was never issued; [`SignLater`] when there is none.
    pub fn sign(
        &self,
        secret: &SecretString,
        method: &str,
        path: &str,
        now: i64,
        body: &[u8],
    ) -> Result<(i64, DujiaoSignature), SignLater> {
        let later = SignLater { at: now + 1 };
        for timestamp in now..=now + MAX_TIMESTAMP_LEAD {
            // HMAC outside the lock; the check and the insert together under it.
            let signature = sign(secret, method, path, timestamp, body);
            let mut issued = self
                .issued
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            issued.forget_before(now - SIGNATURE_WINDOW);
            if issued.contains(timestamp, &signature) {
                continue;
            }
            if issued.count >= self.capacity {
                issued.forget_before(now);
            }
            if issued.count >= self.capacity {
                return Err(later);
            }
            issued
                .by_second
                .entry(timestamp)
                .or_default()
                .insert(signature.0);
            issued.count += 1;
            return Ok((timestamp, signature));
        }
        Err(later)
    }

    /// Signs at the current clock, waiting (asynchronously) for a free second when needed.
    pub async fn sign_when_free(
        &self,
        secret: &SecretString,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> (i64, DujiaoSignature) {
        loop {
            match self.sign(secret, method, path, Utc::now().timestamp(), body) {
                Ok(signed) => return signed,
                Err(later) => later.wait().await,
            }
        }
    }

    /// Like [`UniqueSigner::sign_when_free`], blocking the thread (signing off the runtime).
    pub fn sign_when_free_blocking(
        &self,
        secret: &SecretString,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> (i64, DujiaoSignature) {
        loop {
            match self.sign(secret, method, path, Utc::now().timestamp(), body) {
                Ok(signed) => return signed,
                Err(later) => later.wait_blocking(),
            }
        }
    }
}

/// Runs one policy call whose every attempt is signed afresh by `signer` (`request` builds the
/// attempt from the signed timestamp and signature). An attempt that finds no unique signature
/// free sends nothing; the call then waits for the free second and goes on.
pub(crate) async fn execute_signed<R, C>(
    http: &PartnerHttp,
    signer: &UniqueSigner,
    signed: SignedRequest<'_>,
    request: R,
    classify: C,
) -> Result<PartnerResponse, PartnerHttpError>
where
    R: Fn(&reqwest::Client, i64, DujiaoSignature) -> reqwest::RequestBuilder,
    C: Fn(&PartnerResponse) -> AnswerVerdict,
{
    loop {
        let busy: Mutex<Option<SignLater>> = Mutex::new(None);
        let build = |client: &reqwest::Client| {
            let now = Utc::now().timestamp();
            match signer.sign(signed.secret, signed.method, signed.path, now, signed.body) {
                Ok((timestamp, signature)) => Ok(request(client, timestamp, signature)),
                Err(later) => {
                    *busy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(later);
                    Err(PartnerHttpError::build("dujiao", later.to_string()))
                }
            }
        };
        let outcome = http.execute(build, &classify).await;
        let later = busy
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match (outcome, later) {
            (Err(PartnerHttpError::Build { .. }), Some(later)) => later.wait().await,
            (outcome, _) => return outcome,
        }
    }
}

/// What [`execute_signed`] signs for every attempt.
#[derive(Clone, Copy)]
pub(crate) struct SignedRequest<'a> {
    pub(crate) secret: &'a SecretString,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) body: &'a [u8],
}

/// A keyed HMAC; any key length is valid for HMAC, so construction cannot fail.
pub(crate) fn new_mac(secret: &SecretString) -> Hmac<Sha256> {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes()) {
        Ok(mac) => mac,
        // HMAC accepts keys of every length (RFC 2104 hashes long keys), so this arm is dead.
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> SecretString {
        SecretString::from("your_api_secret")
    }

    #[test]
    fn protocol_vector_create_order() {
        let body = br#"{"sku_id":1,"quantity":1}"#;
        assert_eq!(body_md5_hex(body), "12967802faf6198d1cd99c4091391636");
        let signature = sign(
            &secret(),
            "POST",
            "/api/v1/upstream/orders",
            1_700_000_000,
            body,
        );
        assert_eq!(
            signature.to_hex(),
            "80e9b0ae078e379001fba9fab6628c2b1ea21518c48dc34035ecb38feba6c265"
        );
    }

    #[test]
    fn protocol_vector_ping_empty_body() {
        assert_eq!(body_md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        let signature = sign(
            &secret(),
            "POST",
            "/api/v1/upstream/ping",
            1_700_000_000,
            b"",
        );
        assert_eq!(
            signature.to_hex(),
            "70e5ddd685198f8b2c3acd26b6011dfe6a15d09c94d0b40b9a01086d86f469d8"
        );
    }

    #[test]
    fn repeats_take_the_next_seconds_up_to_the_lead_then_wait() {
        let signer = UniqueSigner::default();
        let mut seen = HashSet::new();
        for offset in 0..=MAX_TIMESTAMP_LEAD {
            let (timestamp, signature) = signer.sign(&secret(), "GET", "/x", 1_000, b"").unwrap();
            assert_eq!(timestamp, 1_000 + offset);
            assert!(seen.insert(signature), "a signature was issued twice");
        }
        assert_eq!(
            signer.sign(&secret(), "GET", "/x", 1_000, b""),
            Err(SignLater { at: 1_001 }),
            "every second up to the lead is taken: nothing is signed"
        );
        let (timestamp, signature) = signer.sign(&secret(), "GET", "/x", 1_001, b"").unwrap();
        assert_eq!(
            timestamp,
            1_001 + MAX_TIMESTAMP_LEAD,
            "free once the clock moved"
        );
        assert!(seen.insert(signature));
        let (other, _) = signer.sign(&secret(), "GET", "/y", 1_000, b"").unwrap();
        assert_eq!(other, 1_000, "a different request keeps the current second");
    }

    #[test]
    fn timestamps_stay_inside_the_window_and_a_stepped_back_clock_repeats_nothing() {
        let signer = UniqueSigner::default();
        let mut seen = HashSet::new();
        // The clock runs forward, steps back 30 s and runs forward again.
        let clock = (1_000..1_020).chain(990..1_020);
        for now in clock {
            for _ in 0..3 {
                match signer.sign(&secret(), "GET", "/orders/7", now, b"") {
                    Ok((timestamp, signature)) => {
                        assert!((now..=now + MAX_TIMESTAMP_LEAD).contains(&timestamp));
                        assert!(timestamp - now < SIGNATURE_WINDOW);
                        assert!(seen.insert(signature), "repeated at {now}");
                    }
                    Err(later) => assert_eq!(later.at, now + 1),
                }
            }
        }
    }

    #[test]
    fn a_full_signer_forgets_past_seconds_first_and_otherwise_waits() {
        let signer = UniqueSigner::with_capacity(2);
        assert!(signer.sign(&secret(), "GET", "/a", 1_000, b"").is_ok());
        assert!(signer.sign(&secret(), "GET", "/b", 1_000, b"").is_ok());
        assert_eq!(
            signer.sign(&secret(), "GET", "/c", 1_000, b""),
            Err(SignLater { at: 1_001 }),
            "what it issued this second cannot be forgotten"
        );
        assert_eq!(
            signer
                .sign(&secret(), "GET", "/c", 1_001, b"")
                .map(|(t, _)| t),
            Ok(1_001),
            "second 1000 is past: forgotten to make room"
        );
    }

    #[test]
    fn sign_later_waits_until_its_second() {
        let later = SignLater { at: 10 };
        assert_eq!(later.wait_from(9_250), Duration::from_millis(750));
        assert_eq!(later.wait_from(10_000), Duration::ZERO);
        assert_eq!(later.wait_from(12_000), Duration::ZERO);
    }

    #[tokio::test]
    async fn sign_when_free_waits_for_a_free_second_instead_of_repeating() {
        let signer = UniqueSigner::default();
        let now = Utc::now().timestamp();
        let mut seen = HashSet::new();
        while let Ok((_, signature)) = signer.sign(&secret(), "GET", "/poll", now, b"") {
            seen.insert(signature);
        }
        let (timestamp, signature) = signer.sign_when_free(&secret(), "GET", "/poll", b"").await;
        assert!(seen.insert(signature), "a fresh signature");
        assert!(timestamp > now + MAX_TIMESTAMP_LEAD);
        let signed_at = Utc::now().timestamp();
        assert!(timestamp - signed_at <= MAX_TIMESTAMP_LEAD);
    }

    #[tokio::test]
    async fn a_signed_call_with_no_free_second_sends_nothing_until_one_is_free() {
        use std::sync::Arc;

        use axum::http::HeaderMap;

        let received: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
        let record = received.clone();
        let router = axum::Router::new().route(
            "/poll",
            axum::routing::get(move |headers: HeaderMap| async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let timestamp = header(HEADER_TIMESTAMP).parse().unwrap_or_default();
                record
                    .lock()
                    .unwrap()
                    .push((timestamp, header(HEADER_SIGNATURE)));
                "ok"
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/poll", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, router).await });

        let signer = UniqueSigner::default();
        let secret = secret();
        let now = Utc::now().timestamp();
        let mut taken = HashSet::new();
        while let Ok((_, signature)) = signer.sign(&secret, "GET", "/poll", now, b"") {
            taken.insert(signature.to_hex());
        }
        let policy = crate::policy::PolicyConfig {
            allow_private_targets: true, // the test server is on loopback
            ..crate::policy::PolicyConfig::default()
        };
        let http = PartnerHttp::new("dujiao", policy).unwrap();
        let signed = SignedRequest {
            secret: &secret,
            method: "GET",
            path: "/poll",
            body: b"",
        };
        let request = |client: &reqwest::Client, timestamp: i64, signature: DujiaoSignature| {
            client
                .get(&url)
                .header(HEADER_TIMESTAMP, timestamp.to_string())
                .header(HEADER_SIGNATURE, signature.to_hex())
        };
        let answer = execute_signed(&http, &signer, signed, request, crate::policy::accept_any)
            .await
            .unwrap();
        assert_eq!(answer.status, 200);
        let received = received.lock().unwrap().clone();
        assert_eq!(
            received.len(),
            1,
            "one request, sent once a second was free"
        );
        let (timestamp, signature) = &received[0];
        assert!(
            !taken.contains(signature),
            "never a signature issued before"
        );
        assert!(*timestamp > now + MAX_TIMESTAMP_LEAD);
        server.abort();
    }

    #[test]
    fn hex_form_round_trips_and_rejects_garbage() {
        let signature = sign(&secret(), "GET", "/x", 1, b"");
        assert_eq!(
            DujiaoSignature::from_hex(&signature.to_hex()),
            Some(signature)
        );
        assert_eq!(
            DujiaoSignature::from_hex(&signature.to_hex().to_uppercase()),
            Some(signature)
        );
        assert_eq!(DujiaoSignature::from_hex("abc"), None);
        assert_eq!(DujiaoSignature::from_hex(&"zz".repeat(32)), None);
        assert_eq!(format!("{signature:?}"), "DujiaoSignature([redacted])");
    }
}
