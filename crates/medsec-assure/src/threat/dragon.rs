//! OWASP Threat Dragon v2 models (the JSON that Threat Dragon 2.x opens
//! and saves; `td.vue/src/assets/schema/threat-dragon-v2.schema.json`).
//!
//! [`export`] writes a model with every diagram's cells (`actor`,
//! `process`, `store`, `flow`, `trust-boundary-box`,
//! `trust-boundary-curve`, `td-text-block`), positions and sizes from the
//! model or [`super::layout`], and each cell's threats with their STRIDE
//! type, status, severity and mitigation. What Threat Dragon has no field
//! for (English names, data kinds, authentication, interfaces, KISA
//! threats, requirements, controls) goes in a `medsec` object inside the
//! cell's `data` or the threat, which Threat Dragon carries along.
//!
//! [`import`] reads such a file into a model: elements, flows (a loose
//! end stays a point), boundaries (boxes contain what lies wholly inside
//! them, as in Threat Dragon; a flow crosses a boundary line when its
//! drawn path does), text blocks and threats. Malformed input is refused
//! with the JSON pointer of what is wrong. Kept: the summary's title,
//! owner and description, the reviewer and contributors, each diagram's
//! number, title, description, methodology and thumbnail, and every cell's
//! data, geometry and threats. Not kept, as Threat Dragon recomputes or
//! only displays them: `hasOpenThreats`, `isTrustBoundary`, `threatTop`,
//! `diagramTop`, the summary's `id` (written as 0), a diagram's
//! `placeholder` and `version`, styling (`attrs` other than labels,
//! `ports`, `zIndex`, `connector`), the editor's `threatFrequency` and a
//! threat's `new` flag.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Boundary, BoundaryShape, Category, ComponentInfo, DataKind, DeviceContext, Diagram, Element,
    ElementKind, End, Flags, Flow, Note, Point, Port, Rect, Severity, Status, Stride, Text, Threat,
    ThreatModel,
};

/// The Threat Dragon release whose format (and schema) is written.
pub const VERSION: &str = "2.6.2";

/// A file that is not a Threat Dragon v2 model, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DragonError {
    #[error("line {line}, column {column}: not JSON: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// `pointer` is an RFC 6901 JSON pointer into the file (`""`: the
    /// whole document).
    #[error("{}: {message}", shown(.pointer))]
    Invalid { pointer: String, message: String },
}

/// The root's pointer is empty; say so.
fn shown(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(document)"
    } else {
        pointer
    }
}

fn invalid(pointer: impl Into<String>, message: impl Into<String>) -> DragonError {
    DragonError::Invalid {
        pointer: pointer.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------- export

/// What Threat Dragon has no field for, per element.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ElementExt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    component: Option<ComponentInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ports: Vec<Port>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    derived: Option<Text>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FlowExt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interface: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    data: Vec<DataKind>,
    /// `isEncrypted: false` means "not stated" rather than "no".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    encryption_unknown: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authenticated: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    derived: Option<Text>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BoundaryExt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    derived: Option<Text>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ThreatExt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    title_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mitigation_en: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    kisa: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    requirements: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    controls: Vec<Text>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    crossing: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    generated: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SummaryExt {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<DeviceContext>,
}

/// A whole number when the value is one (the schema types some
/// coordinates as integers), else the number.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn point(p: Point) -> Value {
    json!({"x": number(p.x), "y": number(p.y)})
}

fn ext<T: Serialize>(value: &T) -> Option<Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(m)) if !m.is_empty() => Some(Value::Object(m)),
        _ => None,
    }
}

fn threat_json(t: &Threat) -> Value {
    let (model, kind) = match &t.category {
        Category::Stride(s) => ("STRIDE".to_owned(), s.en().to_owned()),
        Category::Other { model, kind } => (model.clone(), kind.clone()),
    };
    let differs = |a: &str, b: &str| (a != b).then(|| b.to_owned());
    let e = ThreatExt {
        title_en: differs(&t.title.ko, &t.title.en),
        description_en: differs(&t.description.ko, &t.description.en),
        mitigation_en: differs(&t.mitigation.ko, &t.mitigation.en),
        kisa: t.kisa.clone(),
        requirements: t.requirements.clone(),
        controls: t.controls.clone(),
        crossing: t.crossing,
        generated: t.generated,
    };
    let mut v = json!({
        "id": t.id,
        "title": t.title.ko,
        "status": t.status.as_str(),
        "severity": t.severity.as_str(),
        "type": kind,
        "description": t.description.ko,
        "mitigation": t.mitigation.ko,
        "score": t.score,
    });
    if let Value::Object(m) = &mut v {
        if !model.is_empty() {
            m.insert("modelType".into(), json!(model));
        }
        if let Some(n) = t.number {
            m.insert("number".into(), json!(n));
        }
        if let Some(x) = ext(&e) {
            m.insert("medsec".into(), x);
        }
    }
    v
}

