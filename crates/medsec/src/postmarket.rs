//! `medsec vex`, `medsec inventory`, `medsec alias` and `medsec webhook`:
//! what a manufacturer says about its findings, hospitals' inventories and
//! their exposure, alias rules and webhooks.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use medsec_core::OrgKind;
use medsec_server::assure::By;
use medsec_server::state::AppState;
use medsec_server::{inventory, sustain};

use crate::device::{OrgArgs, open, open_as, report};

/// A release of the organisation, by product and version.
#[derive(Args)]
pub struct ReleaseRef {
    #[command(flatten)]
    pub org: OrgArgs,
    #[arg(long)]
    pub product: String,
    #[arg(long)]
    pub version: String,
}

/// The release id of `product` `version` in the caller's organisation.
pub(crate) async fn release_id(
    state: &AppState,
    by: &By,
    product: &str,
    version: &str,
) -> Result<String> {
    let product_row = state
        .store
        .product_by_name(&by.org_id, product)
        .await?
        .with_context(|| format!("no product named \"{product}\""))?;
    state
        .store
        .list_releases(&by.org_id)
        .await?
        .into_iter()
        .find(|r| r.product_id == product_row.id && r.version == version)
        .map(|r| r.id)
        .with_context(|| format!("{product} has no release {version}"))
}

#[derive(Subcommand)]
pub enum VexCommand {
    /// Record what the manufacturer says about a vulnerability in a
    /// release (replaces an earlier statement about the same
    /// vulnerability and component). not_affected and fixed suppress the
    /// finding, until --expires when given.
    #[command(disable_version_flag = true)]
    Set(VexSetArgs),
    /// The statements of a release and what they apply to.
    #[command(disable_version_flag = true)]
    List(VexListArgs),
    /// Delete a statement (by id, from `vex list`).
    Delete(VexDeleteArgs),
    /// Record the statements of a VEX document (OpenVEX, CycloneDX VEX,
    /// CSAF VEX) about a release; says which were skipped and why.
    #[command(disable_version_flag = true)]
    Import(VexImportArgs),
    /// Write a release's statements as OpenVEX, CycloneDX VEX or CSAF VEX.
    #[command(disable_version_flag = true)]
    Export(VexExportArgs),
}

