use std::io::Write;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Sample {
    name: String,
    port: u16,
    nested: Nested,
    database: Db,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Nested {
    tiers: Vec<u64>,
    enabled: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Db {
    url: Option<SecretString>,
}

impl Default for Sample {
    fn default() -> Self {
        Self {
            name: "default".into(),
            port: 8080,
            nested: Nested::default(),
            database: Db::default(),
        }
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn defaults_then_file_then_environment() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        file,
        "name = \"from-file\"\nport = 9000\n[nested]\ntiers = [1, 2]"
    )
    .unwrap();

    let only_defaults: Sample = load_from(None, env(&[])).unwrap();
    assert_eq!(only_defaults.name, "default");
    assert_eq!(only_defaults.port, 8080);

    let with_file: Sample = load_from(Some(file.path()), env(&[])).unwrap();
    assert_eq!(with_file.name, "from-file");
    assert_eq!(with_file.port, 9000);
    assert_eq!(with_file.nested.tiers, vec![1, 2]);

    let with_env: Sample = load_from(
        Some(file.path()),
        env(&[
            ("SWITCHYARD_PORT", "9100"),
            ("SWITCHYARD_NESTED__ENABLED", "true"),
            ("SWITCHYARD_NESTED__TIERS", "[5, 6, 7]"),
            ("SWITCHYARD_DATABASE_URL", "postgres://u:hunter2@db/x"),
            ("UNRELATED", "ignored"),
        ]),
    )
    .unwrap();
    assert_eq!(with_env.name, "from-file", "file value kept");
    assert_eq!(with_env.port, 9100, "environment overrides file");
    assert!(with_env.nested.enabled);
    assert_eq!(with_env.nested.tiers, vec![5, 6, 7]);
    let url = with_env.database.url.as_ref().unwrap();
    assert_eq!(url.expose_secret(), "postgres://u:hunter2@db/x");
}

#[test]
fn unknown_key_in_environment_is_an_error_naming_it() {
    let error = load_from::<Sample>(None, env(&[("SWITCHYARD_NESTED__ENABLD", "true")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("`nested.enabld`"), "{error}");
    assert!(
        error.contains("environment variable SWITCHYARD_NESTED__ENABLD"),
        "names the variable: {error}"
    );
    assert!(!error.contains('\n'), "one line: {error}");
}

#[test]
fn unknown_key_in_file_is_an_error_naming_it() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "prot = 1").unwrap();
    let error = load_from::<Sample>(Some(file.path()), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("`prot`"), "{error}");
    assert!(error.contains("TOML file"), "names the file: {error}");
}

#[test]
fn bad_value_is_an_error_naming_the_key() {
    let error = load_from::<Sample>(None, env(&[("SWITCHYARD_PORT", "eighty")]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("port"), "{error}");
}

#[test]
fn missing_file_is_an_error() {
    let error = load_from::<Sample>(Some(Path::new("/nonexistent/switchyard.toml")), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(error.contains("does not exist"), "{error}");
}

#[test]
fn test_and_config_variables_are_not_keys() {
    let loaded: Sample = load_from(
        None,
        env(&[
            ("SWITCHYARD_TEST_BROKER", "127.0.0.1:1"),
            ("SWITCHYARD_CONFIG", "/etc/switchyard.toml"),
        ]),
    )
    .unwrap();
    assert_eq!(loaded.port, 8080);
}

#[test]
fn client_variables_are_not_keys() {
    let loaded: Sample = load_from(
        None,
        env(&[
            ("SWITCHYARD_CLI_URL", "http://127.0.0.1:9464"),
            ("SWITCHYARD_CLI_TOKEN_FILE", "/tmp/admin.token"),
            ("SWITCHYARD_CLI_ANYTHING__NESTED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(loaded.port, 8080);
}

#[test]
fn secrets_do_not_print() {
    let loaded: Sample = load_from(
        None,
        env(&[("SWITCHYARD_DATABASE_URL", "postgres://u:hunter2@db/x")]),
    )
    .unwrap();
    let debug = format!("{loaded:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
}
