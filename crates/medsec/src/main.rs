//! The `medsec` command: runs the HTTPS server and the operations around
//! it (first administrator, backup and restore, audit verification).
//!
//! Configuration is read in this order, later sources winning:
//! built-in defaults, the TOML config file, `MEDSEC_*` environment
//! variables, command-line flags.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod alerts;
mod catalog;
mod config;
mod crisis;
mod cvss;
mod detect;
mod device;
mod generate;
mod incidents;
mod indicators;
mod logs;
mod package;
mod postmarket;
mod progress;
mod risk;
mod sustain;
mod threat;
mod webmon;
mod webshell;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use medsec_core::audit::{Action, Outcome};
use medsec_server::clock::SystemClock;
use medsec_server::{AppState, ServerConfig};
use medsec_store::{AuditEntry, OpenOptions, Store};

use config::{Config, StoreArgs};

/// mimalloc instead of glibc's malloc: the server allocates many small,
/// short-lived buffers per request, where glibc spent a sixth of the CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// medsec — cybersecurity of connected medical devices, from design to end of support.
#[derive(Parser)]
#[command(name = "medsec", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTPS server (web UI and API).
    ///
    /// On an empty database it prints a one-time setup link where the first
    /// administrator chooses a password. Without --tls-cert/--tls-key it
    /// creates a self-signed certificate in the data directory on first start
    /// and prints its SHA-256 fingerprint.
    Serve(ServeArgs),
    /// Create the first administrator without the web setup page.
    Init(InitArgs),
    /// Write a consistent, versioned export of all data to FILE (safe while the server runs).
    Backup(FileArgs),
    /// Load a backup into an empty database (SQLite or PostgreSQL).
    Restore(FileArgs),
    /// Audit-log operations.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the effective configuration (after file, environment and flags).
    Config(ServeArgs),
    /// Requirement catalogues: MFDS checklists, KISA guide, IMDRF N60, crosswalk.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Organisations: list, create.
    #[command(subcommand)]
    Org(device::OrgCommand),
    /// Devices: register a device version from its profile, list, applicability.
    #[command(subcommand)]
    Device(device::DeviceCommand),
    /// MFDS checklists of devices: start, list gaps, export.
    #[command(subcommand)]
    Checklist(device::ChecklistCommand),
    /// The offline vulnerability database: import feeds, show what it holds.
    #[command(subcommand)]
    Feeds(sustain::FeedsCommand),
    /// SBOMs: match one against the local vulnerability database.
    #[command(subcommand)]
    Sbom(sustain::SbomCommand),
    /// Releases of a manufacturer's products, with their SBOMs and findings.
    #[command(subcommand)]
    Release(sustain::ReleaseCommand),
    /// VEX: what the manufacturer says about each vulnerability of a release.
    #[command(subcommand)]
    Vex(postmarket::VexCommand),
    /// A hospital's devices and their exposure to vulnerabilities.
    #[command(subcommand)]
    Inventory(postmarket::InventoryCommand),
    /// Alias rules: this component is that purl or CPE, for every product.
    #[command(subcommand)]
    Alias(postmarket::AliasCommand),
    /// Webhooks: HTTPS endpoints told about new findings and shared releases.
    #[command(subcommand)]
    Webhook(postmarket::WebhookCommand),
    /// Security logs of member hospitals (ISAC): import, search, sources.
    #[command(subcommand)]
    Logs(logs::LogsCommand),
    /// Alerts of live detection (ISAC): the queue and detection's state.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// Incidents (ISAC): list, show one, write its report as PDF.
    #[command(subcommand)]
    Incidents(incidents::IncidentsCommand),
    /// The sector crisis level (ISAC): show it with members' progress, set it.
    #[command(subcommand)]
    Crisis(crisis::CrisisCommand),
    /// Threat-intelligence indicators (ISAC): import STIX 2.1 and CSV
    /// files as sources, list, search, remove.
    #[command(subcommand)]
    Indicators(indicators::IndicatorsCommand),
    /// Sigma rules: check that they load.
    #[command(subcommand)]
    Sigma(detect::SigmaCommand),
    /// Run Sigma rules over log files and print the hits as NDJSON
    /// (offline, no server or database).
    Hunt(detect::HuntArgs),
    /// Web page monitoring: check a page offline against a baseline; the
    /// members' monitors (ISAC).
    #[command(subcommand)]
    Webmon(webmon::WebmonCommand),
    /// Webshells: scan web-root files with YARA rules (offline), or send
    /// a member's web root to the ISAC (agent).
    #[command(subcommand)]
    Webshell(webshell::WebshellCommand),
    /// CVSS v2.0, v3.0, v3.1 and v4.0 vectors: version, scores, severities
    /// and the normalised vector (offline); exit status 1 if one is invalid.
    Cvss(cvss::CvssArgs),
    /// Threat models offline from files: a device profile's model as the
    /// IMDRF four-question report, JSON, SVG or Threat Dragon; Threat
    /// Dragon v2 import.
    #[command(subcommand)]
    Threat(threat::ThreatCommand),
    /// The cybersecurity risk register offline from files: first register
    /// from a profile, update, check (exit status 1 on an unaccepted
    /// unacceptable residual risk), rubric answers.
    #[command(subcommand)]
    Risk(risk::RiskCommand),
    /// The premarket submission package offline from files: build the ZIP
    /// (MFDS or FDA 2023 layout, manifest with every file's SHA-256) and
    /// verify one (exit status 1 on any problem).
    #[command(subcommand)]
    Package(package::PackageCommand),
}

