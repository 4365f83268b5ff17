//! Export writers: CSV with chosen columns and the raw message, and
//! NDJSON with every part of the event. Both take events one at a time
//! (from [`EventStore::export`](crate::EventStore::export)), so an export
//! of any size streams.

use std::io::{self, Write};

use medsec_logs::{Event, Fields};
use serde::ser::{SerializeMap, Serializer};

use crate::query::field_value;

/// An RFC 3339 UTC time with as many fraction digits as needed.
pub fn rfc3339(ns: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ns.to_string())
}

/// How CSV is written.
#[derive(Clone, Copy, Debug)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte order mark, without which spreadsheet
    /// programs read Korean text as mojibake. Default: on.
    pub bom: bool,
    /// Prefix `'` to cells that begin with `=`, `+`, `-`, `@`, a tab or a
    /// carriage return and are not numbers, so that a spreadsheet does
    /// not run a formula an attacker put into a log line (CSV injection).
    /// Default: on.
    pub guard_formulas: bool,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions {
            bom: true,
            guard_formulas: true,
        }
    }
}

/// Writes events as CSV (RFC 4180: CRLF line ends, fields with commas,
/// quotes or line breaks quoted, quotes doubled): a header, then one row
/// per event with the chosen columns and the raw message last.
///
/// A column is a field name or one of the query language's own fields:
/// `@timestamp` and `event.ingested` (written in RFC 3339), `_member`,
/// `_source`, `_id`. A field an event does not have is an empty cell.
pub struct CsvWriter<W: Write> {
    w: W,
    columns: Vec<String>,
    options: CsvOptions,
    rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header.
    pub fn new(mut w: W, columns: Vec<String>, options: CsvOptions) -> io::Result<CsvWriter<W>> {
        if options.bom {
            w.write_all("\u{feff}".as_bytes())?;
        }
        let mut me = CsvWriter {
            w,
            columns,
            options,
            rows: 0,
        };
        let header: Vec<String> = me
            .columns
            .iter()
            .cloned()
            .chain(["raw".to_owned()])
            .collect();
        me.row(&header, false)?;
        Ok(me)
    }

    fn cell(&self, text: &str, guard: bool) -> String {
        let guarded;
        let text = if guard
            && self.options.guard_formulas
            && text.starts_with(['=', '+', '-', '@', '\t', '\r'])
            && text.parse::<f64>().is_err()
        {
            guarded = format!("'{text}");
            guarded.as_str()
        } else {
            text
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }

    /// Writes a row; the header's cells are ours, so unguarded.
    fn row(&mut self, cells: &[String], guard: bool) -> io::Result<()> {
        let line: Vec<String> = cells.iter().map(|c| self.cell(c, guard)).collect();
        self.w.write_all(line.join(",").as_bytes())?;
        self.w.write_all(b"\r\n")
    }

    /// Writes one event.
    pub fn write(&mut self, ev: &Event) -> io::Result<()> {
        let mut cells: Vec<String> = self
            .columns
            .iter()
            .map(|c| match c.as_str() {
                "@timestamp" => rfc3339(ev.timestamp),
                "event.ingested" => rfc3339(ev.received),
                name => field_value(ev, name)
                    .map(|v| v.to_text())
                    .unwrap_or_default(),
            })
            .collect();
        cells.push(ev.raw.clone());
        self.row(&cells, true)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written (without the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Writes events as NDJSON, one object a line:
/// `{"@timestamp": RFC 3339, "member", "source", "id", "ingested": RFC
/// 3339, "raw", "fields": {name: value, …}}`, fields in the event's
/// order with their JSON types (addresses as strings, non-finite floats
/// as `null`).
pub struct NdjsonWriter<W: Write> {
    w: W,
    rows: u64,
}

struct FieldsJson<'a>(&'a Fields);

impl serde::Serialize for FieldsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct EventJson<'a>(&'a Event);

impl serde::Serialize for EventJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ev = self.0;
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("@timestamp", &rfc3339(ev.timestamp))?;
        m.serialize_entry("member", &ev.member)?;
        m.serialize_entry("source", &ev.source)?;
        m.serialize_entry("id", &ev.id.to_string())?;
        m.serialize_entry("ingested", &rfc3339(ev.received))?;
        m.serialize_entry("raw", &ev.raw)?;
        m.serialize_entry("fields", &FieldsJson(&ev.fields))?;
        m.end()
    }
}

impl<W: Write> NdjsonWriter<W> {
    pub fn new(w: W) -> NdjsonWriter<W> {
        NdjsonWriter { w, rows: 0 }
    }

    /// Writes one event as one line.
    pub fn write(&mut self, ev: &Event) -> io::Result<()> {
        serde_json::to_writer(&mut self.w, &EventJson(ev)).map_err(io::Error::other)?;
        self.w.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}