/// Threat Dragon's look: red for open threats, dashes out of scope.
fn stroke(open: bool, out_of_scope: bool) -> Value {
    json!({
        "stroke": if open { "red" } else { "#333333" },
        "strokeWidth": if open { 2.5 } else { 1.5 },
        "strokeDasharray": if out_of_scope { json!("4 3") } else { Value::Null },
    })
}

fn label(text: &str) -> Value {
    json!([{
        "markup": [{"tagName": "ellipse", "selector": "labelBody"}, {"tagName": "text", "selector": "labelText"}],
        "attrs": {
            "labelText": {"text": text, "textAnchor": "middle", "textVerticalAnchor": "middle"},
            "labelBody": {"ref": "labelText", "refRx": "50%", "refRy": "60%", "fill": "#fff", "strokeWidth": 0}
        },
        "position": 0.5
    }])
}

fn element_cell(e: &Element, threats: Vec<Value>, open: bool) -> Value {
    let (shape, ty) = match e.kind {
        ElementKind::Process => ("process", "tm.Process"),
        ElementKind::External => ("actor", "tm.Actor"),
        ElementKind::Store => ("store", "tm.Store"),
    };
    let f = &e.flags;
    let mut data = json!({
        "type": ty,
        "name": e.name,
        "description": e.description,
        "outOfScope": e.out_of_scope,
        "reasonOutOfScope": e.out_of_scope_reason,
        "isTrustBoundary": false,
        "hasOpenThreats": open,
        "threats": threats,
    });
    if let Value::Object(m) = &mut data {
        match e.kind {
            ElementKind::External => {
                m.insert(
                    "providesAuthentication".into(),
                    json!(f.provides_authentication),
                );
            }
            ElementKind::Process => {
                m.insert("handlesCardPayment".into(), json!(f.handles_card_payment));
                m.insert(
                    "handlesGoodsOrServices".into(),
                    json!(f.handles_goods_or_services),
                );
                m.insert("isWebApplication".into(), json!(f.web_application));
                m.insert("privilegeLevel".into(), json!(f.privilege_level));
            }
            ElementKind::Store => {
                m.insert("isALog".into(), json!(f.is_log));
                m.insert("isEncrypted".into(), json!(f.encrypted));
                m.insert("isSigned".into(), json!(f.signed));
                m.insert("storesCredentials".into(), json!(f.stores_credentials));
                m.insert("storesInventory".into(), json!(f.stores_inventory));
            }
        }
        let x = ElementExt {
            name_en: e.name_en.clone(),
            component: e.component.clone(),
            ports: e.ports.clone(),
            derived: e.derived.clone(),
        };
        if let Some(x) = ext(&x) {
            m.insert("medsec".into(), x);
        }
    }
    let look = stroke(open, e.out_of_scope);
    let attrs = match e.kind {
        ElementKind::Store => {
            json!({"text": {"text": e.name}, "topLine": look.clone(), "bottomLine": look})
        }
        _ => json!({"text": {"text": e.name}, "body": look}),
    };
    let mut cell = json!({
        "id": e.id,
        "shape": shape,
        "zIndex": 1,
        "visible": true,
        "attrs": attrs,
        "data": data,
    });
    if let (Value::Object(m), Some(at)) = (&mut cell, e.at) {
        m.insert("position".into(), point(Point { x: at.x, y: at.y }));
        m.insert(
            "size".into(),
            json!({"width": number(at.width), "height": number(at.height)}),
        );
    }
    cell
}

fn end_json(end: &End) -> Value {
    match end {
        End::Element(id) => json!({"cell": id}),
        End::Point(p) => point(*p),
    }
}

fn flow_cell(f: &Flow, threats: Vec<Value>, open: bool) -> Value {
    let x = FlowExt {
        name_en: f.name_en.clone(),
        interface: f.interface.clone(),
        data: f.data.clone(),
        encryption_unknown: f.encrypted.is_none(),
        authenticated: f.authenticated,
        derived: f.derived.clone(),
    };
    let mut data = json!({
        "type": "tm.Flow",
        "name": f.name,
        "description": f.description,
        "outOfScope": f.out_of_scope,
        "reasonOutOfScope": f.out_of_scope_reason,
        "isTrustBoundary": false,
        "hasOpenThreats": open,
        "isBidirectional": f.bidirectional,
        "isEncrypted": f.encrypted == Some(true),
        "isPublicNetwork": f.public_network,
        "protocol": f.protocol,
        "threats": threats,
    });
    if let (Value::Object(m), Some(x)) = (&mut data, ext(&x)) {
        m.insert("medsec".into(), x);
    }
    let mut line = stroke(open, f.out_of_scope);
    if let Value::Object(m) = &mut line {
        m.insert("targetMarker".into(), json!({"name": "block"}));
        m.insert(
            "sourceMarker".into(),
            json!({"name": if f.bidirectional { "block" } else { "" }}),
        );
    }
    json!({
        "id": f.id,
        "shape": "flow",
        "zIndex": 10,
        "connector": "smooth",
        "attrs": {"line": line},
        "labels": label(&f.name),
        "source": end_json(&f.from),
        "target": end_json(&f.to),
        "vertices": f.vertices.iter().map(|p| point(*p)).collect::<Vec<_>>(),
        "data": data,
    })
}