#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address and port to listen on [default: 127.0.0.1:8443].
    #[arg(long, env = "MEDSEC_LISTEN", value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain to serve instead of the self-signed one.
    #[arg(
        long,
        env = "MEDSEC_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(
        long,
        env = "MEDSEC_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Extra host name for the self-signed certificate (repeatable).
    #[arg(
        long = "hostname",
        env = "MEDSEC_HOSTNAMES",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub hostnames: Vec<String>,
    /// Log format: `text` or `json` [default: text].
    #[arg(long, env = "MEDSEC_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Largest request body in bytes [default: 1048576].
    #[arg(long, env = "MEDSEC_BODY_LIMIT", value_name = "BYTES")]
    pub body_limit: Option<usize>,
    /// CA certificates (PEM) webhook endpoints must chain to
    /// [default: the system's, /etc/ssl/certs/ca-certificates.crt].
    #[arg(long, env = "MEDSEC_WEBHOOK_CA", value_name = "FILE")]
    pub webhook_ca: Option<PathBuf>,
    /// Offset from UTC of times shown in the UI, in minutes [default: 540, KST].
    #[arg(
        long,
        env = "MEDSEC_DISPLAY_OFFSET_MINUTES",
        value_name = "MINUTES",
        allow_hyphen_values = true
    )]
    pub display_offset_minutes: Option<i32>,
    /// Listen for members' syslog over TLS (RFC 5425) here, e.g.
    /// 0.0.0.0:6514; members are recognised by their client certificates
    /// [default: off].
    #[arg(long, env = "MEDSEC_SYSLOG_TLS", value_name = "ADDR")]
    pub syslog_tls: Option<std::net::SocketAddr>,
    /// Address the UDP and TCP log sources' listeners bind to [default:
    /// the address of --listen].
    #[arg(long, env = "MEDSEC_INGEST_BIND", value_name = "IP")]
    pub ingest_bind: Option<std::net::IpAddr>,
    /// Multi-node mode: the NATS server(s) with JetStream that carry
    /// received events to the indexing nodes, e.g. nats://10.0.0.5:4222
    /// [default: off, one node receives and indexes].
    #[arg(long, env = "MEDSEC_NATS", value_name = "URL")]
    pub nats: Option<String>,
    /// What this node does in multi-node mode: `receive` (log listeners
    /// and HTTP ingest, publishing to the bus), `index` (consumes the bus
    /// into its event store, serves search) or `all` [default: all].
    #[arg(long, env = "MEDSEC_NODE_ROLE", value_name = "ROLE")]
    pub node_role: Option<String>,
    /// Bound of the JetStream stream between receivers and indexers, in
    /// bytes; when full, TCP/TLS/HTTP senders wait and UDP is dropped
    /// (counted) [default: 1073741824].
    #[arg(long, env = "MEDSEC_NATS_MAX_BYTES", value_name = "BYTES")]
    pub nats_max_bytes: Option<i64>,
    /// Sigma rules (files or directories, repeatable) that live detection
    /// evaluates on every stored event, raising alerts [default: none,
    /// detection off]. Rules that cannot be loaded are listed at start.
    #[arg(
        long = "rules",
        env = "MEDSEC_RULES",
        value_delimiter = ',',
        value_name = "PATH"
    )]
    pub rules: Vec<PathBuf>,
    /// pySigma processing pipeline applied to the rules (repeatable).
    #[arg(
        long = "rule-pipeline",
        env = "MEDSEC_RULE_PIPELINES",
        value_delimiter = ',',
        value_name = "FILE"
    )]
    pub rule_pipelines: Vec<PathBuf>,
    /// Threat-intelligence indicators (STIX 2.1 bundles or CSV files,
    /// repeatable) live detection matches on every stored event: IPs,
    /// networks, domains, URLs, hashes, user agents, each until it
    /// expires. Each file is imported at start as the source named after
    /// it (again only when it changed), next to the sources imported with
    /// `medsec indicators import` or on the indicators page.
    #[arg(
        long = "indicators",
        env = "MEDSEC_INDICATORS",
        value_delimiter = ',',
        value_name = "FILE"
    )]
    pub indicators: Vec<PathBuf>,
    /// Let web page monitors reach private, loopback and link-local
    /// addresses (an intranet portal); off, a monitor cannot be pointed at
    /// the ISAC's own network.
    #[arg(long, env = "MEDSEC_WEBMON_ALLOW_PRIVATE")]
    pub webmon_allow_private: bool,
}

