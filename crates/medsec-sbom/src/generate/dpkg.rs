//! The dpkg status database of a Debian-based image
//! (`var/lib/dpkg/status`, or one file per package under
//! `var/lib/dpkg/status.d/` as distroless images keep it) and the
//! `os-release` that names the distribution.
//!
//! Only installed packages are components: those whose `Status` is
//! `… ok installed` (or awaiting triggers), whether the selection is
//! `install` or `hold`. Packages removed with their configuration kept
//! (`deinstall ok config-files`), half-installed or unpacked ones are left
//! out, with one warning naming them; syft lists them.
//! The purl is `pkg:deb/ID/NAME@VERSION?arch=ARCH&distro=ID-VERSION_ID`
//! with `upstream=SOURCE[@VERSION]` when the `Source` field names another
//! source package, as syft writes it; `ID` and `VERSION_ID` come from the
//! `os-release` of the same root. `Maintainer` is the supplier.
//! `Depends` and `Pre-Depends` are the dependency graph: each alternative
//! (`a | b`) that is installed, directly or through `Provides`, is an edge.

use std::collections::{BTreeMap, HashMap};

use super::{Ctx, Found, GenerateError, Pkg, party, purl};

/// What `os-release` says about the distribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Distro {
    pub(crate) id: Option<String>,
    pub(crate) version_id: Option<String>,
    pub(crate) build_id: Option<String>,
    pub(crate) id_like: Vec<String>,
}

impl Distro {
    /// Reads `KEY=value` lines with shell quoting, as os-release(5) says.
    pub(crate) fn parse(text: &str) -> Distro {
        let mut d = Distro::default();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            let value = Some(value).filter(|v| !v.is_empty());
            match key.trim() {
                "ID" => d.id = value.map(|v| v.to_lowercase()),
                "VERSION_ID" => d.version_id = value,
                "BUILD_ID" => d.build_id = value,
                "ID_LIKE" => {
                    d.id_like = value
                        .unwrap_or_default()
                        .split_whitespace()
                        .map(str::to_lowercase)
                        .collect();
                }
                _ => {}
            }
        }
        d
    }

    /// The `distro` qualifier: `ID-VERSION_ID` (or `ID-BUILD_ID`, or
    /// `ID`), as syft writes it.
    fn qualifier(&self) -> Option<String> {
        let id = self.id.as_deref()?;
        Some(
            match self.version_id.as_deref().or(self.build_id.as_deref()) {
                Some(v) => format!("{id}-{v}"),
                None => id.to_owned(),
            },
        )
    }
}

fn unquote(v: &str) -> String {
    let inner = if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        v.get(1..v.len() - 1).unwrap_or_default()
    } else {
        v
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The root a dpkg database belongs to: its path up to `var/lib/dpkg/…`
/// or `usr/lib/dpkg/…` (or `lib/dpkg/…`), with the trailing `/`.
pub(crate) fn root_of(path: &str) -> Option<&str> {
    let at = path.rfind("lib/dpkg/")?;
    let prefix = path.get(..at)?;
    let prefix = prefix
        .strip_suffix("var/")
        .or_else(|| prefix.strip_suffix("usr/"))
        .unwrap_or(prefix);
    Some(prefix)
}

/// The distribution of the dpkg database at `path`: the `etc/os-release`
/// (else `usr/lib/os-release`) of its root among `releases`, else the only
/// os-release given, else none.
pub(crate) fn distro_for<'a>(path: &str, releases: &'a [(&str, Distro)]) -> Option<&'a Distro> {
    if let Some(root) = root_of(path) {
        for candidate in ["etc/os-release", "usr/lib/os-release"] {
            let want = format!("{root}{candidate}");
            if let Some((_, d)) = releases.iter().find(|(p, _)| *p == want) {
                return Some(d);
            }
        }
    }
    match releases {
        [(_, d)] => Some(d),
        _ => None,
    }
}

/// Whether a file in `status.d/` is a package's list of files or script
/// rather than its status entry.
pub(crate) fn is_info_file(name: &str) -> bool {
    const INFO: [&str; 12] = [
        ".md5sums",
        ".preinst",
        ".postinst",
        ".prerm",
        ".postrm",
        ".conffiles",
        ".list",
        ".triggers",
        ".shlibs",
        ".symbols",
        ".templates",
        ".config",
    ];
    INFO.iter().any(|s| name.ends_with(s))
}

