//! `medsec catalog`: the requirement catalogues on the command line.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use medsec_catalog::{Catalog, Catalogs, Item};

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// List the catalogues with their editions and item counts.
    List,
    /// Show a catalogue, or one of its items with its crosswalk links.
    Show(ShowArgs),
    /// Search every catalogue (or one) in Korean or English.
    Search(SearchArgs),
    /// Export a catalogue as JSON or CSV on standard output.
    Export(ExportArgs),
    /// Map the items of one catalogue to another along the crosswalk and list the gaps.
    Carry(CarryArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Lang {
    Ko,
    En,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Catalogue id, e.g. mfds-2024.
    catalog: String,
    /// Item id, e.g. IA-01.
    item: Option<String>,
    /// Language of titles and texts.
    #[arg(long, value_enum, default_value = "ko")]
    lang: Lang,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Words to find (all of them), Korean or English.
    query: Vec<String>,
    /// Only this catalogue.
    #[arg(long)]
    catalog: Option<String>,
    #[arg(long, value_enum, default_value = "ko")]
    lang: Lang,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Csv,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Catalogue id.
    catalog: String,
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
}

#[derive(Args)]
pub struct CarryArgs {
    /// The catalogue a checklist was made on, e.g. mfds-2019.
    #[arg(long)]
    from: String,
    /// The catalogue to carry it to, e.g. mfds-2024.
    #[arg(long)]
    to: String,
}

fn title(i: &Item, lang: Lang) -> &str {
    match lang {
        Lang::Ko => &i.title_ko,
        Lang::En => &i.title_en,
    }
}

fn text(i: &Item, lang: Lang) -> Option<&str> {
    match lang {
        Lang::Ko => i.text_ko.as_deref(),
        Lang::En => i.text_en.as_deref(),
    }
}

fn catalog<'a>(all: &'a Catalogs, id: &str) -> Result<&'a Catalog> {
    match all.get(id) {
        Some(c) => Ok(c),
        None => {
            let known: Vec<&str> = all.catalogs.iter().map(|c| c.catalog.id.as_str()).collect();
            bail!("no catalogue `{id}`; there are: {}", known.join(", "))
        }
    }
}

