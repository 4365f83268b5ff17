//! `medsec webmon`: web page monitoring on the command line.
//!
//! `check` reads a page offline (no database, no server) and prints its
//! baseline, or with `--baseline` compares it the way the server's
//! monitors do (`medsec_detect::webpage`); `list` and `add` act on the
//! local database's monitors as the ISAC organisation, through the same
//! `medsec_server::webmon` functions as the UI and API.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use medsec_core::{OrgKind, Timestamp};
use medsec_detect::webpage::{self, Options, Snapshot};
use medsec_server::assure::By;
use medsec_server::webmon::{self as svc, FetchOptions, MonitorInput};
use medsec_store::Store;

use crate::config::{Config, StoreArgs};

#[derive(Subcommand)]
pub enum WebmonCommand {
    /// Read a page and print its baseline (content hash, title, external
    /// origins, inline scripts); with --baseline, compare it and print
    /// what changed. Exit status 1 when the page is defaced or has
    /// injected content.
    Check(CheckArgs),
    /// The members' monitored pages with their latest outcome (ISAC).
    List(ListArgs),
    /// Add a monitored page for a member hospital (ISAC); the server's
    /// first check reads its baseline.
    Add(AddArgs),
}

#[derive(Args)]
pub struct CheckArgs {
    /// The page's http:// or https:// address.
    url: String,
    /// A baseline printed before by `medsec webmon check URL --json`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Regular expression of a dynamic part to ignore (repeatable).
    #[arg(long = "ignore", value_name = "REGEX")]
    ignore: Vec<String>,
    /// A defacement keyword beyond the built-in ones (repeatable).
    #[arg(long = "keyword", value_name = "WORD")]
    keywords: Vec<String>,
    /// Structure similarity in percent below which the page is defaced.
    #[arg(long, default_value_t = webpage::DEFAULT_THRESHOLD)]
    threshold: u8,
    /// JSON: the baseline itself (save it for --baseline), or the
    /// comparison with the page's snapshot.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The member hospital's name or id.
    #[arg(long)]
    member: String,
    /// What to call the page.
    #[arg(long)]
    name: String,
    /// The page's address.
    url: String,
    /// Seconds between checks [default: 300].
    #[arg(long)]
    interval: Option<i64>,
    /// A defacement keyword beyond the built-in ones (repeatable).
    #[arg(long = "keyword", value_name = "WORD")]
    keywords: Vec<String>,
    /// Regular expression of a dynamic part to ignore (repeatable).
    #[arg(long = "ignore", value_name = "REGEX")]
    ignore: Vec<String>,
}

pub async fn run(cmd: WebmonCommand) -> Result<ExitCode> {
    match cmd {
        WebmonCommand::Check(args) => check(args).await,
        WebmonCommand::List(args) => list(args).await,
        WebmonCommand::Add(args) => add(args).await,
    }
}

