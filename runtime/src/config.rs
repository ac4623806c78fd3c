//! Layered, strict configuration: built-in defaults → optional TOML file → `SWITCHYARD_…`
//! environment variables.
//!
//! Nested keys use `__` in the environment (`SWITCHYARD_KAFKA__BROKERS` sets `kafka.brokers`);
//! `SWITCHYARD_DATABASE_URL` is the conventional alias of `database.url`. Not configuration keys,
//! and skipped here: `SWITCHYARD_CONFIG` (the file path), `SWITCHYARD_TEST_…` (test set-up) and
//! `SWITCHYARD_CLI_…` ([`CLIENT_ENV_PREFIX`]: what the operator clients `switchyard admin` and
//! `switchyard procurement` read, e.g. `SWITCHYARD_CLI_URL`), so exporting a client variable
//! never makes the strict loader refuse an unknown key.
//! Every section is `deny_unknown_fields`, so a misspelt key stops start-up with one line naming it.

use std::path::Path;

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map};
use figment::{Figment, Metadata, Profile, Provider};
use serde::de::DeserializeOwned;

/// Prefix of every configuration environment variable.
pub const ENV_PREFIX: &str = "SWITCHYARD_";

/// Prefix reserved for the command-line clients' own variables; never a configuration key.
pub const CLIENT_ENV_PREFIX: &str = "SWITCHYARD_CLI_";

/// A configuration that could not be loaded; `Display` is one line naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// A validation failure found after parsing (e.g. a value out of range).
    pub fn invalid(key: &str, reason: impl std::fmt::Display) -> Self {
        Self(format!("`{key}`: {reason}"))
    }
}

/// Loads `T` from its defaults, then `file` when given, then the process environment.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: DeserializeOwned,
{
    load_from(file, std::env::vars())
}

/// Same as [`load`], with the environment given explicitly (tests use this).
pub fn load_from<T>(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, ConfigError>
where
    T: DeserializeOwned,
{
    // Defaults come from the types themselves (`#[serde(default)]` on every section), so a
    // secret's default never has to be serialised.
    let mut figment = Figment::new();
    if let Some(path) = file {
        if !path.exists() {
            return Err(ConfigError(format!(
                "configuration file {} does not exist",
                path.display()
            )));
        }
        figment = figment.merge(Toml::file(path));
    }
    let mut variables: Vec<EnvVariable> = env
        .into_iter()
        .filter_map(|(name, value)| {
            let key = env_key(&name)?;
            Some(EnvVariable { name, key, value })
        })
        .collect();
    // Deterministic layering when two variables set the same key.
    variables.sort_by(|a, b| a.name.cmp(&b.name));
    for variable in variables {
        figment = figment.merge(variable);
    }
    figment
        .extract()
        .map_err(|error| ConfigError(one_line(&error)))
}

/// One `SWITCHYARD_…` variable as a figment provider, so errors name the variable.
struct EnvVariable {
    name: String,
    key: String,
    value: String,
}

impl Provider for EnvVariable {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("environment variable {}", self.name))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let dict = figment::util::nest(&self.key, parse_env_value(&self.value))
            .into_dict()
            .unwrap_or_default();
        Ok(Profile::Default.collect(dict))
    }
}

/// Maps an environment variable name to a dotted configuration key, or `None` when the variable
/// is not configuration.
fn env_key(name: &str) -> Option<String> {
    if name.starts_with(CLIENT_ENV_PREFIX) {
        return None;
    }
    let rest = name.strip_prefix(ENV_PREFIX)?;
    if rest == "CONFIG" || rest.starts_with("TEST_") || rest.is_empty() {
        return None;
    }
    if rest == "DATABASE_URL" {
        return Some("database.url".to_owned());
    }
    Some(rest.to_ascii_lowercase().replace("__", "."))
}

/// Environment values are typed like TOML scalars (numbers, booleans, arrays) when they parse as
/// such, otherwise they are strings, as `figment::providers::Env` does.
fn parse_env_value(value: &str) -> figment::value::Value {
    value
        .parse::<figment::value::Value>()
        .unwrap_or_else(|_| figment::value::Value::from(value.to_owned()))
}

/// `key.path: what is wrong (from where)` for the first error.
fn one_line(error: &figment::Error) -> String {
    let Some(first) = error.clone().into_iter().next() else {
        return error.to_string().replace('\n', " ");
    };
    let source = first
        .metadata
        .as_ref()
        .map(|metadata| format!(" (from {})", metadata.name))
        .unwrap_or_default();
    let key = first.path.join(".");
    let kind = first.kind.to_string().replace('\n', " ");
    if key.is_empty() {
        format!("{kind}{source}")
    } else {
        format!("`{key}`: {kind}{source}")
    }
}

#[cfg(test)]
mod tests;