#[derive(Args)]
pub struct VexImportArgs {
    #[command(flatten)]
    release: ReleaseRef,
    file: std::path::PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum VexFormat {
    Openvex,
    CyclonedxJson,
    CyclonedxXml,
    Csaf,
}

#[derive(Args)]
pub struct VexExportArgs {
    #[command(flatten)]
    release: ReleaseRef,
    #[arg(long, value_enum, default_value = "openvex")]
    format: VexFormat,
    /// For CSAF: the publisher's namespace, its web address.
    #[arg(long)]
    namespace: Option<String>,
    /// Output file [default: standard output].
    #[arg(long, short)]
    output: Option<std::path::PathBuf>,
}

#[derive(Args)]
pub struct VexSetArgs {
    #[command(flatten)]
    release: ReleaseRef,
    /// CVE-…, GHSA-… (any id of the vulnerability).
    #[arg(long)]
    vulnerability: String,
    /// not_affected, affected, fixed or under_investigation.
    #[arg(long)]
    status: String,
    /// For not_affected: component_not_present, vulnerable_code_not_present,
    /// vulnerable_code_not_in_execute_path,
    /// vulnerable_code_cannot_be_controlled_by_adversary,
    /// inline_mitigations_already_exist.
    #[arg(long)]
    justification: Option<String>,
    /// Why the product is not affected, in words.
    #[arg(long)]
    impact: Option<String>,
    /// For affected: what users should do.
    #[arg(long)]
    action: Option<String>,
    /// Only about this component (purl without version, or name:NAME);
    /// otherwise about every component of the release.
    #[arg(long)]
    component: Option<String>,
    /// Last day the suppression holds (YYYY-MM-DD).
    #[arg(long)]
    expires: Option<String>,
}

#[derive(Args)]
pub struct VexListArgs {
    #[command(flatten)]
    release: ReleaseRef,
    /// Only statements that no longer apply to any open finding.
    #[arg(long)]
    stale: bool,
}

#[derive(Args)]
pub struct VexDeleteArgs {
    #[command(flatten)]
    org: OrgArgs,
    id: String,
}

pub async fn run_vex(cmd: VexCommand) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        VexCommand::Set(args) => {
            let (state, by) = open(&args.release.org).await?;
            let id = release_id(&state, &by, &args.release.product, &args.release.version).await?;
            let input = sustain::VexInput {
                vulnerability: args.vulnerability,
                component: args.component,
                status: args.status,
                justification: args.justification,
                impact: args.impact,
                action: args.action,
                expires_on: args.expires,
            };
            sustain::vex_record(&state.store, &by, &id, &[input], "manual")
                .await
                .map_err(report)?;
            let views = release_views(&state, &by, &id).await?;
            let open = views.iter().filter(|v| v.state == "open").count();
            let suppressed = views.iter().filter(|v| v.state == "suppressed").count();
            writeln!(
                out,
                "recorded; the release has {open} open findings, {suppressed} suppressed by VEX"
            )?;
        }
        VexCommand::List(args) => {
            let (state, by) = open(&args.release.org).await?;
            let id = release_id(&state, &by, &args.release.product, &args.release.version).await?;
            let statements = state.store.release_vex(&by.org_id, &id).await?;
            let findings = state.store.release_findings(&by.org_id, &id).await?;
            let components = state.store.release_components(&by.org_id, &id).await?;
            let stale: std::collections::HashSet<&str> =
                medsec_store::vex::stale(&statements, &findings, &components)
                    .into_iter()
                    .map(|s| s.id.as_str())
                    .collect();
            for s in &statements {
                let is_stale = stale.contains(s.id.as_str());
                if args.stale && !is_stale {
                    continue;
                }
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}{}\t{}{}{}",
                    s.id,
                    s.vuln_id,
                    if s.component.is_empty() {
                        "(all components)"
                    } else {
                        s.component.as_str()
                    },
                    s.status,
                    s.justification
                        .as_deref()
                        .map(|j| format!(" ({j})"))
                        .unwrap_or_default(),
                    s.source,
                    s.expires_on
                        .as_deref()
                        .map(|e| format!("\tuntil {e}"))
                        .unwrap_or_default(),
                    if is_stale {
                        "\tSTALE: matches no open finding"
                    } else {
                        ""
                    },
                )?;
            }
            if args.stale && !stale.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        VexCommand::Import(args) => {
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let (state, by) = open(&args.release.org).await?;
            let id = release_id(&state, &by, &args.release.product, &args.release.version).await?;
            let name = args
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let done = sustain::vex_import(&state.store, &by, &id, &name, &bytes)
                .await
                .map_err(report)?;
            for d in &done.diagnostics {
                writeln!(out, "note: {d}")?;
            }
            for s in &done.skipped {
                writeln!(out, "skipped: {s}")?;
            }
            writeln!(
                out,
                "{}: {} statements recorded, {} skipped",
                done.format,
                done.recorded,
                done.skipped.len()
            )?;
        }
        VexCommand::Export(args) => {
            let (state, by) = open(&args.release.org).await?;
            let id = release_id(&state, &by, &args.release.product, &args.release.version).await?;
            let format = match args.format {
                VexFormat::Openvex => "openvex",
                VexFormat::CyclonedxJson => "cyclonedx-json",
                VexFormat::CyclonedxXml => "cyclonedx-xml",
                VexFormat::Csaf => "csaf",
            };
            let (bytes, _, _) =
                sustain::vex_export(&state.store, &by, &id, format, args.namespace.as_deref())
                    .await
                    .map_err(report)?;
            match &args.output {
                Some(path) => std::fs::write(path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => out.write_all(&bytes)?,
            }
        }
        VexCommand::Delete(args) => {
            let (state, by) = open(&args.org).await?;
            sustain::vex_delete(&state.store, &by, &args.id)
                .await
                .map_err(report)?;
            writeln!(out, "deleted")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The findings of a release with explanations from the stored feeds.
pub(crate) async fn release_views(
    state: &AppState,
    by: &By,
    id: &str,
) -> Result<Vec<sustain::FindingView>> {
    let db = sustain::load_database(&state.store).await.map_err(report)?;
    let findings = state.store.release_findings(&by.org_id, id).await?;
    let components = state.store.release_components(&by.org_id, id).await?;
    let statements = state.store.release_vex(&by.org_id, id).await?;
    let rules = state.store.alias_rules(&by.org_id).await?;
    Ok(sustain::finding_views(
        Some(&db),
        &findings,
        &components,
        &statements,
        &rules,
        medsec_core::Timestamp::now(),
    ))
}

#[derive(Subcommand)]
pub enum InventoryCommand {
    /// Add a device to a hospital's inventory.
    Add(DeviceAddArgs),
    /// The hospital's devices.
    List(OrgArgs),
    /// Which devices are exposed to which vulnerabilities, and what their
    /// manufacturers say about each.
    Exposure(ExposureArgs),
    /// Releases manufacturers shared with the hospital (ids for --release).
    Shared(OrgArgs),
    /// Remove a device (by id).
    Remove(DeviceRemoveArgs),
}

#[derive(Args)]
pub struct DeviceAddArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// The hospital's asset tag (unique in the inventory).
    #[arg(long)]
    asset_tag: String,
    #[arg(long)]
    model: String,
    #[arg(long)]
    manufacturer: Option<String>,
    /// The software version installed.
    #[arg(long = "software-version")]
    software_version: Option<String>,
    /// A release shared with the hospital (id from `inventory shared`).
    #[arg(long)]
    release: Option<String>,
    /// Where it is (ward, room).
    #[arg(long)]
    location: Option<String>,
    /// Network segment (VLAN, subnet).
    #[arg(long)]
    segment: Option<String>,
}

#[derive(Args)]
pub struct ExposureArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DeviceRemoveArgs {
    #[command(flatten)]
    org: OrgArgs,
    id: String,
}

const HOSPITALS: &str = "inventories belong to hospitals";

pub async fn run_inventory(cmd: InventoryCommand) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        InventoryCommand::Add(args) => {
            let (state, by) = open_as(&args.org, Some(OrgKind::Hospital), HOSPITALS).await?;
            let input = inventory::DeviceInput {
                asset_tag: args.asset_tag,
                model: args.model,
                manufacturer: args.manufacturer,
                version: args.software_version,
                release: args.release,
                location: args.location,
                segment: args.segment,
            };
            let row = inventory::device_add(&state.store, &by, &input)
                .await
                .map_err(report)?;
            writeln!(out, "{}", row.id)?;
        }
        InventoryCommand::List(args) => {
            let (state, by) = open_as(&args, Some(OrgKind::Hospital), HOSPITALS).await?;
            for d in state.store.inventory(&by.org_id).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    d.id,
                    d.asset_tag,
                    d.model,
                    d.version.as_deref().unwrap_or("-"),
                    d.location.as_deref().unwrap_or("-"),
                    d.segment.as_deref().unwrap_or("-"),
                )?;
            }
        }
        InventoryCommand::Shared(args) => {
            let (state, by) = open_as(&args, Some(OrgKind::Hospital), HOSPITALS).await?;
            for r in state.store.shared_releases(&by.org_id).await? {
                writeln!(
                    out,
                    "{}\t{}\t{} {}\tsupport until {}",
                    r.release_id,
                    r.manufacturer,
                    r.product,
                    r.version,
                    r.support_until.as_deref().unwrap_or("-")
                )?;
            }
        }
        InventoryCommand::Exposure(args) => {
            let (state, by) = open_as(&args.org, Some(OrgKind::Hospital), HOSPITALS).await?;
            let db = sustain::load_database(&state.store).await.map_err(report)?;
            let exposure = inventory::exposure(&state.store, Some(&db), &by)
                .await
                .map_err(report)?;
            if args.json {
                serde_json::to_writer_pretty(&mut out, &exposure)?;
                writeln!(out)?;
                return Ok(ExitCode::SUCCESS);
            }
            for e in &exposure {
                let d = &e.device;
                writeln!(
                    out,
                    "{} {} ({}, {}): {}",
                    d.asset_tag,
                    d.model,
                    d.location.as_deref().unwrap_or("-"),
                    d.segment.as_deref().unwrap_or("-"),
                    match &e.release {
                        None => "no shared release; exposure unknown".to_owned(),
                        Some(r) => format!(
                            "{} {} {}: {} open findings ({} known exploited)",
                            r.manufacturer, r.product, r.version, e.open, e.kev
                        ),
                    }
                )?;
                for f in &e.findings {
                    if f.state == "fixed" {
                        continue;
                    }
                    let says = f.vex.as_ref().map(|v| {
                        let mut s = format!("manufacturer: {}", v.status);
                        if let Some(j) = &v.justification {
                            s.push_str(&format!(" ({j})"));
                        }
                        if let Some(t) = v.impact.as_ref().or(v.action.as_ref()) {
                            s.push_str(&format!(": {t}"));
                        }
                        s
                    });
                    writeln!(
                        out,
                        "  {:<9} {:<20} {} {}{}{}",
                        f.state,
                        f.vulnerability,
                        f.component,
                        f.component_version.as_deref().unwrap_or(""),
                        if f.kev { "  KEV" } else { "" },
                        says.map(|s| format!("  [{s}]")).unwrap_or_default()
                    )?;
                }
            }
        }
        InventoryCommand::Remove(args) => {
            let (state, by) = open_as(&args.org, Some(OrgKind::Hospital), HOSPITALS).await?;
            inventory::device_remove(&state.store, &by, &args.id)
                .await
                .map_err(report)?;
            writeln!(out, "removed")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum AliasCommand {
    /// Say that a component (by identity: purl without version, or
    /// name:NAME) is a purl and/or a CPE, and/or when its support ends,
    /// for every product of the organisation; releases are re-matched.
    Add(AliasAddArgs),
    List(OrgArgs),
    Delete(VexDeleteArgs),
}

#[derive(Args)]
pub struct AliasAddArgs {
    #[command(flatten)]
    org: OrgArgs,
    #[arg(long)]
    component: String,
    /// A purl without version (the component's version is used).
    #[arg(long)]
    purl: Option<String>,
    /// A CPE 2.3 name; a `*` version is replaced by the component's.
    #[arg(long)]
    cpe: Option<String>,
    /// When the component's supplier ends support (YYYY-MM-DD).
    #[arg(long)]
    end_of_support: Option<String>,
    #[arg(long)]
    note: Option<String>,
}

pub async fn run_alias(cmd: AliasCommand) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        AliasCommand::Add(args) => {
            let (state, by) = open(&args.org).await?;
            let db = sustain::load_database(&state.store).await.map_err(report)?;
            let (rule, summary) = sustain::alias_add(
                &state.store,
                &db,
                &by,
                &args.component,
                args.purl.as_deref(),
                args.cpe.as_deref(),
                args.end_of_support.as_deref(),
                args.note.as_deref(),
            )
            .await
            .map_err(report)?;
            writeln!(
                out,
                "{}\tre-matched {} releases: {} new findings, {} fixed",
                rule.id, summary.releases, summary.new, summary.fixed
            )?;
        }
        AliasCommand::List(args) => {
            let (state, by) = open(&args).await?;
            for r in state.store.alias_rules(&by.org_id).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    r.id,
                    r.identity,
                    r.purl.as_deref().unwrap_or("-"),
                    r.cpe.as_deref().unwrap_or("-")
                )?;
            }
        }
        AliasCommand::Delete(args) => {
            let (state, by) = open(&args.org).await?;
            let db = sustain::load_database(&state.store).await.map_err(report)?;
            sustain::alias_delete(&state.store, &db, &by, &args.id)
                .await
                .map_err(report)?;
            writeln!(out, "deleted")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Add an HTTPS endpoint that receives the organisation's events
    /// (findings.new, release.shared); prints the signing secret once.
    Add(WebhookAddArgs),
    List(OrgArgs),
    Delete(VexDeleteArgs),
}

