//! The text of the form's cells: how a field is written into a cell and
//! read back from one a person may have edited. Writing and reading live
//! side by side so they cannot drift apart.

use medsec_assure::profile::{Purpose, SecurityLevel};

/// The box of a ticked and of an unticked choice on the MFDS form.
pub(crate) const CHECKED: char = '■';
pub(crate) const UNCHECKED: char = '□';

/// Characters people use for a ticked box when they edit the form.
const CHECKED_ALIKE: &[char] = &['■', '▣', '☑', '☒', '✓', '✔', '●', '◼', '◾'];
const UNCHECKED_ALIKE: &[char] = &['□', '☐', '○', '◻', '◽'];

pub(crate) const APPLIES: &str = "적용";
pub(crate) const NOT_APPLIES: &str = "비적용";

/// The line of the 적용 판단 근거 cell that carries the user's
/// justification of an override.
pub(crate) const JUSTIFICATION_PREFIX: &str = "사용자 판단:";

pub(crate) const CRITERION_MARK: &str = "[시험기준]";
pub(crate) const METHOD_MARK: &str = "[시험방법]";

/// `s` without any whitespace, to compare labels and headers the way a
/// reader would (`검증방법` and `검증 방법` are the same column).
pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// 사이버보안 필수원칙: `"1.1 접근통제 및 인증\n식별 및 인증에…"`.
pub(crate) fn principle(id: &str, title: &str, requirement: Option<&str>) -> String {
    match requirement {
        Some(r) => format!("{id} {title}\n{r}"),
        None => format!("{id} {title}"),
    }
}

/// Reads an edited 필수원칙 cell: the first line starts with the item's
/// id (which catches rows shifted against their 항목 ID), the rest is the
/// requirement.
pub(crate) fn parse_principle(text: &str, id: &str) -> Result<(String, Option<String>), String> {
    let text = text.trim();
    let (first, rest) = match text.split_once('\n') {
        Some((f, r)) => (f, Some(r.trim().to_owned())),
        None => (text, None),
    };
    let title = first
        .trim()
        .strip_prefix(id)
        .filter(|t| t.is_empty() || t.starts_with(char::is_whitespace))
        .ok_or_else(|| {
            format!("사이버보안 필수원칙 must start with the item's id {id}, found {first:?}")
        })?;
    Ok((title.trim().to_owned(), rest.filter(|r| !r.is_empty())))
}

pub(crate) fn applies(applies: bool) -> &'static str {
    if applies { APPLIES } else { NOT_APPLIES }
}

pub(crate) fn parse_applies(text: &str) -> Result<bool, String> {
    match squash(text).as_str() {
        APPLIES => Ok(true),
        NOT_APPLIES | "미적용" => Ok(false),
        _ => Err(format!(
            "적용여부 must be {APPLIES} or {NOT_APPLIES}, found {:?}",
            text.trim()
        )),
    }
}

/// A list field (적합성 입증방법, 규격, 문서번호): one entry per line.
pub(crate) fn lines(items: &[String]) -> String {
    items.join("\n")
}

/// An edited list cell: one entry per non-blank line, trimmed.
pub(crate) fn parse_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// 검증 방법: `"[시험기준]\n…\n[시험방법]\n1. …\n2. …"`.
pub(crate) fn verification(criterion: Option<&str>, steps: &[String]) -> String {
    let mut parts = Vec::new();
    if let Some(c) = criterion {
        parts.push(format!("{CRITERION_MARK}\n{c}"));
    }
    if !steps.is_empty() {
        let numbered: Vec<String> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {s}", i + 1))
            .collect();
        parts.push(format!("{METHOD_MARK}\n{}", numbered.join("\n")));
    }
    parts.join("\n")
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    Criterion,
    Method,
}

/// Which section marker `line` is (`[시험기준]`, `[ 시험 방법 ]`, …), with
/// the text that follows the marker on the same line.
fn marker(line: &str) -> Option<(Section, &str)> {
    let rest = line.trim_start().strip_prefix('[')?;
    let (inside, after) = rest.split_once(']')?;
    let section = match squash(inside).as_str() {
        "시험기준" => Section::Criterion,
        "시험방법" => Section::Method,
        _ => return None,
    };
    Some((section, after.trim()))
}

/// A step's leading number (`1.`, `2)`, `3 `), if it has one.
fn strip_number(line: &str) -> &str {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return line;
    }
    let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
    match rest.strip_prefix(['.', ')']) {
        Some(r) => r.trim_start(),
        None if rest.starts_with(char::is_whitespace) => rest.trim_start(),
        None => line,
    }
}

