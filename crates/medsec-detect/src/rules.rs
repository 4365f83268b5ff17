//! Loading Sigma rules from files and directories: every document is
//! parsed, every detection rule compiled (after the processing pipelines),
//! every correlation and filter checked, and whatever cannot be used is
//! reported with its file, line and reason — nothing is skipped silently.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rsigma_eval::Pipeline;
use rsigma_parser::{CorrelationRule, FilterRule, FilterRuleTarget, SigmaCollection, SigmaRule};

use crate::Error;

/// The longest correlation timespan a rule may ask for (30 days): a
/// window's state lives in memory, and SigmaHQ's correlations span
/// minutes to hours.
pub const MAX_TIMESPAN_SECS: u64 = 30 * 86_400;

/// A rule (or document) that could not be loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoadFailure {
    pub path: PathBuf,
    /// 1-based line of the problem in the file, when it can be told.
    pub line: Option<usize>,
    /// The rule's title, when the document got that far.
    pub rule: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ": rule \"{rule}\"")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// A warning about a rule that loaded (a filter that applies to no rule).
pub type LoadWarning = LoadFailure;

/// Where a rule came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: Option<usize>,
}

/// The usable rules of some files, and what could not be used.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<(SigmaRule, Origin)>,
    pub correlations: Vec<(CorrelationRule, Origin)>,
    pub filters: Vec<(FilterRule, Origin)>,
    pub pipelines: Vec<Pipeline>,
    /// Rule files read.
    pub files: usize,
    pub failures: Vec<LoadFailure>,
    pub warnings: Vec<LoadWarning>,
}

