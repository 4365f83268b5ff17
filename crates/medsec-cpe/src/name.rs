//! CPE names: the formatted string binding of CPE 2.3 (`cpe:2.3:a:…`) and
//! the CPE 2.2 URI binding (`cpe:/a:…`), unbound into NISTIR 7695's
//! well-formed name, eleven attribute values, and bound back to the
//! canonical formatted string.
//!
//! Values are kept unescaped (`merlin\@home` is the literal `merlin@home`)
//! with their wildcards apart, and lowercased once at parse time, so that
//! matching a name against thousands of criteria compares plain strings.

use std::fmt;
use std::str::FromStr;

use crate::version::NvdVersion;

/// The eleven attributes of a CPE 2.3 name, in the order of the bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribute {
    Part,
    Vendor,
    Product,
    Version,
    Update,
    Edition,
    Language,
    SwEdition,
    TargetSw,
    TargetHw,
    Other,
}

impl Attribute {
    pub const ALL: [Attribute; 11] = [
        Attribute::Part,
        Attribute::Vendor,
        Attribute::Product,
        Attribute::Version,
        Attribute::Update,
        Attribute::Edition,
        Attribute::Language,
        Attribute::SwEdition,
        Attribute::TargetSw,
        Attribute::TargetHw,
        Attribute::Other,
    ];

    /// The attribute's name in NISTIR 7695 (`sw_edition`, `target_hw`, …).
    pub fn name(self) -> &'static str {
        match self {
            Attribute::Part => "part",
            Attribute::Vendor => "vendor",
            Attribute::Product => "product",
            Attribute::Version => "version",
            Attribute::Update => "update",
            Attribute::Edition => "edition",
            Attribute::Language => "language",
            Attribute::SwEdition => "sw_edition",
            Attribute::TargetSw => "target_sw",
            Attribute::TargetHw => "target_hw",
            Attribute::Other => "other",
        }
    }

    /// The position of the attribute among the eleven, from 0.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The position of the attribute's component in the formatted string,
    /// split at its colons: `cpe` is 0, `2.3` is 1, the part 2 and the
    /// version 5. Errors name components by this number.
    pub fn component(self) -> usize {
        self.index() + 2
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A wildcard at the start or the end of a string value (NISTIR 7695
/// §5.3.2, NISTIR 7696 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wildcard {
    None,
    /// An unquoted `*`: zero or more characters.
    Many,
    /// `n` unquoted `?`: zero to `n` characters.
    UpTo(u32),
}

/// A string value: its literal text, unescaped, and its wildcards.
#[derive(Debug, Clone)]
pub struct Text {
    literal: Box<str>,
    lower: Box<str>,
    prefix: Wildcard,
    suffix: Wildcard,
}

impl Text {
    /// The literal text between the wildcards, as written (unescaped).
    pub fn literal(&self) -> &str {
        &self.literal
    }

    /// The literal text lowercased, which is what matching compares.
    pub fn lowercase(&self) -> &str {
        &self.lower
    }

    pub fn prefix(&self) -> Wildcard {
        self.prefix
    }

    pub fn suffix(&self) -> Wildcard {
        self.suffix
    }

    pub fn has_wildcards(&self) -> bool {
        self.prefix != Wildcard::None || self.suffix != Wildcard::None
    }
}

// Equality is structural and case-sensitive, like the written names;
// NISTIR 7696 equality, which ignores case, is `Cpe::compare(..).is_equal()`.
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.literal == other.literal && self.prefix == other.prefix && self.suffix == other.suffix
    }
}

impl Eq for Text {}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.literal.hash(state);
        self.prefix.hash(state);
        self.suffix.hash(state);
    }
}

/// The value of one attribute; ANY by default, as a missing one is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Value {
    /// ANY, `*` in the formatted string: any value, including none.
    #[default]
    Any,
    /// NA, `-` in the formatted string: the attribute does not apply.
    Na,
    Str(Text),
}

impl Value {
    /// A string value taken literally: `*`, `?`, `:` and `\` are ordinary
    /// characters here, escaped when the name is written.
    pub fn literal(text: &str) -> Result<Value, ValueError> {
        let tokens: Vec<Token> = text.chars().map(|c| (c, true)).collect();
        value_from_tokens(&tokens)
    }

    /// The lowercased literal of a string value without wildcards, the form
    /// matching and indexing use.
    pub fn plain(&self) -> Option<&str> {
        match self {
            Value::Str(t) if !t.has_wildcards() => Some(t.lowercase()),
            _ => None,
        }
    }

    pub fn is_any(&self) -> bool {
        matches!(self, Value::Any)
    }

