//! The effective configuration: defaults, then the TOML file, then
//! `MEDSEC_*` environment variables, then flags (clap reads a flag's
//! environment variable itself, so "flag or env" arrives as one value).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use medsec_server::tls::TlsSource;
use serde::{Deserialize, Serialize};

use crate::ServeArgs;

/// Where the data lives; shared by every command.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Directory for the SQLite database, the self-signed certificate and
    /// medsec.toml [default: ./medsec-data].
    #[arg(long, env = "MEDSEC_DATA_DIR", value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database: a postgres:// URL, or an SQLite file [default: DATA_DIR/medsec.db].
    #[arg(long, env = "MEDSEC_DATABASE", value_name = "URL", global = true)]
    pub database: Option<String>,
    /// Config file [default: DATA_DIR/medsec.toml if it exists].
    #[arg(long, env = "MEDSEC_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// The config file's contents; every key is optional.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database: Option<String>,
    listen: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    hostnames: Option<Vec<String>>,
    log_format: Option<String>,
    body_limit: Option<usize>,
    display_offset_minutes: Option<i32>,
    webhook_ca: Option<PathBuf>,
    syslog_tls: Option<SocketAddr>,
    ingest_bind: Option<IpAddr>,
    nats: Option<String>,
    node_role: Option<String>,
    nats_max_bytes: Option<i64>,
    rules: Option<Vec<PathBuf>>,
    rule_pipelines: Option<Vec<PathBuf>>,
    indicators: Option<Vec<PathBuf>>,
    webmon_allow_private: Option<bool>,
}

/// The resolved configuration.
#[derive(Serialize, Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    pub listen: SocketAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    pub hostnames: Vec<String>,
    pub log_format: String,
    pub body_limit: usize,
    pub display_offset_minutes: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_ca: Option<PathBuf>,
    /// The shared syslog-over-TLS listener of watch (off when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub syslog_tls: Option<SocketAddr>,
    /// The address the UDP and TCP log sources' listeners bind to.
    pub ingest_bind: IpAddr,
    /// Multi-node mode: the NATS URL of the ingest bus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nats: Option<String>,
    pub node_role: NodeRole,
    pub nats_max_bytes: i64,
    /// Sigma rule files and directories live detection runs (off when
    /// empty).
    pub rules: Vec<PathBuf>,
    /// Processing pipelines for the rules.
    pub rule_pipelines: Vec<PathBuf>,
    /// Indicator files (STIX 2.1 or CSV) live detection matches.
    pub indicators: Vec<PathBuf>,
    /// Whether web page monitors may reach private, loopback and
    /// link-local addresses.
    pub webmon_allow_private: bool,
}

/// What a node does with logs.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NodeRole {
    /// Receives and indexes (one node, or every node of a small cluster).
    All,
    /// Receives and publishes to the bus.
    Receive,
    /// Consumes the bus into its event store and serves search.
    Index,
}

impl NodeRole {
    fn parse(s: &str) -> Result<NodeRole> {
        match s {
            "all" => Ok(NodeRole::All),
            "receive" => Ok(NodeRole::Receive),
            "index" => Ok(NodeRole::Index),
            other => bail!("node_role must be `all`, `receive` or `index`, not `{other}`"),
        }
    }

    pub fn receives(self) -> bool {
        self != NodeRole::Index
    }

    pub fn indexes(self) -> bool {
        self != NodeRole::Receive
    }
}

const DEFAULT_DATA_DIR: &str = "medsec-data";

