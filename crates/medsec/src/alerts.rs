//! `medsec alerts`: the alert queue and live detection's state on the
//! command line, from the local database, as the ISAC organisation
//! (through the same `medsec_server::alerts` functions as the UI and API).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use medsec_core::{OrgKind, Timestamp};
use medsec_server::alerts::{self, QueueParams};
use medsec_server::assure::By;
use medsec_store::Store;

use crate::config::{Config, StoreArgs};

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// The alert queue: severity, state, hits, member, rule (newest
    /// activity first).
    List(ListArgs),
    /// Where live detection is: events evaluated, hits, the last
    /// checkpoint.
    Status(StatusArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// `open` (default), `all`, or one state (new, acknowledged,
    /// investigating, closed).
    #[arg(long)]
    state: Option<String>,
    /// Only this severity.
    #[arg(long)]
    severity: Option<String>,
    /// One JSON document instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long)]
    json: bool,
}

pub(crate) async fn open(store: &StoreArgs) -> Result<(Store, By)> {
    let config = Config::resolve_store(store)?;
    let store = crate::open_store(&config).await?;
    let isac = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Isac && o.enabled)
        .context("there is no ISAC organisation; alerts commands act as the ISAC (create one with `medsec org create --kind isac`)")?;
    let by = By {
        org_id: isac.id,
        org_kind: isac.kind,
        user_id: None,
        name: "cli".into(),
        source: "cli".into(),
    };
    Ok((store, by))
}

pub async fn run(cmd: AlertsCommand) -> Result<ExitCode> {
    match cmd {
        AlertsCommand::List(args) => list(args).await,
        AlertsCommand::Status(args) => status(args).await,
    }
}

async fn list(args: ListArgs) -> Result<ExitCode> {
    let (store, by) = open(&args.store).await?;
    let mut out = std::io::stdout().lock();
    let mut page = 1;
    let mut all = Vec::new();
    loop {
        let q = QueueParams {
            state: args.state.clone(),
            severity: args.severity.clone(),
            page: Some(page),
            ..QueueParams::default()
        };
        let result = alerts::queue(&store, &by, &q)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let done = page >= result.pages;
        all.extend(result.alerts);
        if done {
            break;
        }
        page += 1;
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({"alerts": all}))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for a in &all {
        writeln!(
            out,
            "{}\t{}\t{}\t{} hits\t{}\t{}\t{}\t{}",
            a.alert.id,
            a.alert.severity,
            a.alert.state,
            a.alert.hits,
            a.member_name,
            Timestamp(a.alert.last_seen).rfc3339(),
            a.attack_ids.join(","),
            a.alert.title
        )?;
    }
    eprintln!("{} alerts", all.len());
    Ok(ExitCode::SUCCESS)
}

async fn status(args: StatusArgs) -> Result<ExitCode> {
    let (store, _) = open(&args.store).await?;
    let saved = store
        .detection_state(medsec_server::detection::STATE_ID)
        .await?;
    let mut out = std::io::stdout().lock();
    let v = match &saved {
        Some(s) => serde_json::json!({
            "running_since_checkpoint": true,
            "position": s.position,
            "events": s.events,
            "hits": s.hits,
            "rules_digest": s.rules_digest,
            "checkpoint_at": Timestamp(s.updated_at).rfc3339(),
        }),
        None => serde_json::json!({"running_since_checkpoint": false}),
    };
    if args.json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else if let Some(s) = saved {
        writeln!(
            out,
            "live detection: {} events evaluated, {} hits; checkpoint at {} (position {})",
            s.events,
            s.hits,
            Timestamp(s.updated_at).rfc3339(),
            s.position
        )?;
    } else {
        writeln!(out, "live detection has not run (medsec serve --rules DIR)")?;
    }
    Ok(ExitCode::SUCCESS)
}
