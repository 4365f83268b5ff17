//! The threat model of a device: elements (processes, external entities,
//! data stores), data flows, trust boundaries and interfaces, with threats
//! enumerated per element by STRIDE and mapped to the KISA threat catalogue
//! (seed 003) and to the MFDS and KISA requirements that mitigate them.
//!
//! IMDRF N60 (seed 001, 5.2) asks manufacturers to answer OWASP's four
//! questions when they model threats; [`report::Report`] is organised by
//! them. A model comes from a device profile ([`ThreatModel::from_profile`],
//! which takes what the profile states and derives the rest) or from an
//! OWASP Threat Dragon v2 file ([`dragon::import`]); it is drawn as a
//! data-flow diagram ([`svg::render`]) and written back to Threat Dragon
//! ([`dragon::export`]).
//!
//! Everything here is pure: no IO, and the same model always gives the
//! same threats, ids, layout, SVG and JSON.

pub mod dragon;
pub mod layout;
pub mod report;
pub mod svg;

mod derive;
mod model;
mod stride;

pub use model::*;
pub use report::Report;
pub use stride::Stride;

use std::collections::{BTreeMap, BTreeSet};

use crate::profile::Profile;

/// A threat model that is not consistent, naming the item and its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} `{id}`.{field}: {message}")]
pub struct ModelError {
    /// `element`, `flow`, `boundary`, `threat`, `note`, `component`, `role`
    /// or `diagram`.
    pub what: &'static str,
    pub id: String,
    pub field: String,
    pub message: String,
}

