//! Relaying a status callback one level down to a downstream Dujiao-Next site.
//!
//! Contract: the body is signed with the downstream credential's key and secret over the literal
//! path [`CALLBACK_SIGNED_PATH`], whatever the URL. Only HTTP 200 with `ok:true` counts as
//! delivered; anything else is a retryable [`DujiaoError::CallbackRejected`], and the relayer
//! retries on [`CALLBACK_RETRY_SCHEDULE`] with [`CALLBACK_TIMEOUT`] per attempt.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Url;
use secrecy::SecretString;

use super::error::DujiaoError;
use super::sign::{
    execute_signed, DujiaoSignature, SignedRequest, UniqueSigner, CALLBACK_SIGNED_PATH,
    HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use super::wire::{CallbackAck, CallbackBody};
use crate::policy::{accept_any, PartnerHttp};

/// Delays between callback attempts after the first (the last is not repeated).
pub const CALLBACK_RETRY_SCHEDULE: [Duration; 5] = [
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
    Duration::from_secs(300),
    Duration::from_secs(300),
];

/// Timeout of one callback attempt.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(15);

/// One signer for every callback of this process, so retries never repeat a signature.
fn callback_signer() -> &'static UniqueSigner {
    static SIGNER: OnceLock<UniqueSigner> = OnceLock::new();
    SIGNER.get_or_init(UniqueSigner::default)
}

/// Sends one signed callback; `Ok` only on HTTP 200 with `ok:true`.
pub async fn send_callback(
    http: &PartnerHttp,
    url: &str,
    body: &CallbackBody,
    api_key: &str,
    api_secret: &SecretString,
) -> Result<(), DujiaoError> {
    let url = Url::parse(url).map_err(|err| DujiaoError::Config(format!("callback url: {err}")))?;
    let bytes = serde_json::to_vec(body)
        .map_err(|err| DujiaoError::Config(format!("callback body: {err}")))?;
    let signed = SignedRequest {
        secret: api_secret,
        method: "POST",
        path: CALLBACK_SIGNED_PATH,
        body: &bytes,
    };
    let request = |client: &reqwest::Client, timestamp: i64, signature: DujiaoSignature| {
        client
            .post(url.clone())
            .header(HEADER_API_KEY, api_key)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature.to_hex())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes.clone())
    };
    let response = execute_signed(http, callback_signer(), signed, request, accept_any).await?;
    let status = response.status.as_u16();
    match response.json::<CallbackAck>() {
        Ok(ack) if status == 200 && ack.ok => Ok(()),
        _ => Err(DujiaoError::CallbackRejected { status }),
    }
}
