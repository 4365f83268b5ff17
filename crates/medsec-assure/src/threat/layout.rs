//! A deterministic layout of a data-flow diagram: data flows left to
//! right in layers (an element's layer is the longest chain of flows that
//! leads to it, cycles broken in model order; external entities stand
//! next to what they talk to; data stores hang in a row under the element
//! they exchange data with), and each trust boundary is
//! a box around its elements and nested boxes, laid out the same way
//! inside. Nothing overlaps; the same model always gives the same
//! coordinates. [`super::svg`] draws it and [`super::dragon`] writes it.

use std::collections::{BTreeMap, BTreeSet};

use super::{BoundaryShape, ElementKind, End, Point, Rect, ThreatModel};

/// Sizes in Threat Dragon's pixels.
pub const PROCESS: (f64, f64) = (120.0, 120.0);
pub const EXTERNAL: (f64, f64) = (160.0, 64.0);
pub const STORE: (f64, f64) = (160.0, 56.0);
/// Between columns: room for flow labels.
const COLUMN_GAP: f64 = 110.0;
const ROW_GAP: f64 = 40.0;
/// Inside a boundary box, around its content, and its title's height.
const PAD: f64 = 24.0;
const TITLE: f64 = 28.0;
const EMPTY_BOX: (f64, f64) = (180.0, 90.0);
pub const MARGIN: f64 = 30.0;
/// Parallel flows between the same two elements are this far apart.
const PARALLEL: f64 = 46.0;
const NOTE: (f64, f64) = (190.0, 60.0);

/// Where everything of one diagram goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub nodes: BTreeMap<String, Rect>,
    pub boxes: BTreeMap<String, Rect>,
    /// Bends of flows that share their ends with another flow.
    pub vertices: BTreeMap<String, Vec<Point>>,
    pub notes: BTreeMap<String, Rect>,
    pub width: f64,
    pub height: f64,
}

pub fn size_of(kind: ElementKind) -> (f64, f64) {
    match kind {
        ElementKind::Process => PROCESS,
        ElementKind::External => EXTERNAL,
        ElementKind::Store => STORE,
    }
}

/// Every element and box boundary of the diagram has a position.
pub fn has_geometry(model: &ThreatModel, diagram: usize) -> bool {
    model
        .elements
        .iter()
        .filter(|e| e.diagram == diagram)
        .all(|e| e.at.is_some())
        && model
            .boundaries
            .iter()
            .filter(|b| b.diagram == diagram)
            .all(|b| !matches!(b.shape, BoundaryShape::Box { at: None }))
}