    pub fn is_na(&self) -> bool {
        matches!(self, Value::Na)
    }
}

/// Writes the value as the formatted string binds it: `*`, `-`, or the
/// literal with every character other than letters, digits, `_`, `.` and
/// `-` escaped by `\`, between its unquoted wildcards.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Value::Any => return f.write_str("*"),
            Value::Na => return f.write_str("-"),
            Value::Str(text) => text,
        };
        write_wildcard(f, text.prefix)?;
        // A literal `-` on its own would read back as NA.
        if &*text.literal == "-" && !text.has_wildcards() {
            return f.write_str("\\-");
        }
        for c in text.literal.chars() {
            // Non-ASCII characters are outside NISTIR 7695's alphabet; they
            // are accepted on input and written as they came, unescaped,
            // because the formatted string has no escape for them.
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') || !c.is_ascii() {
                write!(f, "{c}")?;
            } else {
                write!(f, "\\{c}")?;
            }
        }
        write_wildcard(f, text.suffix)
    }
}

fn write_wildcard(f: &mut fmt::Formatter<'_>, w: Wildcard) -> fmt::Result {
    match w {
        Wildcard::None => Ok(()),
        Wildcard::Many => f.write_str("*"),
        Wildcard::UpTo(n) => (0..n).try_for_each(|_| f.write_str("?")),
    }
}

/// Why one attribute value is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("is empty")]
    Empty,
    #[error("contains white space or a control character ({0:?})")]
    Space(char),
    #[error("has an unquoted `{0}` inside the value; wildcards may only begin or end a value")]
    EmbeddedWildcard(char),
    #[error("ends in an unpaired `\\`")]
    TrailingBackslash,
    #[error("must be `a`, `o`, `h` or ANY")]
    Part,
    #[error("has a bad percent-encoding; a CPE 2.2 URI allows `%01`, `%02` and `%21`..`%7e`")]
    Percent,
    #[error("has `{0}`, which a CPE 2.2 URI must percent-encode")]
    UriChar(char),
    #[error("is a packed edition with {0} fields after `~`; a packed edition has 5")]
    PackedEdition(usize),
}

/// What is wrong with a CPE name as a whole or with one component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpeErrorKind {
    #[error("starts with neither `cpe:2.3:` (formatted string) nor `cpe:/` (URI)")]
    Prefix,
    #[error("has {0} components; a CPE 2.3 formatted string has 13")]
    TooFew(usize),
    #[error(
        "has {0} components; a CPE 2.3 formatted string has 13 (is a `:` in a value not escaped as `\\:`?)"
    )]
    TooMany(usize),
    #[error("has {0} components after `cpe:/`; a CPE 2.2 URI has at most 7")]
    UriTooMany(usize),
    #[error("component {} ({attribute}): {error}", attribute.component())]
    Component {
        attribute: Attribute,
        error: ValueError,
    },
}

/// A CPE name that does not parse, with the name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cpe `{cpe}`: {kind}")]
pub struct CpeError {
    pub cpe: String,
    pub kind: CpeErrorKind,
}

/// A CPE name: eleven attribute values.
///
/// Equality and hashing are structural (case-sensitive, as written); the
/// set relations of NISTIR 7696 are [`Cpe::compare`] and [`Cpe::matches`].
#[derive(Debug, Clone)]
pub struct Cpe {
    attrs: [Value; 11],
    /// The version as an [`NvdVersion`] when it is a string without
    /// wildcards, parsed once here because NVD bounds compare against it
    /// for every candidate criterion.
    version: Option<NvdVersion>,
}

impl PartialEq for Cpe {
    fn eq(&self, other: &Cpe) -> bool {
        self.attrs == other.attrs
    }
}

impl Eq for Cpe {}

impl std::hash::Hash for Cpe {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.attrs.hash(state);
    }
}

impl Cpe {
    /// Parses a CPE 2.3 formatted string (`cpe:2.3:…`, all 13 components)
    /// or a CPE 2.2 URI (`cpe:/…`, converted to 2.3 as NISTIR 7695 §6.1.3
    /// unbinds it). Never panics.
    pub fn parse(text: &str) -> Result<Cpe, CpeError> {
        let fail = |kind| CpeError {
            cpe: text.to_owned(),
            kind,
        };
        if let Some(rest) = strip_prefix_ignore_case(text, "cpe:2.3:") {
            parse_formatted(rest).map_err(fail)
        } else if let Some(rest) = strip_prefix_ignore_case(text, "cpe:/") {
            parse_uri(rest).map_err(fail)
        } else {
            Err(fail(CpeErrorKind::Prefix))
        }
    }

