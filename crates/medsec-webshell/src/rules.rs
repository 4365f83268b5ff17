//! The rule set: built-in rules and analyst-supplied files, compiled into
//! one namespace so that a rule's name identifies it (`yara:<rule>`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// medsec's own rules, embedded: (file name, text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("php.yar", include_str!("../rules/php.yar")),
    ("jsp.yar", include_str!("../rules/jsp.yar")),
    ("asp.yar", include_str!("../rules/asp.yar")),
];

/// The severities a rule's `severity` meta may take, highest first. A rule
/// without one is `medium`.
pub const SEVERITIES: &[&str] = &["critical", "high", "medium", "low"];

/// The largest analyst-supplied rule file read.
const MAX_RULE_FILE: u64 = 8 * 1024 * 1024;

/// Rule text and where it came from (a path, or `builtin:php.yar`).
#[derive(Clone, Debug)]
pub struct RuleSource {
    pub origin: String,
    pub text: String,
}

impl RuleSource {
    /// The built-in rules.
    pub fn builtin() -> Vec<RuleSource> {
        BUILTIN
            .iter()
            .map(|(name, text)| RuleSource {
                origin: format!("builtin:{name}"),
                text: (*text).to_owned(),
            })
            .collect()
    }

    /// Reads rule files: a file as given, a directory recursively (files
    /// ending in `.yar` or `.yara`, in name order).
    pub fn read(paths: &[PathBuf]) -> Result<Vec<RuleSource>, RuleError> {
        let mut files = Vec::new();
        for p in paths {
            collect(p, &mut files, true)?;
        }
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let origin = f.display().to_string();
            let io = |e: std::io::Error| RuleError::single(&origin, 0, 0, e.to_string());
            let len = std::fs::metadata(&f).map_err(io)?.len();
            if len > MAX_RULE_FILE {
                return Err(RuleError::single(
                    &origin,
                    0,
                    0,
                    format!("larger than {MAX_RULE_FILE} bytes"),
                ));
            }
            let bytes = std::fs::read(&f).map_err(io)?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let (line, column) = line_col(
                    &String::from_utf8_lossy(e.as_bytes()),
                    e.utf8_error().valid_up_to(),
                );
                RuleError::single(&origin, line, column, "not valid UTF-8".into())
            })?;
            out.push(RuleSource { origin, text });
        }
        Ok(out)
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, explicit: bool) -> Result<(), RuleError> {
    let origin = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| RuleError::single(&origin, 0, 0, e.to_string()))?;
    if meta.is_dir() {
        let mut entries = std::fs::read_dir(path)
            .map_err(|e| RuleError::single(&origin, 0, 0, e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect::<Vec<_>>();
        entries.sort();
        for e in entries {
            collect(&e, out, false)?;
        }
    } else if explicit
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"))
    {
        out.push(path.to_owned());
    }
    Ok(())
}

/// One problem with a rule file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleProblem {
    pub origin: String,
    /// 1-based; 0 when the problem is with the file as a whole.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.origin, self.line, self.column, self.message
            )
        }
    }
}

/// Rules that could not be read or compiled, every problem with its place.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RuleError {
    pub problems: Vec<RuleProblem>,
}

impl RuleError {
    fn single(origin: &str, line: usize, column: usize, message: String) -> RuleError {
        RuleError {
            problems: vec![RuleProblem {
                origin: origin.to_owned(),
                line,
                column,
                message,
            }],
        }
    }
}

/// What a rule says about itself.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleMeta {
    pub name: String,
    pub description: String,
    pub severity: String,
    pub attack: Vec<String>,
    pub reference: Option<String>,
    /// The file the rule is in.
    pub origin: String,
}

/// A compiled rule set.
pub struct Rules {
    pub(crate) compiled: yara_x::Rules,
    meta: BTreeMap<String, RuleMeta>,
    digest: String,
}

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("rules", &self.meta.len())
            .field("digest", &self.digest)
            .finish()
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// Where `rule NAME` is declared in `text`: the line of the declaration.
fn rule_line(text: &str, name: &str) -> Option<usize> {
    text.lines().position(|l| {
        let mut words = l.split_whitespace();
        // `private rule x`, `global rule x : tag`, `rule x {`.
        let mut w = words.next();
        while matches!(w, Some("private" | "global")) {
            w = words.next();
        }
        w == Some("rule")
            && words
                .next()
                .map(|n| n.split(['{', ':']).next().unwrap_or(n))
                == Some(name)
    })
}

