//! loghub: every line of every log parses, and the Linux, OpenSSH and
//! Apache fields agree with the structured ground truth.

use medsec_logs::clock::{KST, NANOS_PER_SEC, format_rfc3339};
use medsec_logs::{Event, Format, Value};

use crate::{csv, data_or_skip, event, normalizer};

/// The event time as the log wrote it (KST wall clock): `hh:mm:ss`.
fn local_time(e: &Event) -> String {
    let local = format_rfc3339(e.timestamp + i64::from(KST) * NANOS_PER_SEC);
    local.get(11..19).unwrap_or_default().to_owned()
}

/// The event's month and day as the log wrote them (`Jun 14`).
fn local_day(e: &Event) -> (String, u32) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let local = format_rfc3339(e.timestamp + i64::from(KST) * NANOS_PER_SEC);
    let month: usize = local.get(5..7).unwrap().parse().unwrap();
    let day: u32 = local.get(8..10).unwrap().parse().unwrap();
    (MONTHS[month - 1].to_owned(), day)
}

fn text(e: &Event, field: &str) -> String {
    e.get(field).map(|v| v.to_text()).unwrap_or_default()
}

/// Reads `<name>/<name>_2k.log` and its structured CSV.
fn read(name: &str) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let dir = data_or_skip(name)?.join("logs/loghub").join(name);
    let log = std::fs::read_to_string(dir.join(format!("{name}_2k.log"))).unwrap();
    let structured =
        std::fs::read_to_string(dir.join(format!("{name}_2k.log_structured.csv"))).unwrap();
    let lines: Vec<String> = log.lines().map(str::to_owned).collect();
    let rows = csv(&structured).into_iter().skip(1).collect::<Vec<_>>();
    assert_eq!(lines.len(), rows.len(), "{name}");
    Some((lines, rows))
}

#[test]
fn linux_syslog_agrees_with_the_ground_truth() {
    let Some((lines, rows)) = read("Linux") else {
        return;
    };
    let mut n = normalizer(Format::Auto);
    let mut auth = 0;
    for (line, row) in lines.iter().zip(&rows) {
        // LineId,Month,Date,Time,Level,Component,PID,Content,EventId,EventTemplate
        let e = event(&mut n, line);
        let (month, day) = local_day(&e);
        assert_eq!(
            (month.as_str(), day.to_string().as_str()),
            (row[1].as_str(), row[2].as_str()),
            "{line}"
        );
        assert_eq!(local_time(&e), row[3], "{line}");
        assert_eq!(text(&e, "host.name"), row[4], "{line}");
        assert_eq!(text(&e, "process.name"), row[5], "{line}");
        assert_eq!(text(&e, "process.pid"), row[6], "{line}");
        assert_eq!(text(&e, "message").trim(), row[7].trim(), "{line}");
        if e.get("event.module").is_some_and(|m| m.to_text() == "auth") {
            auth += 1;
        }
    }
    // The PAM lines of sshd, su and friends are decoded.
    assert!(auth > 800, "{auth} authentication events");
}

#[test]
fn openssh_agrees_with_the_ground_truth() {
    let Some((lines, rows)) = read("OpenSSH") else {
        return;
    };
    let mut n = normalizer(Format::Auto);
    let (mut failed, mut accepted, mut invalid) = (0, 0, 0);
    for (line, row) in lines.iter().zip(&rows) {
        // LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate
        let e = event(&mut n, line);
        let (month, day) = local_day(&e);
        assert_eq!(
            (month.as_str(), day.to_string().as_str()),
            (row[1].as_str(), row[2].as_str()),
            "{line}"
        );
        assert_eq!(local_time(&e), row[3], "{line}");
        assert_eq!(text(&e, "host.name"), row[4], "{line}");
        assert_eq!(text(&e, "process.name"), "sshd", "{line}");
        assert_eq!(text(&e, "process.pid"), row[5], "{line}");
        // loghub trims the content.
        assert_eq!(text(&e, "message").trim(), row[6], "{line}");
        let content = &row[6];
        if content.starts_with("Failed password for ") {
            failed += 1;
            assert_eq!(text(&e, "event.outcome"), "failure", "{line}");
            assert!(matches!(e.get("source.ip"), Some(Value::Ip(_))), "{line}");
            assert!(
                matches!(e.get("source.port"), Some(Value::Int(_))),
                "{line}"
            );
            assert!(
                content.contains(&format!(" {} from ", text(&e, "user.name"))),
                "{line}"
            );
        }
        if content.starts_with("Accepted password for ") {
            accepted += 1;
            assert_eq!(text(&e, "event.outcome"), "success", "{line}");
        }
        if content.starts_with("Invalid user ") {
            invalid += 1;
            assert_eq!(text(&e, "event.action"), "invalid_user", "{line}");
            assert!(content.ends_with(&text(&e, "source.ip")), "{line}");
        }
    }
    assert!(
        failed > 100 && invalid > 50 && accepted > 0,
        "{failed} {invalid} {accepted}"
    );
}

#[test]
fn apache_error_log_agrees_with_the_ground_truth() {
    let Some((lines, rows)) = read("Apache") else {
        return;
    };
    let mut n = normalizer(Format::Auto);
    for (line, row) in lines.iter().zip(&rows) {
        // LineId,Time,Level,Content,EventId,EventTemplate
        let e = event(&mut n, line);
        assert_eq!(text(&e, "event.module"), "apache", "{line}");
        assert_eq!(text(&e, "log.level"), row[2], "{line}");
        // loghub keeps `[client …]` in the content; medsec reads it into
        // `source.ip`.
        let content = match row[3]
            .strip_prefix("[client ")
            .and_then(|r| r.split_once("] "))
        {
            Some((client, rest)) => {
                assert_eq!(text(&e, "source.ip"), client, "{line}");
                rest
            }
            None => row[3].as_str(),
        };
        assert_eq!(text(&e, "message"), content, "{line}");
        let (month, day) = local_day(&e);
        let expect_time = row[1].split(' ').nth(3).unwrap_or_default();
        assert_eq!(local_time(&e), expect_time, "{line}");
        assert!(row[1].contains(&format!("{month} {day:02}")), "{line}");
    }
}

#[test]
fn every_loghub_line_becomes_an_event() {
    let Some(dir) = data_or_skip("every_loghub_line_becomes_an_event") else {
        return;
    };
    for name in [
        "Linux",
        "OpenSSH",
        "Apache",
        "HDFS",
        "HealthApp",
        "Proxifier",
        "Windows",
    ] {
        let path = dir
            .join("logs/loghub")
            .join(name)
            .join(format!("{name}_2k.log"));
        let file = std::fs::File::open(&path).unwrap();
        let import = medsec_logs::Import::new(
            std::io::BufReader::new(file),
            medsec_logs::SourceConfig::new("m", name, Format::Auto),
            std::sync::Arc::new(medsec_logs::Decoders::new()),
            std::sync::Arc::new(medsec_logs::Masker::default()),
            crate::RECEIVED,
        )
        .unwrap();
        let format = import.format().clone();
        let mut events = 0;
        for line in import {
            let line = line.unwrap();
            match line.outcome {
                medsec_logs::Outcome::Event { error: None, .. } => events += 1,
                other => panic!("{name} line {}: {other:?}", line.line),
            }
        }
        assert_eq!(events, 2000, "{name}");
        let expect = match name {
            "Linux" | "OpenSSH" => Format::Rfc3164,
            "Apache" => Format::Apache,
            _ => Format::Auto,
        };
        assert_eq!(format, expect, "{name}");
    }
}