/// Each element's layer: the longest chain of flows leading to it, with
/// the flows that close a cycle (found by a depth-first search in model
/// order) left out.
fn ranks(model: &ThreatModel, diagram: usize) -> BTreeMap<&str, usize> {
    let nodes: Vec<&str> = model
        .elements
        .iter()
        .filter(|e| e.diagram == diagram)
        .map(|e| e.id.as_str())
        .collect();
    let known: BTreeSet<&str> = nodes.iter().copied().collect();
    let mut out_edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in model.flows.iter().filter(|f| f.diagram == diagram) {
        if let (End::Element(a), End::Element(b)) = (&f.from, &f.to)
            && known.contains(a.as_str())
            && known.contains(b.as_str())
            && a != b
        {
            out_edges.entry(a.as_str()).or_default().push(b.as_str());
        }
    }
    // Depth-first search: an edge to a node on the stack closes a cycle.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    let mut kept: Vec<(&str, &str)> = Vec::new();
    for &start in &nodes {
        if state.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some((node, next)) = stack.last().copied() {
            let edges = out_edges.get(node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(&to) = edges.get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match state.get(to).copied() {
                    None => {
                        kept.push((node, to));
                        state.insert(to, 1);
                        stack.push((to, 0));
                    }
                    Some(2) => kept.push((node, to)),
                    // On the stack: the edge closes a cycle.
                    _ => {}
                }
            } else {
                state.insert(node, 2);
                stack.pop();
            }
        }
    }
    // Longest path over the acyclic edges, relaxed to a fixed point (the
    // graph is small; each pass is linear).
    let mut rank: BTreeMap<&str, usize> = nodes.iter().map(|n| (*n, 0)).collect();
    for _ in 0..=nodes.len() {
        let mut changed = false;
        for &(a, b) in &kept {
            let candidate = rank.get(a).copied().unwrap_or(0) + 1;
            if rank.get(b).copied().unwrap_or(0) < candidate {
                rank.insert(b, candidate);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    rank
}

/// The element a data store hangs under: the process or entity it
/// exchanges data with in the lowest layer, when that lies in the same
/// boundary.
fn owner_of(model: &ThreatModel, rank: &BTreeMap<&str, usize>, store: usize) -> Option<usize> {
    let s = &model.elements[store];
    model
        .flows
        .iter()
        .filter_map(|f| match (&f.from, &f.to) {
            (End::Element(a), End::Element(b)) if *a == s.id => Some(b.as_str()),
            (End::Element(a), End::Element(b)) if *b == s.id => Some(a.as_str()),
            _ => None,
        })
        .filter_map(|id| model.elements.iter().position(|e| e.id == id))
        .filter(|&n| {
            let e = &model.elements[n];
            e.kind != ElementKind::Store && e.boundary == s.boundary && e.diagram == s.diagram
        })
        .min_by_key(|&n| (rank.get(model.elements[n].id.as_str()).copied(), n))
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Node(usize),
    Box(usize),
}

/// An item with its offset inside its container and, for a box, its own
/// content.
type Placed = (Item, f64, f64, Option<Block>);

/// A laid-out container: its size and its items' offsets inside it.
struct Block {
    width: f64,
    height: f64,
    items: Vec<Placed>,
}

struct Ctx<'a> {
    model: &'a ThreatModel,
    diagram: usize,
    rank: BTreeMap<&'a str, usize>,
    /// Data stores drawn in a row under their owner, by owner.
    hanging: BTreeMap<usize, Vec<usize>>,
}

/// Between stores in a row under their owner.
const STORE_GAP: f64 = 30.0;

impl Ctx<'_> {
    /// An element's size with the stores hanging under it.
    fn node_size(&self, n: usize) -> (f64, f64) {
        let (w, h) = size_of(self.model.elements[n].kind);
        match self.hanging.get(&n) {
            Some(stores) if !stores.is_empty() => {
                let row = stores.len() as f64 * STORE.0 + (stores.len() as f64 - 1.0) * STORE_GAP;
                (w.max(row), h + ROW_GAP + STORE.1)
            }
            _ => (w, h),
        }
    }

    fn children(&self, parent: Option<&str>) -> Vec<Item> {
        let mut items = Vec::new();
        for (n, b) in self.model.boundaries.iter().enumerate() {
            if b.diagram == self.diagram && b.is_box() && b.parent.as_deref() == parent {
                items.push(Item::Box(n));
            }
        }
        let hung: BTreeSet<usize> = self.hanging.values().flatten().copied().collect();
        for (n, e) in self.model.elements.iter().enumerate() {
            if hung.contains(&n) {
                continue;
            }
            let inside = e
                .boundary
                .as_deref()
                .filter(|b| self.model.boundary(b).is_some_and(|x| x.is_box()));
            if e.diagram == self.diagram && inside == parent {
                items.push(Item::Node(n));
            }
        }
        items
    }

    /// Whether `element` is `item` or lies inside it.
    fn holds(&self, item: Item, element: &str, depth: usize) -> bool {
        match item {
            Item::Node(n) => {
                self.model.elements[n].id == element
                    || self
                        .hanging
                        .get(&n)
                        .is_some_and(|s| s.iter().any(|&k| self.model.elements[k].id == element))
            }
            Item::Box(n) if depth <= self.model.boundaries.len() => self
                .children(Some(&self.model.boundaries[n].id))
                .into_iter()
                .any(|i| self.holds(i, element, depth + 1)),
            Item::Box(_) => false,
        }
    }

    /// The columns of a container's items: twice the layer (of the
    /// element, or the lowest inside a box), and for an external entity
    /// one column before the first item it sends to, or one after the
    /// last it only receives from, so that users and outside systems
    /// stand next to what they talk to rather than in the first column.
    fn columns(&self, items: &[Item], depth: usize) -> Vec<i64> {
        let mut keys: Vec<Option<i64>> = items
            .iter()
            .map(|&item| match item {
                Item::Node(n) if self.model.elements[n].kind == ElementKind::External => None,
                _ => self.rank_of(item, depth).map(|r| 2 * r as i64).or(Some(0)),
            })
            .collect();
        for _ in 0..3 {
            for (k, &item) in items.iter().enumerate() {
                let Item::Node(n) = item else { continue };
                if keys[k].is_some() && self.model.elements[n].kind != ElementKind::External {
                    continue;
                }
                let id = &self.model.elements[n].id;
                let mut sends = Vec::new();
                let mut receives = Vec::new();
                for f in self
                    .model
                    .flows
                    .iter()
                    .filter(|f| f.diagram == self.diagram)
                {
                    let (other, out) = match (&f.from, &f.to) {
                        (End::Element(a), End::Element(b)) if a == id => (b, true),
                        (End::Element(a), End::Element(b)) if b == id => (a, f.bidirectional),
                        _ => continue,
                    };
                    let at = items
                        .iter()
                        .position(|&i| i != item && self.holds(i, other, depth + 1));
                    if let Some(key) = at.and_then(|i| keys[i]) {
                        if out {
                            sends.push(key);
                        } else {
                            receives.push(key);
                        }
                    }
                }
                keys[k] = match (sends.iter().min(), receives.iter().max()) {
                    (Some(s), _) => Some(s - 1),
                    (None, Some(r)) => Some(r + 1),
                    (None, None) => keys[k],
                };
            }
        }
        items
            .iter()
            .zip(keys)
            .map(|(&item, key)| {
                key.unwrap_or_else(|| self.rank_of(item, depth).map_or(0, |r| 2 * r as i64))
            })
            .collect()
    }

    /// An item's layer: its element's, or the lowest inside a box.
    fn rank_of(&self, item: Item, depth: usize) -> Option<usize> {
        match item {
            Item::Node(n) => self.rank.get(self.model.elements[n].id.as_str()).copied(),
            Item::Box(n) if depth <= self.model.boundaries.len() => self
                .children(Some(&self.model.boundaries[n].id))
                .into_iter()
                .filter_map(|i| self.rank_of(i, depth + 1))
                .min(),
            Item::Box(_) => None,
        }
    }

    fn block(&self, parent: Option<&str>, depth: usize) -> Block {
        let items = self.children(parent);
        let keys = self.columns(&items, depth);
        let mut columns: BTreeMap<i64, Vec<Placed>> = BTreeMap::new();
        for (item, column) in items.into_iter().zip(keys) {
            let (w, h, inner) = match item {
                Item::Node(n) => {
                    let (w, h) = self.node_size(n);
                    (w, h, None)
                }
                Item::Box(n) => {
                    // A nesting cycle cannot reach here (validated), but
                    // the depth bound keeps this total.
                    let inner = if depth <= self.model.boundaries.len() {
                        self.block(Some(&self.model.boundaries[n].id), depth + 1)
                    } else {
                        Block {
                            width: 0.0,
                            height: 0.0,
                            items: Vec::new(),
                        }
                    };
                    let (w, h) = if inner.items.is_empty() {
                        EMPTY_BOX
                    } else {
                        (inner.width + 2.0 * PAD, inner.height + 2.0 * PAD + TITLE)
                    };
                    (w, h, Some(inner))
                }
            };
            columns.entry(column).or_default().push((item, w, h, inner));
        }
        // Top-aligned columns, zones and processes above external
        // entities: the main data path runs along the top, users and
        // outside systems hang below it.
        for column in columns.values_mut() {
            column.sort_by_key(|(item, _, _, _)| match *item {
                Item::Box(n) => (0, n),
                Item::Node(n) => match self.model.elements[n].kind {
                    ElementKind::Process => (1, n),
                    ElementKind::Store => (2, n),
                    ElementKind::External => (3, n),
                },
            });
        }
        let mut placed = Vec::new();
        let height = columns
            .values()
            .map(|c| c.iter().map(|(_, _, h, _)| h).sum::<f64>() + ROW_GAP * (c.len() as f64 - 1.0))
            .fold(0.0, f64::max);
        let mut x = 0.0;
        for column in columns.into_values() {
            let width = column.iter().map(|(_, w, _, _)| *w).fold(0.0, f64::max);
            let mut y = 0.0;
            for (item, w, h, inner) in column {
                placed.push((item, x + ((width - w) / 2.0).round(), y, inner));
                y += h + ROW_GAP;
            }
            x += width + COLUMN_GAP;
        }
        Block {
            width: (x - COLUMN_GAP).max(0.0),
            height,
            items: placed,
        }
    }
}

fn place(ctx: &Ctx, block: &Block, ox: f64, oy: f64, out: &mut Layout) {
    let model = ctx.model;
    for (item, x, y, inner) in &block.items {
        let (x, y) = (ox + x, oy + y);
        match (item, inner) {
            (Item::Node(n), _) => {
                let e = &model.elements[*n];
                let (w, h) = size_of(e.kind);
                let (gw, _) = ctx.node_size(*n);
                out.nodes.insert(
                    e.id.clone(),
                    Rect {
                        x: x + ((gw - w) / 2.0).round(),
                        y,
                        width: w,
                        height: h,
                    },
                );
                let stores = ctx.hanging.get(n).map(Vec::as_slice).unwrap_or(&[]);
                let row = stores.len() as f64 * STORE.0
                    + (stores.len() as f64 - 1.0).max(0.0) * STORE_GAP;
                let mut sx = x + ((gw - row) / 2.0).round();
                for s in stores {
                    out.nodes.insert(
                        model.elements[*s].id.clone(),
                        Rect {
                            x: sx,
                            y: y + h + ROW_GAP,
                            width: STORE.0,
                            height: STORE.1,
                        },
                    );
                    sx += STORE.0 + STORE_GAP;
                }
            }
            (Item::Box(n), Some(inner)) => {
                let b = &model.boundaries[*n];
                let (w, h) = if inner.items.is_empty() {
                    EMPTY_BOX
                } else {
                    (inner.width + 2.0 * PAD, inner.height + 2.0 * PAD + TITLE)
                };
                out.boxes.insert(
                    b.id.clone(),
                    Rect {
                        x,
                        y,
                        width: w,
                        height: h,
                    },
                );
                place(ctx, inner, x + PAD, y + PAD + TITLE, out);
            }
            (Item::Box(_), None) => {}
        }
    }
}

/// Lays out one diagram of the model.
pub fn layout(model: &ThreatModel, diagram: usize) -> Layout {
    let rank = ranks(model, diagram);
    let mut hanging: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (n, e) in model.elements.iter().enumerate() {
        if e.diagram == diagram
            && e.kind == ElementKind::Store
            && let Some(owner) = owner_of(model, &rank, n)
        {
            hanging.entry(owner).or_default().push(n);
        }
    }
    let ctx = Ctx {
        model,
        diagram,
        rank,
        hanging,
    };
    let root = ctx.block(None, 0);
    let mut out = Layout::default();
    place(&ctx, &root, MARGIN, MARGIN, &mut out);
    let mut width = root.width + 2.0 * MARGIN;
    let mut height = root.height + 2.0 * MARGIN;
    // Notes without a place go in a row below.
    let mut x = MARGIN;
    for n in model.notes.iter().filter(|n| n.diagram == diagram) {
        let at = n.at.unwrap_or(Rect {
            x,
            y: height,
            width: NOTE.0,
            height: NOTE.1,
        });
        if n.at.is_none() {
            x += NOTE.0 + ROW_GAP;
            width = width.max(x);
        }
        out.notes.insert(n.id.clone(), at);
    }
    if out.notes.values().any(|r| r.y >= height) {
        height += NOTE.1 + MARGIN;
    }
    // Flows between the same two elements fan out around the straight
    // line; a lone flow stays straight.
    let mut pairs: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for f in model.flows.iter().filter(|f| f.diagram == diagram) {
        if let (End::Element(a), End::Element(b)) = (&f.from, &f.to) {
            let key = if a <= b {
                (a.as_str(), b.as_str())
            } else {
                (b.as_str(), a.as_str())
            };
            pairs.entry(key).or_default().push(f.id.as_str());
        }
    }
    for ((a, b), flows) in pairs {
        if flows.len() < 2 {
            continue;
        }
        let (Some(ra), Some(rb)) = (out.nodes.get(a), out.nodes.get(b)) else {
            continue;
        };
        let (p, q) = (ra.center(), rb.center());
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (nx, ny) = (-dy / len, dx / len);
        let mid = Point {
            x: (p.x + q.x) / 2.0,
            y: (p.y + q.y) / 2.0,
        };
        let n = flows.len() as f64;
        for (i, id) in flows.into_iter().enumerate() {
            let offset = (i as f64 - (n - 1.0) / 2.0) * PARALLEL;
            out.vertices.insert(
                id.to_owned(),
                vec![Point {
                    x: (mid.x + nx * offset).round(),
                    y: (mid.y + ny * offset).round(),
                }],
            );
        }
    }
    route(model, diagram, &mut out);
    out.width = width;
    out.height = height;
    out
}

/// Whether two segments meet (touching counts).
pub(crate) fn segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool {
    let orient =
        |p: Point, q: Point, r: Point| (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
    let on = |p: Point, q: Point, r: Point| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    let (d1, d2, d3, d4) = (
        orient(c, d, a),
        orient(c, d, b),
        orient(a, b, c),
        orient(a, b, d),
    );
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on(c, d, a))
        || (d2 == 0.0 && on(c, d, b))
        || (d3 == 0.0 && on(a, b, c))
        || (d4 == 0.0 && on(a, b, d))
}

/// Whether a segment passes through a rectangle.
fn hits(a: Point, b: Point, r: &Rect) -> bool {
    if r.contains_point(a) || r.contains_point(b) {
        return true;
    }
    let corners = [
        Point { x: r.x, y: r.y },
        Point {
            x: r.x + r.width,
            y: r.y,
        },
        Point {
            x: r.x + r.width,
            y: r.y + r.height,
        },
        Point {
            x: r.x,
            y: r.y + r.height,
        },
    ];
    (0..4).any(|i| segments_cross(a, b, corners[i], corners[(i + 1) % 4]))
}

/// How many elements other than its ends a path passes through.
fn obstacles(path: &[Point], others: &[Rect]) -> usize {
    others
        .iter()
        .filter(|r| path.windows(2).any(|s| hits(s[0], s[1], r)))
        .count()
}

/// A flow whose straight line would pass through another element bends
/// once around it: above, below, left or right of what it hits, where it
/// passes through fewest elements with the shortest detour.
fn route(model: &ThreatModel, diagram: usize, out: &mut Layout) {
    const CLEAR: f64 = 12.0;
    for f in model.flows.iter().filter(|f| f.diagram == diagram) {
        let (End::Element(a), End::Element(b)) = (&f.from, &f.to) else {
            continue;
        };
        let (Some(ra), Some(rb)) = (out.nodes.get(a), out.nodes.get(b)) else {
            continue;
        };
        let (p, q) = (ra.center(), rb.center());
        let others: Vec<Rect> = out
            .nodes
            .iter()
            .filter(|(id, _)| *id != a && *id != b)
            .map(|(_, r)| Rect {
                x: r.x - CLEAR,
                y: r.y - CLEAR,
                width: r.width + 2.0 * CLEAR,
                height: r.height + 2.0 * CLEAR,
            })
            .collect();
        let bends = out.vertices.get(&f.id).cloned().unwrap_or_default();
        let path: Vec<Point> = std::iter::once(p)
            .chain(bends.iter().copied())
            .chain(std::iter::once(q))
            .collect();
        let now = obstacles(&path, &others);
        if now == 0 {
            continue;
        }
        let hit: Vec<&Rect> = others
            .iter()
            .filter(|r| path.windows(2).any(|s| hits(s[0], s[1], r)))
            .collect();
        let top = hit.iter().map(|r| r.y).fold(f64::INFINITY, f64::min) - CLEAR;
        let bottom = hit
            .iter()
            .map(|r| r.y + r.height)
            .fold(f64::NEG_INFINITY, f64::max)
            + CLEAR;
        let left = hit.iter().map(|r| r.x).fold(f64::INFINITY, f64::min) - CLEAR;
        let right = hit
            .iter()
            .map(|r| r.x + r.width)
            .fold(f64::NEG_INFINITY, f64::max)
            + CLEAR;
        let (mx, my) = ((p.x + q.x) / 2.0, (p.y + q.y) / 2.0);
        let (cx, cy) = ((left + right) / 2.0, (top + bottom) / 2.0);
        let mut candidates = Vec::new();
        for x in [mx, cx, left, right] {
            for y in [top, top - 40.0, bottom, bottom + 40.0] {
                candidates.push(Point { x, y });
            }
        }
        for x in [left, left - 40.0, right, right + 40.0] {
            for y in [my, cy] {
                candidates.push(Point { x, y });
            }
        }
        let length = |c: Point| {
            ((c.x - p.x).powi(2) + (c.y - p.y).powi(2)).sqrt()
                + ((q.x - c.x).powi(2) + (q.y - c.y).powi(2)).sqrt()
        };
        // Fewest elements crossed, then the shortest detour; candidates
        // are in a fixed order, so ties resolve the same way every time.
        // Parallel flows keep their distance from each other.
        let (ox, oy) = bends.first().map_or((0.0, 0.0), |b| (b.x - mx, b.y - my));
        let best = candidates
            .into_iter()
            .map(|c| {
                let c = Point {
                    x: (c.x + ox).round(),
                    y: (c.y + oy).round(),
                };
                (obstacles(&[p, c, q], &others), length(c), c)
            })
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
            .map(|(n, _, c)| (n, c));
        if let Some((n, c)) = best
            && n < now
        {
            out.vertices.insert(f.id.clone(), vec![c]);
        }
    }
}
