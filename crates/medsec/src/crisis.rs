//! `medsec crisis`: the sector crisis level (사이버 위기경보) on the command
//! line: show the level in force with its checklist and every member's
//! progress, and set it. Acts on the local database as the machine's
//! operator (the ISAC organisation, audited as `cli`) through the same
//! `medsec_server::crisis` functions as the UI and API, so the rules, the
//! notifications, the webhook events and the audit records are the same.
//! A running server shows a change made here within seconds.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use medsec_core::{OrgKind, Timestamp};
use medsec_server::assure::By;
use medsec_server::crisis;
use medsec_store::Store;

use crate::config::{Config, StoreArgs};
use crate::device::report;

#[derive(Subcommand)]
pub enum CrisisCommand {
    /// The level in force, its reason, the checklist of the level with
    /// every member's progress, and the history.
    Show(ShowArgs),
    /// Set the level (정상, 관심, 주의, 경계, 심각 or normal, attention,
    /// caution, alert, severe): every member hospital is notified and its
    /// webhooks get a `crisis.level_changed` event.
    Set(SetArgs),
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// How many changes of the history to print.
    #[arg(long, default_value_t = 10)]
    history: usize,
}

#[derive(Args)]
pub struct SetArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The level: 정상, 관심, 주의, 경계, 심각 (or their English names).
    level: String,
    /// Why, shown to every member (5 to 1000 characters). The level in
    /// force may be set again only with a different reason.
    #[arg(long)]
    reason: String,
}

/// The store and the ISAC organisation the operator acts as.
async fn open(store: &StoreArgs) -> Result<(Store, By)> {
    let config = Config::resolve_store(store)?;
    let store = crate::open_store(&config).await?;
    let isac = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Isac && o.enabled)
        .context("there is no ISAC organisation; crisis commands act as the ISAC (create one with `medsec org create --kind isac`)")?;
    let by = By {
        org_id: isac.id,
        org_kind: isac.kind,
        user_id: None,
        name: "cli".into(),
        source: "cli".into(),
    };
    Ok((store, by))
}

pub async fn run(cmd: CrisisCommand) -> Result<ExitCode> {
    match cmd {
        CrisisCommand::Show(args) => show(args).await,
        CrisisCommand::Set(args) => set(args).await,
    }
}

async fn set(args: SetArgs) -> Result<ExitCode> {
    let (store, by) = open(&args.store).await?;
    let set = crisis::set_level(&store, &by, &args.level, &args.reason)
        .await
        .map_err(report)?;
    let level = set.change.level();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "crisis level set: {} ({}), was {} ({}); {} member hospitals notified, {} webhook deliveries queued",
        level.ko(),
        level.as_str(),
        set.previous.ko(),
        set.previous.as_str(),
        set.notified,
        set.deliveries,
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn show(args: ShowArgs) -> Result<ExitCode> {
    let (store, by) = open(&args.store).await?;
    let current = crisis::current(&store).await.map_err(report)?;
    let view = crisis::view(&store, &by, current).await.map_err(report)?;
    let level = view.current.level();
    let mut out = std::io::stdout().lock();
    match &view.current.change {
        Some(c) => {
            writeln!(
                out,
                "level: {} ({}) since {}, set by {}",
                level.ko(),
                level.as_str(),
                Timestamp(c.set_at).rfc3339(),
                c.set_by
            )?;
            writeln!(out, "reason: {}", c.reason)?;
        }
        None => writeln!(out, "level: {} ({}), never set", level.ko(), level.as_str())?,
    }
    writeln!(out)?;
    writeln!(out, "actions at {}:", level.ko())?;
    for item in &view.checklist {
        writeln!(out, "  {}\t{}", item.id, item.ko)?;
    }
    writeln!(out)?;
    writeln!(out, "members\tdone\tlast tick")?;
    for m in &view.members {
        writeln!(
            out,
            "{}\t{}/{}\t{}",
            m.member,
            m.done.len(),
            m.total,
            m.updated_at
                .map_or_else(|| "-".to_owned(), Timestamp::rfc3339),
        )?;
    }
    if args.history > 0 {
        writeln!(out)?;
        writeln!(out, "history\tlevel\tset by\treason")?;
        let history = crisis::history(&store, &by).await.map_err(report)?;
        for c in history.iter().take(args.history) {
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                Timestamp(c.set_at).rfc3339(),
                c.level,
                c.set_by,
                c.reason.replace('\n', " ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
