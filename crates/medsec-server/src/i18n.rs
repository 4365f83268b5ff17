//! Message catalogues: Korean (the default) and English, in Fluent syntax
//! (`locales/*.ftl`), embedded at compile time.
//!
//! Every user-visible string comes from here. A test checks that both
//! catalogues define the same ids and that every id the code and the
//! templates use exists.

use std::borrow::Cow;
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
        self.format(id, None)
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
