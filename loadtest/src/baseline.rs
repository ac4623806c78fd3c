//! The bare-HTTP baseline: an in-process axum server that answers 200 to anything, doing no work.
//!
//! Contract: bound to 127.0.0.1 on a port the OS picks; it reads each request body in full (the
//! minimum any real handler does) and answers an empty 200. Driven with the same requests as the
//! target in the same invocation, it measures what HTTP alone costs on this machine with this
//! harness, so the target's throughput can be stated as a ratio of it. Stops when
//! [`BareHandler::stop`] is called or the handle is dropped.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running bare handler.
#[derive(Debug)]
pub struct BareHandler {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// The bare handler's routes: every method and path → empty 200.
pub fn bare_router() -> Router {
    async fn answer(_body: Bytes) -> StatusCode {
        StatusCode::OK
    }
    Router::new()
        .fallback(answer)
        // The baseline must accept what the faults send (oversized bodies included).
        .layer(DefaultBodyLimit::disable())
}

impl BareHandler {
    /// Starts it on 127.0.0.1:0.
    pub async fn spawn() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, bare_router())
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes open connections and waits for the server task.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for BareHandler {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
