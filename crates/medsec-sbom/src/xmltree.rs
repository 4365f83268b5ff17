//! A small element tree over quick-xml's streaming reader: elements with
//! their namespace, attributes, text and source position, built without
//! recursion and with a depth limit, so that a hostile document can
//! neither overflow the stack nor send the reader into entity expansion
//! (only the five predefined entities and character references are
//! resolved; DTDs are not read).

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::util::{Cursor, line_column};

/// An XML element.
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    /// The local name, without prefix.
    pub name: String,
    /// The namespace URI the element is in, if any.
    pub ns: Option<String>,
    /// Attributes by local name; `xmlns` declarations are left out.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The text directly inside the element (CDATA included), entities
    /// resolved, untrimmed.
    pub text: String,
    pub line: usize,
    pub column: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements called `name` in the element's own namespace.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name == name && c.ns == self.ns)
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.name == name && c.ns == self.ns)
    }

    /// The trimmed text of child `name`, if present and not empty.
    pub fn child_text(&self, name: &str) -> Option<String> {
        self.child(name)
            .map(|c| c.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// The element's text, trimmed.
    pub fn trimmed(&self) -> String {
        self.text.trim().to_owned()
    }
}

/// A document that is not well-formed, or too deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub too_deep: bool,
}

/// Parses `text` into its root element. Elements nested deeper than
/// `max_depth` are an error.
pub(crate) fn parse(text: &str, max_depth: usize) -> Result<Element, XmlError> {
    let bytes = text.as_bytes();
    let error_at = |offset: u64, message: String, too_deep: bool| {
        let (line, column) = line_column(bytes, usize::try_from(offset).unwrap_or(usize::MAX));
        XmlError {
            line,
            column,
            message,
            too_deep,
        }
    };
    let mut cursor = Cursor::new(bytes);
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let start = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (resolved(&ns), event),
            Err(e) => return Err(error_at(reader.error_position(), e.to_string(), false)),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(error_at(
                    start,
                    "content after the root element".to_owned(),
                    false,
                ));
            }
            Event::Start(e) => {
                if stack.len() >= max_depth {
                    return Err(error_at(
                        start,
                        format!("elements nested deeper than {max_depth} levels"),
                        true,
                    ));
                }
                let pos = cursor.at(usize::try_from(start).unwrap_or(usize::MAX));
                let el = element(&e, ns, pos).map_err(|m| error_at(start, m, false))?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let pos = cursor.at(usize::try_from(start).unwrap_or(usize::MAX));
                let el = element(&e, ns, pos).map_err(|m| error_at(start, m, false))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(error_at(start, "unexpected end tag".to_owned(), false));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.xml10_content());
                } else if !t.trim().is_empty() {
                    return Err(error_at(
                        start,
                        "text outside the root element".to_owned(),
                        false,
                    ));
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok().flatten().map(|c| c.to_string())
                } else {
                    quick_xml::escape::resolve_predefined_entity(&r).map(str::to_owned)
                };
                let Some(s) = resolved else {
                    return Err(error_at(
                        start,
                        format!("unknown entity `&{};`", &*r),
                        false,
                    ));
                };
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&s);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(error_at(
            reader.buffer_position(),
            "unexpected end of document: unclosed elements".to_owned(),
            false,
        ));
    }
    root.ok_or_else(|| error_at(0, "no root element".to_owned(), false))
}

fn resolved(ns: &ResolveResult<'_>) -> Option<String> {
    match ns {
        ResolveResult::Bound(n) => Some(AsRef::<str>::as_ref(n).to_owned()),
        _ => None,
    }
}

fn element(
    e: &BytesStart<'_>,
    ns: Option<String>,
    (line, column): (usize, usize),
) -> Result<Element, String> {
    let name = AsRef::<str>::as_ref(&e.local_name()).to_owned();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| err.to_string())?;
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let local = AsRef::<str>::as_ref(&key.local_name()).to_owned();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| err.to_string())?
            .into_owned();
        attrs.push((local, value));
    }
    Ok(Element {
        name,
        ns,
        attrs,
        children: Vec::new(),
        text: String::new(),
        line,
        column,
    })
}