pub fn run(cmd: CatalogCommand) -> Result<ExitCode> {
    let all = medsec_catalog::catalogs().context("loading the built-in catalogues")?;
    let mut out = std::io::stdout().lock();
    match cmd {
        CatalogCommand::List => {
            writeln!(
                out,
                "{:<16} {:<10} {:<34} {:>5}  TITLE",
                "ID", "KIND", "EDITION", "ITEMS"
            )?;
            for c in &all.catalogs {
                let h = &c.catalog;
                let kind = h.kind.as_str();
                let default = if h.default_for_new {
                    " (default for new checklists)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{:<16} {:<10} {:<34} {:>5}  {}{default}",
                    h.id,
                    kind,
                    h.edition,
                    c.item.len(),
                    h.title_ko
                )?;
            }
            writeln!(out, "\n{} crosswalk links", all.links.len())?;
        }
        CatalogCommand::Show(a) => {
            let c = catalog(all, &a.catalog)?;
            match a.item {
                None => {
                    let h = &c.catalog;
                    writeln!(
                        out,
                        "{} — {}\n{}\n{} ({}), edition {}",
                        h.id, h.title_ko, h.title_en, h.publisher_ko, h.publisher_en, h.edition
                    )?;
                    if let Some(n) = &h.note_en {
                        writeln!(out, "{n}")?;
                    }
                    writeln!(out)?;
                    for i in &c.item {
                        writeln!(out, "{:<22} {}", i.id, title(i, a.lang))?;
                    }
                }
                Some(id) => {
                    let Some(i) = c.item(&id) else {
                        bail!("catalogue {} has no item `{id}`", c.catalog.id)
                    };
                    writeln!(out, "{}:{} {}", c.catalog.id, i.id, title(i, a.lang))?;
                    if let Some(t) = text(i, a.lang) {
                        writeln!(out, "\n{t}")?;
                    }
                    let ev = match a.lang {
                        Lang::Ko => &i.evidence_ko,
                        Lang::En => &i.evidence_en,
                    };
                    if !ev.is_empty() {
                        writeln!(out, "\nevidence: {}", ev.join("; "))?;
                    }
                    if !i.standards.is_empty() {
                        writeln!(out, "standards: {}", i.standards.join("; "))?;
                    }
                    let (crit, steps) = match a.lang {
                        Lang::Ko => (i.test_criterion_ko.as_deref(), &i.test_method_ko),
                        Lang::En => (i.test_criterion_en.as_deref(), &i.test_method_en),
                    };
                    if let Some(crit) = crit {
                        writeln!(out, "test criterion: {crit}")?;
                    }
                    for (n, s) in steps.iter().enumerate() {
                        writeln!(out, "  {}. {s}", n + 1)?;
                    }
                    writeln!(
                        out,
                        "source: {}, confidence: {}",
                        i.source.as_str(),
                        i.confidence.as_str()
                    )?;
                    if let Some(n) = &i.note_en {
                        writeln!(out, "note: {n}")?;
                    }
                    let r = format!("{}:{}", c.catalog.id, i.id);
                    let links: Vec<_> = all.links_of(&r).collect();
                    if !links.is_empty() {
                        writeln!(out, "\ncrosswalk:")?;
                        for (l, other) in links {
                            let name = all
                                .resolve(other)
                                .map(|(_, i)| title(i, a.lang).to_owned())
                                .unwrap_or_default();
                            writeln!(
                                out,
                                "  {other:<24} {name} — {}, {}: {}",
                                l.relation.as_str(),
                                l.confidence.as_str(),
                                l.reason_en
                            )?;
                        }
                    }
                }
            }
        }
        CatalogCommand::Search(a) => {
            let q = a.query.join(" ");
            if q.trim().is_empty() {
                bail!("give words to search for");
            }
            if let Some(c) = &a.catalog {
                catalog(all, c)?;
            }
            let hits = all.search(&q, a.catalog.as_deref());
            for h in &hits {
                let t = all
                    .resolve(&format!("{}:{}", h.catalog, h.item))
                    .map(|(_, i)| title(i, a.lang).to_owned())
                    .unwrap_or_default();
                writeln!(out, "{:<36} {t}", format!("{}:{}", h.catalog, h.item))?;
            }
            if hits.is_empty() {
                writeln!(std::io::stderr(), "no item matches `{q}`")?;
                return Ok(ExitCode::FAILURE);
            }
        }
        CatalogCommand::Export(a) => {
            let c = catalog(all, &a.catalog)?;
            match a.format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, c)?;
                    writeln!(out)?;
                }
                Format::Csv => {
                    writeln!(
                        out,
                        "id,group,title_ko,title_en,text_ko,text_en,source,confidence"
                    )?;
                    for i in &c.item {
                        let cells = [
                            i.id.as_str(),
                            i.group.as_deref().unwrap_or(""),
                            &i.title_ko,
                            &i.title_en,
                            i.text_ko.as_deref().unwrap_or(""),
                            i.text_en.as_deref().unwrap_or(""),
                            i.source.as_str(),
                            i.confidence.as_str(),
                        ];
                        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                        writeln!(out, "{}", line.join(","))?;
                    }
                }
            }
        }
        CatalogCommand::Carry(a) => {
            catalog(all, &a.from)?;
            catalog(all, &a.to)?;
            let Some(c) = all.carry_over(&a.from, &a.to) else {
                bail!("cannot carry {} to {}", a.from, a.to)
            };
            for (from, to) in &c.mapped {
                let to = if to.is_empty() {
                    "(no counterpart)".to_owned()
                } else {
                    to.join(", ")
                };
                writeln!(out, "{}:{from:<8} -> {to}", a.from)?;
            }
            writeln!(
                out,
                "\n{} items of {} no {} item reaches (gaps): {}",
                c.gaps.len(),
                a.to,
                a.from,
                c.gaps.join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One CSV cell (RFC 4180), with formula-looking text defused.
fn csv_cell(value: &str) -> String {
    let v = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}
