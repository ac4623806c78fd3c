//! One `switchyard` process outside any [`super::Site`]: a clean configuration environment
//! (every inherited `SWITCHYARD_…` variable removed), listeners on port 0, a fixed test key.
//! Start-up and operator API tests start it with whatever dependencies they need, or none.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::BINARY;

/// A running `switchyard` process, killed on drop so no test leaves one behind.
pub struct Running {
    /// The child process.
    pub child: Child,
    /// `host:port` of its admin listener.
    pub admin: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary with a clean configuration environment and listeners on port 0.
pub fn base_command() -> Command {
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHYARD_") {
            command.env_remove(name);
        }
    }
    command
        .env("SWITCHYARD_ADMIN__LISTEN", "127.0.0.1:0")
        .env("SWITCHYARD_INGRESS__LISTEN", "127.0.0.1:0")
        .env("SWITCHYARD_TELEMETRY__FILTER", "warn")
        // A fixed test key (32 bytes of 0x07, base64): never a production secret.
        .env(
            "SWITCHYARD_SECRETS__ENCRYPTION_KEY",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
        );
    command
}

/// Starts `switchyard up` and waits for the line announcing the admin listener.
pub fn start_up(command: Command) -> Running {
    start_role(command, &["up"])
}

/// Starts `switchyard ROLE…` (`up`, `ingress`, `worker NAME`) and waits for the line announcing
/// the admin listener.
pub fn start_role(mut command: Command, role: &[&str]) -> Running {
    let mut child = command
        .args(role)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn switchyard");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let admin = loop {
        let line = lines
            .next()
            .expect("switchyard exited before announcing its admin listener")
            .expect("read stdout");
        if let Some(address) = line.strip_prefix("switchyard: admin listener on http://") {
            break address.trim().to_owned();
        }
    };
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Running { child, admin }
}

/// Runs `command` to its exit, or panics (after killing it) when it still runs after `within`:
/// a process that should refuse to start must not hang a test when it starts instead.
pub fn exits_within(mut command: Command, within: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn switchyard");
    let deadline = Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("switchyard still running after {within:?}: it did not refuse to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut stdout).expect("read stdout");
    }
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_end(&mut stderr).expect("read stderr");
    }
    Output {
        status,
        stdout,
        stderr,
    }
}
