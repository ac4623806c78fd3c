//! The operator API client that `switchyard admin` and `switchyard procurement` share.
//!
//! Contract: requests go to `--url` (`SWITCHYARD_CLI_URL`; default `http://<admin.listen>`) with
//! `Authorization: Bearer <token>`, the token read from `--token-file` (`SWITCHYARD_CLI_TOKEN_FILE`)
//! or else the configured `admin.token`. Client variables carry the `SWITCHYARD_CLI_` prefix,
//! which the configuration loader reserves and skips, so exporting them never breaks `migrate`,
//! `up` or `config`. A non-2xx answer is an error naming the status and the API's
//! `{error, message}`; the token never appears in output or errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use switchyard_runtime::operator::Problem;
use switchyard_runtime::{ExposeSecret, SecretString};

use crate::settings::Settings;

/// Where the operator API is and how to authenticate (flags of every operator client command).
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Base URL of the operator API [default: http://<admin.listen>].
    #[arg(long, env = "SWITCHYARD_CLI_URL")]
    url: Option<String>,
    /// File holding the admin token, e.g. `.stack/admin.token` written by ./scripts/run.sh
    /// [default: the configured admin.token].
    #[arg(long, env = "SWITCHYARD_CLI_TOKEN_FILE")]
    token_file: Option<PathBuf>,
}

/// One operator API, ready to call.
pub struct OperatorClient {
    base: String,
    token: SecretString,
    http: reqwest::Client,
}

impl OperatorClient {
    /// The client `args` and `settings` describe; fails when no token is available.
    pub fn new(settings: &Settings, args: ClientArgs) -> anyhow::Result<Self> {
        let token = match args.token_file {
            Some(path) => read_token(&path)?,
            None => settings
                .admin
                .token
                .as_ref()
                .map(|token| SecretString::from(token.expose()))
                .context(
                    "no admin token: give --token-file (SWITCHYARD_CLI_TOKEN_FILE) or set admin.token",
                )?,
        };
        let base = args
            .url
            .unwrap_or_else(|| format!("http://{}", settings.admin.listen));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http,
        })
    }

    /// A request to `path` (under the base URL), authenticated.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose_secret())
    }

    /// Sends `request`; the JSON answer (`{"status": N}` when the answer has no body, as for
    /// 204) or an error naming the API's `{error, message}`.
    pub async fn send(&self, request: RequestBuilder) -> anyhow::Result<Value> {
        let response = request
            .send()
            .await
            .with_context(|| format!("calling the operator API at {}", self.base))?;
        let status = response.status();
        let bytes = response.bytes().await.context("reading the answer")?;
        if !status.is_success() {
            match serde_json::from_slice::<Problem>(&bytes) {
                Ok(problem) => bail!(
                    "operator API answered {status}: {}: {}",
                    problem.error,
                    problem.message
                ),
                Err(_) => bail!(
                    "operator API answered {status} without an {{error, message}} body; is {} the admin listener?",
                    self.base
                ),
            }
        }
        if bytes.is_empty() {
            return Ok(serde_json::json!({ "status": status.as_u16() }));
        }
        serde_json::from_slice(&bytes)
            .context("the operator API answered something other than JSON")
    }
}

/// The token in `path`, without the trailing newline `echo` and editors add.
fn read_token(path: &Path) -> anyhow::Result<SecretString> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the admin token file {}", path.display()))?;
    let token = text.trim_end_matches(['\r', '\n']);
    if token.is_empty() {
        bail!("the admin token file {} is empty", path.display());
    }
    Ok(SecretString::from(token))
}