    fn from_values(attrs: [Value; 11]) -> Cpe {
        let version = match &attrs[Attribute::Version.index()] {
            Value::Str(t) if !t.has_wildcards() => Some(NvdVersion::new(t.literal())),
            _ => None,
        };
        Cpe { attrs, version }
    }

    pub fn get(&self, attribute: Attribute) -> &Value {
        &self.attrs[attribute.index()]
    }

    /// The values in the order of [`Attribute::ALL`].
    pub fn values(&self) -> &[Value; 11] {
        &self.attrs
    }

    /// The part as a character: `a`, `o`, `h`, or `*` for ANY.
    pub fn part(&self) -> char {
        match self.get(Attribute::Part).plain() {
            Some("a") => 'a',
            Some("o") => 'o',
            Some("h") => 'h',
            _ => '*',
        }
    }

    /// The vendor as an index key: lowercased when it is a plain string,
    /// `"*"` otherwise (ANY, NA, wildcards). The value itself is
    /// `get(Attribute::Vendor)`.
    pub fn vendor(&self) -> &str {
        self.get(Attribute::Vendor).plain().unwrap_or("*")
    }

    /// The product as an index key, like [`Cpe::vendor`].
    pub fn product(&self) -> &str {
        self.get(Attribute::Product).plain().unwrap_or("*")
    }

    pub fn version(&self) -> &Value {
        self.get(Attribute::Version)
    }

    /// The version for range checks, when it is a string without
    /// wildcards.
    pub fn nvd_version(&self) -> Option<&NvdVersion> {
        self.version.as_ref()
    }

    /// The same name with another version.
    pub fn with_version(&self, version: Value) -> Cpe {
        let mut attrs = self.attrs.clone();
        attrs[Attribute::Version.index()] = version;
        Cpe::from_values(attrs)
    }

    /// The index key `(part, vendor, product)`, lowercased. A vendor or
    /// product that is not a plain string (ANY, NA, or with wildcards) is
    /// `"*"`, so that an index keeps such names in one catch-all bucket.
    pub fn key(&self) -> (char, &str, &str) {
        (self.part(), self.vendor(), self.product())
    }
}

/// Writes the canonical formatted string (`cpe:2.3:` and eleven values).
impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cpe:2.3")?;
        for value in &self.attrs {
            write!(f, ":{value}")?;
        }
        Ok(())
    }
}

impl FromStr for Cpe {
    type Err = CpeError;

    fn from_str(s: &str) -> Result<Cpe, CpeError> {
        Cpe::parse(s)
    }
}

