//! Windows events as JSON, in the two shapes collectors send:
//!
//! - winlogbeat's ECS documents (`{"@timestamp":…,"winlog":{"event_id":
//!   4625,"channel":"Security","event_data":{…}},…}`), flattened as JSON
//!   lines are, with `winlog.event_id` made a number;
//! - the EVTX record as JSON (`{"Event":{"System":{…},"EventData":{…}}}`),
//!   as evtx_dump, NXLog's `xm_xml` and the Sigma regression data write
//!   it, with XML attributes under `#attributes` (or `@Name`) and text
//!   under `#text`; `EventData` may also be a `Data` list of named items.
//!
//! Both then get the same ECS fields for the events analysts search most:
//! logons (4624, 4625, 4634, 4648, 4672, 4740, 4768–4776), process
//! creation (4688, Sysmon 1) and Sysmon network connections (3).

use serde_json::{Map, Value as Json};

use crate::clock;
use crate::draft::Draft;
use crate::event::Value;
use crate::json;
use crate::schema;
use crate::syslog::TimeContext;

/// Whether a JSON object is a Windows event in either shape.
pub(crate) fn is_windows(object: &Map<String, Json>) -> bool {
    object.get("winlog").is_some_and(Json::is_object)
        || object
            .get("Event")
            .and_then(|e| e.get("System"))
            .is_some_and(Json::is_object)
}

/// An XML attribute of an EVTX element in any of the JSON spellings.
fn attr<'a>(element: &'a Json, name: &str) -> Option<&'a Json> {
    element
        .get(name)
        .or_else(|| element.get("#attributes").and_then(|a| a.get(name)))
        .or_else(|| element.get(format!("@{name}")))
}

/// The text of an element: a string or number, or its `#text`/`$`.
fn text_of(element: &Json) -> Option<String> {
    match element {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Object(o) => o.get("#text").or_else(|| o.get("$")).and_then(text_of),
        _ => None,
    }
}

/// Decodes a Windows event (already parsed and recognised).
pub(crate) fn decode_object(object: Map<String, Json>, draft: &mut Draft, ctx: TimeContext) {
    let data = if object.contains_key("winlog") {
        winlogbeat(object, draft, ctx)
    } else {
        evtx(object, draft, ctx)
    };
    enrich(draft, &data);
}