#[derive(Args)]
struct InitArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// User ID of the first administrator.
    #[arg(long, value_name = "USER")]
    admin: String,
    /// File holding the administrator's password (first line; `-` for stdin).
    #[arg(long, value_name = "FILE")]
    password_file: PathBuf,
    /// The administrator's display name [default: the user ID].
    #[arg(long, value_name = "NAME")]
    display_name: Option<String>,
    /// Name of the operating organisation.
    #[arg(long, value_name = "NAME", default_value = "medsec operator")]
    org_name: String,
    /// Kind of the operating organisation: manufacturer, hospital, isac, regulator.
    #[arg(long, value_name = "KIND", default_value = "isac")]
    org_kind: String,
}

#[derive(Args)]
struct FileArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The backup file.
    file: PathBuf,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; reports the first record that was altered, removed or reordered.
    Verify(VerifyArgs),
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server, imports and the rest use every core; the SBOM commands
    // run their steps one after the other, and start faster without
    // worker threads (`sbom scan` is timed against `cargo audit`).
    let mut builder = match cli.command {
        Command::Sbom(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        // The reader of our output went away (`medsec … | head`): stop
        // quietly, as other Unix tools do.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Print the whole chain once: what failed and why.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Init(args) => init(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Restore(args) => restore(args).await,
        Command::Audit(AuditCommand::Verify(args)) => verify(args).await,
        Command::Catalog(cmd) => catalog::run(cmd),
        Command::Org(cmd) => device::run_org(cmd).await,
        Command::Device(cmd) => device::run_device(cmd).await,
        Command::Checklist(cmd) => device::run_checklist(cmd).await,
        Command::Feeds(cmd) => sustain::run_feeds(cmd).await,
        Command::Sbom(cmd) => sustain::run_sbom(cmd).await,
        Command::Release(cmd) => sustain::run_release(cmd).await,
        Command::Vex(cmd) => postmarket::run_vex(cmd).await,
        Command::Inventory(cmd) => postmarket::run_inventory(cmd).await,
        Command::Alias(cmd) => postmarket::run_alias(cmd).await,
        Command::Webhook(cmd) => postmarket::run_webhook(cmd).await,
        Command::Logs(cmd) => logs::run(cmd).await,
        Command::Crisis(cmd) => crisis::run(cmd).await,
        Command::Indicators(cmd) => indicators::run(cmd).await,
        Command::Alerts(cmd) => alerts::run(cmd).await,
        Command::Incidents(cmd) => incidents::run(cmd).await,
        Command::Sigma(cmd) => detect::run_sigma(cmd),
        Command::Hunt(args) => detect::hunt(args),
        Command::Webmon(cmd) => webmon::run(cmd).await,
        Command::Webshell(cmd) => webshell::run(cmd).await,
        Command::Cvss(args) => cvss::run(args),
        Command::Threat(cmd) => threat::run(cmd),
        Command::Risk(cmd) => risk::run(cmd),
        Command::Package(cmd) => package::run(cmd),
        Command::Config(args) => {
            let config = Config::resolve(&args)?;
            print!("{}", config.to_toml()?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        // Colours only for a person at a terminal, never in files or pipes.
        use std::io::IsTerminal;
        let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        builder.with_ansi(ansi).init();
    }
}

pub(crate) async fn open_store(config: &Config) -> Result<Store> {
    if config.database.is_none() {
        create_private_dir(&config.data_dir)?;
    }
    let location = config.database_location();
    Store::open(&location, &OpenOptions::default())
        .await
        .with_context(|| format!("opening the database {}", medsec_store::redact(&location)))
}

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting access to {}", dir.display()))?;
    }
    Ok(())
}

