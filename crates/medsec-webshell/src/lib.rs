//! Webshell scanning of web-root files with YARA rules, compiled and run
//! by `yara-x`.
//!
//! [`Rules`] holds a compiled rule set: medsec's built-in rules
//! (`rules/*.yar`, embedded) and any analyst-supplied files; a rule that
//! does not compile is reported with its file, line and column.
//! [`Session`] scans files one at a time within [`Limits`] (file size,
//! per-file time, total bytes and file count) and collects a [`Report`]:
//! one [`Finding`] per file and rule, and every file it did not scan with
//! the [`SkipReason`].
//! Files come from a directory tree ([`walk`]) or from a zip archive read
//! in memory ([`archive`]), which is never extracted: entry names are only
//! labels and decompression is bounded.
//!
//! Architecture invariant: no file is left out silently; whatever a limit
//! or an unreadable entry keeps from the scanner is in
//! [`Report::skipped`].

pub mod archive;
mod rules;
mod scan;
pub mod walk;

pub use rules::{BUILTIN, RuleError, RuleMeta, RuleProblem, RuleSource, Rules, SEVERITIES};
pub use scan::{Finding, Limits, MatchedString, Report, Session, SkipReason, Skipped, sha256_hex};

/// The ATT&CK technique every webshell finding is tagged with (Server
/// Software Component: Web Shell).
pub const ATTACK_WEB_SHELL: &str = "T1505.003";