fn boundary_cell(b: &Boundary, threats: Vec<Value>) -> Value {
    let x = BoundaryExt {
        name_en: b.name_en.clone(),
        derived: b.derived.clone(),
    };
    let mut data = json!({
        "name": b.name,
        "description": b.description,
        "isTrustBoundary": true,
        "hasOpenThreats": false,
    });
    if let Value::Object(m) = &mut data {
        if !threats.is_empty() {
            m.insert("threats".into(), Value::Array(threats));
        }
        if let Some(x) = ext(&x) {
            m.insert("medsec".into(), x);
        }
    }
    match &b.shape {
        BoundaryShape::Box { at } => {
            if let Value::Object(m) = &mut data {
                m.insert("type".into(), json!("tm.BoundaryBox"));
            }
            let mut cell = json!({
                "id": b.id,
                "shape": "trust-boundary-box",
                "zIndex": -1,
                "visible": true,
                "attrs": {"label": {"text": b.name}},
                "data": data,
            });
            if let (Value::Object(m), Some(at)) = (&mut cell, at) {
                m.insert("position".into(), point(Point { x: at.x, y: at.y }));
                m.insert(
                    "size".into(),
                    json!({"width": number(at.width), "height": number(at.height)}),
                );
            }
            cell
        }
        BoundaryShape::Curve { from, to, vertices } => {
            if let Value::Object(m) = &mut data {
                m.insert("type".into(), json!("tm.Boundary"));
            }
            json!({
                "id": b.id,
                "shape": "trust-boundary-curve",
                "zIndex": 10,
                "connector": "smooth",
                "attrs": {"line": {"targetMarker": "", "sourceMarker": ""}},
                "labels": label(&b.name),
                "source": point(*from),
                "target": point(*to),
                "vertices": vertices.iter().map(|p| point(*p)).collect::<Vec<_>>(),
                "data": data,
            })
        }
    }
}

fn note_cell(n: &Note) -> Value {
    let mut cell = json!({
        "id": n.id,
        "shape": "td-text-block",
        "zIndex": 0,
        "visible": true,
        "attrs": {"text": {"text": n.text}},
        "data": {"type": "tm.Text", "name": n.text, "hasOpenThreats": false},
    });
    if let (Value::Object(m), Some(at)) = (&mut cell, n.at) {
        m.insert("position".into(), point(Point { x: at.x, y: at.y }));
        m.insert(
            "size".into(),
            json!({"width": number(at.width), "height": number(at.height)}),
        );
    }
    cell
}

/// The model as a Threat Dragon v2 file.
pub fn export(model: &ThreatModel) -> Value {
    let model = model.with_layout();
    let threats_of = |id: &str| -> (Vec<Value>, bool) {
        let ts: Vec<&Threat> = model.threats_of(id).collect();
        let open = ts.iter().any(|t| t.status == Status::Open);
        (ts.into_iter().map(threat_json).collect(), open)
    };
    let mut diagrams = Vec::new();
    for (d, diagram) in model.diagrams.iter().enumerate() {
        let mut cells = Vec::new();
        for b in model.boundaries.iter().filter(|b| b.diagram == d) {
            cells.push(boundary_cell(b, threats_of(&b.id).0));
        }
        for e in model.elements.iter().filter(|e| e.diagram == d) {
            let (ts, open) = threats_of(&e.id);
            cells.push(element_cell(e, ts, open));
        }
        for f in model.flows.iter().filter(|f| f.diagram == d) {
            let (ts, open) = threats_of(&f.id);
            cells.push(flow_cell(f, ts, open));
        }
        for n in model.notes.iter().filter(|n| n.diagram == d) {
            cells.push(note_cell(n));
        }
        diagrams.push(json!({
            "id": diagram.id,
            "title": diagram.title,
            "description": diagram.description,
            "diagramType": diagram.kind,
            "placeholder": "",
            "thumbnail": diagram.thumbnail,
            "version": VERSION,
            "cells": cells,
        }));
    }
    let diagram_top = model.diagrams.iter().map(|d| d.id + 1).max().unwrap_or(0);
    let threat_top = model
        .threats
        .iter()
        .filter_map(|t| t.number)
        .max()
        .unwrap_or(0);
    let mut summary = json!({
        "title": model.title,
        "owner": model.owner,
        "description": model.description,
        "id": 0,
    });
    if let (Value::Object(m), Some(x)) = (
        &mut summary,
        ext(&SummaryExt {
            device: model.device.clone(),
        }),
    ) {
        m.insert("medsec".into(), x);
    }
    json!({
        "version": VERSION,
        "summary": summary,
        "detail": {
            "contributors": model.contributors.iter().map(|c| json!({"name": c})).collect::<Vec<_>>(),
            "diagrams": diagrams,
            "diagramTop": diagram_top,
            "reviewer": model.reviewer,
            "threatTop": threat_top,
        },
    })
}