#[derive(Args)]
pub struct WebhookAddArgs {
    #[command(flatten)]
    org: OrgArgs,
    #[arg(long)]
    url: String,
}

/// Opens the store for an organisation of any kind.
async fn open_any(args: &OrgArgs) -> Result<(AppState, By)> {
    open_as(args, None, "").await
}

pub async fn run_webhook(cmd: WebhookCommand) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        WebhookCommand::Add(args) => {
            let (state, by) = open_any(&args.org).await?;
            let (row, secret) = sustain::webhook_add(&state.store, &by, &args.url)
                .await
                .map_err(report)?;
            writeln!(out, "{}\nsecret (shown once): {secret}", row.id)?;
        }
        WebhookCommand::List(args) => {
            let (state, by) = open_any(&args).await?;
            for h in state.store.webhooks(&by.org_id).await? {
                writeln!(out, "{}\t{}", h.id, h.url)?;
            }
            for d in state.store.deliveries(&by.org_id, 20).await? {
                writeln!(
                    out,
                    "  {}\t{}\t{}\t{} attempts{}",
                    d.id,
                    d.event,
                    d.state,
                    d.attempts,
                    d.last_error.map(|e| format!("\t{e}")).unwrap_or_default()
                )?;
            }
        }
        WebhookCommand::Delete(args) => {
            let (state, by) = open_any(&args.org).await?;
            sustain::webhook_delete(&state.store, &by, &args.id)
                .await
                .map_err(report)?;
            writeln!(out, "deleted")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