/// The fields of one stanza that matter here, with the stanza's first
/// line.
#[derive(Default)]
struct Stanza<'a> {
    line: usize,
    fields: BTreeMap<&'a str, String>,
}

/// Splits the file into stanzas of `Field: value` lines, continuation
/// lines (starting with a space or tab) joined to their field.
fn stanzas<'a>(ctx: &Ctx<'_>, text: &'a str) -> Result<Vec<Stanza<'a>>, GenerateError> {
    let mut out = Vec::new();
    let mut current: Option<Stanza<'a>> = None;
    let mut last: Option<&'a str> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if let Some(s) = current.take() {
                out.push(s);
            }
            last = None;
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let (Some(s), Some(field)) = (current.as_mut(), last) else {
                return Err(ctx.invalid_at(n, "a continuation line without a field before it"));
            };
            if let Some(v) = s.fields.get_mut(field) {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(
                ctx.invalid_at(n, format!("`{}` is not a `Field: value` line", line.trim()))
            );
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(ctx.invalid_at(n, format!("`{name}` is not a field name")));
        }
        let s = current.get_or_insert_with(|| Stanza {
            line: n,
            ..Stanza::default()
        });
        if s.fields.insert(name, value.trim().to_owned()).is_some() {
            return Err(ctx.invalid_at(n, format!("field `{name}` appears twice in this stanza")));
        }
        last = Some(name);
    }
    if let Some(s) = current {
        out.push(s);
    }
    Ok(out)
}

