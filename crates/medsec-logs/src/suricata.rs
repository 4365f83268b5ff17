//! Suricata EVE JSON (`eve.json`, one record per line, or over syslog):
//! the five-tuple, `alert`, `http`, `dns`, `flow` and `tls` records mapped
//! to ECS names, everything else kept flattened under `suricata.eve.`.

use serde_json::{Map, Value as Json};

use crate::clock;
use crate::draft::Draft;
use crate::event::Value;
use crate::json;
use crate::syslog::TimeContext;

/// Whether a JSON object is an EVE record: it has `event_type` and a
/// `timestamp`, and a flow id or addresses.
pub(crate) fn is_eve(object: &Map<String, Json>) -> bool {
    object.contains_key("event_type")
        && object.contains_key("timestamp")
        && (object.contains_key("flow_id") || object.contains_key("src_ip"))
}

/// Takes a string member out of an object.
fn take_str(object: &mut Map<String, Json>, key: &str) -> Option<String> {
    match object.remove(key)? {
        Json::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// Takes an object member out of a record; a member of another type is
/// kept flattened under `suricata.eve.<key>`.
fn take_object(
    eve: &mut Map<String, Json>,
    key: &str,
    draft: &mut Draft,
) -> Option<Map<String, Json>> {
    match eve.remove(key)? {
        Json::Object(map) => Some(map),
        other => {
            let mut name = String::from("suricata.eve.");
            name.push_str(key);
            json::flatten(draft, &name, &other);
            None
        }
    }
}

/// Moves `key` of `object` to the field `name` (typed by its JSON type or
/// the schema).
fn moved(draft: &mut Draft, object: &mut Map<String, Json>, key: &str, name: &str) {
    if let Some(v) = object.remove(key) {
        json::flatten(draft, name, &v);
    }
}

/// Decodes an EVE record (already parsed).
pub(crate) fn decode_object(mut eve: Map<String, Json>, draft: &mut Draft, ctx: TimeContext) {
    if let Some(t) = take_str(&mut eve, "timestamp") {
        match clock::parse_any(&t, ctx.utc_offset, ctx.received) {
            Some(t) => draft.timestamp = Some(t),
            None => draft.str("suricata.eve.timestamp", &t),
        }
    }
    let event_type = take_str(&mut eve, "event_type").unwrap_or_default();
    draft.str("suricata.eve.event_type", &event_type);
    let (kind, category) = match event_type.as_str() {
        "alert" => ("alert", "intrusion_detection"),
        "http" | "fileinfo" => ("event", "web"),
        _ => ("event", "network"),
    };
    draft.str("event.kind", kind);
    draft.str("event.category", category);
    moved(draft, &mut eve, "src_ip", "source.ip");
    moved(draft, &mut eve, "src_port", "source.port");
    moved(draft, &mut eve, "dest_ip", "destination.ip");
    moved(draft, &mut eve, "dest_port", "destination.port");
    if let Some(p) = take_str(&mut eve, "proto") {
        draft.transport(&p);
    }
    if let Some(p) = take_str(&mut eve, "app_proto") {
        draft.str("network.protocol", &p.to_ascii_lowercase());
    }
    moved(draft, &mut eve, "community_id", "network.community_id");

    if let Some(mut alert) = take_object(&mut eve, "alert", draft) {
        moved(draft, &mut alert, "signature", "rule.name");
        if let Some(id) = alert.remove("signature_id") {
            draft.str("rule.id", &id.to_string());
        }
        moved(draft, &mut alert, "category", "rule.category");
        if let Some(s) = alert.remove("severity").and_then(|s| s.as_i64()) {
            draft.set("event.severity", Value::Int(s));
        }
        moved(draft, &mut alert, "action", "event.action");
        json::flatten(draft, "suricata.eve.alert", &Json::Object(alert));
    }
    if let Some(mut http) = take_object(&mut eve, "http", draft) {
        moved(draft, &mut http, "hostname", "url.domain");
        moved(draft, &mut http, "url", "url.original");
        moved(draft, &mut http, "http_method", "http.request.method");
        moved(draft, &mut http, "status", "http.response.status_code");
        moved(draft, &mut http, "http_user_agent", "user_agent.original");
        moved(draft, &mut http, "http_refer", "http.request.referrer");
        moved(draft, &mut http, "length", "http.response.body.bytes");
        if let Some(p) = take_str(&mut http, "protocol") {
            draft.str("http.version", p.strip_prefix("HTTP/").unwrap_or(&p));
        }
        json::flatten(draft, "suricata.eve.http", &Json::Object(http));
    }
    if let Some(mut dns) = take_object(&mut eve, "dns", draft) {
        moved(draft, &mut dns, "type", "dns.type");
        moved(draft, &mut dns, "id", "dns.id");
        moved(draft, &mut dns, "rrname", "dns.question.name");
        moved(draft, &mut dns, "rrtype", "dns.question.type");
        moved(draft, &mut dns, "rcode", "dns.response_code");
        // EVE v3 puts the question in `queries`.
        if let Some(Json::Object(q)) = dns.get("queries").and_then(|q| q.get(0)) {
            if let Some(Json::String(n)) = q.get("rrname") {
                draft.default_text("dns.question.name", n);
            }
            if let Some(Json::String(t)) = q.get("rrtype") {
                draft.default_text("dns.question.type", t);
            }
        }
        json::flatten(draft, "suricata.eve.dns", &Json::Object(dns));
    }
    if let Some(mut tls) = take_object(&mut eve, "tls", draft) {
        moved(draft, &mut tls, "subject", "tls.server.subject");
        moved(draft, &mut tls, "issuerdn", "tls.server.issuer");
        if let Some(f) = take_str(&mut tls, "fingerprint") {
            draft.str(
                "tls.server.hash.sha1",
                &f.replace(':', "").to_ascii_uppercase(),
            );
        }
        moved(draft, &mut tls, "sni", "tls.client.server_name");
        moved(draft, &mut tls, "version", "tls.version");
        json::flatten(draft, "suricata.eve.tls", &Json::Object(tls));
    }
    if let Some(mut flow) = take_object(&mut eve, "flow", draft) {
        moved(draft, &mut flow, "pkts_toserver", "source.packets");
        moved(draft, &mut flow, "pkts_toclient", "destination.packets");
        moved(draft, &mut flow, "bytes_toserver", "source.bytes");
        moved(draft, &mut flow, "bytes_toclient", "destination.bytes");
        json::flatten(draft, "suricata.eve.flow", &Json::Object(flow));
    }
    json::flatten(draft, "suricata.eve", &Json::Object(eve));
}

#[cfg(test)]
mod tests;
