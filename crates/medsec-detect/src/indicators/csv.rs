//! Indicators as CSV (RFC 4180: comma-separated, fields with commas,
//! quotes or line breaks in double quotes, `""` for a quote inside).
//!
//! The first line names the columns, in any order: `type` and `value`
//! (required), `source`, `valid_until` and `description` (optional), for
//! example
//!
//! ```text
//! type,value,source,valid_until,description
//! ip,198.51.100.7,KISA C-TAS,2027-01-01T00:00:00Z,C2 of the EMR ransomware campaign
//! cidr,203.0.113.0/24,,,bulletproof hosting
//! domain,evil-pacs-update.example,,,phishing
//! url,https://evil.example/emr/login.php,,,
//! md5,d41d8cd98f00b204e9800998ecf8427e,,,webshell
//! sha1,…
//! sha256,…
//! user-agent,"Mozilla/5.0 (compatible; EvilBot/1.0)",,,scanner
//! ```
//!
//! - `type` is one of `ip` (IPv4 or IPv6), `cidr` (a block; a `/32` or
//!   `/128` is the address), `domain`, `url`, `md5`, `sha1`, `sha256`,
//!   `user-agent` (case ignored);
//! - `source` overrides the importer's source name for the row when not
//!   empty;
//! - `valid_until` is RFC 3339 (`2027-01-01T00:00:00Z`, `…+09:00`) or
//!   empty (no end); every row is valid from the epoch on;
//! - empty lines and lines starting with `#` are left out.
//!
//! A row's id is `csv--` and 32 hex digits of SHA-256 over its source,
//! type and normalised value, so the same row imported again has the same
//! id. A file with any bad row is refused whole, naming its line and
//! column (nothing half-imported).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Indicator, Kind};

/// Why a CSV file was refused: the line (from 1; where the record
/// starts), the column (from 1) and its name when known, and what is
/// wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}{}: {message}", name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default())]
pub struct CsvError {
    pub line: usize,
    pub column: usize,
    pub name: Option<String>,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Type,
    Value,
    Source,
    ValidUntil,
    Description,
}

const COLUMNS: &[(&str, Column)] = &[
    ("type", Column::Type),
    ("value", Column::Value),
    ("source", Column::Source),
    ("valid_until", Column::ValidUntil),
    ("description", Column::Description),
];

/// One record: its first line and its fields.
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Splits the text into records (RFC 4180), leaving out empty lines and
/// `#` comment lines.
fn records(text: &str) -> Result<Vec<Record>, CsvError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        // Empty lines and comments.
        match chars.peek() {
            Some('\n') => {
                chars.next();
                line += 1;
                continue;
            }
            Some('\r') => {
                chars.next();
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line += 1;
                continue;
            }
            Some('#') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                line += 1;
                continue;
            }
            _ => {}
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted_field = false;
        loop {
            match chars.next() {
                None => {
                    fields.push(std::mem::take(&mut field));
                    break;
                }
                Some('"') if field.is_empty() && !quoted_field => {
                    quoted_field = true;
                    let opened = line;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(CsvError {
                                    line: opened,
                                    column: fields.len() + 1,
                                    name: None,
                                    message: "a quoted field is not closed".into(),
                                });
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    line += 1;
                                }
                                field.push(c);
                            }
                        }
                    }
                    match chars.peek() {
                        None | Some(',' | '\n' | '\r') => {}
                        Some(_) => {
                            return Err(CsvError {
                                line,
                                column: fields.len() + 1,
                                name: None,
                                message: "text after the closing quote of a quoted field".into(),
                            });
                        }
                    }
                }
                Some(',') => {
                    fields.push(std::mem::take(&mut field));
                    quoted_field = false;
                }
                Some('\n') => {
                    fields.push(std::mem::take(&mut field));
                    line += 1;
                    break;
                }
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    fields.push(std::mem::take(&mut field));
                    line += 1;
                    break;
                }
                Some('"') => {
                    return Err(CsvError {
                        line,
                        column: fields.len() + 1,
                        name: None,
                        message: "a quote inside an unquoted field (quote the whole field and double the quote)".into(),
                    });
                }
                Some(c) => field.push(c),
            }
        }
        out.push(Record {
            line: start,
            fields,
        });
    }
    Ok(out)
}

/// Reads CSV bytes (UTF-8, an optional byte order mark).
pub fn read_bytes(bytes: &[u8], source: &str) -> Result<Vec<Indicator>, CsvError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = 1 + before.iter().filter(|b| **b == b'\n').count();
        CsvError {
            line,
            column: 1 + before
                .rsplit(|b| *b == b'\n')
                .next()
                .map_or(0, |l| l.iter().filter(|b| **b == b',').count()),
            name: None,
            message: "not UTF-8".into(),
        }
    })?;
    read(text, source)
}

