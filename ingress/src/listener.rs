//! The partner-facing listener: a connection cap and a deadline on every header section, in
//! front of the router (HTTP/1.1, as partners call us).
//!
//! Contract:
//! - **Connection cap.** At most `max_connections` client connections are open at once. A
//!   connection accepted beyond it gets a bare `503` with `Connection: close` and `Retry-After: 1`
//!   and is closed at once (counted in `switchyard_ingress_connections_refused_total`), so idle or
//!   slow clients cannot exhaust the process's sockets and memory; the slot frees when a
//!   connection ends. Open connections are `switchyard_ingress_connections_open`.
//! - **Header deadline.** A request's whole header section must arrive within
//!   `header_read_timeout` of the connection being ready for it (opened, or done answering the
//!   previous request); otherwise the connection is closed. So it also closes a kept-alive
//!   connection idle that long. The body has its own deadline in the edge guard (`edge.rs`).
//! - **Shutdown.** When `shutdown` fires the listener stops accepting, every connection finishes
//!   its request in flight and closes, and [`serve`] returns once all have.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::IngressMetrics;

/// The listener's limits.
#[derive(Clone)]
pub(crate) struct ListenerLimits {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) metrics: IngressMetrics,
}

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n";

/// Serves `router` on `listener` until `shutdown`, then waits for open connections to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ListenerLimits,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!(%error, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            limits.metrics.connections_refused.inc();
            connections.spawn(refuse(stream));
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        let limits = limits.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let _slot = slot;
            limits.metrics.connections_open.inc();
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.as_mut().await
                }
            };
            if let Err(error) = served {
                tracing::debug!(%error, "connection ended with an error");
            }
            limits.metrics.connections_open.dec();
        });
    }
    connections.close();
    connections.wait().await;
}

/// Answers a connection over the cap and closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = stream.write_all(REFUSAL).await;
    let _ = stream.shutdown().await;
}
