//! Live `switchyard` processes for end-to-end tests: one [`Site`] is one Switchyard installation
//! (its own database, topic and group prefixes, ingress port) whose roles run as real child
//! processes of the binary under test, plus an operator API client and a signed Dujiao-Next
//! downstream site.
//!
//! Contract: every child is killed (SIGKILL) and reaped when its [`Proc`] drops, and the database
//! is dropped with the [`Site`], so a failing test leaves nothing running. The ingress port is
//! chosen before start (bind 127.0.0.1:0, close, reuse) because the workers must know their own
//! public URL up front. Children inherit stderr, so their warnings show up beside a failure.

// Each test binary uses a different part of these helpers.
#![allow(dead_code)]

pub mod admin_api;
pub mod downstream;
pub mod dstore;
pub mod operator;
pub mod standalone;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use switchyard_store::mappings::{self, Fulfiller};
use switchyard_testkit::broker::unique_prefix;
use switchyard_testkit::database::TestDatabase;
use switchyard_testkit::secrets;

pub use operator::Operator;

const BINARY: &str = env!("CARGO_BIN_EXE_switchyard");
/// The operator token every test site uses.
pub const ADMIN_TOKEN: &str = "e2e-operator-token";
/// How long a child may take to announce its listeners.
const START_WITHIN: Duration = Duration::from_secs(30);

/// A free loopback port: bound by the OS, then released for the child to take.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// One Switchyard installation: database, prefixes, ingress port, and the processes running it.
pub struct Site {
    /// A short label for failure messages.
    pub name: &'static str,
    /// Its own database (dropped with the site).
    pub db: TestDatabase,
    brokers: String,
    prefix: String,
    ingress_port: u16,
}

impl Site {
    /// A fresh installation on `brokers`; nothing runs until [`Site::spawn`].
    pub async fn new(name: &'static str, brokers: &str) -> Site {
        let db = TestDatabase::new().await.expect("test database");
        Site {
            name,
            db,
            brokers: brokers.to_owned(),
            prefix: unique_prefix(),
            ingress_port: free_port(),
        }
    }

    /// The ingress base URL (the site's public URL).
    pub fn ingress_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ingress_port)
    }

    /// The topic prefix of this installation (for reading its topics).
    pub fn topic_prefix(&self) -> &str {
        &self.prefix
    }

    /// The database pool, for assertions.
    pub fn pool(&self) -> &sqlx::PgPool {
        self.db.pool()
    }

    /// The command for `args` with this site's whole configuration in the environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        for (name, _) in std::env::vars() {
            if name.starts_with("SWITCHYARD_") {
                command.env_remove(name);
            }
        }
        let filter = std::env::var("E2E_LOG").unwrap_or_else(|_| "warn".to_owned());
        command
            .args(args)
            .env("SWITCHYARD_DATABASE_URL", self.db.url())
            .env("SWITCHYARD_KAFKA__BROKERS", &self.brokers)
            .env("SWITCHYARD_KAFKA__TOPIC_PREFIX", &self.prefix)
            .env("SWITCHYARD_KAFKA__GROUP_PREFIX", &self.prefix)
            // A SIGKILLed consumer's partitions move on after this; the usual minimum.
            .env("SWITCHYARD_KAFKA__SESSION_TIMEOUT_MS", "6000")
            .env("SWITCHYARD_ADMIN__LISTEN", "127.0.0.1:0")
            .env("SWITCHYARD_ADMIN__TOKEN", ADMIN_TOKEN)
            .env(
                "SWITCHYARD_SECRETS__ENCRYPTION_KEY",
                secrets::key_base64(secrets::DEFAULT_KEY_BYTE),
            )
            .env(
                "SWITCHYARD_INGRESS__LISTEN",
                format!("127.0.0.1:{}", self.ingress_port),
            )
            .env("SWITCHYARD_INGRESS__ALLOW_PRIVATE_CALLBACK_URLS", "true")
            .env("SWITCHYARD_INGRESS__CONNECTION_CACHE_TTL_MS", "0")
            .env("SWITCHYARD_WORKERS__PUBLIC_BASE_URL", self.ingress_url())
            .env("SWITCHYARD_WORKERS__ALLOW_PRIVATE_PARTNER_URLS", "true")
            // Waiting periods (retry intervals, relay schedule, claim leases) ×0.05: a 60 s
            // lease becomes 3 s, the relay's 30 s first retry 1.5 s.
            .env("SWITCHYARD_WORKERS__TIME_SCALE", "0.05")
            .env("SWITCHYARD_WORKERS__POLL_INTERVAL_MS", "100")
            .env("SWITCHYARD_SHUTDOWN__GRACE_MS", "2000")
            .env("SWITCHYARD_TELEMETRY__FILTER", filter)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command
    }

    /// Starts `switchyard <args>` and waits until it announced its admin listener and, when it
    /// runs the ingress, its ingress (which comes after the database and topics are ready).
    pub fn spawn(&self, args: &[&str]) -> Proc {
        let runs_ingress = matches!(args.first(), Some(&"up") | Some(&"ingress"));
        let mut child = self
            .command(args)
            .spawn()
            .expect("spawn the switchyard binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        // Reads stdout to the end so the child never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut proc = Proc {
            label: format!("{} {}", self.name, args.join(" ")),
            child,
            admin: String::new(),
        };
        let deadline = Instant::now() + START_WITHIN;
        let mut ingress_seen = !runs_ingress;
        while proc.admin.is_empty() || !ingress_seen {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match lines_rx.recv_timeout(left) {
                Ok(line) => line,
                Err(_) => panic!("{} did not announce its listeners in time", proc.label),
            };
            if let Some(address) = line.strip_prefix("switchyard: admin listener on http://") {
                proc.admin = address.trim().to_owned();
            } else if line.starts_with("switchyard: ingress on http://") {
                ingress_seen = true;
            }
        }
        proc
    }

    /// Maps the local `sku_id` to `upstream_sku_id` at the `dujiao_upstream` connection, through
    /// the store (seeding; `POST /admin/v1/mappings` has its own tests in `mappings.rs`).
    pub async fn map_to_upstream(&self, sku_id: i64, connection_id: i64, upstream_sku_id: i64) {
        mappings::set(
            self.pool(),
            sku_id,
            &Fulfiller::DujiaoUpstream {
                connection_id,
                upstream_product_id: None,
                upstream_sku_id,
            },
        )
        .await
        .expect("product mapping");
    }

    /// An operator API client on `proc`'s admin listener.
    pub fn operator(&self, proc: &Proc) -> Operator {
        Operator::new(&proc.admin, ADMIN_TOKEN)
    }
}

/// A running child process; SIGKILLed and reaped on drop.
pub struct Proc {
    label: String,
    child: Child,
    /// The admin listener, `host:port`.
    pub admin: String,
}

impl Proc {
    /// SIGKILL now (no drain), and reap it.
    pub fn kill_hard(&mut self) {
        // `Child::kill` is SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Panics when the process has exited (it should be running).
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited unexpectedly: {status}", self.label);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill_hard();
    }
}