/// Reads CSV text; `source` names where the indicators come from (a
/// row's `source` column overrides it).
pub fn read(text: &str, source: &str) -> Result<Vec<Indicator>, CsvError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut records = records(text)?.into_iter();
    let Some(header) = records.next() else {
        return Err(CsvError {
            line: 1,
            column: 1,
            name: None,
            message:
                "empty: expected a header line `type,value[,source][,valid_until][,description]`"
                    .into(),
        });
    };
    let mut columns = Vec::with_capacity(header.fields.len());
    for (i, name) in header.fields.iter().enumerate() {
        let err = |message: String| CsvError {
            line: header.line,
            column: i + 1,
            name: None,
            message,
        };
        let key = name.trim().to_ascii_lowercase();
        let Some((_, col)) = COLUMNS.iter().find(|(n, _)| *n == key) else {
            return Err(err(format!(
                "unknown column `{name}` (known: type, value, source, valid_until, description)"
            )));
        };
        if columns.contains(col) {
            return Err(err(format!("the column `{key}` appears twice")));
        }
        columns.push(*col);
    }
    for (need, name) in [(Column::Type, "type"), (Column::Value, "value")] {
        if !columns.contains(&need) {
            return Err(CsvError {
                line: header.line,
                column: columns.len() + 1,
                name: None,
                message: format!("the header has no `{name}` column"),
            });
        }
    }
    let default_source: Arc<str> = Arc::from(source);
    let mut sources: Vec<Arc<str>> = vec![default_source.clone()];
    let mut out = Vec::new();
    for r in records {
        if r.fields.len() != columns.len() {
            return Err(CsvError {
                line: r.line,
                column: r.fields.len().min(columns.len()) + 1,
                name: None,
                message: format!(
                    "{} fields, the header has {}",
                    r.fields.len(),
                    columns.len()
                ),
            });
        }
        let get = |want: Column| {
            columns
                .iter()
                .position(|c| *c == want)
                .and_then(|i| r.fields.get(i).map(|f| (i, f.as_str())))
        };
        let err = |col: usize, message: String| CsvError {
            line: r.line,
            column: col + 1,
            name: header.fields.get(col).map(|n| n.trim().to_owned()),
            message,
        };
        let (type_col, ty) = get(Column::Type).unwrap_or_default();
        let (value_col, value) = get(Column::Value).unwrap_or_default();
        let ty = ty.trim().to_ascii_lowercase();
        let kind_value = match ty.as_str() {
            "ip" => match super::ip_or_cidr(value, None) {
                Ok((Kind::Cidr, _)) => Err(format!(
                    "`{}` is a CIDR block (type `cidr`), not an address",
                    value.trim()
                )),
                other => other,
            },
            "cidr" => {
                if value.contains('/') {
                    super::ip_or_cidr(value, None)
                } else {
                    Err(format!(
                        "`{}` is not a CIDR block (address/prefix length)",
                        value.trim()
                    ))
                }
            }
            "domain" => Kind::Domain.normalise(value).map(|v| (Kind::Domain, v)),
            "url" => Kind::Url.normalise(value).map(|v| (Kind::Url, v)),
            "md5" => Kind::Md5.normalise(value).map(|v| (Kind::Md5, v)),
            "sha1" => Kind::Sha1.normalise(value).map(|v| (Kind::Sha1, v)),
            "sha256" => Kind::Sha256.normalise(value).map(|v| (Kind::Sha256, v)),
            "user-agent" => Kind::UserAgent
                .normalise(value)
                .map(|v| (Kind::UserAgent, v)),
            _ => {
                return Err(err(
                    type_col,
                    format!(
                        "unknown type `{ty}` (ip, cidr, domain, url, md5, sha1, sha256, user-agent)"
                    ),
                ));
            }
        };
        let (kind, value) = kind_value.map_err(|m| err(value_col, m))?;
        let source = match get(Column::Source) {
            Some((_, s)) if !s.trim().is_empty() => {
                let s = s.trim();
                match sources.iter().find(|x| &***x == s) {
                    Some(x) => x.clone(),
                    None => {
                        let x: Arc<str> = Arc::from(s);
                        sources.push(x.clone());
                        x
                    }
                }
            }
            _ => default_source.clone(),
        };
        let valid_until = match get(Column::ValidUntil) {
            Some((i, s)) if !s.trim().is_empty() => {
                Some(super::stix::parse_time(s.trim()).ok_or_else(|| {
                    err(
                        i,
                        format!(
                            "`{}` is not an RFC 3339 timestamp (2027-01-01T00:00:00Z)",
                            s.trim()
                        ),
                    )
                })?)
            }
            _ => None,
        };
        let description = get(Column::Description)
            .map(|(_, s)| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mut h = Sha256::new();
        for part in [
            source.as_bytes(),
            kind.as_str().as_bytes(),
            value.as_bytes(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let digest = h.finalize();
        let id = format!(
            "csv--{}",
            data_encoding::HEXLOWER.encode(digest.get(..16).unwrap_or_default())
        );
        out.push(Indicator {
            id,
            kind,
            value,
            source,
            name: None,
            description,
            labels: Vec::new(),
            confidence: None,
            valid_from: 0,
            valid_until,
            revoked: false,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text`; compares `kind value source until` per indicator (or
    /// the error's text) with `expect`.
    fn check(text: &str, expect: &[&str]) {
        let got: Vec<String> = match read(text, "test") {
            Ok(list) => list
                .iter()
                .map(|i| {
                    format!(
                        "{} {} {} {}",
                        i.kind,
                        i.value,
                        i.source,
                        i.valid_until.map_or("-".into(), |u| u.to_string())
                    )
                })
                .collect(),
            Err(e) => vec![format!("error {e}")],
        };
        assert_eq!(got, expect, "{text}");
    }

    #[test]
    fn rows_become_indicators() {
        check(
            "type,value,source,valid_until,description\r\n\
             ip,198.51.100.7,KISA C-TAS,2027-01-01T00:00:00Z,C2\r\n\
             # a comment\n\
             \n\
             IP,2001:DB8::1,,,\n\
             cidr,203.0.113.9/24,,,\n\
             cidr,203.0.113.9/32,,,\n\
             domain,Evil.Example.,,,\n\
             url,HTTPS://Evil.Example,,,\n\
             md5,D41D8CD98F00B204E9800998ECF8427E,,,\n\
             user-agent,\"Mozilla/5.0 (compatible; \"\"Evil\"\", 1.0)\",,,\n",
            &[
                "ipv4 198.51.100.7 KISA C-TAS 1798761600000",
                "ipv6 2001:db8::1 test -",
                "cidr 203.0.113.0/24 test -",
                "ipv4 203.0.113.9 test -",
                "domain evil.example test -",
                "url https://evil.example/ test -",
                "md5 d41d8cd98f00b204e9800998ecf8427e test -",
                "user-agent Mozilla/5.0 (compatible; \"Evil\", 1.0) test -",
            ],
        );
        check(
            "value,type\n\"a.example\",domain",
            &["domain a.example test -"],
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        check(
            "",
            &[
                "error line 1, column 1: empty: expected a header line `type,value[,source][,valid_until][,description]`",
            ],
        );
        check(
            "type,value,when\n",
            &[
                "error line 1, column 3: unknown column `when` (known: type, value, source, valid_until, description)",
            ],
        );
        check(
            "type,type\n",
            &["error line 1, column 2: the column `type` appears twice"],
        );
        check(
            "type\n",
            &["error line 1, column 2: the header has no `value` column"],
        );
        check(
            "type,value\nip,10.0.0.1\n\nip,10.0.0.300\n",
            &["error line 4, column 2 (value): `10.0.0.300` is not an IP address or CIDR block"],
        );
        check(
            "type,value\nip,10.0.0.0/8\n",
            &[
                "error line 2, column 2 (value): `10.0.0.0/8` is a CIDR block (type `cidr`), not an address",
            ],
        );
        check(
            "type,value\nhost,x\n",
            &[
                "error line 2, column 1 (type): unknown type `host` (ip, cidr, domain, url, md5, sha1, sha256, user-agent)",
            ],
        );
        check(
            "type,value\nip\n",
            &["error line 2, column 2: 1 fields, the header has 2"],
        );
        check(
            "type,value,valid_until\nip,10.0.0.1,tomorrow\n",
            &[
                "error line 2, column 3 (valid_until): `tomorrow` is not an RFC 3339 timestamp (2027-01-01T00:00:00Z)",
            ],
        );
        check(
            "type,value\nuser-agent,\"a\nb\n",
            &["error line 2, column 2: a quoted field is not closed"],
        );
        check(
            "type,value\nuser-agent,\"a\nb\"\nip,x\n",
            &["error line 4, column 2 (value): `x` is not an IP address or CIDR block"],
        );
        check(
            "type,value\nuser-agent,a\"b\n",
            &[
                "error line 2, column 2: a quote inside an unquoted field (quote the whole field and double the quote)",
            ],
        );
        check(
            "type,value\nuser-agent,\"a\"b\n",
            &["error line 2, column 2: text after the closing quote of a quoted field"],
        );
    }

    #[test]
    fn ids_are_stable() {
        let a = read("type,value\nip,10.0.0.1\n", "s").unwrap();
        let b = read("type,value\n\nip,10.0.0.1\n", "s").unwrap();
        assert_eq!(a[0].id, b[0].id);
        assert!(
            a[0].id.starts_with("csv--") && a[0].id.len() == 37,
            "{}",
            a[0].id
        );
        let c = read("type,value\nip,10.0.0.1\n", "t").unwrap();
        assert_ne!(a[0].id, c[0].id);
    }
}