impl Rules {
    /// The built-in rules.
    pub fn builtin() -> Result<Rules, RuleError> {
        Rules::compile(&RuleSource::builtin())
    }

    /// The built-in rules (unless `builtin` is false) and the rule files
    /// and directories in `paths`.
    pub fn load(paths: &[PathBuf], builtin: bool) -> Result<Rules, RuleError> {
        let mut sources = if builtin {
            RuleSource::builtin()
        } else {
            Vec::new()
        };
        sources.extend(RuleSource::read(paths)?);
        Rules::compile(&sources)
    }

    /// Compiles `sources` into one rule set; every problem of every source
    /// is reported, with its origin, line and column.
    pub fn compile(sources: &[RuleSource]) -> Result<Rules, RuleError> {
        let mut compiler = yara_x::Compiler::new();
        // Rules only see the data: no `include` of files on the server.
        compiler.enable_includes(false);
        let mut problems = Vec::new();
        for s in sources {
            let src = yara_x::SourceCode::from(s.text.as_str()).with_origin(s.origin.clone());
            if compiler.add_source(src).is_err() {
                // Every error is collected by the compiler; read them below.
            }
            for e in compiler.errors().iter().skip(problems.len()) {
                let (line, column) = e
                    .labels()
                    .next()
                    .map(|l| line_col(&s.text, l.span().range().start))
                    .unwrap_or((0, 0));
                problems.push(RuleProblem {
                    origin: s.origin.clone(),
                    line,
                    column,
                    message: e.title().to_owned(),
                });
            }
        }
        if !problems.is_empty() {
            return Err(RuleError { problems });
        }
        let compiled = compiler.build();
        let mut meta = BTreeMap::new();
        for r in compiled.iter() {
            let name = r.identifier().to_owned();
            let (origin, line) = sources
                .iter()
                .find_map(|s| rule_line(&s.text, &name).map(|l| (s.origin.clone(), l + 1)))
                .unwrap_or_default();
            let mut m = RuleMeta {
                name: name.clone(),
                description: String::new(),
                severity: "medium".into(),
                attack: Vec::new(),
                reference: None,
                origin: origin.clone(),
            };
            for (key, value) in r.metadata() {
                let text = match value {
                    yara_x::MetaValue::String(s) => s.to_owned(),
                    yara_x::MetaValue::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
                    yara_x::MetaValue::Integer(i) => i.to_string(),
                    yara_x::MetaValue::Float(f) => f.to_string(),
                    yara_x::MetaValue::Bool(b) => b.to_string(),
                };
                match key {
                    "description" => m.description = text,
                    "severity" => {
                        let s = text.to_ascii_lowercase();
                        if !SEVERITIES.contains(&s.as_str()) {
                            problems.push(RuleProblem {
                                origin: origin.clone(),
                                line,
                                column: 1,
                                message: format!(
                                    "rule `{name}`: severity `{text}` is not one of {}",
                                    SEVERITIES.join(", ")
                                ),
                            });
                        }
                        m.severity = s;
                    }
                    "attack" | "mitre_attack" => m.attack.extend(
                        text.split([',', ' '])
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(str::to_owned),
                    ),
                    "reference" => m.reference = Some(text),
                    _ => {}
                }
            }
            if !m.attack.iter().any(|a| a == crate::ATTACK_WEB_SHELL) {
                m.attack.push(crate::ATTACK_WEB_SHELL.to_owned());
            }
            meta.insert(name, m);
        }
        if !problems.is_empty() {
            return Err(RuleError { problems });
        }
        let mut h = Sha256::new();
        for s in sources {
            h.update((s.origin.len() as u64).to_le_bytes());
            h.update(s.origin.as_bytes());
            h.update((s.text.len() as u64).to_le_bytes());
            h.update(s.text.as_bytes());
        }
        Ok(Rules {
            compiled,
            meta,
            digest: data_encoding::HEXLOWER.encode(&h.finalize()),
        })
    }

