//! The Kubernetes manifests name only roles the binary has: every `args: ["worker", NAME]` is a
//! worker `switchyard worker` accepts, and every configuration variable the ConfigMap sets is a
//! key the binary knows (an unknown one would stop every pod at start-up).

use std::path::Path;
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_switchyard");

fn manifest(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../k8s")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_worker_deployment_names_a_real_worker() {
    let workers = manifest("workers.yaml");
    let names: Vec<&str> = workers
        .lines()
        .filter_map(|line| line.trim().strip_prefix("args: [\"worker\", \""))
        .filter_map(|rest| rest.strip_suffix("\"]"))
        .collect();
    assert!(!names.is_empty(), "no worker deployments found");
    for name in names {
        let output = Command::new(BINARY)
            .args(["worker", name, "--help"])
            .output()
            .expect("run switchyard");
        assert!(
            output.status.success(),
            "`switchyard worker {name}` is not a worker"
        );
    }
}

#[test]
fn the_configmap_sets_only_known_keys() {
    let configmap = manifest("configmap.yaml");
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars() {
        if name.starts_with("SWITCHYARD_") {
            command.env_remove(name);
        }
    }
    for line in configmap.lines() {
        let Some((key, value)) = line.trim().split_once(": ") else {
            continue;
        };
        if key.starts_with("SWITCHYARD_") {
            command.env(key, value.trim_matches('"'));
        }
    }
    let output = command.arg("config").output().expect("run switchyard");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
