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

/// The template's path in the virtual project.
pub(crate) const MAIN_PATH: &str = "/checklist.typ";
/// The data file's path; the template reads it with `json("data.json")`.
pub(crate) const DATA_PATH: &str = "/data.json";

/// The standard library, built once: building it takes a few milliseconds
/// and it never changes.
static LIBRARY: LazyLock<LazyHash<Library>> =
    LazyLock::new(|| LazyHash::new(<Library as LibraryExt>::default()));

/// The two file ids, interned once. Typst interns file ids for the life of
/// the process (at most 2^16), so a server must not make new ones per
/// render.
static IDS: LazyLock<Option<(FileId, FileId)>> = LazyLock::new(|| {
    let id = |p: &str| {
        VirtualPath::new(p)
            .ok()
            .map(|v| RootedPath::new(VirtualRoot::Project, v).intern())
    };
    Some((id(MAIN_PATH)?, id(DATA_PATH)?))
});

/// The template, parsed once.
static TEMPLATE: LazyLock<Option<Source>> = LazyLock::new(|| {
    let (main, _) = (*IDS)?;
    Some(Source::new(main, crate::TEMPLATE.to_owned()))
});

pub(crate) fn ids() -> Option<(FileId, FileId)> {
    *IDS
}

pub(crate) struct ChecklistWorld<'a> {
    fonts: &'a Fonts,
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Option<Datetime>,
}

impl<'a> ChecklistWorld<'a> {
    /// A world for the built-in template, or for `template` (tests).
    pub(crate) fn new(
        fonts: &'a Fonts,
        template: Option<&str>,
        data: Vec<u8>,
        today: Option<Datetime>,
    ) -> Option<ChecklistWorld<'a>> {
        let (main_id, data_id) = ids()?;
        let main = match template {
            None => TEMPLATE.clone()?,
            Some(text) => Source::new(main_id, text.to_owned()),
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