async fn check(args: CheckArgs) -> Result<ExitCode> {
    let url = svc::check_url(&args.url)
        .map_err(|e| anyhow::anyhow!("{}: not an http(s) address ({})", args.url, e.code))?;
    let mut ignore = Vec::new();
    for p in &args.ignore {
        ignore.push(webpage::compile_pattern(p).map_err(|e| anyhow::anyhow!("--ignore {p}: {e}"))?);
    }
    if !(1..=99).contains(&args.threshold) {
        bail!("--threshold must be from 1 to 99, not {}", args.threshold);
    }
    let options = Options {
        ignore,
        keywords: args.keywords.clone(),
        threshold: args.threshold,
    };
    let baseline: Option<Snapshot> = match &args.baseline {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not a baseline printed by `medsec webmon check --json`",
                    path.display()
                )
            })?)
        }
    };
    // An analyst's own machine: intranet pages are fine.
    let fetch = FetchOptions::new(true);
    let (fetched, snapshot) = match svc::read_page(&url, &options, &fetch).await {
        Ok(r) => r,
        Err((_, e)) => bail!("{url}: {e}"),
    };
    let mut out = std::io::stdout().lock();
    let Some(baseline) = baseline else {
        if args.json {
            serde_json::to_writer_pretty(&mut out, &snapshot)?;
            writeln!(out)?;
        } else {
            print_page(&mut out, &fetched, &snapshot)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    let c = webpage::compare(
        &baseline,
        &snapshot,
        &options,
        &webpage::NoIntel,
        Timestamp::now().0,
    );
    if args.json {
        let doc = serde_json::json!({
            "url": url,
            "final_url": fetched.final_url,
            "http_status": fetched.status,
            "duration_ms": fetched.duration_ms,
            "outcome": c.outcome,
            "similarity": c.similarity,
            "text_similarity": c.text_similarity,
            "rules": c.rules(),
            "findings": c.findings,
            "snapshot": snapshot,
        });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        print_page(&mut out, &fetched, &snapshot)?;
        writeln!(
            out,
            "outcome: {} (structure {:.1}% similar, text {:.1}%)",
            c.outcome.as_str(),
            f64::from(c.similarity) / 10.0,
            f64::from(c.text_similarity) / 10.0
        )?;
        for f in &c.findings {
            match f.rule() {
                Some(rule) => writeln!(out, "  [{rule}] {}", f.summary())?,
                None => writeln!(out, "  {}", f.summary())?,
            }
        }
    }
    Ok(if c.rules().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_page(out: &mut impl Write, f: &svc::Fetched, s: &Snapshot) -> Result<()> {
    writeln!(
        out,
        "{} → HTTP {}, {} bytes{}, {} ms",
        f.final_url,
        f.status,
        f.body.len(),
        if f.truncated { " (cut)" } else { "" },
        f.duration_ms
    )?;
    for r in &f.redirects {
        writeln!(out, "  redirected to {r}")?;
    }
    writeln!(out, "title: {}", s.title)?;
    writeln!(out, "content hash: {}", s.content_hash)?;
    let mut origins: Vec<&str> = s.resources.iter().map(|r| r.origin.as_str()).collect();
    origins.sort_unstable();
    origins.dedup();
    writeln!(
        out,
        "tags: {}, resources: {} from {}, inline scripts: {}, hidden iframes: {}",
        s.skeleton.len(),
        s.resources.len(),
        origins.join(" "),
        s.inline_scripts.len(),
        s.hidden_iframes.len()
    )?;
    Ok(())
}

async fn open(store: &StoreArgs) -> Result<(Store, By)> {
    let config = Config::resolve_store(store)?;
    let store = crate::open_store(&config).await?;
    let isac = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Isac && o.enabled)
        .context("there is no ISAC organisation; webmon commands act as the ISAC (create one with `medsec org create --kind isac`)")?;
    let by = By {
        org_id: isac.id,
        org_kind: isac.kind,
        user_id: None,
        name: "cli".into(),
        source: "cli".into(),
    };
    Ok((store, by))
}

fn err(e: medsec_server::error::Error) -> anyhow::Error {
    match e {
        medsec_server::error::Error::Invalid(fields) => anyhow::anyhow!(
            "invalid: {}",
            fields
                .iter()
                .map(|f| match f.args.iter().find(|(k, _)| *k == "detail") {
                    Some((_, d)) => format!("{} ({}: {d})", f.field, f.code),
                    None => format!("{} ({})", f.field, f.code),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        e => anyhow::anyhow!("{e}"),
    }
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let (store, by) = open(&args.store).await?;
    let monitors = svc::list(&store, &by).await.map_err(err)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({"monitors": monitors}))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for m in &monitors {
        let last = m
            .monitor
            .last_check_at
            .map(|t| Timestamp(t).to_string())
            .unwrap_or_else(|| "never".into());
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}{}",
            m.monitor.id,
            m.member_name,
            m.monitor.name,
            m.monitor.url,
            m.monitor.last_outcome.as_deref().unwrap_or("-"),
            last,
            if m.monitor.enabled == 0 {
                "\tdisabled"
            } else {
                ""
            }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn add(args: AddArgs) -> Result<ExitCode> {
    let (store, by) = open(&args.store).await?;
    let input = MonitorInput {
        member: Some(args.member.clone()),
        name: args.name.clone(),
        url: args.url.clone(),
        interval_secs: args.interval,
        keywords: args.keywords.clone(),
        ignore_patterns: args.ignore.clone(),
        ..MonitorInput::default()
    };
    let m = svc::add(&store, &by, &input, Timestamp::now())
        .await
        .map_err(err)?;
    writeln!(std::io::stdout().lock(), "{}", m.id)?;
    Ok(ExitCode::SUCCESS)
}
