//! `medsec logs`: the ISAC's log collection on the command line: import
//! files into a member's events, search them, and set up and list the
//! members' sources. Acts on the local database and event store as the
//! machine's operator (the ISAC organisation), through the same
//! `medsec_server::watch` functions as the UI and API.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use medsec_core::{OrgKind, Timestamp};
use medsec_server::assure::By;
use medsec_server::watch;
use medsec_store::Store;
use medsec_store::watch::{IngestDelta, IngestErrorRow, MemberScope};

use crate::config::{Config, StoreArgs};
use crate::device::report;
use crate::progress::Progress;

#[derive(Subcommand)]
pub enum LogsCommand {
    /// Import log files into a member's events (syslog, CEF, LEEF, JSON
    /// lines, Suricata EVE, nginx/Apache/IIS access logs, firewall
    /// key=value and CSV logs; `.gz` files are read compressed). The
    /// server must not be running on the same data directory.
    Import(ImportArgs),
    /// Search the stored events (query syntax: docs/search.md).
    Search(SearchArgs),
    /// Retro-hunt: run Sigma rules over the stored events of a time range,
    /// oldest first, and print the hits as NDJSON (as `medsec hunt` does
    /// for files; docs/detection.md).
    Hunt(HuntArgs),
    /// Members' log sources.
    #[command(subcommand)]
    Source(SourceCommand),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The member hospital (name or id) the events belong to.
    #[arg(long)]
    member: String,
    /// The member's file source the events are counted under (created
    /// on first use).
    #[arg(long, default_value = "file-import")]
    source: String,
    /// The files' format: auto, rfc5424, rfc3164, cef, leef, json, nginx,
    /// apache, iis, suricata, fortigate, kv, paloalto, windows-json, or an
    /// active decoder's name.
    #[arg(long, default_value = "auto")]
    format: String,
    /// The files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Table,
    Ndjson,
    Csv,
}

/// Which stored events a search or a hunt covers.
#[derive(Args)]
pub struct SelectionArgs {
    /// The query (docs/search.md); empty for every event.
    #[arg(default_value = "")]
    query: String,
    /// Only this member's events (name or id).
    #[arg(long)]
    member: Option<String>,
    /// RFC 3339 start [default: 24 hours before --to].
    #[arg(long)]
    from: Option<String>,
    /// RFC 3339 end, exclusive [default: now].
    #[arg(long)]
    to: Option<String>,
}

#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Events to print at most (newest first; csv and ndjson print every
    /// match, oldest first, when --limit is 0).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
}

#[derive(Args)]
pub struct HuntArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Rule files and directories (repeatable).
    #[arg(long = "rules", required = true, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Processing pipelines (pySigma YAML) applied to every rule first.
    #[arg(long = "pipeline", value_name = "FILE")]
    pipelines: Vec<PathBuf>,
    #[command(flatten)]
    selection: SelectionArgs,
    /// Every rule on every event, whatever its log source.
    #[arg(long)]
    all_rules: bool,
    /// Leave the event out of the printed hits.
    #[arg(long)]
    no_event: bool,
}

#[derive(Subcommand)]
pub enum SourceCommand {
    /// Set up a member's source; for `http` prints the token once.
    Add(SourceAddArgs),
    /// The sources with today's counts.
    List(SourceListArgs),
}

#[derive(Args)]
pub struct SourceAddArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    member: String,
    #[arg(long)]
    name: String,
    /// udp, tcp, tls, http or file.
    #[arg(long)]
    transport: String,
    /// The listener port (udp, tcp).
    #[arg(long)]
    port: Option<u16>,
    #[arg(long, default_value = "auto")]
    format: String,
    /// The member's client certificate, PEM (tls).
    #[arg(long)]
    certificate: Option<PathBuf>,
    /// Minutes without events before the source is reported silent (0 = never).
    #[arg(long, default_value_t = 60)]
    silent_after: i64,
}

#[derive(Args)]
pub struct SourceListArgs {
    #[command(flatten)]
    store: StoreArgs,
}

/// The store and the ISAC organisation the operator acts as.
async fn open(store: &StoreArgs) -> Result<(Config, Store, By)> {
    let config = Config::resolve_store(store)?;
    let store = crate::open_store(&config).await?;
    let isac = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Isac && o.enabled)
        .context("there is no ISAC organisation; watch commands act as the ISAC (create one with `medsec org create --kind isac`)")?;
    let by = By {
        org_id: isac.id,
        org_kind: isac.kind,
        user_id: None,
        name: "cli".into(),
        source: "cli".into(),
    };
    Ok((config, store, by))
}