pub(crate) async fn app_state(config: &Config, store: Store) -> Result<AppState> {
    let mut sc = ServerConfig::new(config.data_dir.clone());
    sc.body_limit = config.body_limit;
    sc.display_offset_minutes = config.display_offset_minutes;
    sc.webhook_ca = config.webhook_ca.clone();
    sc.webmon_allow_private = config.webmon_allow_private;
    AppState::new(store, Arc::new(SystemClock), sc)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let config = Config::resolve(&args)?;
    init_logging(&config.log_format);
    let started = std::time::Instant::now();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store = open_store(&config).await?;
    let tls =
        medsec_server::tls::load(&config.tls_source()).context("loading the TLS certificate")?;
    let state = app_state(&config, store.clone()).await?;
    let watch_tasks = start_watch(&config, &state, &tls).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let local = listener.local_addr()?;
    let shutdown = shutdown_signal();
    let host = match (
        config.hostnames.first(),
        local.ip().is_unspecified() || local.ip().is_loopback(),
    ) {
        (Some(h), _) => h.clone(),
        (None, true) => "localhost".to_owned(),
        (None, false) => local.ip().to_string(),
    };
    let base = format!("https://{host}:{}", local.port());

    let mut err = std::io::stderr().lock();
    if tls.created {
        writeln!(
            err,
            "Created a self-signed TLS certificate: {}",
            tls.cert_path.display()
        )?;
    }
    writeln!(
        err,
        "TLS certificate SHA-256 fingerprint: {}",
        tls.fingerprint
    )?;
    if let Some(token) = medsec_server::service::issue_setup_token(&state)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
    {
        writeln!(
            err,
            "\nmedsec has no administrator yet. Open this one-time link within 24 hours to set it up:\n\n    {base}/setup?token={token}\n"
        )?;
    }
    writeln!(
        err,
        "medsec {} serving on {base} ({} database, ready in {} ms)",
        env!("CARGO_PKG_VERSION"),
        store.backend().as_str(),
        started.elapsed().as_millis()
    )?;
    drop(err);

    let app = medsec_server::build(state.clone());
    let sweeper = medsec_server::spawn_sweeper(state.clone());
    let webhooks = medsec_server::webhook::spawn_sender(state.clone());
    let webmon = medsec_server::webmon::spawn_scheduler(state);
    medsec_server::serve(app.router, listener, tls.config, shutdown)
        .await
        .context("serving HTTPS")?;
    sweeper.abort();
    webhooks.abort();
    webmon.abort();
    for task in watch_tasks {
        task.abort();
    }
    store.close().await;
    tracing::info!("medsec stopped");
    Ok(ExitCode::SUCCESS)
}

