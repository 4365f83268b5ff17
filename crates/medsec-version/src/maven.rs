//! Maven versions, ordered as Maven 3.9's
//! `org.apache.maven.artifact.versioning.ComparableVersion` orders them
//! (the "version order specification" of the POM reference).
//!
//! A version is split into items at `.`, at `-` (which opens a sub-list)
//! and where digits and letters meet (which opens a sub-list too, and a
//! letter run after a `.` becomes a sub-list, MNG-7644: `1.0.RC1` <
//! `1.0-RC2`). Trailing "null" items (`0`, the empty qualifier and its
//! aliases `ga`, `final`, `release`, empty lists) are dropped, so `1` =
//! `1.0` = `1-0` = `1.0.0-ga`. Items compare as: number > list > string,
//! numbers numerically, and known qualifiers `alpha` < `beta` <
//! `milestone` < `rc` = `cr` < `snapshot` < "" < `sp` before any other
//! string, which compare as text (case-insensitively: the version is
//! lowered first). `a1`, `b1`, `m1` mean `alpha-1`, `beta-1`,
//! `milestone-1`. A missing item compares as the null of the other side:
//! `1-rc` < `1` < `1-sp` < `1-1` < `1.1`.
//!
//! Two Java details are kept because they change answers: numbers are
//! typed by the length of their digits without leading zeros (an all-zero
//! run keeps its length), and a number of one type is always smaller than
//! one of a larger type, so `0000000000000000000.1` (19 zeros) is greater
//! than `0.1` in Maven too. Java's `Character.isDigit` also accepts
//! non-ASCII digits; here only ASCII digits are digits.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

/// A Maven version: its normalised item list.
#[derive(Debug, Clone)]
pub struct Version {
    items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// At most 9 digits (Java `IntItem`).
    Int(u32),
    /// 10 to 18 digits (`LongItem`).
    Long(u64),
    /// More (`BigIntegerItem`), as digits.
    Big(Box<str>),
    Str(Qualifier),
    List(Vec<Item>),
}