impl ModelError {
    pub(crate) fn new(
        what: &'static str,
        id: &str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ModelError {
        ModelError {
            what,
            id: id.to_owned(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error as a profile error: the field as the profile spells
    /// it (`flow[2].from`), the item's id in the message.
    pub(crate) fn in_profile(self, profile: &Profile) -> crate::ProfileError {
        // A duplicate id is reported where it occurs again.
        fn find<T>(items: &[T], last: bool, is: impl Fn(&T) -> bool) -> Option<usize> {
            if last {
                items.iter().rposition(is)
            } else {
                items.iter().position(is)
            }
        }
        let last = self.field == "id";
        let id = self.id.as_str();
        let index = match self.what {
            "flow" => find(&profile.flows, last, |f| f.id == id),
            "element" => find(&profile.elements, last, |e| e.id == id),
            "boundary" => find(&profile.boundaries, last, |b| b.id == id),
            "component" => find(&profile.components, last, |c| {
                c.id.as_deref() == Some(id) || c.name == id
            }),
            "role" => find(&profile.roles, last, |r| {
                r.id.as_deref() == Some(id) || r.name == id
            }),
            _ => None,
        };
        let field = match index {
            Some(n) => format!("{}[{n}].{}", self.what, self.field),
            None => format!("{} `{}`.{}", self.what, self.id, self.field),
        };
        let message = match index {
            Some(_) => format!("{} ({} `{}`)", self.message, self.what, self.id),
            None => self.message,
        };
        crate::ProfileError::Field { field, message }
    }
}

impl ThreatModel {
    /// The model of a device: the elements, flows and boundaries the
    /// profile states, the rest derived from its components, roles,
    /// stored data, interfaces and update mechanisms (each derived item
    /// says from what, see [`Element::derived`]), and the threats
    /// enumerated by STRIDE with their KISA threats and requirements.
    pub fn from_profile(
        profile: &Profile,
        catalogs: &medsec_catalog::Catalogs,
    ) -> Result<ThreatModel, ModelError> {
        let mut model = ThreatModel::structure(profile)?;
        model.enumerate(catalogs);
        Ok(model)
    }

    /// The model of a device without threats: what [`Profile::check`]
    /// validates.
    pub fn structure(profile: &Profile) -> Result<ThreatModel, ModelError> {
        derive::structure(profile)
    }

    /// Adds the STRIDE threats of every in-scope element and flow that
    /// has none of that category yet (an imported model keeps its own
    /// threats); numbers the new ones after the highest number in use.
    pub fn enumerate(&mut self, catalogs: &medsec_catalog::Catalogs) {
        stride::enumerate(self, catalogs);
    }

    /// Every threat, grouped by the element, flow or boundary it concerns
    /// in model order.
    pub fn threats(&self) -> &[Threat] {
        &self.threats
    }

    /// The threats of one element, flow or boundary.
    pub fn threats_of<'a>(&'a self, subject: &'a str) -> impl Iterator<Item = &'a Threat> + 'a {
        self.threats.iter().filter(move |t| t.subject == subject)
    }

    pub fn element(&self, id: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.id == id)
    }

    pub fn flow(&self, id: &str) -> Option<&Flow> {
        self.flows.iter().find(|f| f.id == id)
    }

    pub fn boundary(&self, id: &str) -> Option<&Boundary> {
        self.boundaries.iter().find(|b| b.id == id)
    }

    /// The display name of an element, flow or boundary (its id if none).
    pub fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.element(id)
            .map(|e| e.name.as_str())
            .or_else(|| self.flow(id).map(|f| f.name.as_str()))
            .or_else(|| self.boundary(id).map(|b| b.name.as_str()))
            .filter(|n| !n.is_empty())
            .unwrap_or(id)
    }

    /// The boxes an element lies in, innermost first.
    pub fn enclosing(&self, element: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut at = self.element(element).and_then(|e| e.boundary.as_deref());
        while let Some(b) = at {
            if out.contains(&b) {
                break;
            }
            out.push(b);
            at = self.boundary(b).and_then(|b| b.parent.as_deref());
        }
        out
    }

    /// The boxes a boundary lies in, innermost first.
    pub fn boundary_ancestors(&self, boundary: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut at = self.boundary(boundary).and_then(|b| b.parent.as_deref());
        while let Some(b) = at {
            if out.contains(&b) || b == boundary {
                break;
            }
            out.push(b);
            at = self.boundary(b).and_then(|x| x.parent.as_deref());
        }
        out
    }

    /// The box boundaries a flow crosses: those exactly one of its ends
    /// lies in, in model order (a point end lies in none).
    pub fn crossed_boxes(&self, flow: &Flow) -> Vec<String> {
        let inside = |end: &End| -> BTreeSet<&str> {
            match end {
                End::Element(id) => self.enclosing(id).into_iter().collect(),
                End::Point(_) => BTreeSet::new(),
            }
        };
        let (a, b) = (inside(&flow.from), inside(&flow.to));
        self.boundaries
            .iter()
            .filter(|x| a.contains(x.id.as_str()) != b.contains(x.id.as_str()))
            .map(|x| x.id.clone())
            .collect()
    }

    /// The model with the geometry of [`layout`] for every diagram that
    /// lacks some: what [`dragon::export`] writes.
    pub fn with_layout(&self) -> ThreatModel {
        let mut out = self.clone();
        for d in 0..self.diagrams.len() {
            if layout::has_geometry(self, d) {
                continue;
            }
            let l = layout::layout(self, d);
            for e in out.elements.iter_mut().filter(|e| e.diagram == d) {
                e.at = l.nodes.get(&e.id).copied();
            }
            for b in out.boundaries.iter_mut().filter(|b| b.diagram == d) {
                if let BoundaryShape::Box { at } = &mut b.shape {
                    *at = l.boxes.get(&b.id).copied();
                }
            }
            for f in out.flows.iter_mut().filter(|f| f.diagram == d) {
                f.vertices = l.vertices.get(&f.id).cloned().unwrap_or_default();
            }
            for n in out.notes.iter_mut().filter(|n| n.diagram == d) {
                if n.at.is_none() {
                    n.at = l.notes.get(&n.id).copied();
                }
            }
        }
        out
    }

    /// Checks that ids are unique and well formed, references resolve,
    /// boundaries nest without cycles, flows join two different elements
    /// and cross exactly the boxes one of their ends lies in.
    pub fn validate(&self) -> Result<(), ModelError> {
        let mut ids: BTreeMap<&str, &'static str> = BTreeMap::new();
        let all = (self.boundaries.iter().map(|b| ("boundary", b.id.as_str())))
            .chain(self.elements.iter().map(|e| ("element", e.id.as_str())))
            .chain(self.flows.iter().map(|f| ("flow", f.id.as_str())))
            .chain(self.notes.iter().map(|n| ("note", n.id.as_str())));
        for (what, id) in all {
            check_id(what, id)?;
            if let Some(before) = ids.insert(id, what) {
                return Err(ModelError::new(
                    what,
                    id,
                    "id",
                    format!("is already the id of a {before}"),
                ));
            }
        }
        let diagrams = self.diagrams.len();
        let in_diagram = |what: &'static str, id: &str, d: usize| {
            if d < diagrams {
                Ok(())
            } else {
                Err(ModelError::new(
                    what,
                    id,
                    "diagram",
                    format!("is {d}, but the model has {diagrams} diagram(s)"),
                ))
            }
        };
        for b in &self.boundaries {
            in_diagram("boundary", &b.id, b.diagram)?;
            if let Some(p) = &b.parent {
                match self.boundary(p) {
                    None => {
                        return Err(ModelError::new(
                            "boundary",
                            &b.id,
                            "parent",
                            format!("`{p}` names no boundary"),
                        ));
                    }
                    Some(parent) if !parent.is_box() => {
                        return Err(ModelError::new(
                            "boundary",
                            &b.id,
                            "parent",
                            format!("`{p}` is a boundary line, which cannot contain anything"),
                        ));
                    }
                    Some(_) => {}
                }
                if !b.is_box() {
                    return Err(ModelError::new(
                        "boundary",
                        &b.id,
                        "parent",
                        "a boundary line cannot lie inside a boundary",
                    ));
                }
            }
            // Walk up: a boundary reached twice is a nesting cycle.
            let mut path = vec![b.id.as_str()];
            let mut at = b.parent.as_deref();
            while let Some(p) = at {
                if path.contains(&p) {
                    path.push(p);
                    return Err(ModelError::new(
                        "boundary",
                        &b.id,
                        "parent",
                        format!(
                            "boundaries nest in a cycle ({}): a boundary cannot lie inside itself",
                            path.join(" → ")
                        ),
                    ));
                }
                path.push(p);
                at = self.boundary(p).and_then(|x| x.parent.as_deref());
            }
        }
        for e in &self.elements {
            in_diagram("element", &e.id, e.diagram)?;
            if let Some(b) = &e.boundary {
                match self.boundary(b) {
                    None => {
                        return Err(ModelError::new(
                            "element",
                            &e.id,
                            "boundary",
                            format!("`{b}` names no boundary"),
                        ));
                    }
                    Some(x) if !x.is_box() => {
                        return Err(ModelError::new(
                            "element",
                            &e.id,
                            "boundary",
                            format!("`{b}` is a boundary line, which cannot contain anything"),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        for f in &self.flows {
            in_diagram("flow", &f.id, f.diagram)?;
            for (field, end) in [("from", &f.from), ("to", &f.to)] {
                if let End::Element(id) = end
                    && self.element(id).is_none()
                {
                    let what = match ids.get(id.as_str()) {
                        Some(kind) => format!("`{id}` is a {kind}, not an element"),
                        None => format!("`{id}` names no element"),
                    };
                    return Err(ModelError::new("flow", &f.id, field, what));
                }
            }
            if let (End::Element(a), End::Element(b)) = (&f.from, &f.to)
                && a == b
            {
                return Err(ModelError::new(
                    "flow",
                    &f.id,
                    "to",
                    format!(
                        "the flow starts and ends at `{a}`: a data flow joins two different elements (a cycle of one element is meaningless)"
                    ),
                ));
            }
            if let Some(i) = &f.interface {
                let ends: Vec<&Element> = [&f.from, &f.to]
                    .into_iter()
                    .filter_map(|e| e.element())
                    .filter_map(|id| self.element(id))
                    .collect();
                if !ends.iter().any(|e| e.ports.iter().any(|p| &p.name == i)) {
                    let owner = self
                        .elements
                        .iter()
                        .find(|e| e.ports.iter().any(|p| &p.name == i));
                    let message = match owner {
                        Some(o) => format!(
                            "`{i}` is an interface of `{}`, which is neither end of the flow",
                            o.id
                        ),
                        None => format!("`{i}` is not the name of an interface"),
                    };
                    return Err(ModelError::new("flow", &f.id, "interface", message));
                }
            }
            let boxes = self.crossed_boxes(f);
            for (n, c) in f.crosses.iter().enumerate() {
                let field = format!("crosses[{n}]");
                match self.boundary(c) {
                    None => {
                        return Err(ModelError::new(
                            "flow",
                            &f.id,
                            field,
                            format!("`{c}` names no boundary"),
                        ));
                    }
                    Some(b) if b.is_box() && !boxes.contains(c) => {
                        return Err(ModelError::new(
                            "flow",
                            &f.id,
                            field,
                            not_crossing(self, f, c),
                        ));
                    }
                    Some(_) => {}
                }
            }
            if let Some(missed) = boxes.iter().find(|b| !f.crosses.contains(b)) {
                return Err(ModelError::new(
                    "flow",
                    &f.id,
                    "crosses",
                    format!(
                        "one end lies in boundary `{missed}` and the other does not, but `{missed}` is not listed"
                    ),
                ));
            }
        }
        for n in &self.notes {
            in_diagram("note", &n.id, n.diagram)?;
        }
        let mut threat_ids = BTreeSet::new();
        for t in &self.threats {
            check_id("threat", &t.id)?;
            if !threat_ids.insert(t.id.as_str()) {
                return Err(ModelError::new(
                    "threat",
                    &t.id,
                    "id",
                    "is the id of two threats",
                ));
            }
            match ids.get(t.subject.as_str()) {
                Some(&"element" | &"flow" | &"boundary") => {}
                Some(kind) => {
                    return Err(ModelError::new(
                        "threat",
                        &t.id,
                        "subject",
                        format!(
                            "`{}` is a {kind}; threats concern elements, flows and boundaries",
                            t.subject
                        ),
                    ));
                }
                None => {
                    return Err(ModelError::new(
                        "threat",
                        &t.id,
                        "subject",
                        format!("`{}` names no element, flow or boundary", t.subject),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Sorts threats by their subject's place in the model (boundaries,
    /// elements, flows), keeping each subject's threats in order.
    pub(crate) fn sort_threats(&mut self) {
        let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
        let ids = self
            .boundaries
            .iter()
            .map(|b| b.id.as_str())
            .chain(self.elements.iter().map(|e| e.id.as_str()))
            .chain(self.flows.iter().map(|f| f.id.as_str()));
        for (n, id) in ids.enumerate() {
            rank.entry(id).or_insert(n);
        }
        let mut keyed: Vec<(usize, usize, Threat)> = std::mem::take(&mut self.threats)
            .into_iter()
            .enumerate()
            .map(|(n, t)| {
                (
                    rank.get(t.subject.as_str()).copied().unwrap_or(usize::MAX),
                    n,
                    t,
                )
            })
            .collect();
        keyed.sort_by_key(|(r, n, _)| (*r, *n));
        self.threats = keyed.into_iter().map(|(_, _, t)| t).collect();
    }
}

fn not_crossing(model: &ThreatModel, flow: &Flow, boundary: &str) -> String {
    let inside = |end: &End| match end {
        End::Element(id) => model.enclosing(id).contains(&boundary),
        End::Point(_) => false,
    };
    if inside(&flow.from) && inside(&flow.to) {
        format!("the flow is declared as crossing `{boundary}`, but both of its ends lie inside it")
    } else {
        format!(
            "the flow is declared as crossing `{boundary}`, but neither of its ends lies inside it"
        )
    }
}

/// Ids: 1 to 100 characters, letters of any script, digits and `-`, `_`,
/// `.`, `:`; Threat Dragon's UUIDs pass.
pub(crate) fn check_id(what: &'static str, id: &str) -> Result<(), ModelError> {
    let n = id.chars().count();
    let ok = (1..=100).contains(&n)
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(ModelError::new(
            what,
            id,
            "id",
            "must be 1 to 100 letters, digits, `-`, `_`, `.` or `:`",
        ))
    }
}

#[cfg(test)]
mod tests;
