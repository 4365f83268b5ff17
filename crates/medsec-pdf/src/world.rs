//! The Typst world a render compiles in: the template as the only source
//! file, the checklist as the only data file, the shared fonts, and no
//! access to the file system, packages or the clock.

use std::path::PathBuf;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::fonts::Fonts;

/// The checklist template's path in the virtual project.
pub(crate) const MAIN_PATH: &str = "/checklist.typ";
/// The report template's path.
pub(crate) const REPORT_PATH: &str = "/report.typ";
/// The data file's path; the template reads it with `json("data.json")`.
pub(crate) const DATA_PATH: &str = "/data.json";

/// The standard library, built once: building it takes a few milliseconds
/// and it never changes.
static LIBRARY: LazyLock<LazyHash<Library>> =
    LazyLock::new(|| LazyHash::new(<Library as LibraryExt>::default()));

/// The file ids (checklist, report, data), interned once. Typst interns
/// file ids for the life of the process (at most 2^16), so a server must
/// not make new ones per render.
static IDS: LazyLock<Option<(FileId, FileId, FileId)>> = LazyLock::new(|| {
    let id = |p: &str| {
        VirtualPath::new(p)
            .ok()
            .map(|v| RootedPath::new(VirtualRoot::Project, v).intern())
    };
    Some((id(MAIN_PATH)?, id(REPORT_PATH)?, id(DATA_PATH)?))
});

/// The built-in templates, parsed once.
static CHECKLIST: LazyLock<Option<Source>> = LazyLock::new(|| {
    let (main, _, _) = (*IDS)?;
    Some(Source::new(main, crate::TEMPLATE.to_owned()))
});
static REPORT: LazyLock<Option<Source>> = LazyLock::new(|| {
    let (_, report, _) = (*IDS)?;
    Some(Source::new(report, crate::REPORT_TEMPLATE.to_owned()))
});

/// Which template a world compiles.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Template<'t> {
    Checklist,
    Report,
    /// A template text in the checklist's place (tests).
    #[cfg_attr(not(test), expect(dead_code))]
    Custom(&'t str),
}

pub(crate) struct ChecklistWorld<'a> {
    fonts: &'a Fonts,
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Option<Datetime>,
}

impl<'a> ChecklistWorld<'a> {
    pub(crate) fn new(
        fonts: &'a Fonts,
        template: Template<'_>,
        data: Vec<u8>,
        today: Option<Datetime>,
    ) -> Option<ChecklistWorld<'a>> {
        let (main_id, _, data_id) = (*IDS)?;
        let main = match template {
            Template::Checklist => CHECKLIST.clone()?,
            Template::Report => REPORT.clone()?,
            Template::Custom(text) => Source::new(main_id, text.to_owned()),
        };
        Some(ChecklistWorld {
            fonts,
            main,
            data_id,
            data: Bytes::new(data),
            today,
        })
    }
}

impl World for ChecklistWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.data_id {
            Err(FileError::NotSource)
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.text().to_owned()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(PathBuf::from(id.vpath().get_with_slash()))
}
