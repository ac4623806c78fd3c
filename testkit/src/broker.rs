//! Real Kafka brokers for tests.
//!
//! Contract: [`unique_prefix`] gives a topic/group prefix no other test uses, so tests can share
//! one broker. [`shared_broker`] returns the bootstrap address of the broker named by
//! `SWITCHYARD_TEST_BROKER`, or of a private tansu broker spawned once per test binary.
//! [`TansuBroker::spawn`] starts a broker of its own on a free loopback port (for tests that
//! stop and restart it); [`TansuBroker::stop`] / [`TansuBroker::restart`] keep port and storage.
//!
//! No process outlives its test: tansu runs under a tiny `sh` watchdog whose stdin is a pipe
//! held by this process; when the pipe closes (drop, stop, or the test process dying, even by
//! SIGKILL) the watchdog kills tansu.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;

/// Environment variable naming an already running broker (`host:port`) to share.
pub const BROKER_ENV: &str = "SWITCHYARD_TEST_BROKER";
/// Environment variable overriding the tansu executable.
pub const TANSU_ENV: &str = "SWITCHYARD_TANSU";

/// A prefix unique to this call, e.g. `t3f9a0c1d2e4b.`; use it for topics and consumer groups.
pub fn unique_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t{}.", &id[..12])
}

/// Where a spawned tansu keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// In memory: fastest; lost when the broker stops.
    Memory,
    /// SQLite file in a temporary directory: survives [`TansuBroker::restart`].
    Sqlite,
}

/// A tansu broker process owned by a test; killed on drop.
pub struct TansuBroker {
    watchdog: Option<(Child, ChildStdin)>,
    port: u16,
    storage: Storage,
    data_dir: tempfile::TempDir,
    bootstrap: String,
}

impl TansuBroker {
    /// Starts tansu on a free loopback port and waits until it answers a metadata request.
    pub fn spawn(storage: Storage) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut broker = Self {
            watchdog: None,
            port,
            storage,
            data_dir: tempfile::tempdir().context("temporary directory for tansu")?,
            bootstrap: format!("127.0.0.1:{port}"),
        };
        broker.start()?;
        Ok(broker)
    }

    /// Bootstrap address, `127.0.0.1:<port>`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Kills the broker (SIGKILL: nothing is flushed beyond what the storage already has).
    pub fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.watchdog.take() {
            // Closing the pipe makes the watchdog kill tansu and exit.
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// Stops (if running) and starts again on the same port with the same storage.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.start()
    }

    fn start(&mut self) -> anyhow::Result<()> {
        let tansu = tansu_executable()?;
        let engine = match self.storage {
            Storage::Memory => "memory://tansu/".to_owned(),
            // Relative to the working directory, which is the temporary data directory.
            Storage::Sqlite => "sqlite://tansu.db".to_owned(),
        };
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let script = r#""$0" broker --storage-engine "$1" --listener-url "$2" --advertised-listener-url "$2" >tansu.log 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null' EXIT
read -r _ignored
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null"#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&tansu)
            .arg(&engine)
            .arg(&url)
            .current_dir(self.data_dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("spawning {}", tansu.display()))?;
        let stdin = child.stdin.take().context("watchdog stdin")?;
        self.watchdog = Some((child, stdin));
        if let Err(error) = wait_for_metadata(&self.bootstrap, Duration::from_secs(30)) {
            let log =
                std::fs::read_to_string(self.data_dir.path().join("tansu.log")).unwrap_or_default();
            self.stop();
            bail!(
                "tansu on {} did not come up: {error:#}\n{log}",
                self.bootstrap
            );
        }
        Ok(())
    }
}

impl Drop for TansuBroker {
    fn drop(&mut self) {
        if let Some((_, stdin)) = self.watchdog.as_mut() {
            let _ = stdin.write_all(b"stop\n");
        }
        self.stop();
    }
}

/// Bootstrap address of the broker shared by all tests of this binary.
///
/// `SWITCHYARD_TEST_BROKER` when set; otherwise a private in-memory tansu started on first use
/// and killed when the test binary exits.
pub fn shared_broker() -> anyhow::Result<String> {
    if let Ok(address) = std::env::var(BROKER_ENV) {
        if !address.trim().is_empty() {
            return Ok(address.trim().to_owned());
        }
    }
    static PRIVATE: OnceLock<Result<TansuBroker, String>> = OnceLock::new();
    match PRIVATE.get_or_init(|| TansuBroker::spawn(Storage::Memory).map_err(|e| format!("{e:#}")))
    {
        Ok(broker) => Ok(broker.bootstrap().to_owned()),
        Err(error) => bail!("no shared broker: {error}"),
    }
}

/// Waits until a broker at `bootstrap` answers a metadata request.
pub fn wait_for_metadata(bootstrap: &str, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    let client: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "0")
        .create()
        .context("metadata client")?;
    loop {
        match client.fetch_metadata(None, Duration::from_millis(500)) {
            Ok(metadata) if !metadata.brokers().is_empty() => return Ok(()),
            Ok(_) | Err(_) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(_) => bail!("metadata lists no broker"),
            Err(error) => return Err(error).context("metadata request"),
        }
    }
}

fn tansu_executable() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var(TANSU_ENV) {
        return Ok(PathBuf::from(path));
    }
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("tansu"))
                .collect()
        })
        .unwrap_or_default();
    let home = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin/tansu"));
    on_path
        .into_iter()
        .chain(home)
        .find(|candidate| candidate.is_file())
        .context(
            "tansu not found: install it (README, \"The two commands\") or set SWITCHYARD_TANSU",
        )
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
