//! The service's configuration: one typed struct. Defaults in code, then `switchboard.toml`,
//! then `SWITCHBOARD_*` environment variables (`SWITCHBOARD_JOBS__LEASE_SECONDS=5` sets
//! `jobs.lease_seconds`), then command-line flags; each layer overrides the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Records (SQLite), the vector index, kept uploads.
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub database: DatabaseConfig,
    pub qdrant: QdrantConfig,
    pub llm: LlmConfig,
    pub limits: LimitsConfig,
    pub rate_limit: RateLimitConfig,
    pub login: LoginConfig,
    pub credits: CreditsConfig,
    pub jobs: JobsConfig,
    pub fetch: FetchConfig,
    pub log: LogConfig,
    pub secrets: SecretsConfig,
    pub server: ServerConfig,
    pub channels: ChannelsConfig,
}

/// How the service is reached from outside.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// The base URL the messaging platforms call (`https://inbox.example.com`): each channel's
    /// webhook is `{public_url}/webhooks/{channel_id}`, and Twilio signs that URL. Unset:
    /// `http://{bind}`, which only this machine reaches.
    pub public_url: Option<String>,
    /// The web app's built files (`web/dist`, made by `scripts/build-web.sh`), served under
    /// `/app/`. Unset: no web app, the API alone.
    pub web_dir: Option<std::path::PathBuf>,
}

/// The messaging platforms' APIs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelsConfig {
    /// A platform's API address by channel type, where it is not the platform's own
    /// (`telegram = "http://127.0.0.1:9000"`: a local server that speaks its protocol).
    pub api_base: std::collections::BTreeMap<String, String>,
}

/// The key that seals secrets at rest (channel tokens and signing secrets).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// 32 bytes in base64. Unset: the key in `secrets.key` in the data directory, made at
    /// the first start. Every instance sharing a database needs the same key.
    #[serde(skip_serializing)]
    pub key: Option<Secret>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://...` or `postgres://...`; SQLite in the data directory when unset.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QdrantConfig {
    /// A Qdrant server's gRPC URL; the embedded index in the data directory when unset.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// An OpenAI-compatible API's base URL (up to `/v1`); the extractive answerer when unset.
    pub url: Option<String>,
    pub model: String,
    pub timeout_seconds: u64,
    #[serde(skip_serializing)]
    pub api_key: Option<Secret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// The largest upload accepted, in bytes.
    pub upload_bytes: u64,
    /// The largest JSON request body, in bytes.
    pub request_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Requests per second each credential may sustain...
    pub per_second: f64,
    /// ...and how many it may send at once above that.
    pub burst: u32,
    /// Requests per second the web chat widget takes from one client address (sessions,
    /// messages, typing): a visitor needs no credential, and each message may cost an AI turn.
    pub visitor_per_second: f64,
    /// ...and how many at once above that.
    pub visitor_burst: u32,
}

/// Wrong passwords allowed before sign-in waits: per account, and per client address.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    pub failures_per_account: u32,
    pub failures_per_address: u32,
    /// How long failures are remembered, and how long a locked account or address waits.
    pub window_seconds: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CreditsConfig {
    /// The plan new workspaces start on, and the credits it grants.
    pub plan: String,
    pub allowance: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Ingestion workers in this process.
    pub workers: usize,
    /// Workers answering customers' messages, and as many sending replies.
    pub inbox_workers: usize,
    /// How long a claimed job is a worker's without it renewing its claim.
    pub lease_seconds: u64,
    /// Attempts before a transiently failing job is given up.
    pub max_attempts: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Let URL sources reach private, loopback and link-local addresses. Off in production: a
    /// URL from a user must not reach the service's own neighbours.
    pub allow_private_addresses: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub json: bool,
    /// A tracing filter, e.g. `info` or `switchboard=debug,info`.
    pub level: String,
}

/// A value that is never printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: DatabaseConfig::default(),
            qdrant: QdrantConfig::default(),
            llm: LlmConfig::default(),
            limits: LimitsConfig::default(),
            rate_limit: RateLimitConfig::default(),
            login: LoginConfig::default(),
            credits: CreditsConfig::default(),
            jobs: JobsConfig::default(),
            fetch: FetchConfig::default(),
            log: LogConfig::default(),
            secrets: SecretsConfig::default(),
            server: ServerConfig::default(),
            channels: ChannelsConfig::default(),
        }
    }
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            url: None,
            model: "default".to_string(),
            timeout_seconds: 60,
            api_key: None,
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            upload_bytes: knowledge::Limits::default().max_file_bytes,
            request_bytes: 1024 * 1024,
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_second: 50.0,
            burst: 100,
            visitor_per_second: 1.0,
            visitor_burst: 20,
        }
    }
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            failures_per_account: 5,
            failures_per_address: 20,
            window_seconds: 15 * 60,
        }
    }
}