/// A dependency field as lists of alternatives, each a package name
/// without version, architecture restriction or `:any`.
fn alternatives(field: &str) -> Vec<Vec<&str>> {
    field
        .split(',')
        .map(|group| {
            group
                .split('|')
                .filter_map(|alt| {
                    let alt = alt.trim();
                    let end = alt.find([' ', '(', '[', '<', '\n']).unwrap_or(alt.len());
                    let name = alt.get(..end).unwrap_or_default();
                    let name = name.split_once(':').map_or(name, |(n, _)| n);
                    (!name.is_empty()).then_some(name)
                })
                .collect::<Vec<&str>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

pub(crate) fn parse(
    ctx: &Ctx<'_>,
    bytes: &[u8],
    distro: Option<&Distro>,
) -> Result<Found, GenerateError> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_start_matches('\u{feff}');
    // Distroless keeps one stanza per file, without `Status`.
    let per_package_file = ctx.file.contains("/status.d/") || ctx.file.starts_with("status.d/");
    let stanzas = stanzas(ctx, text)?;
    let namespace = distro
        .and_then(|d| d.id.clone())
        .unwrap_or_else(|| "debian".to_owned());
    let distro_q = distro.and_then(Distro::qualifier);

    let mut found = Found::default();
    let mut not_installed: Vec<String> = Vec::new();
    // Per component: its stanza, for the graph.
    let mut kept: Vec<&Stanza<'_>> = Vec::new();
    for s in &stanzas {
        let get = |f: &str| {
            s.fields
                .get(f)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let Some(name) = get("Package") else {
            return Err(ctx.invalid_at(s.line, "a stanza without a `Package` field"));
        };
        match get("Status") {
            Some(status) => {
                let words: Vec<&str> = status.split_whitespace().collect();
                let [_want, _flag, state] = words.as_slice() else {
                    return Err(ctx.invalid_at(
                        s.line,
                        format!("package `{name}`: `Status: {status}` is not WANT FLAG STATE"),
                    ));
                };
                if !matches!(
                    *state,
                    "installed" | "triggers-awaited" | "triggers-pending"
                ) {
                    not_installed.push(format!("{name} ({state})"));
                    continue;
                }
            }
            None if per_package_file => {}
            None => {
                return Err(
                    ctx.invalid_at(s.line, format!("package `{name}` has no `Status` field"))
                );
            }
        }
        let Some(version) = get("Version") else {
            return Err(ctx.invalid_at(s.line, format!("package `{name}` has no `Version` field")));
        };
        let arch = get("Architecture");
        let upstream = get("Source").map(|src| {
            // `Source: bash (5.2.15-2)` when the source version differs.
            match src.split_once('(') {
                Some((n, v)) => format!("{}@{}", n.trim(), v.trim_end_matches(')').trim()),
                None => src.to_owned(),
            }
        });
        let mut qualifiers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = arch {
            qualifiers.push(("arch", a));
        }
        if let Some(d) = &distro_q {
            qualifiers.push(("distro", d));
        }
        if let Some(u) = &upstream {
            qualifiers.push(("upstream", u));
        }
        let purl = purl("deb", Some(&namespace), name, Some(version), &qualifiers)
            .map_err(|e| ctx.invalid_at(s.line, format!("package `{name}`: {e}")))?;
        let mut pkg = Pkg::new(purl, name, Some(version.to_owned()));
        pkg.supplier = get("Maintainer").and_then(party);
        pkg.description = get("Description")
            .and_then(|d| d.lines().next())
            .map(str::to_owned);
        pkg.homepage = get("Homepage").map(str::to_owned);
        found.pkgs.push(pkg);
        kept.push(s);
    }
    if !not_installed.is_empty() {
        found.warnings.push(ctx.warning_at(
            None,
            format!(
                "{} package(s) not installed, left out: {}",
                not_installed.len(),
                not_installed.join(", ")
            ),
        ));
    }

    // Who answers to a name: the package itself and what it provides.
    let mut providers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in kept.iter().enumerate() {
        if let Some(name) = s.fields.get("Package") {
            providers.entry(name.as_str()).or_default().push(i);
        }
        if let Some(p) = s.fields.get("Provides") {
            for group in alternatives(p) {
                for name in group {
                    providers.entry(name).or_default().push(i);
                }
            }
        }
    }
    let arch_of = |i: usize| kept[i].fields.get("Architecture").map(String::as_str);
    for (i, s) in kept.iter().enumerate() {
        let deps = ["Pre-Depends", "Depends"]
            .iter()
            .filter_map(|f| s.fields.get(*f))
            .flat_map(|f| alternatives(f));
        for group in deps {
            let mut resolved = false;
            for alt in &group {
                let Some(candidates) = providers.get(alt) else {
                    continue;
                };
                // Of several architectures of one package, the dependent's
                // own (or `all`).
                let same: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&c| {
                        matches!(arch_of(c), Some("all"))
                            || arch_of(c) == arch_of(i)
                            || matches!(arch_of(i), Some("all"))
                    })
                    .collect();
                let chosen = if same.is_empty() {
                    candidates.clone()
                } else {
                    same
                };
                for to in chosen {
                    if to != i {
                        found.edges.push((i, to));
                    }
                    resolved = true;
                }
            }
            if !resolved {
                let name = s
                    .fields
                    .get("Package")
                    .map(String::as_str)
                    .unwrap_or_default();
                found.warnings.push(ctx.warning_at(
                    Some(s.line),
                    format!(
                        "package `{name}` depends on `{}`, which is not installed",
                        group.join(" | ")
                    ),
                ));
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_strip_versions_and_architectures() {
        assert_eq!(
            alternatives(
                "libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, perl:any, foo [!hurd-i386]"
            ),
            vec![
                vec!["libc6"],
                vec!["debconf", "debconf-2.0"],
                vec!["perl"],
                vec!["foo"]
            ]
        );
        assert!(alternatives("").is_empty());
    }

    #[test]
    fn roots_and_os_release() {
        assert_eq!(root_of("rootfs/var/lib/dpkg/status"), Some("rootfs/"));
        assert_eq!(root_of("var/lib/dpkg/status"), Some(""));
        assert_eq!(root_of("img/var/lib/dpkg/status.d/libc6"), Some("img/"));
        let d = Distro::parse("# x\nID=\"ubuntu\"\nID_LIKE=debian\nVERSION_ID='22.04'\n");
        assert_eq!(d.qualifier().as_deref(), Some("ubuntu-22.04"));
        assert_eq!(d.id_like, ["debian"]);
        assert_eq!(
            Distro::parse("ID=debian\n").qualifier().as_deref(),
            Some("debian")
        );
        let releases = vec![
            ("a/etc/os-release", d.clone()),
            ("b/usr/lib/os-release", Distro::default()),
        ];
        assert_eq!(distro_for("a/var/lib/dpkg/status", &releases), Some(&d));
        assert_eq!(
            distro_for("b/var/lib/dpkg/status", &releases),
            Some(&Distro::default())
        );
        assert_eq!(distro_for("c/var/lib/dpkg/status", &releases), None);
    }
}
