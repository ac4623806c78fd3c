//! The Kubernetes manifests and the CLI follow the worker registry
//! (`workers/src/registry.rs`): every `args: ["worker", NAME]` is a worker `switchyard worker`
//! accepts, every registered worker has a Deployment and a KEDA object triggered by exactly its
//! topics (a worker that consumes none — only scheduled jobs — has no lag to scale on, and none), `switchyard worker --help` lists each with its description, and every configuration
//! variable the ConfigMap sets is a key the binary knows (an unknown one would stop every pod).

use std::path::Path;
use std::process::Command;

use switchyard_workers::registry::WORKERS;

const BINARY: &str = env!("CARGO_BIN_EXE_switchyard");

fn manifest(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../k8s")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The worker names of the `args: ["worker", NAME]` lines in `k8s/workers.yaml`.
fn deployed_workers() -> Vec<String> {
    manifest("workers.yaml")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("args: [\"worker\", \""))
        .filter_map(|rest| rest.strip_suffix("\"]"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_registered_worker_has_a_deployment() {
    let deployed = deployed_workers();
    for worker in WORKERS {
        assert!(
            deployed.iter().any(|name| name == worker.name),
            "worker `{}` has no Deployment in k8s/workers.yaml",
            worker.name
        );
    }
}

#[test]
fn every_worker_scales_on_the_lag_of_exactly_its_topics() {
    let autoscaling = manifest("autoscaling.yaml");
    for worker in WORKERS {
        let name = format!("name: switchyard-{}", worker.name);
        if worker.topics().is_empty() {
            let scaled = autoscaling
                .split("\n---")
                .any(|doc| doc.contains("kind: ScaledObject") && doc.contains(&name));
            assert!(
                !scaled,
                "`{}` consumes no topic: no lag to scale on",
                worker.name
            );
            continue;
        }
        let object = autoscaling
            .split("\n---")
            .find(|doc| doc.contains("kind: ScaledObject") && doc.contains(&name))
            .unwrap_or_else(|| panic!("no ScaledObject for worker `{}`", worker.name));
        let mut triggered: Vec<&str> = object
            .lines()
            .filter_map(|line| line.trim().strip_prefix("topic: "))
            .collect();
        triggered.sort_unstable();
        let mut consumed = worker.topics();
        consumed.sort_unstable();
        assert_eq!(triggered, consumed, "KEDA triggers of `{}`", worker.name);
        let group = format!("consumerGroup: switchyard.{}", worker.name);
        assert!(object
            .lines()
            .filter(|l| l.contains("consumerGroup:"))
            .all(|l| l.trim() == group));
    }
}

#[test]
fn worker_help_lists_every_registered_worker() {
    let output = Command::new(BINARY)
        .args(["worker", "--help"])
        .output()
        .expect("run switchyard");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for worker in WORKERS {
        assert!(
            help.contains(worker.name) && help.contains(worker.description),
            "`switchyard worker --help` does not list {}:\n{help}",
            worker.name
        );
    }
    let refused = Command::new(BINARY)
        .args(["worker", "no-such-worker"])
        .output()
        .expect("run switchyard");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("procurer"));
}

#[test]
fn every_worker_deployment_names_a_real_worker() {
    let names = deployed_workers();
    assert!(!names.is_empty(), "no worker deployments found");
    for name in names {
        let output = Command::new(BINARY)
            .args(["worker", name.as_str(), "--help"])
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