fn open_events(config: &Config) -> Result<medsec_events::EventStore> {
    let dir = config.data_dir.join("events");
    medsec_events::EventStore::open(&dir, medsec_events::Config::default()).map_err(|e| match e {
        medsec_events::Error::Locked { .. } => anyhow::anyhow!(
            "the event store {} is in use by a running `medsec serve`: send the logs to its API (POST /api/v1/ingest) or stop it first",
            dir.display()
        ),
        other => anyhow::Error::new(other).context(format!("opening the event store {}", dir.display())),
    })
}

pub async fn run(cmd: LogsCommand) -> Result<ExitCode> {
    match cmd {
        LogsCommand::Import(args) => import(args).await,
        LogsCommand::Search(args) => search(args).await,
        LogsCommand::Hunt(args) => hunt(args).await,
        LogsCommand::Source(SourceCommand::Add(args)) => source_add(args).await,
        LogsCommand::Source(SourceCommand::List(args)) => source_list(args).await,
    }
}

/// Events appended at once.
const BATCH: usize = 8192;

/// Error samples kept per import.
const SAMPLES: usize = 5;

async fn import(args: ImportArgs) -> Result<ExitCode> {
    let (config, store, by) = open(&args.store).await?;
    let member = watch::member(&store, &args.member).await.map_err(report)?;
    watch::check_format(&store, &args.format)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "unknown format {:?}: a built-in format or an active decoder",
                args.format
            )
        })?;
    let source = watch::file_source(&store, &by, &member.id, &args.source, &args.format)
        .await
        .map_err(|e| match e {
            medsec_server::error::Error::Conflict { .. } => anyhow::anyhow!(
                "{} already has a source named {:?} that is not a file source",
                member.name,
                args.source
            ),
            other => report(other),
        })?;
    let rules = store.masking_rules(MemberScope::Member(&member.id)).await?;
    let masker =
        Arc::new(medsec_ingest::decode::masker(&rules).map_err(|e| anyhow::anyhow!("{e}"))?);
    let (decoders, problems) = medsec_ingest::decode::compile_decoders(&store.decoders().await?);
    for p in problems {
        writeln!(std::io::stderr(), "warning: {p}")?;
    }
    let decoders = Arc::new(decoders);
    let format: medsec_logs::normalize::Format = args
        .format
        .parse()
        .unwrap_or(medsec_logs::normalize::Format::Auto);
    let events = open_events(&config)?;
    let started = Instant::now();
    let mut progress = Progress::new("import");
    let (mut lines, mut stored, mut duplicates, mut bad, mut bytes) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut samples: Vec<(String, u64, String, String)> = Vec::new();
    let received = Timestamp::now().0.saturating_mul(1_000_000);
    let mut out = std::io::stderr().lock();
    for file in &args.files {
        let name = file.display().to_string();
        let reader: Box<dyn BufRead> = if name == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let f = std::fs::File::open(file).with_context(|| format!("opening {name}"))?;
            if name.ends_with(".gz") {
                Box::new(BufReader::new(flate2::read::GzDecoder::new(f)))
            } else {
                Box::new(BufReader::with_capacity(256 * 1024, f))
            }
        };
        let cfg = medsec_logs::normalize::SourceConfig::new(
            member.id.clone(),
            source.id.clone(),
            format.clone(),
        );
        let mut import = medsec_logs::import::Import::new(
            reader,
            cfg,
            decoders.clone(),
            masker.clone(),
            received,
        )
        .with_context(|| format!("reading {name}"))?;
        let detected = import.format().to_string();
        let mut batch = Vec::with_capacity(BATCH);
        let mut file_lines = 0u64;
        for item in import.by_ref() {
            let item = item.with_context(|| format!("reading {name} after line {}", file_lines))?;
            file_lines = item.line;
            if let medsec_logs::normalize::Outcome::Event { event, error } = item.outcome {
                if let Some(e) = error {
                    bad += 1;
                    if samples.len() < SAMPLES {
                        samples.push((
                            name.clone(),
                            item.line,
                            e.to_string(),
                            event.raw.chars().take(200).collect(),
                        ));
                    }
                }
                bytes += event.raw.len() as u64;
                batch.push(event);
            }
            if batch.len() == BATCH {
                let receipt = events
                    .append(std::mem::take(&mut batch))
                    .context("storing events")?;
                stored += receipt.stored as u64;
                duplicates += receipt.duplicates as u64;
                progress.step(&name, file_lines);
            }
        }
        if !batch.is_empty() {
            let receipt = events.append(batch).context("storing events")?;
            stored += receipt.stored as u64;
            duplicates += receipt.duplicates as u64;
        }
        lines += file_lines;
        progress.step(&name, file_lines);
        writeln!(out, "{name}: {file_lines} lines, format {detected}")?;
    }
    progress.finish();
    events
        .flush()
        .context("writing the imported events into segments")?;
    let now = Timestamp::now();
    store
        .record_ingest(&[IngestDelta {
            source_id: source.id.clone(),
            member_id: member.id.clone(),
            day: medsec_ingest::counters::day(now.0),
            events: i64::try_from(stored + duplicates).unwrap_or(i64::MAX),
            bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
            parse_errors: i64::try_from(bad).unwrap_or(i64::MAX),
            dropped: 0,
            last_event_at: Some(now.0),
        }])
        .await?;
    for (file, line, message, sample) in &samples {
        store
            .add_ingest_error(&IngestErrorRow {
                id: medsec_core::new_id(),
                source_id: source.id.clone(),
                member_id: member.id.clone(),
                at: now.0,
                kind: "parse".into(),
                message: format!("{file}:{line}: {message}"),
                sample: sample.clone(),
            })
            .await?;
    }
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "{} / {}: {lines} lines, {stored} events stored, {duplicates} already stored, {bad} with a decoding problem, in {secs:.2} s ({:.0} lines/s)",
        member.name,
        source.name,
        lines as f64 / secs.max(1e-9)
    )?;
    for (file, line, message, sample) in &samples {
        writeln!(out, "  {file}:{line}: {message}\n    {sample}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What a search or a hunt covers: the member scope, the query and the
/// time range, from the command line.
async fn selection(
    store: &Store,
    args: &SelectionArgs,
) -> Result<(
    medsec_events::MemberScope,
    medsec_events::Query,
    medsec_events::TimeRange,
)> {
    let scope = match &args.member {
        Some(m) => {
            medsec_events::MemberScope::member(watch::member(store, m).await.map_err(report)?.id)
        }
        None => medsec_events::MemberScope::AllMembers,
    };
    let query = if args.query.trim().is_empty() {
        medsec_events::Query::all()
    } else {
        medsec_events::Query::parse(&args.query).map_err(|e| anyhow::anyhow!("query: {e}"))?
    };
    let parse = |what: &str, t: &str| -> Result<i64> {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .ok()
            .and_then(|t| i64::try_from(t.unix_timestamp_nanos()).ok())
            .with_context(|| {
                format!("--{what} {t:?} is not an RFC 3339 time such as 2026-11-26T09:00:00+09:00")
            })
    };
    let to = match &args.to {
        Some(t) => parse("to", t)?,
        None => Timestamp::now().0.saturating_mul(1_000_000),
    };
    let from = match &args.from {
        Some(t) => parse("from", t)?,
        None => to - 86_400 * 1_000_000_000,
    };
    if from >= to {
        bail!("--from must be before --to");
    }
    Ok((scope, query, medsec_events::TimeRange::new(from, to)))
}

async fn search(args: SearchArgs) -> Result<ExitCode> {
    let (config, store, _by) = open(&args.store).await?;
    let (scope, query, range) = selection(&store, &args.selection).await?;
    let events = open_events(&config)?;
    let names: std::collections::HashMap<String, String> = store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = match (args.format, args.limit) {
        (OutputFormat::Table, _) | (_, 1..) => {
            let req = medsec_events::SearchRequest::new(query, range, scope)
                .page_size(args.limit.clamp(1, medsec_events::MAX_PAGE));
            let r = events.search(&req).map_err(|e| anyhow::anyhow!("{e}"))?;
            match args.format {
                OutputFormat::Table => {
                    for ev in &r.events {
                        let member = names
                            .get(&ev.member)
                            .map_or(ev.member.as_str(), String::as_str);
                        writeln!(
                            out,
                            "{}  {member}  {}",
                            medsec_events::rfc3339(ev.timestamp),
                            ev.raw.replace('\n', " ")
                        )?;
                    }
                    writeln!(out, "{} of {} matching events", r.events.len(), r.total)?;
                }
                OutputFormat::Ndjson => {
                    let mut w = medsec_events::NdjsonWriter::new(&mut out);
                    for ev in &r.events {
                        w.write(ev)?;
                    }
                }
                OutputFormat::Csv => {
                    let mut w = medsec_events::CsvWriter::new(
                        &mut out,
                        csv_columns(),
                        medsec_events::CsvOptions::default(),
                    )?;
                    for ev in &r.events {
                        w.write(ev)?;
                    }
                }
            }
            Ok(())
        }
        (format, 0) => {
            let all = events
                .export(&query, range, &scope, medsec_events::Order::OldestFirst)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            match format {
                OutputFormat::Csv => {
                    let mut w = medsec_events::CsvWriter::new(
                        &mut out,
                        csv_columns(),
                        medsec_events::CsvOptions::default(),
                    )?;
                    for ev in all {
                        w.write(&ev.map_err(|e| anyhow::anyhow!("{e}"))?)?;
                    }
                }
                _ => {
                    let mut w = medsec_events::NdjsonWriter::new(&mut out);
                    for ev in all {
                        w.write(&ev.map_err(|e| anyhow::anyhow!("{e}"))?)?;
                    }
                }
            }
            Ok(())
        }
    };
    match result {
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e),
        Ok(()) => {
            out.flush().or_else(|e| {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn hunt(args: HuntArgs) -> Result<ExitCode> {
    let (config, store, _by) = open(&args.store).await?;
    let (scope, query, range) = selection(&store, &args.selection).await?;
    let names: std::collections::HashMap<String, String> = store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let mut detector =
        crate::detect::detector(&args.rules, &args.pipelines, args.all_rules, !args.no_event)?;
    let events = open_events(&config)?;
    let all = events
        .export(&query, range, &scope, medsec_events::Order::OldestFirst)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let mut progress = Progress::new("hunt");
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut n, mut hits) = (0u64, 0u64);
    let mut found = Vec::new();
    for ev in all {
        let ev = ev.map_err(|e| anyhow::anyhow!("{e}"))?;
        n += 1;
        medsec_detect::Detector::detect(&mut detector, &ev, &mut found);
        for hit in found.drain(..) {
            hits += 1;
            let printed = serde_json::json!({
                "member": names.get(&ev.member).unwrap_or(&ev.member),
                "member_id": ev.member,
                "source": ev.source,
                "hit": hit,
            });
            writeln!(out, "{printed}")?;
        }
        if n % 4096 == 0 {
            progress.step("events", n);
        }
    }
    out.flush()?;
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        std::io::stderr(),
        "{n} stored events, {hits} hits in {secs:.2} s ({:.0} events/s)",
        n as f64 / secs.max(1e-9)
    )?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn csv_columns() -> Vec<String> {
    [
        "@timestamp",
        "member",
        "source",
        "host.name",
        "source.ip",
        "destination.ip",
        "destination.port",
        "event.action",
        "user.name",
        "raw",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect()
}

async fn source_add(args: SourceAddArgs) -> Result<ExitCode> {
    let (_, store, by) = open(&args.store).await?;
    let certificate = match &args.certificate {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    let created = watch::source_create(
        &store,
        &by,
        &watch::SourceForm {
            member: args.member,
            name: args.name,
            transport: args.transport,
            port: args.port,
            format: Some(args.format),
            certificate,
            silent_after: Some(args.silent_after.saturating_mul(60)),
        },
    )
    .await
    .map_err(report)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", created.source.id)?;
    if let Some(token) = created.token {
        writeln!(out, "token (shown once): {token}")?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn source_list(args: SourceListArgs) -> Result<ExitCode> {
    let (_, store, _) = open(&args.store).await?;
    let names: std::collections::HashMap<String, String> = store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let today = medsec_ingest::counters::day(Timestamp::now().0);
    let counts = store.ingest_days(MemberScope::All, &today, &today).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "member\tsource\ttransport\tport\tformat\tenabled\tevents today\tlast event"
    )?;
    for s in store.log_sources(MemberScope::All).await? {
        let today = counts
            .iter()
            .find(|c| c.source_id == s.id)
            .map_or(0, |c| c.events);
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{today}\t{}",
            names
                .get(&s.member_id)
                .map_or(s.member_id.as_str(), String::as_str),
            s.name,
            s.transport,
            s.port.map(|p| p.to_string()).unwrap_or_default(),
            s.format,
            s.enabled,
            s.last_event_at
                .map(|t| Timestamp(t).rfc3339())
                .unwrap_or_else(|| "-".into()),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
