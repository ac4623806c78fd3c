//! Schema evolution: every `.avsc` must stay readable-compatible with each version committed
//! before — a reader with the new schema must read data written with any older one — so a
//! change that would break consumers of retained data fails CI.

use std::process::Command;

use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::Schema;
use switchyard_topics::catalogue;

fn git(args: &[&str]) -> Option<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn every_schema_is_backward_compatible_with_its_committed_history() {
    if git(&["rev-parse", "--git-dir"]).is_none() {
        println!("note: git unavailable; schema history not checked");
        return;
    }
    let mut compared = 0;
    for spec in catalogue::ALL {
        let current = Schema::parse_str(spec.schema).unwrap();
        let path = format!("avro/{}.avsc", spec.name);
        let commits = git(&["log", "--format=%H", "--", &path]).unwrap_or_default();
        for commit in commits.lines() {
            let Some(old_text) = git(&["show", &format!("{commit}:{path}")]) else {
                continue;
            };
            let old = Schema::parse_str(&old_text)
                .unwrap_or_else(|e| panic!("{path} at {commit} does not parse: {e}"));
            if let Err(error) = SchemaCompatibility::can_read(&old, &current) {
                panic!("{path}: data written with the version of {commit} cannot be read: {error}");
            }
            compared += 1;
        }
    }
    println!("compared {compared} committed schema versions");
}

#[test]
fn the_compatibility_check_rejects_a_breaking_change() {
    let old = Schema::parse_str(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#,
    )
    .unwrap();
    let added_without_default = Schema::parse_str(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"long"}]}"#,
    )
    .unwrap();
    let added_with_default = Schema::parse_str(
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":["null","long"],"default":null}]}"#,
    )
    .unwrap();
    assert!(SchemaCompatibility::can_read(&old, &added_without_default).is_err());
    assert!(SchemaCompatibility::can_read(&old, &added_with_default).is_ok());
}
