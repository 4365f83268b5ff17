//! Scanning files one at a time within limits, collecting findings and
//! skipped files.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::rules::Rules;

/// What a scan may spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Larger files are skipped (webshells are small; media and dumps are
    /// not worth the time).
    pub max_file_size: u64,
    /// A file whose scan takes longer is skipped. yara-x checks the time
    /// about once a second, so this is a lower bound.
    pub timeout: Duration,
    /// Bytes scanned (or, for an archive, decompressed) per scan; files
    /// past it are skipped.
    pub max_total_bytes: u64,
    /// Files looked at per scan; files past it are skipped.
    pub max_files: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_size: 16 * 1024 * 1024,
            timeout: Duration::from_secs(10),
            max_total_bytes: 1024 * 1024 * 1024,
            max_files: 200_000,
        }
    }
}

/// Why a file was not scanned.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Larger than [`Limits::max_file_size`].
    TooLarge { size: u64, limit: u64 },
    /// [`Limits::max_total_bytes`] was reached.
    TotalLimit { limit: u64 },
    /// [`Limits::max_files`] was reached.
    FileLimit { limit: u64 },
    /// The scan took longer than [`Limits::timeout`].
    Timeout { secs: u64 },
    /// Not a regular file (a symbolic link, a device…); not followed.
    NotRegular { kind: String },
    /// Could not be read (permissions, an encrypted or unsupported
    /// archive entry).
    Unreadable { error: String },
}

impl SkipReason {
    /// The reason's name, as stored and counted.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::TotalLimit { .. } => "total_limit",
            SkipReason::FileLimit { .. } => "file_limit",
            SkipReason::Timeout { .. } => "timeout",
            SkipReason::NotRegular { .. } => "not_regular",
            SkipReason::Unreadable { .. } => "unreadable",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::TooLarge { size, limit } => {
                write!(f, "{size} bytes, larger than the limit of {limit}")
            }
            SkipReason::TotalLimit { limit } => {
                write!(f, "the scan's limit of {limit} bytes was reached")
            }
            SkipReason::FileLimit { limit } => {
                write!(f, "the scan's limit of {limit} files was reached")
            }
            SkipReason::Timeout { secs } => write!(f, "scanning took longer than {secs} s"),
            SkipReason::NotRegular { kind } => write!(f, "not a regular file ({kind})"),
            SkipReason::Unreadable { error } => write!(f, "unreadable: {error}"),
        }
    }
}

/// A file left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub path: String,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// One match of a rule's string.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchedString {
    /// The string's identifier in the rule (`$direct`).
    pub id: String,
    pub offset: u64,
    pub length: u64,
    /// The matched bytes (at most [`Session::PREVIEW`] of them), as text
    /// with invalid UTF-8 replaced.
    pub data: String,
}

/// A rule that matched a file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The file's path or archive entry name: a label, never opened again.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    pub rule: String,
    pub severity: String,
    pub description: String,
    pub attack: Vec<String>,
    pub reference: Option<String>,
    /// The first matches of each string (at most
    /// [`Session::MATCHES_PER_STRING`]).
    pub matches: Vec<MatchedString>,
}

/// What a scan did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// Files scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
}

impl Report {
    /// Skipped files per reason, for summaries.
    pub fn skipped_by_reason(&self) -> Vec<(&'static str, u64)> {
        let mut out: Vec<(&'static str, u64)> = Vec::new();
        for s in &self.skipped {
            match out.iter_mut().find(|(c, _)| *c == s.reason.code()) {
                Some((_, n)) => *n += 1,
                None => out.push((s.reason.code(), 1)),
            }
        }
        out
    }

    /// The files with at least one finding.
    pub fn flagged_files(&self) -> usize {
        let mut paths: Vec<&str> = self.findings.iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    }
}

/// SHA-256 (hex) of a file's content.
pub fn sha256_hex(data: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(data))
}

/// A scan in progress: one yara-x scanner reused for every file.
pub struct Session<'r> {
    rules: &'r Rules,
    scanner: yara_x::Scanner<'r>,
    limits: Limits,
    report: Report,
    /// Files looked at (scanned or skipped for their own sake).
    seen: u64,
}

impl<'r> Session<'r> {
    /// Matched bytes kept per match.
    pub const PREVIEW: usize = 120;
    /// Matches kept per string of a rule.
    pub const MATCHES_PER_STRING: usize = 5;

