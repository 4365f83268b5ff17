//! Message catalogues: Korean (the default) and English, in Fluent syntax
//! (`locales/*.ftl`), embedded at compile time.
//!
//! Every user-visible string comes from here. A test checks that both
//! catalogues define the same ids and that every id the code and the
//! templates use exists.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use medsec_core::validate::FieldError;

/// A user-interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

pub const KO_FTL: &str = include_str!("../locales/ko.ftl");
pub const EN_FTL: &str = include_str!("../locales/en.ftl");

struct Catalogs {
    ko: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(tag: &str, source: &'static str) -> FluentBundle<FluentResource> {
    let lang: unic_langid::LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Unicode isolation marks around arguments would end up in HTML
    // attributes and CSV exports; our arguments are plain text.
    bundle.set_use_isolating(false);
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
            tracing::error!(lang = tag, ?errors, "message catalogue has syntax errors");
            partial
        });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = tag, ?errors, "message catalogue has duplicate ids");
    }
    bundle
}

static CATALOGS: LazyLock<Catalogs> = LazyLock::new(|| Catalogs {
    ko: bundle("ko", KO_FTL),
    en: bundle("en", EN_FTL),
});

/// Every message without arguments, formatted once: pages look up dozens
/// of them per request, and formatting each anew showed in profiles.
static PLAIN: LazyLock<[HashMap<String, String>; 2]> = LazyLock::new(|| {
    let plain = |bundle: &FluentBundle<FluentResource>, source: &str| {
        let mut out = HashMap::new();
        for id in message_ids(source) {
            if let Some(pattern) = bundle.get_message(&id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, None, &mut errors);
                if errors.is_empty() {
                    out.insert(id, text.into_owned());
                }
            }
        }
        out
    };
    [plain(&CATALOGS.ko, KO_FTL), plain(&CATALOGS.en, EN_FTL)]
});

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ko, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The message `id`; the id itself if the catalogue lacks it.
    pub fn t(self, id: &str) -> String {
        let index = match self {
            Lang::Ko => 0,
            Lang::En => 1,
        };
        match PLAIN[index].get(id) {
            Some(text) => text.clone(),
            None => self.format(id, None),
        }
    }

    /// The message `id` with named arguments.
    pub fn ta(self, id: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(
                Cow::Owned((*k).to_owned()),
                FluentValue::from((*v).to_owned()),
            );
        }
        self.format(id, Some(&fa))
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = match self {
            Lang::Ko => &CATALOGS.ko,
            Lang::En => &CATALOGS.en,
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(id, lang = self.code(), "missing message");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::warn!(id, lang = self.code(), ?errors, "message formatting failed");
        }
        text.into_owned()
    }

    /// The message for a field error: `field-<code>` with its arguments.
    pub fn field_error(self, e: &FieldError) -> String {
        let args: Vec<(&str, &str)> = e.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.ta(&format!("field-{}", e.code), &args)
    }

    /// The other language, for the switch in the page header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        }
    }
}