// ---------------------------------------------------------------- import

fn child(pointer: &str, key: &str) -> String {
    let escaped = key.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(v: &'a Value, pointer: &str) -> Result<&'a Map<String, Value>, DragonError> {
    v.as_object()
        .ok_or_else(|| invalid(pointer, format!("expected an object, found {}", kind_of(v))))
}

fn field<'a>(
    m: &'a Map<String, Value>,
    pointer: &str,
    key: &str,
) -> Result<&'a Value, DragonError> {
    m.get(key)
        .ok_or_else(|| invalid(child(pointer, key), "missing"))
}

fn string_or(
    m: &Map<String, Value>,
    pointer: &str,
    key: &str,
) -> Result<Option<String>, DragonError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(
            child(pointer, key),
            format!("expected a string, found {}", kind_of(v)),
        )),
    }
}

fn required_string(
    m: &Map<String, Value>,
    pointer: &str,
    key: &str,
) -> Result<String, DragonError> {
    match field(m, pointer, key)? {
        Value::String(s) => Ok(s.clone()),
        v => Err(invalid(
            child(pointer, key),
            format!("expected a string, found {}", kind_of(v)),
        )),
    }
}

fn boolean(m: &Map<String, Value>, pointer: &str, key: &str) -> Result<bool, DragonError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(invalid(
            child(pointer, key),
            format!("expected true or false, found {}", kind_of(v)),
        )),
    }
}

fn num_at(m: &Map<String, Value>, pointer: &str, key: &str) -> Result<f64, DragonError> {
    match field(m, pointer, key)? {
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| invalid(child(pointer, key), "not a finite number")),
        v => Err(invalid(
            child(pointer, key),
            format!("expected a number, found {}", kind_of(v)),
        )),
    }
}

fn point_at(v: &Value, pointer: &str) -> Result<Point, DragonError> {
    let m = object(v, pointer)?;
    Ok(Point {
        x: num_at(m, pointer, "x")?,
        y: num_at(m, pointer, "y")?,
    })
}

fn points_at(m: &Map<String, Value>, pointer: &str, key: &str) -> Result<Vec<Point>, DragonError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let p = child(pointer, key);
            items
                .iter()
                .enumerate()
                .map(|(n, v)| point_at(v, &child(&p, &n.to_string())))
                .collect()
        }
        Some(v) => Err(invalid(
            child(pointer, key),
            format!("expected an array of points, found {}", kind_of(v)),
        )),
    }
}

/// A node's rectangle: its `position` and `size`, when it has both.
fn rect_at(m: &Map<String, Value>, pointer: &str) -> Result<Option<Rect>, DragonError> {
    let (Some(pos), Some(size)) = (m.get("position"), m.get("size")) else {
        return Ok(None);
    };
    let pp = child(pointer, "position");
    let sp = child(pointer, "size");
    let p = object(pos, &pp)?;
    let s = object(size, &sp)?;
    let r = Rect {
        x: num_at(p, &pp, "x")?,
        y: num_at(p, &pp, "y")?,
        width: num_at(s, &sp, "width")?,
        height: num_at(s, &sp, "height")?,
    };
    if r.width < 0.0 || r.height < 0.0 {
        return Err(invalid(sp, "width and height must not be negative"));
    }
    Ok(Some(r))
}

/// The label text Threat Dragon shows when `data.name` is absent.
fn shown_name(cell: &Map<String, Value>) -> Option<String> {
    let attrs = cell.get("attrs");
    let from_attrs = ["text", "label"]
        .iter()
        .find_map(|k| attrs?.get(k)?.get("text")?.as_str().map(str::to_owned));
    from_attrs.or_else(|| {
        cell.get("labels")?
            .get(0)?
            .get("attrs")?
            .get("labelText")?
            .get("text")?
            .as_str()
            .map(str::to_owned)
    })
}

fn extension<T: for<'de> Deserialize<'de> + Default>(
    data: &Map<String, Value>,
    pointer: &str,
) -> Result<T, DragonError> {
    match data.get("medsec") {
        None | Some(Value::Null) => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| invalid(child(pointer, "medsec"), e.to_string())),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Actor,
    Process,
    Store,
    Flow,
    Box,
    Curve,
    Text,
}

const SHAPES: &[(&str, Shape, &[&str])] = &[
    ("actor", Shape::Actor, &["tm.Actor"]),
    ("process", Shape::Process, &["tm.Process"]),
    ("store", Shape::Store, &["tm.Store"]),
    ("flow", Shape::Flow, &["tm.Flow"]),
    (
        "trust-boundary-box",
        Shape::Box,
        &["tm.BoundaryBox", "tm.Boundary"],
    ),
    (
        "trust-boundary-curve",
        Shape::Curve,
        &["tm.Boundary", "tm.BoundaryBox"],
    ),
    // Threat Dragon registers this misspelling too: older files use it.
    (
        "trust-broundary-curve",
        Shape::Curve,
        &["tm.Boundary", "tm.BoundaryBox"],
    ),
    ("td-text-block", Shape::Text, &["tm.Text"]),
];

