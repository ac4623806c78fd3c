//! [`PartnerHttp`]: one partner connection's rate-limited, timed, retrying HTTP client.

use std::fmt;
use std::sync::Arc;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;

use super::config::{PolicyConfig, PolicyConfigError};
use super::error::PartnerHttpError;
use super::resolver::GuardedResolver;
use super::retry_after::parse_retry_after;
use super::target::{check_url, ForbiddenTarget};

/// What the protocol layer makes of a non-error HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerVerdict {
    /// Final: hand the answer to the caller (success or a permanent business error).
    Final,
    /// A transient error in a 2xx body (e.g. D-Store `U`): retry with identical parameters.
    Retry {
        /// The partner's error code, for logs and the final error.
        reason: String,
    },
}

/// A classifier that treats every non-error answer as final.
pub fn accept_any(_: &PartnerResponse) -> AnswerVerdict {
    AnswerVerdict::Final
}

/// A partner's answer: status, headers and the raw body (kept raw for signature checks).
#[derive(Clone)]
pub struct PartnerResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers (D-Store signs responses in them).
    pub headers: HeaderMap,
    /// Raw body bytes.
    pub body: Bytes,
}

impl PartnerResponse {
    /// Decodes the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

impl fmt::Debug for PartnerResponse {
    // Bodies and headers may carry personal data or signatures: show only their shape.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerResponse")
            .field("status", &self.status.as_u16())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// One partner connection: an HTTP client, its rate limiter and its retry policy.
///
/// Cheap to clone; clones share the limiter, so a connection's quota holds across tasks.
#[derive(Clone)]
pub struct PartnerHttp {
    inner: Arc<Inner>,
}

struct Inner {
    partner: &'static str,
    client: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    config: PolicyConfig,
}

impl fmt::Debug for PartnerHttp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerHttp")
            .field("partner", &self.inner.partner)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl PartnerHttp {
    /// Builds the connection for `partner` (a short static name used in errors and logs).
    pub fn new(partner: &'static str, config: PolicyConfig) -> Result<Self, PolicyConfigError> {
        config.validate()?;
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // A redirect would carry signed headers to a host nobody configured.
            .redirect(reqwest::redirect::Policy::none());
        if !config.allow_private_targets {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        let client = builder
            .build()
            .map_err(|err| PolicyConfigError::Client(err.without_url().to_string()))?;
        let quota = Quota::per_second(config.rate_per_second).allow_burst(config.burst);
        let limiter = RateLimiter::direct(quota);
        Ok(PartnerHttp {
            inner: Arc::new(Inner {
                partner,
                client,
                limiter,
                config,
            }),
        })
    }

    /// The settings this connection runs with.
    pub fn config(&self) -> &PolicyConfig {
        &self.inner.config
    }

    /// The partner name given at construction.
    pub fn partner(&self) -> &'static str {
        self.inner.partner
    }

    /// Runs one logical call with the full policy.
    ///
    /// `build` makes a fresh request per attempt (sign it there). `classify` sees only answers
    /// that are neither 4xx nor retryable by status. Other 4xx answers come back as `Ok` for the
    /// protocol layer to decode as permanent errors.
    pub async fn execute<B, C>(
        &self,
        build: B,
        classify: C,
    ) -> Result<PartnerResponse, PartnerHttpError>
    where
        B: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, PartnerHttpError>,
        C: Fn(&PartnerResponse) -> AnswerVerdict,
    {
        let config = &self.inner.config;
        let backoff = ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(config.base_delay)
            .with_max_delay(config.max_delay)
            .with_max_times(config.max_retries);
        let clamp = config.retry_after_clamp;
        let partner = self.inner.partner;
        (|| self.attempt(&build, &classify))
            .retry(backoff)
            .when(PartnerHttpError::is_retryable)
            .adjust(move |err, delay| {
                // A partner's Retry-After wins over a shorter backoff, but never beyond the clamp.
                let delay = delay?;
                Some(match err.retry_after() {
                    Some(asked) => delay.max(asked.min(clamp)),
                    None => delay,
                })
            })
            .notify(move |err, delay| {
                tracing::debug!(partner, error = %err, delay_ms = delay.as_millis() as u64, "retrying partner call");
            })
            .await
    }

    async fn attempt<B, C>(
        &self,
        build: &B,
        classify: &C,
    ) -> Result<PartnerResponse, PartnerHttpError>
    where
        B: Fn(&reqwest::Client) -> Result<reqwest::RequestBuilder, PartnerHttpError>,
        C: Fn(&PartnerResponse) -> AnswerVerdict,
    {
        let inner = &self.inner;
        inner.limiter.until_ready().await;
        let (client, request) = build(&inner.client)?.build_split();
        let request = request
            .map_err(|err| PartnerHttpError::build(inner.partner, err.without_url().to_string()))?;
        if !inner.config.allow_private_targets {
            // IP literals never reach the resolver: this is their only check.
            check_url(request.url()).map_err(|reason| PartnerHttpError::ForbiddenTarget {
                partner: inner.partner,
                reason,
            })?;
        }
        let timeout = inner.config.timeout;
        let limit = inner.config.max_body_bytes;
        let exchange = async {
            let response = client.execute(request).await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = read_capped(response, limit).await?;
            Ok::<_, Exchange>(PartnerResponse {
                status,
                headers,
                body,
            })
        };
        let timed_out = PartnerHttpError::Timeout {
            partner: inner.partner,
            timeout,
        };
        let response = match tokio::time::timeout(timeout, exchange).await {
            Err(_elapsed) => return Err(timed_out),
            Ok(Err(Exchange::TooLarge)) => {
                return Err(PartnerHttpError::BodyTooLarge {
                    partner: inner.partner,
                    limit,
                })
            }
            Ok(Err(Exchange::Http(err))) if err.is_timeout() => return Err(timed_out),
            Ok(Err(Exchange::Http(err))) => return Err(transport_error(inner.partner, &err)),
            Ok(Ok(response)) => response,
        };
        let status = response.status;
        let retry_after = || {
            response
                .headers
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| parse_retry_after(value, chrono::Utc::now()))
        };
        if status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
        {
            return Err(PartnerHttpError::RetryableStatus {
                partner: inner.partner,
                status: status.as_u16(),
                retry_after: retry_after(),
            });
        }
        // Redirects are not followed: a 3xx is a non-success answer like a 4xx.
        if status.is_client_error() || status.is_redirection() {
            return Ok(response);
        }
        match classify(&response) {
            AnswerVerdict::Final => Ok(response),
            AnswerVerdict::Retry { reason } => Err(PartnerHttpError::RetryableAnswer {
                partner: inner.partner,
                status: status.as_u16(),
                reason,
                retry_after: retry_after(),
            }),
        }
    }
}

/// Why one exchange produced no answer.
enum Exchange {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for Exchange {
    fn from(err: reqwest::Error) -> Self {
        Exchange::Http(err)
    }
}

/// Reads the body up to `limit` bytes; refuses at once when `Content-Length` announces more,
/// and stops reading (dropping the connection) as soon as a streamed body passes it.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Bytes, Exchange> {
    let announced = response.content_length().unwrap_or(0);
    if usize::try_from(announced).map_or(true, |announced| announced > limit) {
        return Err(Exchange::TooLarge);
    }
    // Pre-size for the announced length only: it is already known to be within the cap.
    let mut body = bytes::BytesMut::with_capacity(usize::try_from(announced).unwrap_or(0));
    while let Some(chunk) = response.chunk().await? {
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(Exchange::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Describes a transport error without its URL (query strings can carry signatures); a refusal
/// by the resolver becomes [`PartnerHttpError::ForbiddenTarget`].
fn transport_error(partner: &'static str, err: &reqwest::Error) -> PartnerHttpError {
    let mut cause = std::error::Error::source(err);
    while let Some(inner) = cause {
        if let Some(reason) = inner.downcast_ref::<ForbiddenTarget>() {
            return PartnerHttpError::ForbiddenTarget {
                partner,
                reason: *reason,
            };
        }
        cause = inner.source();
    }
    let mut detail = String::from(if err.is_connect() {
        "connect failed"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(err);
    // The chain's innermost messages (connection refused, reset) are what an operator needs.
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    PartnerHttpError::Transport { partner, detail }
}
