//! A device profile becomes a threat model's structure: components are
//! processes, roles external entities, stored data stores; boundaries and
//! flows are taken from `[[boundary]]` and `[[flow]]` when the profile
//! states them and derived from the components otherwise.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Boundary, BoundaryShape, ComponentInfo, DataKind, DeviceContext, Diagram, Element, ElementKind,
    End, Flags, Flow, ModelError, Port, Text, ThreatModel,
};
use crate::profile::{
    Authentication, ComponentKind, InterfaceKind, Profile, Purpose, RoleKind, UpdateMechanism,
};

/// Threat Dragon's thumbnail of a STRIDE diagram.
pub(crate) const STRIDE_THUMBNAIL: &str = "./public/content/images/thumbnail.stride.jpg";

pub(super) fn structure(p: &Profile) -> Result<ThreatModel, ModelError> {
    let mut b = Builder {
        p,
        elements: Vec::new(),
        taken: BTreeSet::new(),
        roles: Vec::new(),
    };
    b.claim_explicit()?;
    b.components();
    b.roles();
    b.stores();
    b.declared()?;
    b.ports();
    let boundaries = if p.boundaries.is_empty() {
        b.derive_boundaries()
    } else {
        b.declared_boundaries()?
    };
    let flows = if p.flows.is_empty() {
        b.derive_flows()
    } else {
        b.declared_flows()?
    };
    let mut model = ThreatModel {
        title: p.title(),
        owner: p.device.manufacturer.clone().unwrap_or_default(),
        description: p.device.intended_use.clone().unwrap_or_default(),
        reviewer: String::new(),
        contributors: Vec::new(),
        device: Some(DeviceContext {
            public_network: p.device.public_network,
            update_signed: p.update.signed,
        }),
        diagrams: vec![Diagram {
            id: 0,
            title: format!("{} 데이터 흐름도", p.device.product),
            description: format!(
                "{} {} {}의 데이터 흐름, 신뢰 경계와 인터페이스",
                p.device.product, p.device.model, p.device.software_version
            ),
            kind: "STRIDE".to_owned(),
            thumbnail: STRIDE_THUMBNAIL.to_owned(),
        }],
        boundaries,
        elements: b.elements,
        flows,
        notes: Vec::new(),
        threats: Vec::new(),
    };
    settle_crossings(&mut model, &p.flows)?;
    if p.flows.is_empty() {
        // A derived flow goes over a public network when the device uses
        // one and the flow leaves a zone, unless it is a local medium.
        for f in &mut model.flows {
            let local = f.interface.as_ref().is_some_and(|i| {
                model.elements.iter().any(|e| {
                    e.ports
                        .iter()
                        .any(|pt| &pt.name == i && !pt.kind.is_network())
                })
            }) || f.data.contains(&DataKind::Credentials);
            f.public_network = p.device.public_network && !f.crosses.is_empty() && !local;
        }
    }
    model.validate()?;
    Ok(model)
}

/// Replaces each flow's crossings with those its ends give, after
/// checking that every declared one is real.
fn settle_crossings(
    model: &mut ThreatModel,
    declared: &[crate::profile::FlowDecl],
) -> Result<(), ModelError> {
    // Boundaries and element references must hold before crossings mean
    // anything; `validate` names the culprit.
    let mut probe = model.clone();
    for f in &mut probe.flows {
        f.crosses.clear();
    }
    let computed: Vec<Vec<String>> = probe.flows.iter().map(|f| probe.crossed_boxes(f)).collect();
    for (f, c) in probe.flows.iter_mut().zip(computed) {
        f.crosses = c;
    }
    probe.validate()?;
    for (n, f) in model.flows.iter().enumerate() {
        let real = &probe.flows[n].crosses;
        let said = declared.iter().find(|d| d.id == f.id);
        for (i, c) in said
            .map(|d| d.crosses.as_slice())
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            if probe.boundary(c).is_none() {
                return Err(ModelError::new(
                    "flow",
                    &f.id,
                    format!("crosses[{i}]"),
                    format!("`{c}` names no boundary"),
                ));
            }
            if !real.contains(c) {
                return Err(ModelError::new(
                    "flow",
                    &f.id,
                    format!("crosses[{i}]"),
                    super::not_crossing(&probe, f, c),
                ));
            }
        }
    }
    for (n, f) in model.flows.iter_mut().enumerate() {
        f.crosses = probe.flows[n].crosses.clone();
    }
    Ok(())
}