fn threat_at(
    v: &Value,
    pointer: &str,
    subject: &str,
    n: usize,
    diagram_kind: &str,
) -> Result<Threat, DragonError> {
    let m = object(v, pointer)?;
    let title = required_string(m, pointer, "title")?;
    let kind = required_string(m, pointer, "type")?;
    let status = required_string(m, pointer, "status")?;
    let severity = required_string(m, pointer, "severity")?;
    let description = required_string(m, pointer, "description")?;
    let mitigation = required_string(m, pointer, "mitigation")?;
    let model = string_or(m, pointer, "modelType")?.unwrap_or_else(|| diagram_kind.to_owned());
    let category = match Stride::parse(&kind) {
        Some(s) if model == "STRIDE" => Category::Stride(s),
        _ => Category::Other { model, kind },
    };
    let id = match m.get("id").or_else(|| m.get("threatId")) {
        None | Some(Value::Null) => format!("{subject}-threat-{}", n + 1),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(v) => {
            return Err(invalid(
                child(pointer, "id"),
                format!("expected a non-empty string, found {}", kind_of(v)),
            ));
        }
    };
    let number = match m.get("number") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            invalid(
                child(pointer, "number"),
                format!("expected a whole number of at least 0, found {v}"),
            )
        })?),
    };
    let score = match m.get("score") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(v) => {
            return Err(invalid(
                child(pointer, "score"),
                format!("expected a string, found {}", kind_of(v)),
            ));
        }
    };
    let x: ThreatExt = extension(m, pointer)?;
    let text = |ko: String, en: Option<String>| {
        let en = en.unwrap_or_else(|| ko.clone());
        Text { ko, en }
    };
    Ok(Threat {
        id,
        subject: subject.to_owned(),
        category,
        title: text(title, x.title_en),
        description: text(description, x.description_en),
        mitigation: text(mitigation, x.mitigation_en),
        status: Status::from(status),
        severity: Severity::from(severity),
        score,
        number,
        kisa: x.kisa,
        requirements: x.requirements,
        controls: x.controls,
        crossing: x.crossing,
        generated: x.generated,
    })
}

fn threats_at(
    data: &Map<String, Value>,
    pointer: &str,
    subject: &str,
    diagram_kind: &str,
) -> Result<Vec<Threat>, DragonError> {
    match data.get("threats") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            let p = child(pointer, "threats");
            items
                .iter()
                .enumerate()
                .map(|(n, v)| threat_at(v, &child(&p, &n.to_string()), subject, n, diagram_kind))
                .collect()
        }
        Some(v) => Err(invalid(
            child(pointer, "threats"),
            format!("expected an array, found {}", kind_of(v)),
        )),
    }
}

/// Reads a Threat Dragon v2 file.
pub fn import(text: &str) -> Result<ThreatModel, DragonError> {
    let root: Value = serde_json::from_str(text).map_err(|e| DragonError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    import_value(&root)
}

/// Reads a Threat Dragon v2 model already parsed as JSON.
pub fn import_value(root: &Value) -> Result<ThreatModel, DragonError> {
    let top = object(root, "")?;
    let version = match top.get("version") {
        Some(Value::String(v)) => v.clone(),
        Some(v) => {
            return Err(invalid(
                "/version",
                format!(
                    "expected a string such as \"{VERSION}\", found {}",
                    kind_of(v)
                ),
            ));
        }
        None => {
            return Err(invalid(
                "/version",
                "missing: a Threat Dragon v2 model names the version that wrote it (Threat Dragon 1.x files have none; open them in Threat Dragon 2 and save them to convert them)",
            ));
        }
    };
    if !version.starts_with("2.") {
        let hint = if version.starts_with('1') || version.starts_with("0.") {
            "; this is a Threat Dragon 1.x model: open it in Threat Dragon 2 and save it to convert it"
        } else {
            ""
        };
        return Err(invalid(
            "/version",
            format!("`{version}` is not a Threat Dragon v2 version (2.x){hint}"),
        ));
    }
    let summary = object(field(top, "", "summary")?, "/summary")?;
    let title = required_string(summary, "/summary", "title")?;
    let owner = string_or(summary, "/summary", "owner")?.unwrap_or_default();
    let description = string_or(summary, "/summary", "description")?.unwrap_or_default();
    let sx: SummaryExt = extension(summary, "/summary")?;
    let detail = object(field(top, "", "detail")?, "/detail")?;
    let reviewer = string_or(detail, "/detail", "reviewer")?.unwrap_or_default();
    let mut contributors = Vec::new();
    match detail.get("contributors") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (n, c) in items.iter().enumerate() {
                let p = format!("/detail/contributors/{n}");
                let m = object(c, &p)?;
                contributors.push(string_or(m, &p, "name")?.unwrap_or_default());
            }
        }
        Some(v) => {
            return Err(invalid(
                "/detail/contributors",
                format!("expected an array, found {}", kind_of(v)),
            ));
        }
    }
    let diagrams_json = match field(detail, "/detail", "diagrams")? {
        Value::Array(items) => items,
        v => {
            return Err(invalid(
                "/detail/diagrams",
                format!("expected an array, found {}", kind_of(v)),
            ));
        }
    };
    let mut model = ThreatModel {
        title,
        owner,
        description,
        reviewer,
        contributors,
        device: sx.device,
        diagrams: Vec::new(),
        boundaries: Vec::new(),
        elements: Vec::new(),
        flows: Vec::new(),
        notes: Vec::new(),
        threats: Vec::new(),
    };
    // Where each id was defined, for duplicate and model errors.
    let mut defined: BTreeMap<String, String> = BTreeMap::new();
    let mut threat_ids: BTreeMap<String, String> = BTreeMap::new();
    for (d, dv) in diagrams_json.iter().enumerate() {
        read_diagram(&mut model, d, dv, &mut defined, &mut threat_ids)?;
    }
    if model.diagrams.is_empty() {
        model.diagrams.push(Diagram {
            id: 0,
            title: String::new(),
            description: String::new(),
            kind: "STRIDE".to_owned(),
            thumbnail: super::derive::STRIDE_THUMBNAIL.to_owned(),
        });
    }
    settle_geometry(&mut model);
    model.sort_threats();
    model.validate().map_err(|e| {
        let pointer = defined.get(&e.id).cloned().unwrap_or_default();
        invalid(pointer, e.to_string())
    })?;
    Ok(model)
}

