//! The fonts a checklist is set in: a Korean (CJK) font found on the
//! system or given by path, loaded once and shared by every render.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

use crate::PdfError;

/// Where Debian puts the fonts we look for, best first. Each group is
/// tried in turn and the first one that yields a face with Hangul wins, so
/// a system with several CJK packages loads only one of them.
const CANDIDATES: &[&[&str]] = &[
    // fonts-noto-cjk: Noto Sans CJK, the face the form is set in.
    &[
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    ],
    // fonts-nanum.
    &[
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
        "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
    ],
    // fonts-noto-cjk again, the serif cut, if only that is installed.
    &[
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    ],
    // fonts-unfonts-core.
    &[
        "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
        "/usr/share/fonts/truetype/unfonts-core/UnDotumBold.ttf",
    ],
];

/// Directories searched for any Korean font when no candidate above is
/// installed (e.g. fonts-nanum-extra or a font copied in by hand).
const DIRECTORIES: &[&str] = &[
    "/usr/share/fonts/truetype/nanum",
    "/usr/share/fonts/opentype/noto",
    "/usr/local/share/fonts",
];

/// Small Latin fonts added after the Korean one when present, so symbols
/// the CJK font lacks still get a glyph through Typst's font fallback.
const SUPPLEMENTARY: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
];

/// A syllable every Korean font has; a face without it cannot set the form.
const HANGUL_PROBE: char = '가';

/// Loaded font faces and their book.
///
/// Cheap to clone (an [`Arc`]) and `Send + Sync`: create it once at start
/// and share it between requests. The font files are read once; every
/// face of a collection shares the file's bytes.
#[derive(Clone)]
pub struct Fonts(Arc<Inner>);

struct Inner {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    /// Families to set text in, best first: those with Hangul, the Korean
    /// (KR) cut of a pan-CJK font before its other cuts.
    families: Vec<String>,
    /// The files the faces came from.
    files: Vec<PathBuf>,
}

impl Fonts {
    /// Finds and loads a Korean font installed on the system: Noto Sans CJK
    /// from the Debian package `fonts-noto-cjk`, else Nanum, Noto Serif CJK,
    /// UnDotum, else any font with Hangul in a few font directories.
    ///
    /// Fails with [`PdfError::NoKoreanFont`] when none is found.
    pub fn discover() -> Result<Fonts, PdfError> {
        let mut searched = Vec::new();
        for group in CANDIDATES {
            let present: Vec<PathBuf> = group
                .iter()
                .map(PathBuf::from)
                .inspect(|p| searched.push(p.clone()))
                .filter(|p| p.is_file())
                .collect();
            if present.is_empty() {
                continue;
            }
            let faces = load_files(&present)?;
            if faces.iter().any(has_hangul) {
                return Ok(Fonts::new(faces, present, true));
            }
        }
        for dir in DIRECTORIES {
            let dir = Path::new(dir);
            searched.push(dir.to_owned());
            let files = font_files_in(dir);
            if files.is_empty() {
                continue;
            }
            // A directory may hold unreadable or broken files next to good
            // ones; skip those rather than fail the whole search.
            let mut faces = Vec::new();
            let mut used = Vec::new();
            for file in files {
                if let Ok(f) = load_file(&file)
                    && f.iter().any(has_hangul)
                {
                    faces.extend(f);
                    used.push(file);
                }
            }
            if !faces.is_empty() {
                return Ok(Fonts::new(faces, used, true));
            }
        }
        Err(PdfError::NoKoreanFont { searched })
    }

    /// Loads exactly the given font files (`.ttf`, `.otf`, `.ttc`, `.otc`;
    /// every face of a collection) or every font file in a given
    /// directory. At least one face must have Hangul.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Fonts, PdfError> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                files.extend(font_files_in(p));
            } else {
                files.push(p.clone());
            }
        }
        let faces = load_files(&files)?;
        if !faces.iter().any(has_hangul) {
            return Err(PdfError::NoKoreanFont {
                searched: paths.to_vec(),
            });
        }
        Ok(Fonts::new(faces, files, false))
    }

    fn new(mut faces: Vec<Font>, files: Vec<PathBuf>, supplement: bool) -> Fonts {
        let families = families(&faces);
        if supplement {
            for path in SUPPLEMENTARY.iter().map(Path::new) {
                if let Ok(f) = load_file(path) {
                    faces.extend(f);
                }
            }
        }
        let book = LazyHash::new(FontBook::from_fonts(&faces));
        Fonts(Arc::new(Inner {
            book,
            fonts: faces,
            families,
            files,
        }))
    }

    /// The font families text is set in, best first.
    pub fn families(&self) -> &[String] {
        &self.0.families
    }

    /// The Korean font files loaded (not counting supplementary Latin fonts).
    pub fn files(&self) -> &[PathBuf] {
        &self.0.files
    }

    /// How many faces are loaded.
    pub fn len(&self) -> usize {
        self.0.fonts.len()
    }

    /// Whether no face is loaded; never true for a constructed value.
    pub fn is_empty(&self) -> bool {
        self.0.fonts.is_empty()
    }

    pub(crate) fn book(&self) -> &LazyHash<FontBook> {
        &self.0.book
    }

    pub(crate) fn font(&self, index: usize) -> Option<Font> {
        self.0.fonts.get(index).cloned()
    }
}

impl fmt::Debug for Fonts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonts")
            .field("families", &self.0.families)
            .field("files", &self.0.files)
            .field("faces", &self.0.fonts.len())
            .finish()
    }
}

fn has_hangul(font: &Font) -> bool {
    font.info().coverage.contains(u32::from(HANGUL_PROBE))
}

/// Families with Hangul, the Korean cut first, proportional before
/// monospaced, each once.
fn families(faces: &[Font]) -> Vec<String> {
    let mut out: Vec<(u8, String)> = Vec::new();
    for face in faces.iter().filter(|f| has_hangul(f)) {
        let family = &face.info().family;
        if out.iter().any(|(_, f)| f.eq_ignore_ascii_case(family)) {
            continue;
        }
        let korean =
            family.ends_with(" KR") || family.contains("Nanum") || family.starts_with("Un");
        let mono = family.contains("Mono") || family.contains("Coding");
        let rank = match (korean, mono) {
            (true, false) => 0,
            (false, false) => 1,
            (true, true) => 2,
            (false, true) => 3,
        };
        out.push((rank, family.clone()));
    }
    // A stable sort keeps the files' order within a rank.
    out.sort_by_key(|(rank, _)| *rank);
    out.into_iter().map(|(_, f)| f).collect()
}

fn load_files(files: &[PathBuf]) -> Result<Vec<Font>, PdfError> {
    let mut out = Vec::new();
    for file in files {
        out.extend(load_file(file)?);
    }
    Ok(out)
}

/// Every face in one file; the faces share the file's bytes.
fn load_file(path: &Path) -> Result<Vec<Font>, PdfError> {
    let data = std::fs::read(path).map_err(|source| PdfError::FontRead {
        path: path.to_owned(),
        source,
    })?;
    let faces: Vec<Font> = Font::iter(Bytes::new(data)).collect();
    if faces.is_empty() {
        return Err(PdfError::NotAFont {
            path: path.to_owned(),
        });
    }
    Ok(faces)
}

fn font_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                matches!(
                    e.to_ascii_lowercase().as_str(),
                    "ttf" | "otf" | "ttc" | "otc"
                )
            })
        })
        .collect();
    files.sort();
    files
}