/// Reads an edited 검증 방법 cell back into the criterion and the steps.
/// Whitespace around markers and lines is ignored, steps may lack their
/// numbers, and each non-blank line under `[시험방법]` is one step.
pub(crate) fn parse_verification(text: &str) -> Result<(Option<String>, Vec<String>), String> {
    let mut section = Section::None;
    let mut criterion: Option<Vec<&str>> = None;
    let mut steps = Vec::new();
    for line in text.lines() {
        let body = match marker(line) {
            Some((s, after)) => {
                section = s;
                if s == Section::Criterion && criterion.is_none() {
                    criterion = Some(Vec::new());
                }
                after
            }
            None => line,
        };
        match section {
            Section::None if body.trim().is_empty() => {}
            Section::None => {
                return Err(format!(
                    "검증 방법 must be laid out as {CRITERION_MARK} … {METHOD_MARK} 1. …, found text before {CRITERION_MARK}: {:?}",
                    body.trim()
                ));
            }
            Section::Criterion => {
                if let Some(c) = criterion.as_mut() {
                    c.push(body);
                }
            }
            Section::Method => {
                let step = strip_number(body.trim()).trim();
                if !step.is_empty() {
                    steps.push(step.to_owned());
                }
            }
        }
    }
    let criterion = criterion.map(|c| c.join("\n").trim().to_owned());
    Ok((criterion, steps))
}

/// 적용 판단 근거: the rule's reason, and the user's justification on a
/// line of its own when they overrode the rule.
pub(crate) fn reason(reason: &str, justification: Option<&str>) -> String {
    match (reason.is_empty(), justification) {
        (_, None) => reason.to_owned(),
        (true, Some(j)) => format!("{JUSTIFICATION_PREFIX} {j}"),
        (false, Some(j)) => format!("{reason}\n{JUSTIFICATION_PREFIX} {j}"),
    }
}

/// Reads an edited 적용 판단 근거 cell: everything from the first line
/// starting with `사용자 판단:` is the justification.
pub(crate) fn parse_reason(text: &str) -> (String, Option<String>) {
    let mut reason = Vec::new();
    let mut justification: Option<Vec<&str>> = None;
    for line in text.lines() {
        match justification.as_mut() {
            Some(j) => j.push(line),
            None => match line.trim_start().strip_prefix(JUSTIFICATION_PREFIX) {
                Some(rest) => justification = Some(vec![rest]),
                None => reason.push(line),
            },
        }
    }
    (
        reason.join("\n").trim().to_owned(),
        justification.map(|j| j.join("\n").trim().to_owned()),
    )
}

// The header block (의료기기 사이버 보안 특성 기재).

pub(crate) const LABEL_PRODUCT: &str = "제품명";
pub(crate) const LABEL_MODEL: &str = "모델명";
pub(crate) const LABEL_VERSION: &str = "소프트웨어 버전";
pub(crate) const LABEL_MANUFACTURER: &str = "제조사";
pub(crate) const LABEL_GRADE: &str = "등급";
pub(crate) const LABEL_LEVEL: &str = "1) 사이버 보안 안전성 등급";
pub(crate) const LABEL_COMMUNICATION: &str = "2) 사용되는 통신 기술";
pub(crate) const LABEL_PURPOSES: &str = "3) 통신목적";
pub(crate) const LABEL_PUBLIC: &str = "4) 공용 네트워크망 사용여부";

pub(crate) fn labelled(label: &str, value: &str) -> String {
    if value.is_empty() {
        format!("{label} : ")
    } else {
        format!("{label} : {value}")
    }
}

/// `□상 ■중 □하`.
pub(crate) fn level_boxes(level: SecurityLevel) -> String {
    [
        SecurityLevel::High,
        SecurityLevel::Medium,
        SecurityLevel::Low,
    ]
    .iter()
    .map(|l| {
        let b = if *l == level { CHECKED } else { UNCHECKED };
        format!("{b}{}", l.ko())
    })
    .collect::<Vec<_>>()
    .join(" ")
}

/// One 통신목적 line: `■ 환자의 생체정보 등의 개인의료정보 송수신`.
pub(crate) fn purpose_line(purpose: Purpose, ticked: bool) -> String {
    let b = if ticked { CHECKED } else { UNCHECKED };
    format!("{b} {}", purpose.ko())
}

pub(crate) fn yes_no(yes: bool) -> &'static str {
    if yes { "예" } else { "아니오" }
}

pub(crate) fn grade(grade: u8) -> String {
    format!("{grade}등급")
}

/// A header line's label and value, split at the first colon.
pub(crate) fn split_label(line: &str) -> Option<(&str, &str)> {
    let i = line.find([':', '：'])?;
    let (label, rest) = line.split_at(i);
    let mut value = rest.chars();
    value.next();
    Some((label.trim(), value.as_str().trim()))
}

/// A box at the start of `text` (`■ x`, `□x`, `[v] x`): whether it is
/// ticked, and the text after it; `None` when `text` has no box.
pub(crate) fn leading_box(text: &str) -> Option<(bool, &str)> {
    let t = text.trim_start();
    let mut chars = t.chars();
    let first = chars.next()?;
    if CHECKED_ALIKE.contains(&first) {
        return Some((true, chars.as_str().trim()));
    }
    if UNCHECKED_ALIKE.contains(&first) {
        return Some((false, chars.as_str().trim()));
    }
    None
}

