//! A small, forgiving HTML tokenizer: start and end tags with their
//! attributes, text, comments, and the raw text of `script` and `style`.
//!
//! It follows the HTML specification's tokenizer where that matters for
//! monitoring (attribute quoting, raw-text elements, comments, character
//! references) and skips what does not (the tree construction's implied
//! tags, foreign content). It never panics: every slice goes through
//! `str::get` at positions of ASCII delimiters, which are always character
//! boundaries, so Korean text passes through whole.

/// One token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Start {
        /// Lower-cased.
        name: String,
        /// Names lower-cased, values with character references decoded;
        /// the first of repeated names wins, as in browsers.
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    End {
        name: String,
    },
    /// Text with character references decoded.
    Text(String),
    /// The content of `script` or `style`, as written.
    Raw(String),
    Comment(String),
}

impl Token {
    /// The value of attribute `name` of a start tag.
    pub fn attr(&self, name: &str) -> Option<&str> {
        match self {
            Token::Start { attrs, .. } => attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

/// Elements without an end tag.
pub const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements whose content is not markup.
const RAW: &[&str] = &["script", "style", "xmp", "noembed", "noframes"];
/// Elements whose content is text with character references.
const RCDATA: &[&str] = &["title", "textarea"];

/// The most tokens kept; the rest of a pathological page is dropped.
pub const MAX_TOKENS: usize = 200_000;

/// Splits `html` into tokens.
pub fn tokenize(html: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() && out.len() < MAX_TOKENS {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let starts_markup = match next {
            Some(b'!') | Some(b'/') | Some(b'?') => true,
            Some(c) => c.is_ascii_alphabetic(),
            None => false,
        };
        if !starts_markup {
            i += 1;
            continue;
        }
        push_text(&mut out, html.get(text_start..i).unwrap_or(""));
        if html.get(i..i + 4) == Some("<!--") {
            let body_start = i + 4;
            let (body_end, after) = match find(bytes, body_start, b"-->") {
                Some(e) => (e, e + 3),
                None => (bytes.len(), bytes.len()),
            };
            out.push(Token::Comment(
                html.get(body_start..body_end).unwrap_or("").to_owned(),
            ));
            i = after;
        } else if next == Some(b'!') || next == Some(b'?') {
            // A doctype, CDATA section or processing instruction: skipped.
            i = find(bytes, i, b">").map_or(bytes.len(), |e| e + 1);
        } else if next == Some(b'/') {
            let name_start = i + 2;
            let mut j = name_start;
            while j < bytes.len() && !is_space(bytes[j]) && bytes[j] != b'>' && bytes[j] != b'/' {
                j += 1;
            }
            let name = html.get(name_start..j).unwrap_or("").to_ascii_lowercase();
            i = find(bytes, j, b">").map_or(bytes.len(), |e| e + 1);
            if !name.is_empty() {
                out.push(Token::End { name });
            }
        } else {
            let (token, after) = start_tag(html, i);
            i = after;
            if let Token::Start {
                name, self_closing, ..
            } = &token
            {
                let name = name.clone();
                let closes = *self_closing;
                out.push(token);
                if !closes && (RAW.contains(&name.as_str()) || RCDATA.contains(&name.as_str())) {
                    let end = find_end_tag(bytes, i, &name);
                    let content = html.get(i..end).unwrap_or("");
                    if RAW.contains(&name.as_str()) {
                        if !content.is_empty() {
                            out.push(Token::Raw(content.to_owned()));
                        }
                    } else {
                        push_text(&mut out, content);
                    }
                    i = end;
                    if end < bytes.len() {
                        i = find(bytes, end, b">").map_or(bytes.len(), |e| e + 1);
                        out.push(Token::End { name });
                    }
                }
            }
        }
        text_start = i;
    }
    if out.len() < MAX_TOKENS {
        push_text(
            &mut out,
            html.get(text_start.min(html.len())..).unwrap_or(""),
        );
    }
    out
}

fn push_text(out: &mut Vec<Token>, raw: &str) {
    if !raw.is_empty() {
        out.push(Token::Text(decode(raw)));
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// The position of `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= bytes.len() {
        return None;
    }
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Where `</name` (any case, followed by a space, `/` or `>`) starts, or the
/// end of the input.
fn find_end_tag(bytes: &[u8], from: usize, name: &str) -> usize {
    let n = name.len();
    let mut i = from;
    while let Some(p) = find(bytes, i, b"</") {
        let candidate = bytes.get(p + 2..p + 2 + n);
        let follows = bytes.get(p + 2 + n).copied();
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name.as_bytes()))
            && follows.is_none_or(|c| is_space(c) || c == b'>' || c == b'/')
        {
            return p;
        }
        i = p + 2;
    }
    bytes.len()
}

/// Reads a start tag at `at` (a `<` followed by a letter); returns it and
/// the position after its `>`.
fn start_tag(html: &str, at: usize) -> (Token, usize) {
    let bytes = html.as_bytes();
    let mut i = at + 1;
    let name_start = i;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' && bytes[i] != b'/' {
        i += 1;
    }
    let name = html.get(name_start..i).unwrap_or("").to_ascii_lowercase();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut self_closing = false;
    loop {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        match bytes.get(i) {
            None => break,
            Some(b'>') => {
                i += 1;
                break;
            }
            Some(b'/') => {
                self_closing = bytes.get(i + 1) == Some(&b'>');
                i += 1;
                continue;
            }
            _ => {}
        }
        let an_start = i;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'>' | b'/' | b'=')
            || i == an_start && bytes.get(i) == Some(&b'=')
        {
            i += 1;
        }
        let attr_name = html.get(an_start..i).unwrap_or("").to_ascii_lowercase();
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let v_start = i + 1;
                    let v_end = find(bytes, v_start, &[q]).unwrap_or(bytes.len());
                    value = decode(html.get(v_start..v_end).unwrap_or(""));
                    i = (v_end + 1).min(bytes.len());
                }
                _ => {
                    let v_start = i;
                    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = decode(html.get(v_start..i).unwrap_or(""));
                }
            }
        }
        if !attr_name.is_empty() && !attrs.iter().any(|(n, _)| *n == attr_name) {
            attrs.push((attr_name, value));
        }
        if i == an_start {
            // Nothing consumed: skip the byte so the loop advances.
            i += 1;
        }
    }
    (
        Token::Start {
            name,
            attrs,
            self_closing,
        },
        i.min(bytes.len()),
    )
}