impl RuleSet {
    /// Loads every `.yml`/`.yaml` file under `paths` (files or
    /// directories, recursively, in name order), with `pipelines` applied
    /// to every rule before it is compiled. An unreadable path is an
    /// error; a bad rule is a [`LoadFailure`].
    pub fn load(paths: &[PathBuf], pipelines: Vec<Pipeline>) -> Result<RuleSet, Error> {
        let mut files = Vec::new();
        for p in paths {
            collect(p, &mut files)?;
        }
        let mut set = RuleSet {
            pipelines,
            ..RuleSet::default()
        };
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| Error::Io {
                path: file.clone(),
                source: e,
            })?;
            set.add_text(&file, &text);
        }
        set.check_references();
        Ok(set)
    }

    /// Adds the documents of one file's text (`path` names it in
    /// failures).
    pub fn add_text(&mut self, path: &Path, text: &str) {
        self.files += 1;
        let collection = match rsigma_parser::parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                let reason = e.to_string();
                self.failures.push(LoadFailure {
                    path: path.to_owned(),
                    line: error_line(text, &reason),
                    rule: None,
                    reason,
                });
                return;
            }
        };
        let SigmaCollection {
            rules,
            correlations,
            filters,
            errors,
        } = collection;
        for reason in errors {
            let line = error_line(text, &reason);
            self.failures.push(LoadFailure {
                path: path.to_owned(),
                rule: title_in_error(&reason).or_else(|| document_title(text, line)),
                line,
                reason,
            });
        }
        for mut rule in rules {
            crate::fixes::rewrite(&mut rule.detection);
            let origin = Origin {
                path: path.to_owned(),
                line: title_line(text, &rule.title),
            };
            match self.compile(&rule) {
                Ok(()) => self.rules.push((rule, origin)),
                Err(reason) => self.failures.push(LoadFailure {
                    path: path.to_owned(),
                    line: error_line(text, &reason).or(origin.line),
                    rule: Some(rule.title.clone()),
                    reason,
                }),
            }
        }
        for mut corr in correlations {
            crate::fixes::rewrite_correlation(&mut corr);
            let origin = Origin {
                path: path.to_owned(),
                line: title_line(text, &corr.title),
            };
            let mut c = corr.clone();
            let checked = if corr.timespan.seconds > MAX_TIMESPAN_SECS {
                Err(format!(
                    "the correlation's timespan `{}` is longer than the longest medsec keeps in memory (30d)",
                    corr.timespan.original
                ))
            } else {
                check_correlation(&self.pipelines, &mut c)
            };
            match checked {
                Ok(()) => self.correlations.push((corr, origin)),
                Err(reason) => self.failures.push(LoadFailure {
                    path: path.to_owned(),
                    line: error_line(text, &reason).or(origin.line),
                    rule: Some(corr.title.clone()),
                    reason,
                }),
            }
        }
        for mut filter in filters {
            crate::fixes::rewrite(&mut filter.detection);
            let origin = Origin {
                path: path.to_owned(),
                line: title_line(text, &filter.title),
            };
            let checked = filter
                .detection
                .named
                .values()
                .try_for_each(|d| rsigma_eval::compiler::compile_detection(d).map(|_| ()));
            match checked {
                Ok(()) => self.filters.push((filter, origin)),
                Err(e) => {
                    let reason = e.to_string();
                    self.failures.push(LoadFailure {
                        path: path.to_owned(),
                        line: error_line(text, &reason).or(origin.line),
                        rule: Some(filter.title.clone()),
                        reason,
                    })
                }
            }
        }
    }

    /// Compiles a rule as the engine will (pipelines first).
    fn compile(&self, rule: &SigmaRule) -> Result<(), String> {
        if self.pipelines.is_empty() {
            return rsigma_eval::compile_rule(rule)
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
        let mut r = rule.clone();
        rsigma_eval::apply_pipelines(&self.pipelines, &mut r).map_err(|e| e.to_string())?;
        rsigma_eval::compile_rule(&r)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Correlations must name loaded rules (by id or name); a correlation
    /// that names one that failed or does not exist fails too. Filters
    /// that apply to no loaded rule are warned about.
    fn check_references(&mut self) {
        let mut known: HashSet<String> = HashSet::new();
        for (r, _) in &self.rules {
            known.extend(r.id.iter().cloned());
            known.extend(r.name.iter().cloned());
        }
        for (c, _) in &self.correlations {
            known.extend(c.id.iter().cloned());
            known.extend(c.name.iter().cloned());
        }
        let mut kept = Vec::new();
        for (c, origin) in std::mem::take(&mut self.correlations) {
            let missing: Vec<&String> = c.rules.iter().filter(|r| !known.contains(*r)).collect();
            if missing.is_empty() {
                kept.push((c, origin));
            } else {
                self.failures.push(LoadFailure {
                    path: origin.path.clone(),
                    line: origin.line,
                    rule: Some(c.title.clone()),
                    reason: format!(
                        "the correlation refers to rules that are not loaded: {}",
                        missing
                            .iter()
                            .map(|m| m.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        self.correlations = kept;
        for (f, origin) in &self.filters {
            if let FilterRuleTarget::Specific(refs) = &f.rules {
                let applies = self.rules.iter().any(|(r, _)| {
                    refs.iter()
                        .any(|x| r.id.as_deref() == Some(x.as_str()) || r.title == *x)
                });
                if !applies {
                    self.warnings.push(LoadWarning {
                        path: origin.path.clone(),
                        line: origin.line,
                        rule: Some(f.title.clone()),
                        reason: format!(
                            "the filter applies to no loaded rule ({})",
                            refs.join(", ")
                        ),
                    });
                }
            }
        }
    }

    /// The loaded rules as one collection (for the engine).
    pub fn collection(&self) -> SigmaCollection {
        SigmaCollection {
            rules: self.rules.iter().map(|(r, _)| r.clone()).collect(),
            correlations: self.correlations.iter().map(|(c, _)| c.clone()).collect(),
            filters: self.filters.iter().map(|(f, _)| f.clone()).collect(),
            errors: Vec::new(),
        }
    }
}

/// Compiles a correlation as the engine will (pipelines first).
fn check_correlation(pipelines: &[Pipeline], c: &mut CorrelationRule) -> Result<(), String> {
    if !pipelines.is_empty() {
        rsigma_eval::pipeline::apply_pipelines_to_correlation(pipelines, c)
            .map_err(|e| e.to_string())?;
    }
    rsigma_eval::correlation::compile_correlation(c)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The rule files under `path`, sorted by name within each directory.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |e| Error::Io {
        path: path.to_owned(),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
            out.push(p);
        }
    }
    Ok(())
}

/// The 1-based line of the first line of `text` containing `needle`.
fn find_line(text: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

/// The line of a rule's `title:`.
fn title_line(text: &str, title: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix("title:")
                .is_some_and(|rest| rest.trim().trim_matches(['\'', '"']) == title)
        })
        .map(|i| i + 1)
}

/// The line an error message points at: the YAML parser's own `line N`,
/// else the first line holding the quoted name the message mentions (an
/// unknown modifier, a detection name, a timespan).
pub(crate) fn error_line(text: &str, message: &str) -> Option<usize> {
    if let Some(at) = message.find("line ") {
        let digits: String = message
            .get(at + 5..)
            .unwrap_or_default()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse::<usize>()
            && n > 0
        {
            return Some(n);
        }
    }
    for quote in ['\'', '"', '`'] {
        let mut parts = message.split(quote);
        parts.next();
        while let Some(inner) = parts.next() {
            // Modifiers appear after a `|`.
            if let Some(n) = find_line(text, &format!("|{inner}")) {
                return Some(n);
            }
            if inner.len() > 1
                && let Some(n) = find_line(text, inner)
            {
                return Some(n);
            }
            parts.next();
        }
    }
    if message.to_ascii_lowercase().contains("condition") {
        return find_line(text, "condition:");
    }
    None
}

/// The `title:` of the YAML document holding `line` (the only document
/// when the line is unknown and there is one).
fn document_title(text: &str, line: Option<usize>) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let docs: Vec<(usize, usize)> = {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, l) in lines.iter().enumerate() {
            if l.trim_end() == "---" {
                out.push((start, i));
                start = i + 1;
            }
        }
        out.push((start, lines.len()));
        out.retain(|(a, b)| lines[*a..*b].iter().any(|l| !l.trim().is_empty()));
        out
    };
    let (a, b) = match line {
        Some(n) => *docs.iter().find(|(a, b)| n > *a && n <= *b)?,
        None if docs.len() == 1 => docs[0],
        None => return None,
    };
    lines[a..b].iter().find_map(|l| {
        l.strip_prefix("title:")
            .map(|t| t.trim().trim_matches(['\'', '"']).to_owned())
    })
}

/// The rule title some of the parser's messages name.
fn title_in_error(message: &str) -> Option<String> {
    let rest = message.split_once("rule '")?.1;
    Some(rest.split_once('\'')?.0.to_owned())
}