/// Message ids a catalogue source defines, for the completeness tests.
pub fn message_ids(source: &str) -> Vec<String> {
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    resource
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    fn ids(source: &str) -> BTreeSet<String> {
        message_ids(source).into_iter().collect()
    }

    #[test]
    fn catalogues_parse_and_define_the_same_ids() {
        assert!(
            FluentResource::try_new(KO_FTL.to_owned()).is_ok(),
            "ko.ftl has syntax errors"
        );
        assert!(
            FluentResource::try_new(EN_FTL.to_owned()).is_ok(),
            "en.ftl has syntax errors"
        );
        let (ko, en) = (ids(KO_FTL), ids(EN_FTL));
        assert_eq!(
            ko.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "only in ko.ftl"
        );
        assert_eq!(
            en.difference(&ko).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "only in en.ftl"
        );
        assert!(ko.len() > 250);
    }

    fn is_id(lit: &str) -> bool {
        lit.contains('-')
            && !lit.ends_with('-')
            && lit.starts_with(|c: char| c.is_ascii_lowercase())
            && lit
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    }

    /// Message ids the code looks up: the literal right after a lookup
    /// call, and in Rust the id literals of lines that build pages.
    fn used_ids(text: &str, rust: bool) -> Vec<String> {
        let mut out = Vec::new();
        for call in [".t(\"", ".ta(\"", ".ta2(\""] {
            for chunk in text.split(call).skip(1) {
                if let Some(lit) = chunk.split('"').next().filter(|l| is_id(l)) {
                    out.push(lit.to_owned());
                }
            }
        }
        if rust {
            const MARKERS: &[&str] = &[
                "notice(",
                "Errors::form(",
                "anon_page(",
                "page(&state",
                "page(state",
                "=> (\"dash-",
            ];
            for line in text
                .lines()
                .filter(|l| MARKERS.iter().any(|m| l.contains(m)))
            {
                out.extend(
                    line.split('"')
                        .skip(1)
                        .step_by(2)
                        .filter(|l| is_id(l))
                        .map(str::to_owned),
                );
            }
        }
        out
    }

    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_message_the_code_uses_exists() {
        let known = ids(KO_FTL);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        files(&root.join("src"), &mut paths);
        files(&root.join("templates"), &mut paths);
        let mut used = BTreeSet::new();
        for p in paths.iter().filter(|p| !p.ends_with("i18n.rs")) {
            let rust = p.extension().is_some_and(|e| e == "rs");
            for id in used_ids(&std::fs::read_to_string(p).unwrap(), rust) {
                used.insert((id, p.display().to_string()));
            }
        }
        // Families looked up by computed id.
        use medsec_core::audit::Action;
        use medsec_core::org::Scope;
        use medsec_core::{OrgKind, Role};
        for r in Role::ALL {
            used.insert((format!("role-{}", r.as_str()), "Role".into()));
        }
        for k in OrgKind::ALL {
            used.insert((format!("org-kind-{}", k.as_str()), "OrgKind".into()));
        }
        for s in Scope::ALL {
            used.insert((format!("scope-{}", s.as_str()), "Scope".into()));
        }
        for a in Action::ALL {
            used.insert((
                format!("action-{}", a.as_str().replace('.', "-")),
                "Action".into(),
            ));
        }
        for s in ["pending", "active", "disabled"] {
            used.insert((format!("status-{s}"), "UserStatus".into()));
        }
        for o in ["success", "failure"] {
            used.insert((format!("outcome-{o}"), "Outcome".into()));
        }
        {
            use medsec_catalog::{Confidence, Function, Kind, Relation, Source};
            let names = [
                Kind::Regulation.as_str(),
                Kind::Guide.as_str(),
                Kind::Principles.as_str(),
                Kind::Standard.as_str(),
                Kind::Reference.as_str(),
            ];
            used.extend(
                names
                    .iter()
                    .map(|n| (format!("catalogs-kind-{n}"), "Kind".to_owned())),
            );
            let names = [
                Confidence::High.as_str(),
                Confidence::Medium.as_str(),
                Confidence::Low.as_str(),
            ];
            used.extend(
                names
                    .iter()
                    .map(|n| (format!("confidence-{n}"), "Confidence".to_owned())),
            );
            let names = [
                Source::Seed000.as_str(),
                Source::Seed001.as_str(),
                Source::Seed003.as_str(),
                Source::Brief.as_str(),
                Source::Reconstructed.as_str(),
            ];
            used.extend(
                names
                    .iter()
                    .map(|n| (format!("source-{n}"), "Source".to_owned())),
            );
            let names = [
                Relation::Equivalent.as_str(),
                Relation::Covers.as_str(),
                Relation::CoveredBy.as_str(),
                Relation::Related.as_str(),
            ];
            used.extend(
                names
                    .iter()
                    .map(|n| (format!("relation-{n}"), "Relation".to_owned())),
            );
            let names = [
                Function::Identify.as_str(),
                Function::Protect.as_str(),
                Function::Detect.as_str(),
                Function::Respond.as_str(),
                Function::Recover.as_str(),
            ];
            used.extend(
                names
                    .iter()
                    .map(|n| (format!("function-{n}"), "Function".to_owned())),
            );
        }
        assert!(
            used.len() > 200,
            "only {} ids found: the scanner is broken",
            used.len()
        );
        let missing: Vec<_> = used.iter().filter(|(id, _)| !known.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "messages used but not defined: {missing:?}"
        );
    }

    #[test]
    fn every_field_error_code_has_a_message() {
        // The codes validation produces, found where they are produced.
        let known = ids(KO_FTL);
        let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../medsec-core/src");
        let mut paths = Vec::new();
        files(&core, &mut paths);
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut paths,
        );
        let mut codes = BTreeSet::new();
        for p in &paths {
            let text = std::fs::read_to_string(p).unwrap();
            for marker in ["FieldError::new(", "Error::field("] {
                for chunk in text.split(marker).skip(1) {
                    // The code is the last string literal of the call.
                    let call = chunk.split(')').next().unwrap_or("");
                    if let Some(code) = call.split('"').rev().nth(1)
                        && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        && !code.is_empty()
                    {
                        codes.insert(code.to_owned());
                    }
                }
            }
        }
        for c in [
            "out_of_range",
            "too_short",
            "too_long",
            "length",
            "required",
            "password_too_short",
        ] {
            codes.insert(c.to_owned());
        }
        assert!(codes.len() > 20, "{codes:?}");
        let missing: Vec<_> = codes
            .iter()
            .filter(|c| !known.contains(&format!("field-{c}")))
            .collect();
        assert!(
            missing.is_empty(),
            "field errors without a message: {missing:?}"
        );
    }

    #[test]
    fn every_api_error_code_has_a_message() {
        use crate::error::Error;
        let errors = [
            Error::Invalid(Vec::new()),
            Error::BadRequest {
                code: "invalid_json",
                detail: String::new(),
            },
            Error::BadRequest {
                code: "invalid_utf8",
                detail: String::new(),
            },
            Error::BadRequest {
                code: "invalid_form",
                detail: String::new(),
            },
            Error::BadRequest {
                code: "invalid_query",
                detail: String::new(),
            },
            Error::BadRequest {
                code: "unsupported_media_type",
                detail: String::new(),
            },
            Error::Unauthenticated,
            Error::SessionExpired,
            Error::LoginFailed,
            Error::SessionRefused,
            Error::PasswordChangeRequired,
            Error::TotpEnrolmentRequired,
            Error::Forbidden,
            Error::Csrf,
            Error::NotFound,
            Error::MethodNotAllowed,
            Error::Conflict {
                field: String::new(),
            },
            Error::InUse {
                what: "decoder",
                by: Vec::new(),
            },
            Error::PayloadTooLarge,
            Error::Busy,
            Error::Internal(String::new()),
        ];
        let known = ids(KO_FTL);
        for e in errors {
            assert!(
                known.contains(&format!("api-error-{}", e.code())),
                "no api-error-{}",
                e.code()
            );
        }
        // Every BadRequest code in the source is in the list above.
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut paths = Vec::new();
        files(&src, &mut paths);
        for p in paths {
            // Whatever rustfmt made of the struct literal's lines.
            let text = std::fs::read_to_string(&p)
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for chunk in text.split("BadRequest { code: \"").skip(1) {
                let code = chunk.split('"').next().unwrap();
                assert!(
                    known.contains(&format!("api-error-{code}")),
                    "{}: no api-error-{code}",
                    p.display()
                );
            }
        }
    }

    #[test]
    fn arguments_are_filled_in() {
        assert_eq!(
            Lang::En.ta("field-too_long", &[("max", "100")]),
            "Use at most 100 characters."
        );
        assert_eq!(
            Lang::Ko.ta("field-too_long", &[("max", "100")]),
            "100자 이하로 입력하십시오."
        );
        assert_eq!(Lang::Ko.t("no-such-message"), "no-such-message");
    }
}
