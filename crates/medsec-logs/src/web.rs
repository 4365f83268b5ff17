//! Web server logs: the access log of nginx and Apache (Common and
//! Combined Log Format, with a leading virtual host as Apache's
//! `vhost_combined` writes it and trailing extras such as nginx's
//! `$request_time`), the Apache error log (2.2 and 2.4 forms) and the
//! nginx error log.

use crate::clock;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::Value;
use crate::syslog::TimeContext;
use crate::text;

fn format_error(format: &'static str, what: &'static str, at: usize) -> ParseError {
    ParseError::new(ErrorKind::Format { format, what }, at)
}

/// Where the `[time]` of an access log line is: the offset of its `[`
/// if three or four words precede it.
fn access_time(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let open = memchr::memchr(b'[', b.get(..b.len().min(600))?)?;
    if open == 0 || b[open - 1] != b' ' {
        return None;
    }
    let words = text::head(text, open - 1).split(' ').count();
    if !(3..=4).contains(&words) {
        return None;
    }
    clock::clf(b.get(open + 1..)?, 0).map(|_| open)
}

/// Whether `text` is an access log line.
pub(crate) fn looks_like_access(text: &str) -> bool {
    access_time(text).is_some()
}

/// Reads a double-quoted string at `at` (its opening quote), undoing
/// `\"` and `\\` (Apache) and `\x22` (nginx). Returns the text and the
/// offset after the closing quote.
fn quoted(text: &str, at: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    if b.get(at) != Some(&b'"') {
        return None;
    }
    let mut out = String::new();
    let mut i = at + 1;
    let mut copied = i;
    while i < b.len() {
        match b[i] {
            b'"' => {
                out.push_str(text::sub(text, copied, i));
                return Some((out, i + 1));
            }
            b'\\' if matches!(b.get(i + 1), Some(b'"' | b'\\')) => {
                out.push_str(text::sub(text, copied, i));
                out.push(char::from(b[i + 1]));
                i += 2;
                copied = i;
            }
            b'\\' if b.get(i + 1) == Some(&b'x') && b.get(i + 2..i + 4) == Some(b"22") => {
                out.push_str(text::sub(text, copied, i));
                out.push('"');
                i += 4;
                copied = i;
            }
            _ => i += 1,
        }
    }
    None
}

/// Sets the fields of an HTTP request line (`GET /a?b HTTP/1.1`).
fn request(draft: &mut Draft, line: &str) {
    let mut parts = line.splitn(3, ' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    match (method, target) {
        (Some(m), Some(t))
            if !m.is_empty() && m.bytes().all(|c| c.is_ascii_uppercase() || c == b'-') =>
        {
            draft.str("http.request.method", m);
            url(draft, t);
            if let Some(v) = version {
                draft.str("http.version", v.strip_prefix("HTTP/").unwrap_or(v));
            }
        }
        // A request that is not HTTP (a TLS handshake on the plain port,
        // a scanner's garbage) is kept as it is.
        _ => draft.str("url.original", line),
    }
}

/// Sets `url.original`, `url.path` and `url.query` of a request target.
fn url(draft: &mut Draft, target: &str) {
    draft.str("url.original", target);
    match target.split_once('?') {
        Some((path, query)) => {
            draft.str("url.path", path);
            draft.str("url.query", query);
        }
        None => draft.str("url.path", target),
    }
}