    /// The SHA-256 (hex) of every source's origin and text: which rules a
    /// scan ran.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    pub fn len(&self) -> usize {
        self.meta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// What a rule says about itself.
    pub fn meta(&self, rule: &str) -> Option<&RuleMeta> {
        self.meta.get(rule)
    }

    /// Every rule, by name.
    pub fn all(&self) -> impl Iterator<Item = &RuleMeta> {
        self.meta.values()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn builtin_rules_compile_with_their_meta() {
        let rules = Rules::builtin().unwrap();
        assert!(rules.len() >= 14, "{}", rules.len());
        for m in rules.all() {
            assert!(!m.description.is_empty(), "{}: description", m.name);
            assert!(SEVERITIES.contains(&m.severity.as_str()), "{}", m.name);
            assert_eq!(m.attack, vec!["T1505.003".to_owned()], "{}", m.name);
            assert!(
                m.reference
                    .as_deref()
                    .is_some_and(|r| r.starts_with("https://")),
                "{}: reference",
                m.name
            );
            assert!(m.origin.starts_with("builtin:"), "{}", m.origin);
        }
        let chopper = rules.meta("php_china_chopper").unwrap();
        assert_eq!(chopper.severity, "critical");
        assert_eq!(chopper.origin, "builtin:php.yar");
    }

    fn problems(text: &str) -> Vec<RuleProblem> {
        Rules::compile(&[RuleSource {
            origin: "local/bad.yar".into(),
            text: text.into(),
        }])
        .unwrap_err()
        .problems
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let p = problems(
            "rule ok { condition: true }\n\nrule broken {\n  strings:\n    $a = \"x\"\n  condition:\n    $b\n}\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].origin, "local/bad.yar");
        assert_eq!(p[0].line, 7, "{p:?}");
        assert_eq!(p[0].column, 5, "{p:?}");
        assert!(
            p[0].to_string().starts_with("local/bad.yar:7:5: "),
            "{}",
            p[0]
        );
    }

    #[test]
    fn every_broken_file_is_reported() {
        let err = Rules::compile(&[
            RuleSource {
                origin: "a.yar".into(),
                text: "rule a { condition: nosuchthing }".into(),
            },
            RuleSource {
                origin: "b.yar".into(),
                text: "rule b {\n condition: true and }".into(),
            },
        ])
        .unwrap_err();
        let origins: Vec<_> = err.problems.iter().map(|p| p.origin.as_str()).collect();
        assert_eq!(origins, ["a.yar", "b.yar"], "{err}");
        assert_eq!(err.problems[1].line, 2);
    }

    #[test]
    fn a_bad_severity_is_an_error_at_the_rule() {
        let p =
            problems("\nrule loud {\n meta:\n  severity = \"urgent\"\n condition:\n  true\n}\n");
        assert_eq!(p[0].line, 2, "{p:?}");
        assert!(p[0].message.contains("urgent"), "{p:?}");
    }

    #[test]
    fn duplicate_names_across_files_are_refused() {
        let mut sources = RuleSource::builtin();
        sources.push(RuleSource {
            origin: "mine.yar".into(),
            text: "rule php_china_chopper { condition: true }".into(),
        });
        let err = Rules::compile(&sources).unwrap_err();
        assert_eq!(err.problems[0].origin, "mine.yar", "{err}");
        assert_eq!(err.problems[0].line, 1);
    }

    #[test]
    fn includes_are_refused() {
        let p = problems("include \"/etc/passwd\"\nrule x { condition: true }");
        assert_eq!(p[0].line, 1, "{p:?}");
    }

    #[test]
    fn defaults_for_analyst_rules() {
        let rules = Rules::compile(&[RuleSource {
            origin: "x.yar".into(),
            text: "rule plain { strings: $a = \"zz\" condition: $a }".into(),
        }])
        .unwrap();
        let m = rules.meta("plain").unwrap();
        assert_eq!(m.severity, "medium");
        assert_eq!(m.attack, ["T1505.003"]);
        assert_eq!(m.origin, "x.yar");
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        assert_eq!(line_col("가나\n다라", 0), (1, 1));
        assert_eq!(line_col("가나\n다라", 3), (1, 2));
        assert_eq!(line_col("가나\n다라", 7), (2, 1));
        assert_eq!(line_col("가나\n다라", 10), (2, 2));
    }
}