struct Builder<'a> {
    p: &'a Profile,
    elements: Vec<Element>,
    /// Every id in use, explicit ones first, so that a derived id never
    /// takes one the profile states.
    taken: BTreeSet<String>,
    /// The element id of each role, in profile order.
    roles: Vec<String>,
}

fn kind_slug(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Device => "device",
        ComponentKind::Gateway => "gateway",
        ComponentKind::App => "app",
        ComponentKind::Workstation => "workstation",
        ComponentKind::Server => "server",
        ComponentKind::Cloud => "cloud",
    }
}

fn role_slug(kind: RoleKind) -> &'static str {
    match kind {
        RoleKind::Patient => "patient",
        RoleKind::Clinician => "clinician",
        RoleKind::Technician => "technician",
        RoleKind::Administrator => "administrator",
        RoleKind::Service => "service",
    }
}

/// Where data flows: the device first, then what relays it, then servers.
fn tier(kind: ComponentKind) -> u8 {
    match kind {
        ComponentKind::Device => 0,
        ComponentKind::App | ComponentKind::Gateway | ComponentKind::Workstation => 1,
        ComponentKind::Server | ComponentKind::Cloud => 2,
    }
}

fn element(id: String, kind: ElementKind, name: &str) -> Element {
    Element {
        id,
        kind,
        name: name.to_owned(),
        name_en: None,
        description: String::new(),
        boundary: None,
        component: None,
        ports: Vec::new(),
        flags: Flags::default(),
        out_of_scope: false,
        out_of_scope_reason: String::new(),
        derived: None,
        at: None,
        diagram: 0,
    }
}

fn flow(id: String, from: &str, to: &str, name: Text, data: Vec<DataKind>) -> Flow {
    Flow {
        id,
        name: name.ko,
        name_en: Some(name.en),
        description: String::new(),
        from: End::Element(from.to_owned()),
        to: End::Element(to.to_owned()),
        protocol: String::new(),
        interface: None,
        data,
        encrypted: None,
        authenticated: None,
        public_network: false,
        bidirectional: false,
        crosses: Vec::new(),
        out_of_scope: false,
        out_of_scope_reason: String::new(),
        derived: None,
        vertices: Vec::new(),
        diagram: 0,
    }
}