/// Decodes an access log line.
pub(crate) fn decode_access(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let open = access_time(text).ok_or(format_error(
        "access log",
        "expected `host ident user [time] \"request\" status bytes`",
        0,
    ))?;
    let words: Vec<&str> = text::head(text, open - 1).split(' ').collect();
    let words = if words.len() == 4 {
        // `vhost:port` first (Apache vhost_combined).
        let (host, port) = match words[0].rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) => (h, Some(p)),
            _ => (words[0], None),
        };
        draft.str("url.domain", host);
        if let Some(p) = port {
            draft.text("url.port", p);
        }
        &words[1..]
    } else {
        &words[..]
    };
    draft.ip_or("source.ip", "source.domain", words[0]);
    draft.str("user.name", words[2]);
    let b = text.as_bytes();
    let (time, used) = clock::clf(b.get(open + 1..).unwrap_or_default(), ctx.utc_offset)
        .ok_or(format_error("access log", "invalid time", open + 1))?;
    draft.timestamp = Some(time);
    let mut at = open + 1 + used;
    if b.get(at) != Some(&b']') || b.get(at + 1) != Some(&b' ') {
        return Err(format_error("access log", "expected `] `", at));
    }
    at += 2;
    let (line, end) =
        quoted(text, at).ok_or(format_error("access log", "expected a quoted request", at))?;
    request(draft, &line);
    at = end;
    // Status and size.
    let after = text::tail(text, at);
    let status_at = at + (after.len() - after.trim_start().len());
    let mut rest = after.trim_start().splitn(3, ' ');
    let status = rest.next().unwrap_or("");
    if text::parse_u64(status.as_bytes()).is_none() {
        return Err(format_error(
            "access log",
            "expected a status code",
            status_at,
        ));
    }
    draft.text("http.response.status_code", status);
    draft.text("http.response.body.bytes", rest.next().unwrap_or(""));
    // Combined: referrer and user agent; then extras.
    let extra = rest.next().unwrap_or("");
    let base = text.len() - extra.len();
    let mut at = base;
    let mut quoted_seen = 0;
    while at < b.len() {
        match b[at] {
            b' ' => at += 1,
            b'"' => {
                let Some((value, end)) = quoted(text, at) else {
                    break;
                };
                match quoted_seen {
                    0 => draft.str("http.request.referrer", &value),
                    1 => draft.str("user_agent.original", &value),
                    _ => {}
                }
                quoted_seen += 1;
                at = end;
            }
            _ => {
                let end = memchr::memchr(b' ', &b[at..]).map_or(b.len(), |n| at + n);
                let word = text::sub(text, at, end);
                // nginx `$request_time`: seconds with a fraction.
                if word.contains('.')
                    && draft.fields.get("event.duration").is_none()
                    && let Ok(secs) = word.parse::<f64>()
                    && secs.is_finite()
                    && (0.0..1e6).contains(&secs)
                {
                    draft.set("event.duration", Value::Int((secs * 1e9).round() as i64));
                }
                at = end;
            }
        }
    }
    Ok(())
}

/// Whether `text` is an Apache error log line (`[Www Mmm dd hh:mm:ss…`).
pub(crate) fn looks_like_apache_error(text: &str) -> bool {
    apache_time(text).is_some()
}

/// The time of an Apache error line and the offset after its `]`.
fn apache_time(text: &str) -> Option<(clock::BsdTime, usize)> {
    let b = text.as_bytes();
    if b.first() != Some(&b'[') || b.get(4) != Some(&b' ') {
        return None;
    }
    let (time, used) = clock::bsd(b.get(5..)?)?;
    if !time.has_year || b.get(5 + used) != Some(&b']') {
        return None;
    }
    Some((time, 5 + used + 1))
}

/// Decodes an Apache error log line: `[time] [module:level] [pid N:tid M]
/// [client ip:port] AH00000: message` (2.4) or `[time] [level] [client
/// ip] message` (2.2).
pub(crate) fn decode_apache_error(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let (time, mut at) = apache_time(text).ok_or(format_error(
        "apache",
        "expected `[Www Mmm dd hh:mm:ss yyyy] [level] message`",
        0,
    ))?;
    draft.timestamp = time.resolve(ctx.utc_offset, ctx.received);
    let b = text.as_bytes();
    let mut first = true;
    loop {
        while b.get(at) == Some(&b' ') {
            at += 1;
        }
        if b.get(at) != Some(&b'[') {
            break;
        }
        let Some(close) = memchr::memchr(b']', &b[at..]).map(|n| at + n) else {
            break;
        };
        let inner = text::sub(text, at + 1, close);
        if let Some(pid) = inner.strip_prefix("pid ") {
            let (pid, tid) = pid.split_once(":tid ").unwrap_or((pid, ""));
            draft.text("process.pid", pid);
            draft.text("process.thread.id", tid);
        } else if let Some(client) = inner
            .strip_prefix("client ")
            .or_else(|| inner.strip_prefix("remote "))
        {
            endpoint(draft, client);
        } else if first {
            match inner.split_once(':') {
                Some((module, level)) => {
                    draft.str("apache.error.module", module);
                    draft.str("log.level", level);
                }
                None => draft.str("log.level", inner),
            }
        } else {
            break;
        }
        first = false;
        at = close + 1;
    }
    let mut message = text::tail(text, at);
    // `AH00124: …`
    if message.starts_with("AH")
        && let Some((code, rest)) = message.split_once(": ")
        && code.len() == 7
        && code.bytes().skip(2).all(|c| c.is_ascii_digit())
    {
        draft.str("error.code", code);
        message = rest;
    }
    draft.str("message", message);
    Ok(())
}