    pub fn new(rules: &'r Rules, limits: Limits) -> Session<'r> {
        let mut scanner = yara_x::Scanner::new(&rules.compiled);
        scanner.set_timeout(limits.timeout);
        Session {
            rules,
            scanner,
            limits,
            report: Report::default(),
            seen: 0,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bytes left under [`Limits::max_total_bytes`].
    pub fn budget(&self) -> u64 {
        self.limits
            .max_total_bytes
            .saturating_sub(self.report.bytes)
    }

    /// Decides, from a file's size alone, whether it will be scanned; if
    /// not, records it as skipped and returns false. Callers ask before
    /// reading (or decompressing) the file.
    pub fn admit(&mut self, path: &str, size: u64) -> bool {
        if self.seen >= self.limits.max_files {
            self.skip(
                path,
                SkipReason::FileLimit {
                    limit: self.limits.max_files,
                },
            );
            return false;
        }
        if size > self.limits.max_file_size {
            self.seen += 1;
            self.skip(
                path,
                SkipReason::TooLarge {
                    size,
                    limit: self.limits.max_file_size,
                },
            );
            return false;
        }
        if size > self.budget() {
            self.skip(
                path,
                SkipReason::TotalLimit {
                    limit: self.limits.max_total_bytes,
                },
            );
            return false;
        }
        true
    }

    /// Records a file that will not be scanned.
    pub fn skip(&mut self, path: &str, reason: SkipReason) {
        self.report.skipped.push(Skipped {
            path: path.to_owned(),
            reason,
        });
    }

    /// Scans one file's content (after [`Session::admit`], which this
    /// repeats in case the content is larger than announced).
    pub fn scan(&mut self, path: &str, data: &[u8]) {
        if !self.admit(path, data.len() as u64) {
            return;
        }
        self.seen += 1;
        let results = match self.scanner.scan(data) {
            Ok(r) => r,
            Err(yara_x::ScanError::Timeout) => {
                self.skip(
                    path,
                    SkipReason::Timeout {
                        secs: self.limits.timeout.as_secs(),
                    },
                );
                return;
            }
            Err(e) => {
                self.skip(
                    path,
                    SkipReason::Unreadable {
                        error: e.to_string(),
                    },
                );
                return;
            }
        };
        self.report.files += 1;
        self.report.bytes += data.len() as u64;
        let mut sha = None;
        for rule in results.matching_rules() {
            let name = rule.identifier();
            let mut matches = Vec::new();
            for pattern in rule.patterns() {
                for m in pattern.matches().take(Self::MATCHES_PER_STRING) {
                    let range = m.range();
                    let bytes = m.data();
                    let shown = bytes.get(..Self::PREVIEW).unwrap_or(bytes);
                    matches.push(MatchedString {
                        id: pattern.identifier().to_owned(),
                        offset: range.start as u64,
                        length: range.len() as u64,
                        data: String::from_utf8_lossy(shown).into_owned(),
                    });
                }
            }
            matches.sort_by(|a, b| a.offset.cmp(&b.offset).then_with(|| a.id.cmp(&b.id)));
            let meta = self.rules.meta(name);
            let sha256 = sha.get_or_insert_with(|| sha256_hex(data)).clone();
            self.report.findings.push(Finding {
                path: path.to_owned(),
                sha256,
                size: data.len() as u64,
                rule: name.to_owned(),
                severity: meta.map_or_else(|| "medium".to_owned(), |m| m.severity.clone()),
                description: meta.map(|m| m.description.clone()).unwrap_or_default(),
                attack: meta.map_or_else(
                    || vec![crate::ATTACK_WEB_SHELL.to_owned()],
                    |m| m.attack.clone(),
                ),
                reference: meta.and_then(|m| m.reference.clone()),
                matches,
            });
        }
    }

    /// The report, findings ordered by path and rule.
    pub fn finish(self) -> Report {
        let mut report = self.report;
        report
            .findings
            .sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.rule.cmp(&b.rule)));
        report
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::rules::RuleSource;

    fn check(path: &str, content: &str, expect: &[&str]) {
        let rules = Rules::builtin().unwrap();
        let mut s = Session::new(&rules, Limits::default());
        s.scan(path, content.as_bytes());
        let r = s.finish();
        let got: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(got, expect, "{path}: {content}");
        assert_eq!(r.files, 1);
    }

    #[test]
    fn php() {
        check(
            "a.php",
            "<?php @eval($_POST['x']);?>",
            &["php_china_chopper", "php_eval_request_input"],
        );
        check(
            "a.php",
            "<?php eval(base64_decode($_POST['x'])); // longer file than a one-liner",
            &["php_eval_request_input"],
        );
        check(
            "a.php",
            "<?php echo system($_REQUEST['c']);",
            &["php_command_execution_request_input"],
        );
        check(
            "a.php",
            "<?php passthru( $_GET[\"cmd\"] );",
            &[
                "php_command_execution_request_input",
                "php_command_parameter_shell",
            ],
        );
        check(
            "a.php",
            "<?php eval(str_rot13(gzinflate(base64_decode('abc'))));",
            &["php_encoded_eval_chain"],
        );
        check(
            "a.php",
            "<?php $f = strrev('tressa'); $f($z);",
            &["php_variable_function_obfuscation"],
        );
        check(
            "a.php",
            "<?php $x = 'as' . 'sert';",
            &["php_variable_function_obfuscation"],
        );
        check(
            "a.php",
            "<?php preg_replace('/x/e', $_GET['r'], 'x');",
            &["php_preg_replace_eval_modifier"],
        );
        check("a.php", "<?php preg_replace('/x/i', $_GET['r'], 'x');", &[]);
        check(
            "a.php",
            "<?php curl_exec($_POST['x']); $fs->filesystem($_GET['y']);",
            &[],
        );
        check("a.php", "<?php echo htmlspecialchars($_GET['q']);", &[]);
        check(
            "r.php",
            "<?php // r57shell 1.40\n",
            &["php_known_file_manager"],
        );
        // File-manager names in an HTML article are not a PHP file.
        check("blog.html", "<p>the c99shell and b374k webshells</p>", &[]);
    }

    #[test]
    fn jsp_and_asp() {
        check(
            "a.jsp",
            "<% Runtime.getRuntime().exec(request.getParameter(\"c\")); %>",
            &["jsp_command_execution_request_input"],
        );
        check(
            "a.jsp",
            "<% String s = request.getParameter(\"q\"); out.print(s.length()); %>",
            &[],
        );
        check(
            "a.aspx",
            "<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"p\"],\"unsafe\");%>",
            &["asp_eval_request_input"],
        );
        check(
            "a.asp",
            "<% ExecuteGlobal request(\"x\") %>",
            &["asp_eval_request_input"],
        );
        check(
            "a.js",
            "var r = new XMLHttpRequest(); eval(r.responseText); eval(request.responseText);",
            &[],
        );
    }

    #[test]
    fn findings_carry_strings_offsets_and_hash() {
        let rules = Rules::builtin().unwrap();
        let mut s = Session::new(&rules, Limits::default());
        let content = b"<?php\n\n\necho `$_GET['x']`;";
        s.scan("dir/x.php", content);
        let r = s.finish();
        assert_eq!(r.findings.len(), 1);
        let f = &r.findings[0];
        assert_eq!(f.path, "dir/x.php");
        assert_eq!(f.sha256, sha256_hex(content));
        assert_eq!(f.size, content.len() as u64);
        assert_eq!(f.severity, "critical");
        assert_eq!(f.attack, ["T1505.003"]);
        assert_eq!(f.matches.len(), 1);
        assert_eq!(f.matches[0].id, "$backtick");
        assert_eq!(f.matches[0].offset, 13);
        assert_eq!(f.matches[0].data, "`$_GET[");
    }

    #[test]
    fn limits_skip_with_a_reason() {
        let rules = Rules::builtin().unwrap();
        let limits = Limits {
            max_file_size: 10,
            max_total_bytes: 15,
            max_files: 3,
            ..Limits::default()
        };
        let mut s = Session::new(&rules, limits);
        s.scan("big", b"<?php @eval($_POST['x']);?>");
        s.scan("a", b"0123456789");
        s.scan("b", b"0123456789");
        s.scan("c", b"");
        s.scan("d", b"");
        let r = s.finish();
        assert_eq!(r.files, 2, "{r:?}");
        assert_eq!(r.bytes, 10);
        let reasons: Vec<_> = r
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason.code()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("big", "too_large"),
                ("b", "total_limit"),
                ("d", "file_limit")
            ]
        );
        assert!(r.findings.is_empty());
    }

    #[test]
    fn a_slow_rule_times_out_and_the_file_is_skipped() {
        // Every offset of the input is an atom match whose verification
        // runs thousands of bytes forward: far beyond a second in any
        // build. yara-x checks the clock between atom matches.
        let rules = Rules::compile(&[RuleSource {
            origin: "slow.yar".into(),
            text: "rule slow { strings: $a = /aaaa[a-z]{0,3000}X/ condition: $a }".into(),
        }])
        .unwrap();
        let limits = Limits {
            timeout: Duration::from_secs(1),
            ..Limits::default()
        };
        let mut s = Session::new(&rules, limits);
        let started = std::time::Instant::now();
        s.scan("slow.bin", &vec![b'a'; 4 * 1024 * 1024]);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
        let r = s.finish();
        assert_eq!(r.files, 0, "{r:?}");
        assert_eq!(r.skipped[0].reason, SkipReason::Timeout { secs: 1 });
    }
}
