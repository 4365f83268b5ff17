//! The CISA Known Exploited Vulnerabilities catalogue, from its JSON or
//! CSV form. Each entry becomes one record whose body is the entry in one
//! canonical JSON form, so the two forms of the same catalogue import as
//! the same records.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::feed::{Kind, Limits, Record};
use crate::{Error, Result};

/// One catalogue entry, with the catalogue's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(rename = "cveID")]
    pub cve_id: String,
    #[serde(default)]
    pub vendor_project: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub vulnerability_name: String,
    #[serde(default)]
    pub date_added: String,
    #[serde(default)]
    pub short_description: String,
    #[serde(default)]
    pub required_action: String,
    #[serde(default)]
    pub due_date: String,
    /// `Known` or `Unknown`.
    #[serde(default)]
    pub known_ransomware_campaign_use: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub cwes: Vec<String>,
}

impl Entry {
    pub fn parse(body: &str) -> Result<Entry> {
        serde_json::from_str(body).map_err(|e| Error::invalid("kev", e.to_string()))
    }

    fn record(&self, origin: String) -> Result<Record> {
        if !self.cve_id.starts_with("CVE-") {
            return Err(Error::invalid(
                origin,
                format!("`{}` is not a CVE id", self.cve_id),
            ));
        }
        let body =
            serde_json::to_string(self).map_err(|e| Error::invalid(&origin, e.to_string()))?;
        Ok(Record {
            kind: Kind::Kev,
            id: self.cve_id.clone(),
            modified: self.date_added.clone(),
            body,
            origin,
        })
    }
}

pub(crate) fn split(
    value: &serde_json::Value,
    origin: &str,
    each: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let list = value
        .get("vulnerabilities")
        .and_then(|v| v.as_array())
        .ok_or_else(|| Error::invalid(origin, "a KEV catalogue needs `vulnerabilities`"))?;
    for (i, item) in list.iter().enumerate() {
        let at = format!("{origin} vulnerabilities[{i}]");
        let entry: Entry =
            serde_json::from_value(item.clone()).map_err(|e| Error::invalid(&at, e.to_string()))?;
        each(entry.record(at)?)?;
    }
    Ok(())
}

pub(crate) fn read_csv(
    mut input: Box<dyn Read>,
    origin: &str,
    limits: Limits,
    each: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let mut bytes = Vec::new();
    (&mut input)
        .take(limits.document_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            origin: origin.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > limits.document_bytes {
        return Err(Error::invalid(origin, "the file is too large"));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            origin,
            format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        )
    })?;
    let rows =
        csv_rows(&text).map_err(|(line, m)| Error::invalid(format!("{origin}:{line}"), m))?;
    let mut rows = rows.into_iter();
    let Some((_, header)) = rows.next() else {
        return Ok(());
    };
    let col = |name: &str| header.iter().position(|h| h == name);
    let cve = col("cveID").ok_or_else(|| Error::invalid(origin, "no cveID column"))?;
    let get = |row: &[String], name: &str| {
        col(name)
            .and_then(|i| row.get(i))
            .cloned()
            .unwrap_or_default()
    };
    for (line, row) in rows {
        if row.len() != header.len() {
            return Err(Error::invalid(
                format!("{origin}:{line}"),
                format!("{} fields, the header has {}", row.len(), header.len()),
            ));
        }
        let entry = Entry {
            cve_id: row.get(cve).cloned().unwrap_or_default(),
            vendor_project: get(&row, "vendorProject"),
            product: get(&row, "product"),
            vulnerability_name: get(&row, "vulnerabilityName"),
            date_added: get(&row, "dateAdded"),
            short_description: get(&row, "shortDescription"),
            required_action: get(&row, "requiredAction"),
            due_date: get(&row, "dueDate"),
            known_ransomware_campaign_use: get(&row, "knownRansomwareCampaignUse"),
            notes: get(&row, "notes"),
            cwes: get(&row, "cwes")
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        each(entry.record(format!("{origin}:{line}"))?)?;
    }
    Ok(())
}

/// RFC 4180 rows with the line each starts on: quoted fields may hold
/// commas, doubled quotes and line breaks.
/// A CSV row and the line it starts on.
type Row = (usize, Vec<String>);

fn csv_rows(text: &str) -> Result<Vec<Row>, (usize, String)> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut at_field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push((start, std::mem::take(&mut row)));
                }
                row.clear();
                line += 1;
                start = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err((start, "a quoted field is not closed".to_owned()));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((start, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_may_quote_commas_quotes_and_newlines() {
        let rows = csv_rows("a,b,c\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n\n2,,\n").unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].0, 2);
        assert_eq!(rows[1].1, ["1", "x, \"y\"", "two\nlines"]);
        assert_eq!(
            rows[2],
            (5, vec!["2".to_owned(), String::new(), String::new()])
        );
        assert_eq!(csv_rows("a,\"b\n").unwrap_err().0, 1);
    }
}
