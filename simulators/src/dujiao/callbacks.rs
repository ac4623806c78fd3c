//! Signed callbacks from the simulated site to the integrator, on the protocol's retry schedule.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use switchyard_partners::dujiao::wire::CallbackBody;
use switchyard_partners::dujiao::{send_callback, CALLBACK_RETRY_SCHEDULE, CALLBACK_TIMEOUT};
use switchyard_partners::policy::{PartnerHttp, PolicyConfig};

use super::state::{ReceivedOrder, SiteState};

/// One callback delivery attempt, as the site saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallbackAttempt {
    /// Site order id.
    pub order_id: u64,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// True when the receiver answered 200 with `ok:true`.
    pub delivered: bool,
    /// True on the last attempt that failed (the callback is marked failed).
    pub gave_up: bool,
}

/// Sends the fulfilment callback until it is acknowledged or the schedule runs out.
pub(crate) async fn deliver(state: Arc<SiteState>, order: ReceivedOrder, api_secret: String) {
    let policy = PolicyConfig {
        timeout: CALLBACK_TIMEOUT,
        max_retries: 0,
        rate_per_second: std::num::NonZeroU32::MAX,
        allow_private_targets: true, // simulators listen on 127.0.0.1
        ..PolicyConfig::default()
    };
    let Ok(http) = PartnerHttp::new("dujiao-sim-callback", policy) else {
        return;
    };
    let secret = SecretString::from(api_secret);
    let body = CallbackBody {
        event: "order.fulfilled".into(),
        order_id: order.order_id,
        order_no: order.order_no.clone(),
        downstream_order_no: order.downstream_order_no.clone(),
        status: "delivered".into(),
        fulfillment: order.fulfillment.clone(),
        timestamp: chrono::Utc::now().timestamp(),
    };
    let attempts = CALLBACK_RETRY_SCHEDULE.len() + 1;
    for attempt in 1..=attempts {
        let delivered = send_callback(&http, &order.callback_url, &body, &order.api_key, &secret)
            .await
            .is_ok();
        let gave_up = !delivered && attempt == attempts;
        state.lock().callback_attempts.push(CallbackAttempt {
            order_id: order.order_id,
            attempt: attempt as u32,
            delivered,
            gave_up,
        });
        if delivered || gave_up {
            return;
        }
        let delay = CALLBACK_RETRY_SCHEDULE[attempt - 1].mul_f64(state.callback_delay_factor);
        tokio::time::sleep(delay.max(Duration::from_millis(1))).await;
    }
}