/// Sets `source.ip` and `source.port` from `ip:port`, `[v6]:port` or `ip`.
fn endpoint(draft: &mut Draft, s: &str) {
    if crate::schema::parse_ip(s).is_some() {
        draft.text("source.ip", s);
        return;
    }
    if let Some((host, port)) = s.rsplit_once(':')
        && port.bytes().all(|c| c.is_ascii_digit())
    {
        draft.ip_or("source.ip", "source.domain", host);
        draft.text("source.port", port);
        return;
    }
    draft.ip_or("source.ip", "source.domain", s);
}

/// Whether `text` is an nginx error log line
/// (`yyyy/mm/dd hh:mm:ss [level] pid#tid: …`).
pub(crate) fn looks_like_nginx_error(text: &str) -> bool {
    let b = text.as_bytes();
    b.get(4) == Some(&b'/')
        && clock::iso(b, clock::IsoStyle::Loose)
            .is_some_and(|(_, _, used)| b.get(used..used + 2) == Some(b" ["))
}

/// Decodes an nginx error log line: `2024/03/09 10:00:00 [error]
/// 1234#5678: *9 message, client: 1.2.3.4, server: x, request: "GET /
/// HTTP/1.1", host: "x"`.
pub(crate) fn decode_nginx_error(text: &str, draft: &mut Draft, ctx: TimeContext) -> Result<()> {
    let b = text.as_bytes();
    let (civil, _, mut at) = clock::iso(b, clock::IsoStyle::Loose)
        .filter(|_| looks_like_nginx_error(text))
        .ok_or(format_error(
            "nginx",
            "expected `yyyy/mm/dd hh:mm:ss [level] …`",
            0,
        ))?;
    draft.timestamp = civil.to_unix_nanos(ctx.utc_offset);
    at += 2;
    let close = memchr::memchr(b']', &b[at..])
        .map(|n| at + n)
        .ok_or(format_error("nginx", "expected `]`", at))?;
    draft.str("log.level", text::sub(text, at, close));
    at = close + 1;
    let rest = text::tail(text, at).trim_start();
    let rest = match rest.split_once(": ") {
        Some((ids, rest)) if ids.contains('#') => {
            let (pid, tid) = ids.split_once('#').unwrap_or((ids, ""));
            draft.text("process.pid", pid);
            draft.text("process.thread.id", tid);
            rest
        }
        _ => rest,
    };
    let message = match rest.strip_prefix('*').and_then(|r| r.split_once(' ')) {
        Some((cid, message)) if cid.bytes().all(|c| c.is_ascii_digit()) => {
            draft.str("nginx.error.connection_id", cid);
            message
        }
        _ => rest,
    };
    draft.str("message", message);
    if let Some(i) = message.find(", client: ") {
        let client = text::tail(message, i + 10);
        let end = client.find(", ").unwrap_or(client.len());
        draft.ip_or("source.ip", "source.domain", text::head(client, end));
    }
    if let Some(i) = message.find(", request: \"") {
        let start = i + 11;
        if let Some((line, _)) = quoted(message, start) {
            request(draft, &line);
        }
    }
    if let Some(i) = message.find(", host: \"")
        && let Some((host, _)) = quoted(message, i + 8)
    {
        draft.str("url.domain", &host);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