/// Starts watch on this node: on one node (no bus), the event store and
/// the log receivers appending to it; in multi-node mode, the receivers
/// publishing to the bus (`receive`), the indexer consuming it into the
/// event store (`index`), or both (`all`). Then the receivers' upkeep
/// (sources reloaded from the database every few seconds, counts, silence)
/// and, where events are stored, the daily retention.
async fn start_watch(
    config: &Config,
    state: &AppState,
    tls: &medsec_server::tls::Tls,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    use medsec_ingest::EventSink;
    use medsec_ingest::bus::{Bus, BusConfig, JetStreamSink};

    let role = config.node_role;
    let mut tasks = Vec::new();
    let bus = match &config.nats {
        Some(url) => {
            let mut bus_config = BusConfig::new(url.clone());
            bus_config.max_bytes = config.nats_max_bytes;
            let bus = Bus::connect(bus_config)
                .await
                .context("multi-node mode needs the ingest bus")?;
            tracing::info!(
                nats = %medsec_store::redact(url),
                role = ?role,
                "multi-node mode: events travel over NATS JetStream"
            );
            tasks.push(tokio::spawn(
                bus.clone().observe_every(std::time::Duration::from_secs(5)),
            ));
            Some(bus)
        }
        None => None,
    };
    let events = if role.indexes() {
        Some(open_events(config).await?)
    } else {
        None
    };
    // Live detection starts before the receivers, so that it sees every
    // event they store.
    // Indicators in the database start detection as rules do (their
    // files are imported as sources first).
    let stored_indicators = !state.store.indicator_sources().await?.is_empty();
    let detection = match (
        &events,
        config.rules.is_empty() && config.indicators.is_empty() && !stored_indicators,
    ) {
        (Some(events), false) => Some(start_detection(config, state, events.clone()).await?),
        (Some(events), true) => {
            // No rules: nothing consumes the event feed, so the log files
            // it held (from an earlier run with rules) can go.
            let events = events.clone();
            tokio::task::spawn_blocking(move || events.drop_feed()).await??;
            None
        }
        (None, false) => {
            tracing::warn!("rules ignored: live detection runs on the nodes that index");
            None
        }
        (None, true) => None,
    };
    let sink: Arc<dyn EventSink> = match (&bus, &events) {
        (Some(bus), _) => Arc::new(JetStreamSink(bus.clone())),
        (None, Some(events)) => Arc::new(medsec_ingest::sink::LocalSink(events.clone())),
        (None, None) => anyhow::bail!("a receiving node needs the ingest bus (nats)"),
    };
    let ingest = medsec_ingest::Ingest::new(state.store.clone(), sink, config.ingest_bind);
    // An indexing-only node takes HTTP ingest (to the bus) but opens no
    // syslog listeners.
    ingest
        .listen
        .store(role.receives(), std::sync::atomic::Ordering::Relaxed);
    if let Err(e) = ingest.reload().await {
        tracing::error!(error = %e, "loading log sources failed");
    }
    tasks.push(tokio::spawn(
        ingest.clone().maintain(std::time::Duration::from_secs(5)),
    ));
    match config.syslog_tls {
        Some(addr) if role.receives() => {
            let (certs, key) = tls_pems(config, tls)?;
            let server = medsec_ingest::tls::server_config(certs, key, ingest.registry.clone())
                .context("the syslog TLS configuration")?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening for syslog over TLS on {addr}"))?;
            tracing::info!(%addr, "syslog over TLS listening");
            tasks.push(ingest.start_tls(listener, server));
        }
        Some(addr) => {
            tracing::warn!(%addr, "syslog_tls ignored: an indexing node does not receive syslog")
        }
        None => {}
    }
    if let Some(events) = &events {
        if let Some(bus) = &bus {
            tasks.push(tokio::spawn(medsec_ingest::bus::run_indexer(
                bus.clone(),
                events.clone(),
            )));
        }
        tasks.push(tokio::spawn(retention(state.store.clone(), events.clone())));
    }
    let _ = state.watch.set(medsec_server::watch::Watch {
        events,
        ingest,
        bus,
        detection,
    });
    Ok(tasks)
}