/// A string item, by its place in the qualifier order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Qualifier {
    /// Index into `alpha, beta, milestone, rc, snapshot, "", sp`.
    Known(u8),
    /// Any other string: after every known one, in text order.
    Other(Box<str>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: Qualifier = Qualifier::Known(5);

impl Qualifier {
    fn new(text: &str, followed_by_digit: bool) -> Qualifier {
        let text = match (followed_by_digit, text) {
            (true, "a") => "alpha",
            (true, "b") => "beta",
            (true, "m") => "milestone",
            (_, "ga" | "final" | "release") => "",
            (_, "cr") => "rc",
            (_, other) => other,
        };
        match QUALIFIERS.iter().position(|q| *q == text) {
            Some(i) => Qualifier::Known(i as u8),
            None => Qualifier::Other(text.into()),
        }
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => *n == 0,
            Item::Long(n) => *n == 0,
            Item::Big(digits) => digits.bytes().all(|b| b == b'0'),
            Item::Str(q) => *q == RELEASE,
            Item::List(items) => items.is_empty(),
        }
    }

    /// The rank of a number's Java type; a smaller type is always smaller.
    fn number_rank(&self) -> Option<u8> {
        match self {
            Item::Int(_) => Some(0),
            Item::Long(_) => Some(1),
            Item::Big(_) => Some(2),
            _ => None,
        }
    }

    /// `ComparableVersion.Item.compareTo`, `None` standing for Java's null
    /// (the other version has no item here).
    fn cmp(&self, other: Option<&Item>) -> Ordering {
        let Some(other) = other else {
            return match self {
                Item::Str(q) => q.cmp(&RELEASE),
                Item::List(items) => items
                    .iter()
                    .map(|i| i.cmp(None))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal),
                number if number.is_null() => Ordering::Equal,
                _ => Ordering::Greater,
            };
        };
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => a.cmp(b),
            (Item::Long(a), Item::Long(b)) => a.cmp(b),
            (Item::Big(a), Item::Big(b)) => cmp_digits(a, b),
            (Item::Str(a), Item::Str(b)) => a.cmp(b),
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
            (Item::Str(_), _) => Ordering::Less,
            (_, Item::Str(_)) => Ordering::Greater,
            (Item::List(_), _) => Ordering::Less,
            (_, Item::List(_)) => Ordering::Greater,
            (a, b) => a.number_rank().cmp(&b.number_rank()),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let result = match (a.get(i), b.get(i)) {
            (Some(l), r) => l.cmp(r),
            (None, Some(r)) => r.cmp(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if result.is_ne() {
            return result;
        }
    }
    Ordering::Equal
}

fn parse_item(is_digit: bool, chars: &[char]) -> Item {
    let text: String = chars.iter().collect();
    if !is_digit {
        return Item::Str(Qualifier::new(&text, false));
    }
    // Java strips leading zeros but leaves an all-zero run as it is, and
    // picks the item type by the length of what is left.
    let stripped = match text.find(|c| c != '0') {
        Some(i) => text.get(i..).unwrap_or_default(),
        None => text.as_str(),
    };
    if stripped.len() <= 9 {
        Item::Int(stripped.parse().unwrap_or(0))
    } else if stripped.len() <= 18 {
        Item::Long(stripped.parse().unwrap_or(0))
    } else {
        Item::Big(stripped.into())
    }
}

impl Version {
    /// Parses as `ComparableVersion.parseVersion` does; every non-empty
    /// string is a Maven version.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        if text.trim().is_empty() {
            return Err(VersionError::new(Scheme::Maven, text, "it is empty"));
        }
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        // Lists live in an arena while parsing, because Java appends to a
        // list after nesting it in its parent; `Node::List` holds an index.
        let mut arena: Vec<Vec<Node>> = vec![Vec::new()];
        let mut list = 0;
        let mut is_digit = false;
        let mut start = 0;
        let open = |arena: &mut Vec<Vec<Node>>, list: &mut usize| {
            let new = arena.len();
            arena.push(Vec::new());
            if let Some(parent) = arena.get_mut(*list) {
                parent.push(Node::List(new));
            }
            *list = new;
        };
        let push = |arena: &mut Vec<Vec<Node>>, list: usize, item: Item| {
            if let Some(l) = arena.get_mut(list) {
                l.push(Node::Item(item));
            }
        };
        let is_empty =
            |arena: &Vec<Vec<Node>>, list: usize| arena.get(list).is_none_or(Vec::is_empty);
        for (i, &c) in chars.iter().enumerate() {
            let run = chars.get(start..i).unwrap_or_default();
            if c == '.' || c == '-' {
                let item = if i == start {
                    Item::Int(0)
                } else {
                    parse_item(is_digit, run)
                };
                push(&mut arena, list, item);
                start = i + 1;
                if c == '-' {
                    open(&mut arena, &mut list);
                }
            } else if c.is_ascii_digit() {
                if !is_digit && i > start {
                    // 1.0.0.X1 < 1.0.0-X2: a qualifier after `.` becomes a
                    // sub-list, as if it followed `-`.
                    if !is_empty(&arena, list) {
                        open(&mut arena, &mut list);
                    }
                    let text: String = run.iter().collect();
                    push(&mut arena, list, Item::Str(Qualifier::new(&text, true)));
                    start = i;
                    open(&mut arena, &mut list);
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    push(&mut arena, list, parse_item(true, run));
                    start = i;
                    open(&mut arena, &mut list);
                }
                is_digit = false;
            }
        }
        if chars.len() > start {
            if !is_digit && !is_empty(&arena, list) {
                open(&mut arena, &mut list);
            }
            let run = chars.get(start..).unwrap_or_default();
            push(&mut arena, list, parse_item(is_digit, run));
        }
        // Java normalises every list when parsing ends, the most recently
        // opened first, so a list is normalised before its parent looks at
        // whether it is empty.
        let mut built: Vec<Option<Vec<Item>>> = vec![None; arena.len()];
        for index in (0..arena.len()).rev() {
            let nodes = arena.get_mut(index).map(std::mem::take).unwrap_or_default();
            let mut items: Vec<Item> = nodes
                .into_iter()
                .map(|node| match node {
                    Node::Item(item) => item,
                    Node::List(child) => Item::List(
                        built
                            .get_mut(child)
                            .and_then(Option::take)
                            .unwrap_or_default(),
                    ),
                })
                .collect();
            normalize(&mut items);
            if let Some(slot) = built.get_mut(index) {
                *slot = Some(items);
            }
        }
        let items = built.first_mut().and_then(Option::take).unwrap_or_default();
        Ok(Version { items })
    }

    /// Maven's canonical form (`getCanonical`): items joined by `.`, a
    /// sub-list by `-`.
    pub fn canonical(&self) -> String {
        fn write(items: &[Item], out: &mut String) {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(if matches!(item, Item::List(_)) {
                        '-'
                    } else {
                        '.'
                    });
                }
                match item {
                    Item::Int(n) => out.push_str(&n.to_string()),
                    Item::Long(n) => out.push_str(&n.to_string()),
                    Item::Big(d) => {
                        let digits = d.trim_start_matches('0');
                        out.push_str(if digits.is_empty() { "0" } else { digits });
                    }
                    Item::Str(Qualifier::Known(k)) => {
                        out.push_str(QUALIFIERS.get(usize::from(*k)).copied().unwrap_or_default())
                    }
                    Item::Str(Qualifier::Other(s)) => out.push_str(s),
                    Item::List(l) => write(l, out),
                }
            }
        }
        let mut out = String::new();
        write(&self.items, &mut out);
        out
    }
}

enum Node {
    Item(Item),
    List(usize),
}

/// `ListItem.normalize`: drops null items from the end, looking past (but
/// keeping) non-null sub-lists.
fn normalize(items: &mut Vec<Item>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        let Some(item) = items.get(i) else { break };
        if item.is_null() {
            items.remove(i);
        } else if !matches!(item, Item::List(_)) {
            break;
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

#[cfg(test)]
mod tests;