pub(crate) fn parse_level(value: &str) -> Result<SecurityLevel, String> {
    let levels = [
        SecurityLevel::High,
        SecurityLevel::Medium,
        SecurityLevel::Low,
    ];
    let has_box = value
        .chars()
        .any(|c| CHECKED_ALIKE.contains(&c) || UNCHECKED_ALIKE.contains(&c));
    if has_box {
        // Each box belongs to the level word right after it.
        let mut ticked = Vec::new();
        let chars: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
        for pair in chars.windows(2) {
            if let [b, word] = pair
                && CHECKED_ALIKE.contains(b)
                && let Some(l) = levels.iter().find(|l| l.ko().starts_with(*word))
            {
                ticked.push(*l);
            }
        }
        return match ticked.as_slice() {
            [one] => Ok(*one),
            _ => Err(format!(
                "사이버 보안 안전성 등급 must tick exactly one of 상, 중, 하 with {CHECKED}, found {value:?}"
            )),
        };
    }
    match squash(value).to_lowercase().as_str() {
        "상" | "high" => Ok(SecurityLevel::High),
        "중" | "medium" => Ok(SecurityLevel::Medium),
        "하" | "low" => Ok(SecurityLevel::Low),
        _ => Err(format!(
            "사이버 보안 안전성 등급 must be 상, 중 or 하, found {value:?}"
        )),
    }
}

/// Which purpose a 통신목적 line names, by its key words so that the
/// seed's own spelling (`펨웨어`) and small edits are understood.
pub(crate) fn parse_purpose(text: &str) -> Result<Purpose, String> {
    let s = squash(text);
    if s.contains("개인의료정보") || s.contains("생체정보") {
        Ok(Purpose::PatientData)
    } else if s.contains("기기제어") {
        Ok(Purpose::DeviceControl)
    } else if s.contains("유지보수") || s.contains("업데이트") {
        Ok(Purpose::Maintenance)
    } else if let Some(p) = Purpose::ALL.iter().find(|p| p.as_str() == s) {
        Ok(*p)
    } else {
        Err(format!(
            "통신목적 must be one of {}, found {:?}",
            Purpose::ALL.map(Purpose::ko).join(", "),
            text.trim()
        ))
    }
}

pub(crate) fn parse_yes_no(value: &str) -> Result<bool, String> {
    let s = squash(value).to_lowercase();
    // `■예 □아니오`, as the box form of the other fields.
    if let Some((yes, _)) = leading_box(value) {
        let rest: String = s.chars().skip(1).collect();
        if rest.starts_with('예') {
            return Ok(yes);
        }
        if rest.starts_with("아니오") {
            return Ok(!yes);
        }
    }
    match s.as_str() {
        "예" | "네" | "사용" | "yes" | "y" | "true" => Ok(true),
        "아니오" | "아니요" | "미사용" | "no" | "n" | "false" => Ok(false),
        _ => Err(format!(
            "공용 네트워크망 사용여부 must be 예 or 아니오, found {value:?}"
        )),
    }
}

pub(crate) fn parse_grade(value: &str) -> Result<u8, String> {
    let s = squash(value);
    let digits = s.strip_suffix("등급").unwrap_or(&s);
    match digits.parse::<u8>() {
        Ok(g @ 1..=4) => Ok(g),
        _ => Err(format!("등급 must be 1 to 4 (e.g. 2등급), found {value:?}")),
    }
}

// Dates.

/// Days from 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // `d` is 1..=31 and `m` 1..=12 by construction.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// A date typed as text: `2024-05-01`, `2024.05.01`, `2024/5/1`,
/// `2024. 5. 1.`, or an ISO date-time; returned as `YYYY-MM-DD`.
pub(crate) fn parse_date(text: &str) -> Result<String, String> {
    let t = text.trim();
    let date = t.split_once('T').map_or(t, |(d, _)| d);
    let bad = || format!("시험일 must be a date such as 2024-05-01, found {t:?}");
    if !date
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | '/' | ' '))
    {
        return Err(bad());
    }
    let parts: Vec<&str> = date
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i64>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(bad());
    };
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(bad());
    }
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// An Excel date serial number as `YYYY-MM-DD` (the time of day, if any,
/// is dropped). Serial 60 is Excel's phantom 1900-02-29 and is refused.
pub(crate) fn serial_date(serial: f64, date1904: bool) -> Result<String, String> {
    let bad = || format!("시험일 {serial} is not a date Excel can show");
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return Err(bad());
    }
    // In range, so the truncation is exact.
    let days = serial.floor() as i64;
    let epoch = if date1904 {
        days_from_civil(1904, 1, 1)
    } else if days == 60 {
        return Err(bad());
    } else if days < 60 {
        // Before Excel's phantom leap day, serial 1 is 1900-01-01.
        days_from_civil(1899, 12, 31)
    } else {
        days_from_civil(1899, 12, 30)
    };
    if !date1904 && days == 0 {
        return Err(bad());
    }
    let (y, m, d) = civil_from_days(epoch + days);
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}