/// Decodes character references (`&amp;`, `&#39;`, `&#x27;` and the
/// common named ones); unknown ones stay as written.
pub fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(rest.get(..p).unwrap_or(""));
        let after = rest.get(p + 1..).unwrap_or("");
        let end = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let name = after.get(..e)?;
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => num.parse::<u32>().ok()?,
                };
                char::from_u32(n).filter(|c| *c != '\0')?
            } else {
                named(name)?
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = after.get(e + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "middot" => '·',
        "laquo" => '«',
        "raquo" => '»',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "times" => '×',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(name: &str, attrs: &[(&str, &str)]) -> Token {
        Token::Start {
            name: name.into(),
            attrs: attrs
                .iter()
                .map(|(a, b)| ((*a).into(), (*b).into()))
                .collect(),
            self_closing: false,
        }
    }

    #[test]
    fn tags_attributes_text_and_scripts() {
        let t = tokenize(
            "<!DOCTYPE html><HTML lang=ko><title>서울 &amp; 병원</title><!-- c --><P class='a b' hidden>안녕 &lt;하세요&gt;</p><script>if (a<b) {}</script><img src=x.png/>",
        );
        assert_eq!(
            t,
            vec![
                start("html", &[("lang", "ko")]),
                start("title", &[]),
                Token::Text("서울 & 병원".into()),
                Token::End {
                    name: "title".into()
                },
                Token::Comment(" c ".into()),
                start("p", &[("class", "a b"), ("hidden", "")]),
                Token::Text("안녕 <하세요>".into()),
                Token::End { name: "p".into() },
                start("script", &[]),
                Token::Raw("if (a<b) {}".into()),
                Token::End {
                    name: "script".into()
                },
                start("img", &[("src", "x.png/")]),
            ]
        );
    }

    #[test]
    fn never_panics_on_broken_input() {
        for s in [
            "<",
            "<a",
            "<a b='",
            "<a b=\"x",
            "<!--",
            "</",
            "<script>",
            "&#xFFFFFFFF;",
            "&#0;",
            "&",
            "<a =x>",
            "<a/ b>",
            "<!",
            "<é>",
            "가<나>다</라",
            "<script></scrip",
        ] {
            let _ = tokenize(s);
        }
        assert_eq!(
            decode("&#x110000; &#65;&unknown; &"),
            "&#x110000; A&unknown; &"
        );
    }
}