/// winlogbeat's ECS document: flattened as is.
fn winlogbeat(object: Map<String, Json>, draft: &mut Draft, ctx: TimeContext) -> Map<String, Json> {
    json::decode_object(&object, draft, ctx);
    if let Some(Value::Str(id)) = draft.fields.get("winlog.event_id").cloned()
        && let Ok(n) = id.parse::<i64>()
    {
        draft.set("winlog.event_id", Value::Int(n));
    }
    if draft.fields.get("host.name").is_none()
        && let Some(Value::Str(c)) = draft.fields.get("winlog.computer_name").cloned()
    {
        draft.str("host.name", &c);
    }
    object
        .get("winlog")
        .and_then(|w| w.get("event_data"))
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

/// The EVTX record as JSON.
fn evtx(object: Map<String, Json>, draft: &mut Draft, ctx: TimeContext) -> Map<String, Json> {
    let Some(Json::Object(mut event)) = object
        .into_iter()
        .find(|(k, _)| k == "Event")
        .map(|(_, v)| v)
    else {
        return Map::new();
    };
    let system = event.remove("System").unwrap_or(Json::Null);
    let field = |name: &str| system.get(name);
    if let Some(id) = field("EventID").and_then(text_of) {
        match id.parse::<i64>() {
            Ok(n) => draft.set("winlog.event_id", Value::Int(n)),
            Err(_) => draft.str("winlog.event_id", &id),
        }
    }
    if let Some(p) = field("Provider")
        .and_then(|p| attr(p, "Name"))
        .and_then(text_of)
    {
        draft.str("winlog.provider_name", &p);
    }
    if let Some(c) = field("Channel").and_then(text_of) {
        draft.str("winlog.channel", &c);
    }
    if let Some(c) = field("Computer").and_then(text_of) {
        draft.str("winlog.computer_name", &c);
        draft.str("host.name", &c);
    }
    if let Some(r) = field("EventRecordID").and_then(text_of) {
        draft.text("winlog.record_id", &r);
    }
    if let Some(level) = field("Level").and_then(text_of) {
        let word = match level.as_str() {
            "1" => "critical",
            "2" => "error",
            "3" => "warning",
            "0" | "4" => "information",
            "5" => "verbose",
            _ => "",
        };
        draft.str("log.level", word);
    }
    if let Some(exec) = field("Execution") {
        if let Some(p) = attr(exec, "ProcessID").and_then(text_of) {
            draft.text("winlog.process.pid", &p);
        }
        if let Some(t) = attr(exec, "ThreadID").and_then(text_of) {
            draft.text("winlog.process.thread.id", &t);
        }
    }
    if let Some(u) = field("Security")
        .and_then(|s| attr(s, "UserID"))
        .and_then(text_of)
    {
        draft.str("winlog.user.identifier", &u);
    }
    if let Some(t) = field("TimeCreated")
        .and_then(|t| attr(t, "SystemTime"))
        .and_then(text_of)
        .and_then(|t| clock::parse_any(&t, 0, ctx.received))
    {
        draft.timestamp = Some(t);
    }
    let data = event_data(event.remove("EventData").unwrap_or(Json::Null));
    for (k, v) in json::sorted(&data) {
        let mut name = String::from("winlog.event_data.");
        name.push_str(k);
        json::flatten(draft, &name, v);
    }
    if let Some(user_data) = event.remove("UserData") {
        json::flatten(draft, "winlog.user_data", &user_data);
    }
    data
}

/// EventData as a name → value map, from `{"Name": value}` or from a
/// `Data` list of `{"@Name"/"#attributes":{"Name"}, "#text"}` items.
fn event_data(data: Json) -> Map<String, Json> {
    let Json::Object(mut map) = data else {
        return Map::new();
    };
    let items = match map.remove("Data") {
        Some(Json::Array(items)) => items,
        Some(item @ Json::Object(_)) => vec![item],
        Some(other) => {
            map.insert("Data".into(), other);
            return map;
        }
        None => return map,
    };
    for (i, item) in items.into_iter().enumerate() {
        match attr(&item, "Name").and_then(text_of) {
            Some(name) => {
                let value = text_of(&item).map_or(Json::Null, Json::String);
                map.insert(name, value);
            }
            None => {
                let value = text_of(&item).map_or(item, Json::String);
                map.insert(format!("Data{i}"), value);
            }
        }
    }
    map.remove("#attributes");
    map
}

/// The ECS fields of the events analysts search most, from the event id,
/// the provider and the event data.
fn enrich(draft: &mut Draft, data: &Map<String, Json>) {
    let id = match draft.fields.get("winlog.event_id") {
        Some(Value::Int(n)) => *n,
        _ => return,
    };
    draft.default_text("event.code", &id.to_string());
    let get = |k: &str| {
        data.get(k)
            .and_then(text_of)
            .filter(|v| !v.is_empty() && v != "-")
    };
    let sysmon = matches!(
        draft.fields.get("winlog.provider_name"),
        Some(Value::Str(p)) if p == "Microsoft-Windows-Sysmon"
    ) || matches!(
        draft.fields.get("winlog.channel"),
        Some(Value::Str(c)) if c == "Microsoft-Windows-Sysmon/Operational"
    );
    let copy = |draft: &mut Draft, key: &str, name: &'static str| {
        if let Some(v) = get(key) {
            draft.default_text(name, &v);
        }
    };
    if sysmon {
        match id {
            1 => {
                draft.default_text("event.category", "process");
                draft.default_text("event.action", "process-created");
                copy(draft, "Image", "process.executable");
                copy(draft, "CommandLine", "process.command_line");
                copy(draft, "ProcessId", "process.pid");
                copy(draft, "ParentImage", "process.parent.executable");
                copy(draft, "ParentCommandLine", "process.parent.command_line");
                copy(draft, "ParentProcessId", "process.parent.pid");
                copy(draft, "User", "user.name");
            }
            3 => {
                draft.default_text("event.category", "network");
                draft.default_text("event.action", "network-connection");
                copy(draft, "Image", "process.executable");
                copy(draft, "ProcessId", "process.pid");
                copy(draft, "SourceIp", "source.ip");
                copy(draft, "SourcePort", "source.port");
                copy(draft, "DestinationIp", "destination.ip");
                copy(draft, "DestinationPort", "destination.port");
                if let Some(p) = get("Protocol")
                    && draft.fields.get("network.transport").is_none()
                {
                    draft.transport(&p);
                }
                copy(draft, "User", "user.name");
            }
            _ => {
                copy(draft, "Image", "process.executable");
                copy(draft, "ProcessId", "process.pid");
            }
        }
        return;
    }
    let (action, outcome) = match id {
        4624 => ("logged-in", Some("success")),
        4625 => ("logon-failed", Some("failure")),
        4634 | 4647 => ("logged-out", Some("success")),
        4648 => ("logged-in-explicit", Some("success")),
        4672 => ("logged-in-special", Some("success")),
        4740 => ("locked-out-user-account", Some("success")),
        4768 => ("kerberos-authentication-ticket-requested", None),
        4769 => ("kerberos-service-ticket-requested", None),
        4771 => ("kerberos-preauth-failed", Some("failure")),
        4776 => ("credential-validated", None),
        4688 => {
            draft.default_text("event.category", "process");
            draft.default_text("event.action", "created-process");
            copy(draft, "NewProcessName", "process.executable");
            copy(draft, "CommandLine", "process.command_line");
            copy(draft, "ParentProcessName", "process.parent.executable");
            copy(draft, "SubjectUserName", "user.name");
            return;
        }
        _ => return,
    };
    draft.default_text("event.category", "authentication");
    draft.default_text("event.action", action);
    let outcome = match (id, get("Status")) {
        (4768 | 4769 | 4776, Some(status)) => Some(if status == "0x0" {
            "success"
        } else {
            "failure"
        }),
        _ => outcome,
    };
    if let Some(o) = outcome {
        draft.default_text("event.outcome", o);
    }
    let user = get("TargetUserName").or_else(|| get("SubjectUserName"));
    if let Some(u) = user {
        draft.default_text("user.name", &u);
    }
    if let Some(ip) = get("IpAddress") {
        let ip = ip.strip_prefix("::ffff:").unwrap_or(&ip);
        if schema::parse_ip(ip).is_some() {
            draft.default_text("source.ip", ip);
        }
    }
    if let Some(port) = get("IpPort").filter(|p| p != "0") {
        draft.default_text("source.port", &port);
    }
}

#[cfg(test)]
mod tests;