impl Builder<'_> {
    /// `base`, or `base-2`, `base-3` … if taken.
    fn fresh(&mut self, base: &str) -> String {
        let mut id = base.to_owned();
        let mut n = 2;
        while self.taken.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.taken.insert(id.clone());
        id
    }

    /// Claims the ids the profile states: components, roles, elements,
    /// boundaries and flows share one namespace.
    fn claim_explicit(&mut self) -> Result<(), ModelError> {
        let p = self.p;
        let mut owner: BTreeMap<&str, &'static str> = BTreeMap::new();
        let explicit = (p
            .components
            .iter()
            .filter_map(|c| c.id.as_deref().map(|id| ("component", id))))
        .chain(
            p.roles
                .iter()
                .filter_map(|r| r.id.as_deref().map(|id| ("role", id))),
        )
        .chain(p.elements.iter().map(|e| ("element", e.id.as_str())))
        .chain(p.boundaries.iter().map(|b| ("boundary", b.id.as_str())))
        .chain(p.flows.iter().map(|f| ("flow", f.id.as_str())));
        for (what, id) in explicit {
            super::check_id(what, id)?;
            if let Some(before) = owner.insert(id, what) {
                return Err(ModelError::new(
                    what,
                    id,
                    "id",
                    format!("is already the id of a {before}"),
                ));
            }
            self.taken.insert(id.to_owned());
        }
        Ok(())
    }

    fn components(&mut self) {
        for c in &self.p.components {
            let id = match &c.id {
                Some(id) => id.clone(),
                None => self.fresh(kind_slug(c.kind)),
            };
            let mut e = element(id, ElementKind::Process, &c.name);
            e.component = Some(ComponentInfo {
                name: c.name.clone(),
                kind: c.kind,
                os: c.os.clone(),
            });
            e.flags.web_application = c.web;
            self.elements.push(e);
        }
        if self.p.components.is_empty() {
            let id = self.fresh("device");
            let mut e = element(id, ElementKind::Process, &self.p.device.product);
            e.component = Some(ComponentInfo {
                name: self.p.device.product.clone(),
                kind: ComponentKind::Device,
                os: None,
            });
            e.derived = Some(Text::new(
                "구성요소가 기재되지 않아 기기 전체를 하나의 프로세스로 둠",
                "No components are listed: the whole device is one process",
            ));
            self.elements.push(e);
        }
    }

    fn roles(&mut self) {
        for r in &self.p.roles {
            let id = match &r.id {
                Some(id) => id.clone(),
                None => self.fresh(&format!("role-{}", role_slug(r.kind))),
            };
            self.roles.push(id.clone());
            self.elements
                .push(element(id, ElementKind::External, &r.name));
        }
    }

    /// The element of the medical device itself: the first device, else
    /// gateway, workstation or app, else the first component.
    fn primary(&self) -> usize {
        let order = [
            ComponentKind::Device,
            ComponentKind::Gateway,
            ComponentKind::Workstation,
            ComponentKind::App,
        ];
        order
            .iter()
            .find_map(|k| {
                self.elements
                    .iter()
                    .position(|e| e.component.as_ref().is_some_and(|c| c.kind == *k))
            })
            .unwrap_or(0)
    }

    fn component_index(&self, name: &str) -> Option<usize> {
        self.elements.iter().position(|e| {
            e.component.as_ref().is_some_and(|c| c.name == name) && e.kind == ElementKind::Process
        })
    }

    fn stores(&mut self) {
        for (n, s) in self.p.data.stored.iter().enumerate() {
            let id = self.fresh(&format!("store-{}", n + 1));
            self.elements.push(element(id, ElementKind::Store, s));
        }
        for c in &self.p.components {
            if let Some(dbms) = &c.dbms
                && let Some(owner) = self.component_index(&c.name)
            {
                let id = self.fresh(&format!("{}-db", self.elements[owner].id));
                let mut e = element(id, ElementKind::Store, &format!("{dbms} ({})", c.name));
                e.name_en = Some(format!("{dbms} database ({})", c.name));
                self.elements.push(e);
            }
        }
    }

    fn declared(&mut self) -> Result<(), ModelError> {
        for d in &self.p.elements {
            required("element", &d.id, "name", &d.name)?;
            let mut e = element(d.id.clone(), d.kind, &d.name);
            e.name_en = d.name_en.clone();
            e.description = d.description.clone().unwrap_or_default();
            self.elements.push(e);
        }
        Ok(())
    }

    fn ports(&mut self) {
        let primary = self.primary();
        for i in &self.p.interfaces {
            let at = i
                .component
                .as_deref()
                .and_then(|c| self.component_index(c))
                .unwrap_or(primary);
            self.elements[at].ports.push(Port {
                name: i.name.clone(),
                kind: i.kind,
                inbound: i.inbound,
                remote_access: i.remote_access,
            });
        }
    }

    fn declared_boundaries(&mut self) -> Result<Vec<Boundary>, ModelError> {
        let mut out = Vec::new();
        let mut inside: BTreeMap<String, String> = BTreeMap::new();
        for d in &self.p.boundaries {
            required("boundary", &d.id, "name", &d.name)?;
            for (n, id) in d.contains.iter().enumerate() {
                if !self.elements.iter().any(|e| &e.id == id) {
                    return Err(ModelError::new(
                        "boundary",
                        &d.id,
                        format!("contains[{n}]"),
                        format!("`{id}` names no element"),
                    ));
                }
                if let Some(other) = inside.insert(id.clone(), d.id.clone()) {
                    return Err(ModelError::new(
                        "boundary",
                        &d.id,
                        format!("contains[{n}]"),
                        format!(
                            "`{id}` is already inside boundary `{other}`; list an element only in its innermost boundary and nest boundaries with `parent`"
                        ),
                    ));
                }
            }
            out.push(Boundary {
                id: d.id.clone(),
                name: d.name.clone(),
                name_en: d.name_en.clone(),
                description: d.description.clone().unwrap_or_default(),
                parent: d.parent.clone(),
                shape: BoundaryShape::Box { at: None },
                derived: None,
                diagram: 0,
            });
        }
        for e in &mut self.elements {
            e.boundary = inside.get(&e.id).cloned();
        }
        Ok(out)
    }

    /// Three zones by who runs what: the medical device's own parts, the
    /// hospital's servers, the manufacturer's services.
    fn derive_boundaries(&mut self) -> Vec<Boundary> {
        let zone = |e: &Element| -> Option<&'static str> {
            let c = e.component.as_ref()?;
            let operated = self
                .p
                .components
                .iter()
                .any(|pc| pc.name == c.name && pc.manufacturer_operated);
            Some(if operated {
                "manufacturer"
            } else if tier(c.kind) == 2 {
                "hospital"
            } else {
                "device"
            })
        };
        let mut zones: Vec<Option<&'static str>> = self.elements.iter().map(zone).collect();
        // Stored data lives on the device; a database on its server.
        let primary = self.primary();
        for (n, e) in self.elements.iter().enumerate() {
            if e.kind != ElementKind::Store {
                continue;
            }
            let owner = self
                .p
                .components
                .iter()
                .filter(|c| c.dbms.is_some())
                .filter_map(|c| self.component_index(&c.name))
                .find(|&i| e.id == format!("{}-db", self.elements[i].id))
                .unwrap_or(primary);
            if self.p.elements.iter().all(|d| d.id != e.id) {
                zones[n] = zones[owner];
            }
        }
        let defs = [
            (
                "device",
                "의료기기",
                "Medical device",
                "제조자가 만든 기기 구성요소(본체·게이트웨이·앱·워크스테이션)",
                "The manufacturer's device components (device, gateway, app, workstation)",
            ),
            (
                "hospital",
                "의료기관 시스템",
                "Healthcare provider systems",
                "의료기관이 운영하는 서버",
                "Servers the healthcare provider runs",
            ),
            (
                "manufacturer",
                "제조자 서비스",
                "Manufacturer services",
                "제조자가 운영하는 서버·클라우드",
                "Servers and cloud services the manufacturer runs",
            ),
        ];
        let mut out = Vec::new();
        for (id, ko, en, why_ko, why_en) in defs {
            if !zones.contains(&Some(id)) {
                continue;
            }
            let bid = self.fresh(&format!("zone-{id}"));
            for (n, e) in self.elements.iter_mut().enumerate() {
                if zones[n] == Some(id) {
                    e.boundary = Some(bid.clone());
                }
            }
            out.push(Boundary {
                id: bid,
                name: ko.to_owned(),
                name_en: Some(en.to_owned()),
                description: String::new(),
                parent: None,
                shape: BoundaryShape::Box { at: None },
                derived: Some(Text::new(
                    format!("구성요소 종류와 운영 주체로 추정: {why_ko}"),
                    format!("Inferred from the component kinds and operators: {why_en}"),
                )),
                diagram: 0,
            });
        }
        out
    }

    fn declared_flows(&mut self) -> Result<Vec<Flow>, ModelError> {
        let mut out = Vec::new();
        for d in &self.p.flows {
            required("flow", &d.id, "name", &d.name)?;
            let mut f = flow(
                d.id.clone(),
                &d.from,
                &d.to,
                Text::new(d.name.clone(), String::new()),
                d.data.clone(),
            );
            f.name_en = d.name_en.clone();
            f.description = d.description.clone().unwrap_or_default();
            f.interface = d.interface.clone();
            if let Some(i) = &d.interface
                && !self.p.interfaces.iter().any(|x| &x.name == i)
            {
                return Err(ModelError::new(
                    "flow",
                    &d.id,
                    "interface",
                    format!("`{i}` is not the name of an interface"),
                ));
            }
            f.protocol = match (&d.protocol, &d.interface) {
                (Some(p), _) => p.clone(),
                (None, Some(i)) => self
                    .p
                    .interfaces
                    .iter()
                    .find(|x| &x.name == i)
                    .map(|x| x.kind.label().to_owned())
                    .unwrap_or_default(),
                (None, None) => String::new(),
            };
            f.encrypted = d.encrypted;
            f.authenticated = d.authenticated;
            f.public_network = d.public_network;
            f.bidirectional = d.bidirectional;
            f.crosses = d.crosses.clone();
            out.push(f);
        }
        Ok(out)
    }

    /// Picks the first interface of `from`, then of `to`, of a kind
    /// `fits`, preferring one no other derived flow uses.
    fn interface_between(
        &self,
        from: &str,
        to: &str,
        fits: fn(InterfaceKind) -> bool,
        used: &mut BTreeSet<String>,
    ) -> Option<(String, InterfaceKind)> {
        let candidates: Vec<&Port> = [from, to]
            .iter()
            .filter_map(|id| self.elements.iter().find(|e| e.id == *id))
            .flat_map(|e| e.ports.iter())
            .filter(|p| fits(p.kind))
            .collect();
        let pick = candidates
            .iter()
            .find(|p| !used.contains(&p.name))
            .or(candidates.first())?;
        used.insert(pick.name.clone());
        Some((pick.name.clone(), pick.kind))
    }

    fn derive_flows(&mut self) -> Vec<Flow> {
        let p = self.p;
        let patient_data =
            p.device.purposes.contains(&Purpose::PatientData) || p.data.personal_medical_info;
        let control = p.device.purposes.contains(&Purpose::DeviceControl);
        let mut used = BTreeSet::new();
        let mut out: Vec<Flow> = Vec::new();
        let comps: Vec<(usize, ComponentKind)> = self
            .elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == ElementKind::Process)
            .filter_map(|(n, e)| e.component.as_ref().map(|c| (n, c.kind)))
            .collect();
        // The data path, tier by tier.
        for &(n, kind) in &comps {
            let t = tier(kind);
            let next = comps
                .iter()
                .filter(|(_, k)| tier(*k) > t)
                .map(|(_, k)| tier(*k))
                .min();
            let Some(next) = next else { continue };
            let Some(&(m, mkind)) = comps.iter().find(|(_, k)| tier(*k) == next) else {
                continue;
            };
            let (a, b) = (self.elements[n].id.clone(), self.elements[m].id.clone());
            let why = Text::new(
                format!(
                    "구성요소 종류({} → {})로 추정한 데이터 경로",
                    kind_slug(kind),
                    kind_slug(mkind)
                ),
                format!(
                    "Inferred data path from the component kinds ({} → {})",
                    kind_slug(kind),
                    kind_slug(mkind)
                ),
            );
            let iface = self.interface_between(&a, &b, InterfaceKind::is_network, &mut used);
            let (name, data) = if patient_data {
                (
                    Text::new("환자 데이터 전송", "Patient data transfer"),
                    vec![DataKind::PatientData],
                )
            } else {
                (
                    Text::new("데이터 전송", "Data transfer"),
                    vec![DataKind::Other],
                )
            };
            let id = self.fresh(&format!("{a}-to-{b}"));
            let mut f = flow(id, &a, &b, name, data);
            set_interface(&mut f, iface.clone());
            f.derived = Some(why.clone());
            out.push(f);
            if control {
                let id = self.fresh(&format!("{b}-to-{a}-control"));
                let mut f = flow(
                    id,
                    &b,
                    &a,
                    Text::new("기기 제어 명령", "Device control commands"),
                    vec![DataKind::Control],
                );
                set_interface(&mut f, iface);
                f.derived = Some(why);
                out.push(f);
            }
        }
        // Each role uses one component.
        let first_of = |kinds: &[ComponentKind]| {
            kinds
                .iter()
                .find_map(|k| comps.iter().find(|(_, c)| c == k).map(|(n, _)| *n))
        };
        let primary = self.primary();
        for (role, re) in p.roles.iter().zip(self.roles.clone()) {
            let user_facing = [
                ComponentKind::App,
                ComponentKind::Workstation,
                ComponentKind::Gateway,
                ComponentKind::Device,
            ];
            let target = match role.kind {
                RoleKind::Administrator => comps
                    .iter()
                    .find(|(n, k)| tier(*k) == 2 && self.elements[*n].flags.web_application)
                    .map(|(n, _)| *n)
                    .or_else(|| first_of(&[ComponentKind::Server, ComponentKind::Cloud]))
                    .or_else(|| first_of(&user_facing)),
                RoleKind::Service => Some(primary),
                _ => first_of(&user_facing),
            }
            .unwrap_or(primary);
            let t = self.elements[target].id.clone();
            let authenticates = role.authentication != Authentication::None;
            let mut data = Vec::new();
            if authenticates {
                data.push(DataKind::Credentials);
            }
            if control {
                data.push(DataKind::Control);
            }
            if data.is_empty() {
                data.push(DataKind::Other);
            }
            let id = self.fresh(&format!("{re}-to-{t}"));
            let mut f = flow(
                id,
                &re,
                &t,
                Text::new("사용자 인증·조작", "Sign-in and operation"),
                data,
            );
            f.bidirectional = true;
            f.authenticated = Some(authenticates);
            f.derived = Some(Text::new(
                format!("역할 `{}`의 사용 구성요소로 추정", role.name),
                format!("Inferred: the component role `{}` uses", role.name),
            ));
            out.push(f);
        }
        // Stored data is written and read by its owner.
        for n in 0..self.elements.len() {
            if self.elements[n].kind != ElementKind::Store
                || p.elements.iter().any(|d| d.id == self.elements[n].id)
            {
                continue;
            }
            let s = self.elements[n].id.clone();
            let owner = comps
                .iter()
                .find(|(i, _)| s == format!("{}-db", self.elements[*i].id))
                .map(|(i, _)| *i)
                .unwrap_or(primary);
            let o = self.elements[owner].id.clone();
            let data = if p.data.personal_medical_info {
                vec![DataKind::PatientData]
            } else {
                vec![DataKind::Other]
            };
            let id = self.fresh(&format!("{o}-to-{s}"));
            let mut f = flow(id, &o, &s, Text::new("저장·조회", "Store and read"), data);
            f.bidirectional = true;
            f.derived = Some(Text::new(
                "저장 데이터와 그 소유 구성요소로 추정",
                "Inferred from the stored data and the component that keeps it",
            ));
            out.push(f);
        }
        // Software reaches the device by each update mechanism.
        for m in &p.update.mechanisms {
            let (source, name, data, fits): UpdateSource = match m {
                UpdateMechanism::Network => {
                    let server = self.elements.iter().position(|e| {
                        e.component.as_ref().is_some_and(|c| {
                            tier(c.kind) == 2
                                && p.components
                                    .iter()
                                    .any(|pc| pc.name == c.name && pc.manufacturer_operated)
                        })
                    });
                    let s = match server {
                        Some(s) => s,
                        None => self.external(
                            "update-server",
                            "제조자 업데이트 서버",
                            "Manufacturer update server",
                        ),
                    };
                    (
                        s,
                        Text::new("소프트웨어 업데이트", "Software update"),
                        vec![DataKind::Firmware],
                        InterfaceKind::is_network,
                    )
                }
                UpdateMechanism::RemovableMedia => (
                    self.external("removable-media", "이동식 저장매체", "Removable media"),
                    Text::new("매체를 통한 업데이트", "Update from media"),
                    vec![DataKind::Firmware],
                    InterfaceKind::is_removable_media,
                ),
                UpdateMechanism::ServiceTool => (
                    self.external("service-tool", "서비스 도구", "Service tool"),
                    Text::new(
                        "서비스 도구 업데이트·설정",
                        "Service-tool update and settings",
                    ),
                    vec![DataKind::Firmware, DataKind::Configuration],
                    |k| {
                        matches!(
                            k,
                            InterfaceKind::Usb
                                | InterfaceKind::Serial
                                | InterfaceKind::Debug
                                | InterfaceKind::Ethernet
                        )
                    },
                ),
                UpdateMechanism::AppStore => (
                    self.external("app-store", "앱 스토어", "App store"),
                    Text::new("앱 업데이트", "App update"),
                    vec![DataKind::Firmware],
                    |k| k.is_network(),
                ),
            };
            let target = match m {
                UpdateMechanism::AppStore => first_of(&[ComponentKind::App]).unwrap_or(primary),
                _ => primary,
            };
            let (s, t) = (
                self.elements[source].id.clone(),
                self.elements[target].id.clone(),
            );
            // The device's own port first: it is the attack surface.
            let iface = self.interface_between(&t, &s, fits, &mut used);
            let id = self.fresh(&format!("{s}-to-{t}"));
            let mut f = flow(id, &s, &t, name, data);
            set_interface(&mut f, iface);
            f.derived = Some(Text::new(
                format!("update.mechanisms의 `{}`로 추정", mechanism_name(*m)),
                format!("Inferred from update mechanism `{}`", mechanism_name(*m)),
            ));
            out.push(f);
        }
        out
    }

    /// A derived external entity (reused when already added).
    fn external(&mut self, base: &str, ko: &str, en: &str) -> usize {
        if let Some(n) = self
            .elements
            .iter()
            .position(|e| e.name == ko && e.derived.is_some())
        {
            return n;
        }
        let id = self.fresh(base);
        let mut e = element(id, ElementKind::External, ko);
        e.name_en = Some(en.to_owned());
        e.derived = Some(Text::new(
            "업데이트 방식으로 추정한 외부 개체",
            "External entity inferred from an update mechanism",
        ));
        self.elements.push(e);
        self.elements.len() - 1
    }
}

/// Where an update comes from, the flow's name, what it carries and which
/// ports it can use.
type UpdateSource = (usize, Text, Vec<DataKind>, fn(InterfaceKind) -> bool);

fn mechanism_name(m: UpdateMechanism) -> &'static str {
    match m {
        UpdateMechanism::Network => "network",
        UpdateMechanism::RemovableMedia => "removable-media",
        UpdateMechanism::ServiceTool => "service-tool",
        UpdateMechanism::AppStore => "app-store",
    }
}

fn set_interface(f: &mut Flow, iface: Option<(String, InterfaceKind)>) {
    if let Some((name, kind)) = iface {
        f.protocol = kind.label().to_owned();
        f.interface = Some(name);
    }
}

fn required(what: &'static str, id: &str, field: &str, value: &str) -> Result<(), ModelError> {
    if value.trim().is_empty() {
        Err(ModelError::new(what, id, field, "must not be empty"))
    } else {
        Ok(())
    }
}