/// Loads the rules and starts live detection over the event store.
async fn start_detection(
    config: &Config,
    state: &AppState,
    events: Arc<medsec_events::EventStore>,
) -> Result<Arc<medsec_server::detection::Status>> {
    let (paths, pipelines) = (config.rules.clone(), config.rule_pipelines.clone());
    let rules = tokio::task::spawn_blocking(move || {
        medsec_server::detection::load_rules(&paths, &pipelines)
    })
    .await?
    .context("loading the Sigma rules for live detection")?;
    tracing::info!(
        rules = rules.set.rules.len(),
        correlations = rules.set.correlations.len(),
        filters = rules.set.filters.len(),
        failed = rules.set.failures.len(),
        "live detection: rules loaded"
    );
    // Indicator files are imported as sources named after the files
    // (again only when changed); every indicator of the database is then
    // matched and reloaded when it changes.
    import_indicator_files(state, &config.indicators).await?;
    let live = medsec_server::indicators::Live::load(&state.store)
        .await
        .context("loading the indicators for live detection")?;
    let (status, _thread) = medsec_server::detection::spawn_with(
        state.store.clone(),
        events,
        rules,
        Vec::new(),
        Some(live),
        tokio::runtime::Handle::current(),
    )
    .context("starting live detection")?;
    // Wait until it has opened the event feed, so that the receivers,
    // started next, store nothing it does not see.
    let since = std::time::Instant::now();
    while !status.started.load(std::sync::atomic::Ordering::Acquire) {
        if since.elapsed() > std::time::Duration::from_secs(60) {
            let e = status.last_error.lock().ok().and_then(|e| e.clone());
            anyhow::bail!("live detection did not start: {}", e.unwrap_or_default());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Ok(status)
}

/// Imports `serve --indicators` files (STIX or CSV) as the sources named
/// after the files (their stems), as the ISAC and audited as `serve`; a
/// file whose source already holds exactly its bytes is left alone, so a
/// restart changes nothing and analysts' revocations stay. What a file
/// holds that cannot be matched is logged (and kept with the source).
async fn import_indicator_files(state: &AppState, files: &[PathBuf]) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let isac = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == medsec_core::OrgKind::Isac && o.enabled)
        .context("--indicators needs the ISAC organisation, whose indicators they become")?;
    let by = medsec_server::assure::By {
        org_id: isac.id,
        org_kind: isac.kind,
        user_id: None,
        name: "serve".into(),
        source: "serve".into(),
    };
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let source = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        match medsec_server::indicators::import_file_at_start(&state.store, &by, &source, bytes)
            .await
            .map_err(device::report)
            .with_context(|| format!("indicators in {}", f.display()))?
        {
            Some(r) => {
                tracing::info!(file = %f.display(), source = %source, indicators = r.indicators, replaced = r.replaced, skipped = r.skipped, "indicators imported")
            }
            None => {
                tracing::info!(file = %f.display(), source = %source, "indicators unchanged since the last import")
            }
        }
    }
    Ok(())
}

/// Opens the event store in DATA_DIR/events, replaying its write-ahead
/// log.
async fn open_events(config: &Config) -> Result<Arc<medsec_events::EventStore>> {
    let dir = config.data_dir.join("events");
    let opened = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || {
            medsec_events::EventStore::open(&dir, medsec_events::Config::default())
        })
        .await?
    };
    let events = Arc::new(opened.map_err(|e| match e {
        medsec_events::Error::Locked { .. } => anyhow::anyhow!(
            "the event store {} is in use by another medsec process",
            dir.display()
        ),
        other => {
            anyhow::Error::new(other).context(format!("opening the event store {}", dir.display()))
        }
    })?);
    let report = events.open_report();
    if report.replayed_events > 0 || !report.torn.is_empty() || !report.corrupt.is_empty() {
        tracing::warn!(
            replayed = report.replayed_events,
            torn = report.torn.len(),
            corrupt = report.corrupt.len(),
            "event store recovered its write-ahead log"
        );
    }
    Ok(events)
}

/// The certificate chain and key medsec serves HTTPS with, for the
/// syslog TLS port too.
fn tls_pems(
    config: &Config,
    tls: &medsec_server::tls::Tls,
) -> Result<(
    Vec<rustls_pki_types::CertificateDer<'static>>,
    rustls_pki_types::PrivateKeyDer<'static>,
)> {
    use rustls_pki_types::pem::PemObject;
    let key_path = match (&config.tls_cert, &config.tls_key) {
        (Some(_), Some(key)) => key.clone(),
        _ => config.data_dir.join("tls/key.pem"),
    };
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(&tls.cert_path)
        .with_context(|| format!("reading {}", tls.cert_path.display()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", tls.cert_path.display()))?;
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&key_path)
        .with_context(|| format!("reading {}", key_path.display()))?;
    Ok((certs, key))
}

/// Deletes, every hour, the days of events older than each member's
/// retention.
async fn retention(store: Store, events: Arc<medsec_events::EventStore>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let settings: std::collections::HashMap<String, i64> =
            match store.retention_settings().await {
                Ok(s) => s.into_iter().collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "reading retention settings failed");
                    continue;
                }
            };
        let events = events.clone();
        let now = medsec_core::Timestamp::now().0.saturating_mul(1_000_000);
        let deleted = tokio::task::spawn_blocking(move || {
            events.apply_retention(now, |member| {
                let days = settings
                    .get(member)
                    .copied()
                    .unwrap_or(medsec_store::watch::DEFAULT_RETENTION_DAYS);
                Some(std::time::Duration::from_secs(
                    u64::try_from(days).unwrap_or(0) * 86_400,
                ))
            })
        })
        .await;
        match deleted {
            Ok(Ok(parts)) if !parts.is_empty() => {
                tracing::info!(
                    partitions = parts.len(),
                    "events past their retention deleted"
                )
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "applying retention failed"),
            _ => {}
        }
    }
}

