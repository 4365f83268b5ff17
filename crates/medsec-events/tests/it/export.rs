//! Export: CSV (RFC 4180 escaping, Korean, the spreadsheet formula
//! guard) and NDJSON (read back as JSON), from a store's export iterator.

use medsec_events::{CsvOptions, CsvWriter, MemberScope, NdjsonWriter, Order, Query, TimeRange};
use medsec_logs::{Event, Value};

use crate::{MIDNIGHT_KST, ev, open, small_config};

fn events() -> Vec<Event> {
    vec![
        ev(
            "h1",
            MIDNIGHT_KST,
            "GET /a,b \"quoted\" 서버가 응답",
            &[
                ("user.name", Value::Str("김, \"철수\"".into())),
                ("destination.port", Value::Int(443)),
            ],
        ),
        ev(
            "h1",
            MIDNIGHT_KST + 1_500_000_000,
            "line one\nline two\r\nend",
            &[("source.ip", Value::Ip("10.0.0.1".parse().unwrap()))],
        ),
        ev(
            "h1",
            MIDNIGHT_KST + 2_000_000_000,
            "=HYPERLINK(\"http://evil\")",
            &[("n", Value::Int(-5))],
        ),
    ]
}

fn exported() -> Vec<Event> {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), small_config());
    store.append(events()[..2].to_vec()).unwrap();
    store.flush().unwrap();
    store.append(events()[2..].to_vec()).unwrap();
    store
        .export(
            &Query::all(),
            TimeRange::all(),
            &MemberScope::member("h1"),
            Order::OldestFirst,
        )
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn csv_escapes_quotes_commas_newlines_and_keeps_korean() {
    let evs = exported();
    assert_eq!(evs, events());
    let columns = [
        "@timestamp",
        "_member",
        "user.name",
        "destination.port",
        "source.ip",
        "n",
    ]
    .map(String::from)
    .to_vec();
    let mut w = CsvWriter::new(Vec::new(), columns, CsvOptions::default()).unwrap();
    for e in &evs {
        w.write(e).unwrap();
    }
    assert_eq!(w.rows(), 3);
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    let expect = "\u{feff}@timestamp,_member,user.name,destination.port,source.ip,n,raw\r\n\
        2024-04-30T15:00:00Z,h1,\"김, \"\"철수\"\"\",443,,,\"GET /a,b \"\"quoted\"\" 서버가 응답\"\r\n\
        2024-04-30T15:00:01.5Z,h1,,,10.0.0.1,,\"line one\nline two\r\nend\"\r\n\
        2024-04-30T15:00:02Z,h1,,,,-5,\"'=HYPERLINK(\"\"http://evil\"\")\"\r\n";
    assert_eq!(text, expect);

    let plain = CsvOptions {
        bom: false,
        guard_formulas: false,
    };
    let mut w = CsvWriter::new(Vec::new(), vec!["_id".into()], plain).unwrap();
    w.write(&evs[2]).unwrap();
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(
        text,
        format!(
            "_id,raw\r\n{},\"=HYPERLINK(\"\"http://evil\"\")\"\r\n",
            evs[2].id
        )
    );
}

#[test]
fn ndjson_has_every_part_of_the_event() {
    let evs = exported();
    let mut w = NdjsonWriter::new(Vec::new());
    for e in &evs {
        w.write(e).unwrap();
    }
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        serde_json::json!({
            "@timestamp": "2024-04-30T15:00:00Z",
            "member": "h1",
            "source": "tcp:6514",
            "id": evs[0].id.to_string(),
            "ingested": "2024-04-30T15:00:00.001Z",
            "raw": "GET /a,b \"quoted\" 서버가 응답",
            "fields": {"user.name": "김, \"철수\"", "destination.port": 443},
        })
    );
    assert_eq!(lines[1]["raw"], "line one\nline two\r\nend");
    assert_eq!(lines[1]["fields"]["source.ip"], "10.0.0.1");
    // Fields keep the event's order.
    let first = text.lines().next().unwrap();
    assert!(first.find("user.name").unwrap() < first.find("destination.port").unwrap());
}
