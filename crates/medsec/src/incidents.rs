//! `medsec incidents`: incidents on the command line, from the local
//! database, as the ISAC organisation (through the same
//! `medsec_server::incidents` functions as the UI and API): the list, one
//! incident, and its report as PDF.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use medsec_core::Timestamp;
use medsec_server::i18n::Lang;
use medsec_server::incidents::{self, ListParams};

use crate::config::StoreArgs;

#[derive(Subcommand)]
pub enum IncidentsCommand {
    /// The incidents the ISAC sees: severity, status, title, members
    /// (most recently changed first).
    List(ListArgs),
    /// One incident with its members, devices, team, alerts, tasks,
    /// evidence and timeline.
    Show(ShowArgs),
    /// Writes an incident's report as PDF (as of now; not kept).
    Report(ReportArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// `open` (default), `all`, or one status (reported, assessing,
    /// responding, recovering, lessons, closed, rejected).
    #[arg(long)]
    status: Option<String>,
    /// One JSON document instead of lines.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The incident's id.
    id: String,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The incident's id.
    id: String,
    /// Where to write the PDF.
    #[arg(long, short)]
    output: PathBuf,
    /// `ko` (default) or `en`.
    #[arg(long, default_value = "ko")]
    lang: String,
    /// Times in the report at this offset from UTC, in minutes (Korea:
    /// 540).
    #[arg(long, default_value_t = 540, allow_hyphen_values = true)]
    utc_offset: i32,
}

pub async fn run(cmd: IncidentsCommand) -> Result<ExitCode> {
    match cmd {
        IncidentsCommand::List(args) => list(args).await,
        IncidentsCommand::Show(args) => show(args).await,
        IncidentsCommand::Report(args) => report(args).await,
    }
}

fn err(e: medsec_server::error::Error) -> anyhow::Error {
    match e {
        medsec_server::error::Error::NotFound => anyhow::anyhow!("no such incident"),
        e => anyhow::anyhow!("{e}"),
    }
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let (store, by) = crate::alerts::open(&args.store).await?;
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let q = ListParams {
            status: args.status.clone(),
            page: Some(page),
            ..ListParams::default()
        };
        let result = incidents::list(&store, &by, &q).await.map_err(err)?;
        let done = page >= result.pages;
        all.extend(result.incidents);
        if done {
            break;
        }
        page += 1;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({"incidents": all}))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for l in &all {
        let i = &l.incident;
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            i.id,
            i.severity,
            i.status,
            i.category,
            Timestamp(i.updated_at).rfc3339(),
            l.member_names.join(","),
            i.title
        )?;
    }
    eprintln!("{} incidents", all.len());
    Ok(ExitCode::SUCCESS)
}

async fn show(args: ShowArgs) -> Result<ExitCode> {
    let (store, by) = crate::alerts::open(&args.store).await?;
    let view = incidents::detail(&store, &by, &args.id)
        .await
        .map_err(err)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let i = &view.detail.incident;
    let org = |id: &str| {
        view.org_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    };
    writeln!(
        out,
        "{}  [{} · {} · {}]",
        i.title, i.severity, i.status, i.category
    )?;
    writeln!(out, "owner:    {}", org(&i.owner_org_id))?;
    writeln!(out, "detected: {}", Timestamp(i.detected_at).rfc3339())?;
    for m in &view.detail.members {
        let shared = m.shared_at.map_or_else(
            || "not shared".to_owned(),
            |t| format!("shared {}", Timestamp(t).rfc3339()),
        );
        writeln!(out, "member:   {} ({shared})", org(&m.member_id))?;
    }
    for t in &view.detail.tasks {
        let done = t.done_at.map_or("open".to_owned(), |d| {
            format!("done {}", Timestamp(d).rfc3339())
        });
        writeln!(
            out,
            "task {}:   {} — {} ({done})",
            t.seq,
            t.title,
            org(&t.org_id)
        )?;
    }
    for e in &view.detail.evidence {
        writeln!(
            out,
            "evidence: {} {} bytes sha256 {}",
            e.filename, e.size, e.sha256
        )?;
    }
    writeln!(out, "timeline:")?;
    for t in &view.detail.timeline {
        writeln!(
            out,
            "  {}  {}  {}",
            Timestamp(t.at).rfc3339(),
            t.actor,
            incidents::timeline_text(Lang::En, &view, t)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn report(args: ReportArgs) -> Result<ExitCode> {
    let Some(lang) = Lang::parse(&args.lang) else {
        bail!("--lang {}: use ko or en", args.lang);
    };
    if !(-14 * 60..=14 * 60).contains(&args.utc_offset) {
        bail!(
            "--utc-offset {}: between -840 and 840 minutes",
            args.utc_offset
        );
    }
    let (store, by) = crate::alerts::open(&args.store).await?;
    let pdf = incidents::render_report(&store, &by, &args.id, lang, args.utc_offset)
        .await
        .map_err(err)?;
    std::fs::write(&args.output, &pdf)
        .with_context(|| format!("writing {}", args.output.display()))?;
    eprintln!("{}: {} bytes", args.output.display(), pdf.len());
    Ok(ExitCode::SUCCESS)
}