fn read_diagram(
    model: &mut ThreatModel,
    d: usize,
    dv: &Value,
    defined: &mut BTreeMap<String, String>,
    threat_ids: &mut BTreeMap<String, String>,
) -> Result<(), DragonError> {
    let dp = format!("/detail/diagrams/{d}");
    let dm = object(dv, &dp)?;
    let id = match dm.get("id") {
        None | Some(Value::Null) => d as u64,
        Some(v) => v.as_u64().ok_or_else(|| {
            invalid(
                child(&dp, "id"),
                format!("expected a whole number of at least 0, found {v}"),
            )
        })?,
    };
    let kind = string_or(dm, &dp, "diagramType")?.unwrap_or_else(|| "STRIDE".to_owned());
    model.diagrams.push(Diagram {
        id,
        title: string_or(dm, &dp, "title")?.unwrap_or_default(),
        description: string_or(dm, &dp, "description")?.unwrap_or_default(),
        thumbnail: string_or(dm, &dp, "thumbnail")?.unwrap_or_else(|| {
            format!(
                "./public/content/images/thumbnail.{}.jpg",
                kind.to_lowercase()
            )
        }),
        kind: kind.clone(),
    });
    let cells = match dm.get("cells") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(items)) => items,
        Some(v) => {
            return Err(invalid(
                child(&dp, "cells"),
                format!("expected an array, found {}", kind_of(v)),
            ));
        }
    };
    // First pass: ids and shapes, so that flows can name any node.
    let mut shapes: Vec<(String, Shape, String)> = Vec::new();
    for (n, cv) in cells.iter().enumerate() {
        let cp = format!("{dp}/cells/{n}");
        let cm = object(cv, &cp)?;
        let id = match field(cm, &cp, "id")? {
            Value::String(s) if !s.is_empty() => s.clone(),
            v => {
                return Err(invalid(
                    child(&cp, "id"),
                    format!("expected a non-empty string, found {}", kind_of(v)),
                ));
            }
        };
        let shape_name = required_string(cm, &cp, "shape")?;
        let Some(&(_, shape, types)) = SHAPES.iter().find(|(s, _, _)| *s == shape_name) else {
            let known: Vec<&str> = SHAPES.iter().map(|(s, _, _)| *s).collect();
            return Err(invalid(
                child(&cp, "shape"),
                format!("unknown shape `{shape_name}` (known: {})", known.join(", ")),
            ));
        };
        if let Some(data) = cm.get("data") {
            let dmp = child(&cp, "data");
            let data = object(data, &dmp)?;
            if let Some(ty) = string_or(data, &dmp, "type")?
                && !types.contains(&ty.as_str())
            {
                return Err(invalid(
                    child(&dmp, "type"),
                    format!(
                        "`{ty}` does not go with shape `{shape_name}` (expected {})",
                        types.join(" or ")
                    ),
                ));
            }
        }
        if let Some(before) = defined.insert(id.clone(), cp.clone()) {
            return Err(invalid(
                child(&cp, "id"),
                format!("`{id}` is already the id of the cell at {before}"),
            ));
        }
        shapes.push((id, shape, cp));
    }
    let node_shape = |id: &str| shapes.iter().find(|(c, _, _)| c == id).map(|(_, s, _)| *s);
    for (n, cv) in cells.iter().enumerate() {
        let (id, shape, cp) = &shapes[n];
        let cm = object(cv, cp)?;
        let empty = Map::new();
        let dmp = child(cp, "data");
        let data = match cm.get("data") {
            Some(v) => object(v, &dmp)?,
            None => &empty,
        };
        let name = match string_or(data, &dmp, "name")? {
            Some(n) => n,
            None => shown_name(cm).unwrap_or_default(),
        };
        let description = string_or(data, &dmp, "description")?.unwrap_or_default();
        let threats = threats_at(data, &dmp, id, &model.diagrams[d].kind)?;
        for (k, t) in threats.iter().enumerate() {
            let tp = format!("{dmp}/threats/{k}/id");
            if let Some(before) = threat_ids.insert(t.id.clone(), tp.clone()) {
                return Err(invalid(
                    tp,
                    format!("`{}` is already the id of the threat at {before}", t.id),
                ));
            }
        }
        match shape {
            Shape::Actor | Shape::Process | Shape::Store => {
                let kind = match shape {
                    Shape::Actor => ElementKind::External,
                    Shape::Process => ElementKind::Process,
                    _ => ElementKind::Store,
                };
                let x: ElementExt = extension(data, &dmp)?;
                let flags = Flags {
                    provides_authentication: boolean(data, &dmp, "providesAuthentication")?,
                    web_application: boolean(data, &dmp, "isWebApplication")?,
                    handles_card_payment: boolean(data, &dmp, "handlesCardPayment")?,
                    handles_goods_or_services: boolean(data, &dmp, "handlesGoodsOrServices")?,
                    privilege_level: string_or(data, &dmp, "privilegeLevel")?.unwrap_or_default(),
                    is_log: boolean(data, &dmp, "isALog")?,
                    encrypted: boolean(data, &dmp, "isEncrypted")?,
                    signed: boolean(data, &dmp, "isSigned")?,
                    stores_credentials: boolean(data, &dmp, "storesCredentials")?,
                    stores_inventory: boolean(data, &dmp, "storesInventory")?,
                };
                model.elements.push(Element {
                    id: id.clone(),
                    kind,
                    name,
                    name_en: x.name_en,
                    description,
                    boundary: None,
                    component: x.component,
                    ports: x.ports,
                    flags,
                    out_of_scope: boolean(data, &dmp, "outOfScope")?,
                    out_of_scope_reason: string_or(data, &dmp, "reasonOutOfScope")?
                        .unwrap_or_default(),
                    derived: x.derived,
                    at: rect_at(cm, cp)?,
                    diagram: d,
                });
            }
            Shape::Flow => {
                let mut ends = Vec::new();
                for key in ["source", "target"] {
                    let ep = child(cp, key);
                    let Some(ev) = cm.get(key) else {
                        return Err(invalid(
                            ep,
                            format!("missing: a data flow needs a {key} (a cell or a point)"),
                        ));
                    };
                    let em = object(ev, &ep)?;
                    let end = match em.get("cell") {
                        Some(Value::String(c)) => match node_shape(c) {
                            Some(Shape::Actor | Shape::Process | Shape::Store) => {
                                End::Element(c.clone())
                            }
                            Some(other) => {
                                let what = match other {
                                    Shape::Flow => "a data flow",
                                    Shape::Text => "a text block",
                                    _ => "a trust boundary",
                                };
                                return Err(invalid(
                                    child(&ep, "cell"),
                                    format!("`{c}` is {what}, not an element a data flow can join"),
                                ));
                            }
                            None => {
                                return Err(invalid(
                                    child(&ep, "cell"),
                                    format!("`{c}` names no cell of this diagram"),
                                ));
                            }
                        },
                        Some(v) => {
                            return Err(invalid(
                                child(&ep, "cell"),
                                format!("expected a cell id, found {}", kind_of(v)),
                            ));
                        }
                        None if em.contains_key("x") || em.contains_key("y") => {
                            End::Point(point_at(ev, &ep)?)
                        }
                        None => {
                            return Err(invalid(
                                ep,
                                "neither a cell nor a point (x, y): the flow's end is missing",
                            ));
                        }
                    };
                    ends.push(end);
                }
                let to = ends.pop();
                let from = ends.pop();
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(invalid(cp.as_str(), "a data flow needs two ends"));
                };
                let x: FlowExt = extension(data, &dmp)?;
                let encrypted = if boolean(data, &dmp, "isEncrypted")? {
                    Some(true)
                } else if x.encryption_unknown {
                    None
                } else {
                    Some(false)
                };
                model.flows.push(Flow {
                    id: id.clone(),
                    name,
                    name_en: x.name_en,
                    description,
                    from,
                    to,
                    protocol: string_or(data, &dmp, "protocol")?.unwrap_or_default(),
                    interface: x.interface,
                    data: x.data,
                    encrypted,
                    authenticated: x.authenticated,
                    public_network: boolean(data, &dmp, "isPublicNetwork")?,
                    bidirectional: boolean(data, &dmp, "isBidirectional")?,
                    crosses: Vec::new(),
                    out_of_scope: boolean(data, &dmp, "outOfScope")?,
                    out_of_scope_reason: string_or(data, &dmp, "reasonOutOfScope")?
                        .unwrap_or_default(),
                    derived: x.derived,
                    vertices: points_at(cm, cp, "vertices")?,
                    diagram: d,
                });
            }
            Shape::Box | Shape::Curve => {
                let x: BoundaryExt = extension(data, &dmp)?;
                let boundary_shape = if *shape == Shape::Box {
                    BoundaryShape::Box {
                        at: rect_at(cm, cp)?,
                    }
                } else {
                    let mut ends = Vec::new();
                    for key in ["source", "target"] {
                        let ep = child(cp, key);
                        let Some(ev) = cm.get(key) else {
                            return Err(invalid(
                                ep,
                                "missing: a boundary line needs a start and an end point",
                            ));
                        };
                        ends.push(point_at(ev, &ep)?);
                    }
                    BoundaryShape::Curve {
                        from: ends[0],
                        to: ends[1],
                        vertices: points_at(cm, cp, "vertices")?,
                    }
                };
                model.boundaries.push(Boundary {
                    id: id.clone(),
                    name,
                    name_en: x.name_en,
                    description,
                    parent: None,
                    shape: boundary_shape,
                    derived: x.derived,
                    diagram: d,
                });
            }
            Shape::Text => {
                model.notes.push(Note {
                    id: id.clone(),
                    text: name,
                    at: rect_at(cm, cp)?,
                    diagram: d,
                });
                if !threats.is_empty() {
                    return Err(invalid(
                        child(&dmp, "threats"),
                        "a text block cannot have threats",
                    ));
                }
                continue;
            }
        }
        model.threats.extend(threats);
    }
    Ok(())
}