/// Completes on SIGTERM or Ctrl-C. The handlers are installed when this
/// is called, before the server announces itself, so a signal sent right
/// after the announcement is never missed.
fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = term => {},
                () = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

fn read_password(path: &Path) -> Result<String> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_line(&mut s)
            .context("reading the password from standard input")?;
        s
    } else {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the password file {}", path.display()))?
    };
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.is_empty() {
        bail!("the password file {} is empty", path.display());
    }
    Ok(line)
}

pub(crate) fn cli_audit(action: Action) -> AuditEntry {
    AuditEntry {
        at: medsec_core::Timestamp::now(),
        org_id: None,
        actor_id: None,
        actor: "cli".into(),
        source: "cli".into(),
        action,
        outcome: Outcome::Success,
        target_kind: "instance",
        target_id: None,
        details: serde_json::json!({}),
    }
}

async fn init(args: InitArgs) -> Result<ExitCode> {
    let config = Config::resolve_store(&args.store)?;
    let password = read_password(&args.password_file)?;
    let store = open_store(&config).await?;
    if store.user_count().await? > 0 {
        bail!("medsec is already set up: the database has users");
    }
    let state = app_state(&config, store.clone()).await?;
    let input = medsec_server::service::SetupInput {
        org_name: args.org_name,
        org_kind: args.org_kind,
        username: args.admin.clone(),
        display_name: args.display_name.unwrap_or_else(|| args.admin.clone()),
        password: password.clone(),
        password_confirm: password,
    };
    match medsec_server::service::setup(&state, &input, None, "cli").await {
        Ok((org, user)) => {
            println!(
                "Created the operating organisation \"{}\" ({}) and its administrator \"{}\".",
                org.name, org.kind, user.username
            );
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Err(medsec_server::error::Error::Invalid(errors)) => {
            for e in errors {
                let field = match e.field.as_str() {
                    "username" => "--admin",
                    "password" | "password_confirm" => "--password-file",
                    "org_name" => "--org-name",
                    "org_kind" => "--org-kind",
                    "display_name" => "--display-name",
                    other => other,
                };
                eprintln!(
                    "error: {field}: {}",
                    medsec_server::i18n::Lang::En.field_error(&e)
                );
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => bail!("setup failed: {e:?}"),
    }
}

async fn backup(args: FileArgs) -> Result<ExitCode> {
    let config = Config::resolve_store(&args.store)?;
    let store = open_store(&config).await?;
    let details = serde_json::json!({"file": args.file.display().to_string()});
    store
        .audit(cli_audit(Action::BackupCreated).details(details))
        .await?;
    let mut p = progress::Progress::new("backup");
    let summary = store
        .backup(&args.file, |table, n| p.step(table, n))
        .await
        .with_context(|| format!("writing the backup {}", args.file.display()))?;
    p.finish();
    println!(
        "Wrote {} rows of schema version {} to {}:",
        summary.rows(),
        summary.schema_version,
        args.file.display()
    );
    for (t, n) in &summary.tables {
        println!("  {t:<18} {n:>10}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn restore(args: FileArgs) -> Result<ExitCode> {
    let config = Config::resolve_store(&args.store)?;
    let store = open_store(&config).await?;
    let mut p = progress::Progress::new("restore");
    let summary = store
        .restore(&args.file, |table, n| p.step(table, n))
        .await
        .with_context(|| format!("restoring {}", args.file.display()))?;
    p.finish();
    let details =
        serde_json::json!({"file": args.file.display().to_string(), "rows": summary.rows()});
    store
        .audit(cli_audit(Action::BackupRestored).details(details))
        .await?;
    println!(
        "Restored {} rows into the {} database:",
        summary.rows(),
        store.backend().as_str()
    );
    for (t, n) in &summary.tables {
        println!("  {t:<18} {n:>10}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let config = Config::resolve_store(&args.store)?;
    let store = open_store(&config).await?;
    let mut p = progress::Progress::new("verify");
    let mut total = 0u64;
    let v = store
        .verify_audit(|n| {
            total += n;
            p.step("audit_log", total);
        })
        .await?;
    p.finish();
    match v.first_break {
        None => {
            println!(
                "Audit log intact: {} records verified, last record {}.",
                v.checked, v.last_seq
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!(
                "Audit log BROKEN after checking {} records: {b}.",
                v.checked
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