impl serde::Serialize for Cpe {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cpe {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Cpe, D::Error> {
        let text = String::deserialize(deserializer)?;
        Cpe::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// One character of a value and whether it was quoted (escaped); an
/// unquoted `*` or `?` is a wildcard.
type Token = (char, bool);

fn component_error(attribute: Attribute) -> impl Fn(ValueError) -> CpeErrorKind {
    move |error| CpeErrorKind::Component { attribute, error }
}

fn parse_formatted(rest: &str) -> Result<Cpe, CpeErrorKind> {
    let mut fields: Vec<Vec<Token>> = vec![Vec::new()];
    let mut unpaired_backslash = false;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            ':' => {
                fields.push(Vec::new());
                continue;
            }
            '\\' => match chars.next() {
                Some(quoted) => (quoted, true),
                None => {
                    unpaired_backslash = true;
                    break;
                }
            },
            c => (c, false),
        };
        if let Some(field) = fields.last_mut() {
            field.push(token);
        }
    }
    // `cpe` and `2.3` count as components, as a reader counts them.
    let found = fields.len() + 2;
    if fields.len() < 11 {
        return Err(CpeErrorKind::TooFew(found));
    }
    if fields.len() > 11 {
        return Err(CpeErrorKind::TooMany(found));
    }
    if unpaired_backslash {
        return Err(component_error(Attribute::Other)(
            ValueError::TrailingBackslash,
        ));
    }
    let mut attrs: [Value; 11] = Default::default();
    for ((slot, tokens), attribute) in attrs.iter_mut().zip(&fields).zip(Attribute::ALL) {
        let value = value_from_tokens(tokens).map_err(component_error(attribute))?;
        *slot = checked(attribute, value).map_err(component_error(attribute))?;
    }
    Ok(Cpe::from_values(attrs))
}

/// Checks what only one attribute restricts: the part.
fn checked(attribute: Attribute, value: Value) -> Result<Value, ValueError> {
    if attribute != Attribute::Part {
        return Ok(value);
    }
    match &value {
        Value::Any => Ok(value),
        Value::Str(t) if !t.has_wildcards() && matches!(t.lowercase(), "a" | "o" | "h") => {
            Ok(value)
        }
        _ => Err(ValueError::Part),
    }
}

/// Builds a value from its characters as NISTIR 7695 unbinds one: a lone
/// unquoted `*` is ANY and a lone unquoted `-` is NA; otherwise a single
/// `*` or a run of `?` may begin and may end the value, and no other
/// unquoted wildcard may appear.
fn value_from_tokens(tokens: &[Token]) -> Result<Value, ValueError> {
    match tokens {
        [] => return Err(ValueError::Empty),
        [('*', false)] => return Ok(Value::Any),
        [('-', false)] => return Ok(Value::Na),
        _ => {}
    }
    if let Some(&(c, _)) = tokens
        .iter()
        .find(|(c, _)| c.is_whitespace() || c.is_control())
    {
        return Err(ValueError::Space(c));
    }
    let wild = |t: &Token, w: char| *t == (w, false);
    let (prefix, start) = if tokens.first().is_some_and(|t| wild(t, '*')) {
        (Wildcard::Many, 1)
    } else {
        let n = tokens.iter().take_while(|t| wild(t, '?')).count();
        (up_to(n), n)
    };
    let rest = tokens.get(start..).unwrap_or_default();
    let (suffix, end) = if rest.last().is_some_and(|t| wild(t, '*')) {
        (Wildcard::Many, rest.len() - 1)
    } else {
        let n = rest.iter().rev().take_while(|t| wild(t, '?')).count();
        (up_to(n), rest.len() - n)
    };
    let body = rest.get(..end).unwrap_or_default();
    if let Some(&(c, _)) = body.iter().find(|t| wild(t, '*') || wild(t, '?')) {
        return Err(ValueError::EmbeddedWildcard(c));
    }
    let literal: String = body.iter().map(|(c, _)| c).collect();
    let lower = literal.to_lowercase();
    Ok(Value::Str(Text {
        literal: literal.into(),
        lower: lower.into(),
        prefix,
        suffix,
    }))
}

fn up_to(n: usize) -> Wildcard {
    if n == 0 {
        Wildcard::None
    } else {
        Wildcard::UpTo(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

fn parse_uri(rest: &str) -> Result<Cpe, CpeErrorKind> {
    let fields: Vec<&str> = rest.split(':').collect();
    if fields.len() > 7 {
        return Err(CpeErrorKind::UriTooMany(fields.len()));
    }
    let mut attrs: [Value; 11] = Default::default();
    for (i, (field, attribute)) in fields.iter().zip(Attribute::ALL).enumerate() {
        if attribute == Attribute::Edition
            && let Some(packed) = field.strip_prefix('~')
        {
            let parts: Vec<&str> = packed.split('~').collect();
            if parts.len() != 5 {
                return Err(component_error(attribute)(ValueError::PackedEdition(
                    parts.len(),
                )));
            }
            let unpacked = [
                Attribute::Edition,
                Attribute::SwEdition,
                Attribute::TargetSw,
                Attribute::TargetHw,
                Attribute::Other,
            ];
            for (part, attribute) in parts.iter().zip(unpacked) {
                attrs[attribute.index()] = uri_value(part).map_err(component_error(attribute))?;
            }
            continue;
        }
        let value = uri_value(field).map_err(component_error(attribute))?;
        attrs[i] = checked(attribute, value).map_err(component_error(attribute))?;
    }
    Ok(Cpe::from_values(attrs))
}

/// Decodes one URI component: empty is ANY, `-` is NA, `%01` and `%02` are
/// the wildcards `?` and `*`, other `%xx` and raw characters are literal.
fn uri_value(field: &str) -> Result<Value, ValueError> {
    match field {
        "" => return Ok(Value::Any),
        "-" => return Ok(Value::Na),
        _ => {}
    }
    let mut tokens = Vec::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '%' => {
                let hi = chars.next().and_then(|c| c.to_digit(16));
                let lo = chars.next().and_then(|c| c.to_digit(16));
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(ValueError::Percent);
                };
                let byte = hi * 16 + lo;
                match byte {
                    0x01 => ('?', false),
                    0x02 => ('*', false),
                    0x21..=0x7e => (char::from_u32(byte).ok_or(ValueError::Percent)?, true),
                    _ => return Err(ValueError::Percent),
                }
            }
            '*' | '?' | '\\' => return Err(ValueError::UriChar(c)),
            c => (c, true),
        };
        tokens.push(token);
    }
    value_from_tokens(&tokens)
}

#[cfg(test)]
mod tests;