fn polyline_cross(a: &[Point], b: &[Point]) -> bool {
    a.windows(2).any(|s| {
        b.windows(2)
            .any(|t| super::layout::segments_cross(s[0], s[1], t[0], t[1]))
    })
}

/// Membership, nesting and crossings from where things are drawn: an
/// element is in the smallest box that wholly contains it, a box in the
/// smallest other box that wholly contains it; a flow crosses a box when
/// exactly one end lies in it (a loose end lies in none), a boundary line
/// when the flow's drawn path meets it.
fn settle_geometry(model: &mut ThreatModel) {
    let boxes: Vec<(String, usize, Rect)> = model
        .boundaries
        .iter()
        .filter_map(|b| match b.shape {
            BoundaryShape::Box { at: Some(at) } => Some((b.id.clone(), b.diagram, at)),
            _ => None,
        })
        .collect();
    let smallest = |r: &Rect, d: usize, except: &str| -> Option<String> {
        boxes
            .iter()
            .filter(|(id, bd, at)| *bd == d && id != except && at.contains(r) && *at != *r)
            .min_by(|a, b| a.2.area().total_cmp(&b.2.area()))
            .map(|(id, _, _)| id.clone())
    };
    for e in &mut model.elements {
        e.boundary = e.at.and_then(|r| smallest(&r, e.diagram, ""));
    }
    let parents: Vec<Option<String>> = model
        .boundaries
        .iter()
        .map(|b| match b.shape {
            BoundaryShape::Box { at: Some(at) } => smallest(&at, b.diagram, &b.id),
            _ => None,
        })
        .collect();
    for (b, p) in model.boundaries.iter_mut().zip(parents) {
        b.parent = p;
    }
    // Boxes by membership (so nested boxes agree with `validate`), lines
    // by the drawn path.
    let node_at = |id: &str| model.element(id).and_then(|e| e.at);
    let mut crossings = Vec::new();
    for f in &model.flows {
        let end_point = |e: &End| match e {
            End::Element(id) => node_at(id).map(|r| r.center()),
            End::Point(p) => Some(*p),
        };
        let path: Option<Vec<Point>> = match (end_point(&f.from), end_point(&f.to)) {
            (Some(a), Some(b)) => Some(
                std::iter::once(a)
                    .chain(f.vertices.iter().copied())
                    .chain(std::iter::once(b))
                    .collect(),
            ),
            _ => None,
        };
        let boxes: BTreeSet<String> = model.crossed_boxes(f).into_iter().collect();
        let mut crosses = Vec::new();
        for b in &model.boundaries {
            let hit = match &b.shape {
                BoundaryShape::Box { .. } => boxes.contains(&b.id),
                BoundaryShape::Curve { from, to, vertices } => {
                    b.diagram == f.diagram
                        && path.as_ref().is_some_and(|p| {
                            let line: Vec<Point> = std::iter::once(*from)
                                .chain(vertices.iter().copied())
                                .chain(std::iter::once(*to))
                                .collect();
                            polyline_cross(p, &line)
                        })
                }
            };
            if hit {
                crosses.push(b.id.clone());
            }
        }
        crossings.push(crosses);
    }
    for (f, c) in model.flows.iter_mut().zip(crossings) {
        f.crosses = c;
    }
}