fn read_file(store: &StoreArgs) -> Result<FileConfig> {
    let (path, explicit) = match &store.config {
        Some(p) => (p.clone(), true),
        None => (
            store
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
                .join("medsec.toml"),
            false,
        ),
    };
    if !explicit && !path.exists() {
        return Ok(FileConfig::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in the config file {}", path.display()))
}

impl Config {
    /// The configuration of `serve` (and `config`).
    pub fn resolve(args: &ServeArgs) -> Result<Config> {
        let file = read_file(&args.store)?;
        let data_dir = args
            .store
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let log_format = args
            .log_format
            .clone()
            .or(file.log_format)
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            bail!("--log-format must be `text` or `json`, not `{log_format}`");
        }
        let tls_cert = args.tls_cert.clone().or(file.tls_cert);
        let tls_key = args.tls_key.clone().or(file.tls_key);
        if tls_cert.is_some() != tls_key.is_some() {
            bail!("a TLS certificate needs its key: give both tls_cert and tls_key, or neither");
        }
        let body_limit = args.body_limit.or(file.body_limit).unwrap_or(1024 * 1024);
        if !(1024..=512 * 1024 * 1024).contains(&body_limit) {
            bail!("body_limit must be between 1024 bytes and 512 MiB, not {body_limit}");
        }
        let display_offset_minutes = args
            .display_offset_minutes
            .or(file.display_offset_minutes)
            .unwrap_or(9 * 60);
        if !(-14 * 60..=14 * 60).contains(&display_offset_minutes) {
            bail!("display_offset_minutes must be within ±840, not {display_offset_minutes}");
        }
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(medsec_server::default_listen);
        let nats = args.nats.clone().or(file.nats).filter(|u| !u.is_empty());
        let node_role = NodeRole::parse(
            args.node_role
                .as_deref()
                .or(file.node_role.as_deref())
                .unwrap_or("all"),
        )?;
        if nats.is_none() && node_role != NodeRole::All {
            bail!(
                "node_role `{}` needs the ingest bus: give nats (multi-node mode) too",
                args.node_role
                    .as_deref()
                    .or(file.node_role.as_deref())
                    .unwrap_or_default()
            );
        }
        let nats_max_bytes = args
            .nats_max_bytes
            .or(file.nats_max_bytes)
            .unwrap_or(medsec_ingest::bus::DEFAULT_MAX_BYTES);
        if nats_max_bytes < 1024 * 1024 {
            bail!("nats_max_bytes must be at least 1 MiB (1048576), not {nats_max_bytes}");
        }
        let rules = if args.rules.is_empty() {
            file.rules.unwrap_or_default()
        } else {
            args.rules.clone()
        };
        let rule_pipelines = if args.rule_pipelines.is_empty() {
            file.rule_pipelines.unwrap_or_default()
        } else {
            args.rule_pipelines.clone()
        };
        let indicators = if args.indicators.is_empty() {
            file.indicators.unwrap_or_default()
        } else {
            args.indicators.clone()
        };
        Ok(Config {
            webmon_allow_private: args.webmon_allow_private
                || file.webmon_allow_private.unwrap_or(false),
            indicators,
            rules,
            rule_pipelines,
            nats,
            node_role,
            nats_max_bytes,
            data_dir,
            database: args.store.database.clone().or(file.database),
            listen,
            syslog_tls: args.syslog_tls.or(file.syslog_tls),
            ingest_bind: args.ingest_bind.or(file.ingest_bind).unwrap_or(listen.ip()),
            tls_cert,
            tls_key,
            hostnames: if args.hostnames.is_empty() {
                file.hostnames.unwrap_or_default()
            } else {
                args.hostnames.clone()
            },
            log_format,
            body_limit,
            display_offset_minutes,
            webhook_ca: args.webhook_ca.clone().or(file.webhook_ca),
        })
    }

    /// The configuration of commands that only need the database.
    pub fn resolve_store(store: &StoreArgs) -> Result<Config> {
        let args = ServeArgs {
            store: store.clone(),
            listen: None,
            tls_cert: None,
            tls_key: None,
            hostnames: Vec::new(),
            log_format: None,
            body_limit: None,
            display_offset_minutes: None,
            webhook_ca: None,
            syslog_tls: None,
            ingest_bind: None,
            nats: None,
            node_role: None,
            nats_max_bytes: None,
            rules: Vec::new(),
            rule_pipelines: Vec::new(),
            indicators: Vec::new(),
            webmon_allow_private: false,
        };
        Config::resolve(&args)
    }

    pub fn database_location(&self) -> String {
        match &self.database {
            Some(url) => url.clone(),
            None => self.data_dir.join("medsec.db").display().to_string(),
        }
    }

    pub fn tls_source(&self) -> TlsSource {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            _ => TlsSource::SelfSigned {
                data_dir: self.data_dir.clone(),
                hostnames: self.hostnames.clone(),
            },
        }
    }

    /// The configuration as TOML, with the database password hidden.
    pub fn to_toml(&self) -> Result<String> {
        let mut shown = self.clone();
        shown.database = shown.database.map(|d| medsec_store::redact(&d));
        shown.nats = shown.nats.map(|n| medsec_store::redact(&n));
        toml::to_string(&shown).context("formatting the configuration")
    }
}