impl Default for CreditsConfig {
    fn default() -> Self {
        CreditsConfig {
            plan: "starter".to_string(),
            allowance: 10_000,
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 1,
            inbox_workers: 2,
            lease_seconds: 60,
            max_attempts: 5,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            json: false,
            level: "info".to_string(),
        }
    }
}

const ENV_PREFIX: &str = "SWITCHBOARD_";

impl Config {
    /// The key secrets are sealed with: `secrets.key`, else the data directory's key file,
    /// made (readable by this user only) when there is none.
    pub fn secrets_key(&self) -> anyhow::Result<[u8; app::vault::KEY_BYTES]> {
        use base64::Engine;
        use base64::engine::general_purpose::STANDARD;
        let decode = |text: &str, from: &str| -> anyhow::Result<[u8; app::vault::KEY_BYTES]> {
            STANDARD
                .decode(text.trim())
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .with_context(|| format!("{from}: not {} bytes in base64", app::vault::KEY_BYTES))
        };
        if let Some(key) = &self.secrets.key {
            return decode(&key.0, "secrets.key");
        }
        let file = self.data_dir.join("secrets.key");
        if let Ok(text) = std::fs::read_to_string(&file) {
            return decode(&text, &file.display().to_string());
        }
        let key = app::vault::Vault::generate_key()?;
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        use std::io::Write;
        options
            .open(&file)
            .and_then(|mut opened| opened.write_all(STANDARD.encode(key).as_bytes()))
            .with_context(|| format!("writing the secrets key to {}", file.display()))?;
        Ok(key)
    }

    /// Defaults, then the TOML file (when given, or `switchboard.toml` when present), then the
    /// environment.
    pub fn load(
        file: Option<&Path>,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut merged = toml::Table::try_from(Config::default())
            .context("the default configuration does not serialise")?;
        let file = match file {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from("switchboard.toml")).filter(|path| path.exists()),
        };
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("{}", path.display()))?;
            merge(&mut merged, table);
            // Checked on its own so an error names the file, not the environment.
            merged
                .clone()
                .try_into::<Config>()
                .with_context(|| format!("{}", path.display()))?;
        }
        let known: Vec<String> = merged.keys().cloned().collect();
        for (name, value) in environment {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path: Vec<String> = path.split("__").map(str::to_lowercase).collect();
            // Other parts of the binary read their own SWITCHBOARD_ variables (the model).
            if !known.contains(&path[0]) {
                continue;
            }
            set(&mut merged, &path, parse_value(&value));
        }
        merged
            .try_into::<Config>()
            .context("the SWITCHBOARD_ environment variables")
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("records.db").display()
            ),
        }
    }
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(existing)), toml::Value::Table(table)) => {
                merge(existing, table)
            }
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

fn set(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [last] => {
            table.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = entry {
                set(inner, rest, value);
            }
        }
    }
}

/// A number or boolean as TOML reads it; anything else as a string.
fn parse_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut table| table.remove("v"))
        .filter(|value| !value.is_table() && !value.is_array())
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn each_layer_overrides_the_one_before() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchboard.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\n[jobs]\nworkers = 3\nlease_seconds = 30\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            env(&[
                ("SWITCHBOARD_JOBS__LEASE_SECONDS", "5"),
                ("SWITCHBOARD_DATABASE__URL", "postgres://db/records"),
                ("SWITCHBOARD_MODEL", "multilingual-e5-small"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.jobs.workers, 3);
        assert_eq!(config.jobs.lease_seconds, 5);
        assert_eq!(config.database_url(), "postgres://db/records");
        assert_eq!(config.rate_limit.burst, RateLimitConfig::default().burst);
    }

    #[test]
    fn an_unknown_or_mistyped_setting_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchboard.toml");
        std::fs::write(&file, "[jobs]\nworkrs = 3\n").unwrap();
        let error = format!("{:#}", Config::load(Some(&file), env(&[])).unwrap_err());
        assert!(
            error.contains("switchboard.toml") && error.contains("workrs"),
            "{error}"
        );
        let error = format!(
            "{:#}",
            Config::load(None, env(&[("SWITCHBOARD_JOBS__WORKERS", "many")])).unwrap_err()
        );
        assert!(
            error.contains("SWITCHBOARD_") && error.contains("workers"),
            "{error}"
        );
    }

    #[test]
    fn secrets_are_never_printed() {
        let config =
            Config::load(None, env(&[("SWITCHBOARD_LLM__API_KEY", "sk-very-secret")])).unwrap();
        assert!(!format!("{config:?}").contains("sk-very-secret"));
        assert_eq!(config.llm.api_key.unwrap().0, "sk-very-secret");
    }
}
