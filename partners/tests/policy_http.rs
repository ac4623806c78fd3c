//! The shared partner HTTP policy against a scripted partner over real HTTP on 127.0.0.1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use switchyard_partners::policy::{
    accept_any, AnswerVerdict, PartnerHttp, PartnerHttpError, PartnerResponse, PolicyConfig,
};

type Hits = Arc<Mutex<HashMap<String, u32>>>;

/// Scripted answers: the n-th hit of a route decides what it gets.
async fn scripted(State(hits): State<Hits>, Path(route): Path<String>) -> Response {
    let n = {
        let mut hits = hits.lock().expect("test setup");
        let n = hits.entry(route.clone()).or_insert(0);
        *n += 1;
        *n
    };
    match (route.as_str(), n) {
        ("flaky", 1..=2) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        ("throttled", 1) => {
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response()
        }
        ("throttled-date", 1) => {
            let at = chrono::Utc::now() + chrono::Duration::seconds(2);
            let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, date)]).into_response()
        }
        ("throttled-long", _) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "3600")],
        )
            .into_response(),
        ("timeout", 1) => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late".into_response()
        }
        ("request-timeout", 1) => StatusCode::REQUEST_TIMEOUT.into_response(),
        ("always-502", _) => StatusCode::BAD_GATEWAY.into_response(),
        ("bad-request", _) => {
            (StatusCode::BAD_REQUEST, r#"{"code":"PARAM_ILLEGAL"}"#).into_response()
        }
        ("conflict", _) => StatusCode::CONFLICT.into_response(),
        ("body-says-retry", 1..=2) => r#"{"resultStatus":"U"}"#.into_response(),
        ("body-says-retry", _) => r#"{"resultStatus":"S"}"#.into_response(),
        _ => "ok".into_response(),
    }
}

struct Partner {
    base: String,
    hits: Hits,
    _server: tokio::task::JoinHandle<()>,
}

impl Drop for Partner {
    fn drop(&mut self) {
        self._server.abort();
    }
}

impl Partner {
    async fn start() -> Self {
        let hits: Hits = Arc::default();
        let router = Router::new()
            .route("/{route}", get(scripted))
            .with_state(hits.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("test setup");
        let base = format!("http://{}", listener.local_addr().expect("test setup"));
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("test setup");
        });
        Partner {
            base,
            hits,
            _server: server,
        }
    }

    fn hits(&self, route: &str) -> u32 {
        self.hits
            .lock()
            .expect("test setup")
            .get(route)
            .copied()
            .unwrap_or(0)
    }

    async fn get(
        &self,
        http: &PartnerHttp,
        route: &str,
    ) -> Result<PartnerResponse, PartnerHttpError> {
        let url = format!("{}/{route}", self.base);
        http.execute(|client| Ok(client.get(&url)), accept_any)
            .await
    }
}

fn fast_policy() -> PolicyConfig {
    PolicyConfig {
        timeout: Duration::from_millis(300),
        rate_per_second: std::num::NonZeroU32::new(1000).expect("test setup"),
        max_retries: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        retry_after_clamp: Duration::from_secs(5),
        // The scripted partner listens on 127.0.0.1.
        allow_private_targets: true,
        ..PolicyConfig::default()
    }
}

fn http(config: PolicyConfig) -> PartnerHttp {
    PartnerHttp::new("test-partner", config).expect("test setup")
}

#[tokio::test]
async fn five_xx_is_retried_until_success() {
    let partner = Partner::start().await;
    let answer = partner.get(&http(fast_policy()), "flaky").await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(partner.hits("flaky"), 3);
}

#[tokio::test]
async fn timeouts_and_408_are_retried() {
    let partner = Partner::start().await;
    let client = http(fast_policy());
    assert_eq!(partner.get(&client, "timeout").await.unwrap().status, 200);
    assert_eq!(partner.hits("timeout"), 2);
    assert_eq!(
        partner
            .get(&client, "request-timeout")
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(partner.hits("request-timeout"), 2);
}

#[tokio::test]
async fn retry_after_seconds_and_dates_are_honoured() {
    let partner = Partner::start().await;
    let client = http(fast_policy());
    let started = Instant::now();
    partner.get(&client, "throttled").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(partner.hits("throttled"), 2);

    let started = Instant::now();
    partner.get(&client, "throttled-date").await.unwrap();
    // The date has one-second resolution, so at least one full second must have passed.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_clamped() {
    let partner = Partner::start().await;
    let client = http(PolicyConfig {
        max_retries: 1,
        retry_after_clamp: Duration::from_millis(200),
        ..fast_policy()
    });
    let started = Instant::now();
    let err = partner.get(&client, "throttled-long").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "an hour was asked, the clamp is 200 ms"
    );
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(matches!(
        err,
        PartnerHttpError::RetryableStatus { status: 429, .. }
    ));
}

#[tokio::test]
async fn other_4xx_are_never_retried() {
    let partner = Partner::start().await;
    let client = http(fast_policy());
    let answer = partner.get(&client, "bad-request").await.unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(partner.hits("bad-request"), 1);
    assert_eq!(partner.get(&client, "conflict").await.unwrap().status, 409);
    assert_eq!(partner.hits("conflict"), 1);
}

#[tokio::test]
async fn giving_up_keeps_the_error_transient() {
    let partner = Partner::start().await;
    let client = http(PolicyConfig {
        max_retries: 2,
        ..fast_policy()
    });
    let err = partner.get(&client, "always-502").await.unwrap_err();
    assert_eq!(partner.hits("always-502"), 3);
    assert!(err.is_retryable());
    assert_eq!(err.to_string(), "test-partner: HTTP 502");
}

#[tokio::test]
async fn classifier_can_retry_a_2xx_body() {
    let partner = Partner::start().await;
    let url = format!("{}/body-says-retry", partner.base);
    let classify = |answer: &PartnerResponse| {
        if answer.body.as_ref() == br#"{"resultStatus":"U"}"# {
            AnswerVerdict::Retry {
                reason: "UNKNOWN_EXCEPTION".into(),
            }
        } else {
            AnswerVerdict::Final
        }
    };
    let answer = http(fast_policy())
        .execute(|c| Ok(c.get(&url)), classify)
        .await
        .unwrap();
    assert_eq!(answer.body.as_ref(), br#"{"resultStatus":"S"}"#);
    assert_eq!(partner.hits("body-says-retry"), 3);

    let partner = Partner::start().await;
    let url = format!("{}/body-says-retry", partner.base);
    let once = http(PolicyConfig {
        max_retries: 0,
        ..fast_policy()
    });
    let err = once
        .execute(|c| Ok(c.get(&url)), classify)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PartnerHttpError::RetryableAnswer { reason, .. } if reason == "UNKNOWN_EXCEPTION")
    );
}

#[tokio::test]
async fn build_errors_are_permanent_and_not_retried() {
    let attempts = Mutex::new(0);
    let err = http(fast_policy())
        .execute(
            |_| {
                *attempts.lock().unwrap() += 1;
                Err(PartnerHttpError::build("test-partner", "key unavailable"))
            },
            accept_any,
        )
        .await
        .unwrap_err();
    assert!(err.is_permanent());
    assert_eq!(*attempts.lock().unwrap(), 1);
}

#[tokio::test]
async fn transport_errors_are_retried_and_hide_the_url() {
    // Port 9 on loopback has no listener here: connection refused, every attempt.
    let attempts = Mutex::new(0);
    let err = http(PolicyConfig {
        max_retries: 2,
        ..fast_policy()
    })
    .execute(
        |client| {
            *attempts.lock().unwrap() += 1;
            Ok(client.get("http://127.0.0.1:9/x?sign=SECRET-SIGNATURE"))
        },
        accept_any,
    )
    .await
    .unwrap_err();
    assert_eq!(*attempts.lock().unwrap(), 3);
    assert!(matches!(
        err,
        PartnerHttpError::Transport { .. } | PartnerHttpError::Timeout { .. }
    ));
    assert!(err.is_retryable());
    assert!(!err.to_string().contains("SECRET-SIGNATURE"));
    assert!(!format!("{err:?}").contains("SECRET-SIGNATURE"));
}

#[tokio::test]
async fn a_burst_is_paced_to_the_quota() {
    let partner = Partner::start().await;
    let client = http(PolicyConfig {
        rate_per_second: std::num::NonZeroU32::new(20).unwrap(),
        ..fast_policy()
    });
    let calls = 40;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..calls {
        let client = client.clone();
        let url = format!("{}/paced", partner.base);
        tasks.push(tokio::spawn(async move {
            client
                .execute(|c| Ok(c.get(&url)), accept_any)
                .await
                .map(|a| a.status)
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The first call goes at once; the other 39 are spaced by 1/20 s.
    let rate = f64::from(calls - 1) / elapsed;
    assert!(
        (18.0..=22.0).contains(&rate),
        "measured {rate:.1} calls/s over {elapsed:.2} s"
    );
    assert_eq!(partner.hits("paced"), 40);
}

#[tokio::test]
async fn debug_output_shows_no_bodies() {
    let partner = Partner::start().await;
    let client = http(fast_policy());
    let answer = partner.get(&client, "bad-request").await.unwrap();
    let debug = format!("{answer:?}");
    assert!(!debug.contains("PARAM_ILLEGAL"), "{debug}");
    assert!(debug.contains("400"));
    assert!(format!("{client:?}").contains("test-partner"));
}
