//! The certificate as a PDF document, typeset by Typst (used as a library):
//! Persian shaped and laid out right to left with the bundled Vazirmatn font,
//! English alongside, on one A4 landscape page. The layout is
//! `certificate.typ`; what it shows comes in as `data.json`, so a name or a
//! title is always text, never markup.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// The layout.
const TEMPLATE: &str = include_str!("certificate.typ");
/// The issuer's logo.
const LOGO: &[u8] = include_bytes!("../../assets/logo.svg");
/// Vazirmatn (SIL Open Font License, `assets/fonts/OFL.txt`): Persian and
/// Latin letters.
const FONTS: [&[u8]; 2] = [
    include_bytes!("../../assets/fonts/Vazirmatn-Regular.ttf"),
    include_bytes!("../../assets/fonts/Vazirmatn-Bold.ttf"),
];

/// One signature line, as printed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SignatureLine {
    pub name_fa: String,
    pub name_en: String,
    pub title_fa: String,
    pub title_en: String,
    pub org_fa: String,
    pub org_en: String,
}

/// Everything the document shows, in both languages. Empty strings are left
/// out (no score, no expiry).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CertificateData {
    pub issuer_fa: String,
    pub issuer_en: String,
    pub heading_fa: String,
    pub heading_en: String,
    pub kind_fa: String,
    pub kind_en: String,
    pub name_fa: String,
    pub name_en: String,
    pub org_fa: String,
    pub org_en: String,
    pub title_fa: String,
    pub title_en: String,
    pub hours_fa: String,
    pub hours_en: String,
    pub score_fa: String,
    pub score_en: String,
    pub issued_fa: String,
    pub issued_en: String,
    pub until_fa: String,
    pub until_en: String,
    pub serial: String,
    pub url: String,
    /// The member company that hosted the session; empty when the holding
    /// ran it.
    pub host_fa: String,
    pub host_en: String,
    pub signatories: Vec<SignatureLine>,
}

/// A document that could not be made (a fault of ours, not the caller's).
#[derive(Debug, thiserror::Error)]
#[error("the certificate document could not be typeset: {0}")]
pub struct RenderError(String);

/// Typesets certificates; holds the fonts and Typst's standard library, made
/// once and shared.
pub struct Renderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("fonts", &self.fonts.len())
            .finish_non_exhaustive()
    }
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    /// The renderer with the bundled fonts.
    pub fn new() -> Self {
        let fonts: Vec<Font> = FONTS
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        Self {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    }

    /// A digest of what `data` and `qr_svg` make, with the layout itself: the
    /// same digest means the same document.
    pub fn digest(data: &CertificateData, qr_svg: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(TEMPLATE.as_bytes());
        hash.update(serde_json::to_vec(data).unwrap_or_default());
        hash.update(qr_svg.as_bytes());
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The PDF of one certificate, on one page.
    pub fn render(
        self: &Arc<Self>,
        data: &CertificateData,
        qr_svg: &str,
    ) -> Result<Vec<u8>, RenderError> {
        let json = serde_json::to_vec(data).map_err(|e| RenderError(e.to_string()))?;
        let world = Sheet {
            renderer: Arc::clone(self),
            main: Source::new(file("main.typ")?, TEMPLATE.to_owned()),
            files: vec![
                (file("data.json")?, Bytes::new(json)),
                (file("qr.svg")?, Bytes::new(qr_svg.as_bytes().to_vec())),
                (file("logo.svg")?, Bytes::new(LOGO)),
            ],
        };
        let compiled = typst::compile::<PagedDocument>(&world).output;
        // Typst memoizes across compilations; keep only what recent ones used.
        typst::comemo::evict(4);
        let document = compiled.map_err(|errors| {
            RenderError(
                errors
                    .iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        if document.pages().len() != 1 {
            return Err(RenderError(format!(
                "{} pages instead of one",
                document.pages().len()
            )));
        }
        let options = typst_pdf::PdfOptions {
            ident: typst::foundations::Smart::Custom(data.serial.clone()),
            ..typst_pdf::PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|errors| {
            RenderError(
                errors
                    .iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }
}

fn file(name: &str) -> Result<FileId, RenderError> {
    let path = VirtualPath::new(name).map_err(|e| RenderError(format!("{name}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, path).intern())
}

/// One document's world: the layout, its data, and nothing else (no file
/// system, no packages, no clock).
struct Sheet {
    renderer: Arc<Renderer>,
    main: Source,
    files: Vec<(FileId, Bytes)>,
}

impl World for Sheet {
    fn library(&self) -> &LazyHash<Library> {
        &self.renderer.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.renderer.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .iter()
            .find(|(file, _)| *file == id)
            .map(|(_, bytes)| bytes.clone())
            .ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.renderer.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CertificateData {
        CertificateData {
            issuer_fa: "ایمیدرو — برنامهٔ آموزش روابط عمومی".into(),
            issuer_en: "IMIDRO — PR training program".into(),
            heading_fa: "گواهی پایان دوره".into(),
            heading_en: "Certificate of Completion".into(),
            kind_fa: "دورهٔ".into(),
            kind_en: "the course".into(),
            name_fa: "مریم احمدی".into(),
            name_en: "Maryam Ahmadi".into(),
            org_fa: "فولاد مبارکه".into(),
            org_en: "Mobarakeh Steel".into(),
            // Markup characters stay text.
            title_fa: "روابط عمومی #۱۰۱ [مبانی] *".into(),
            title_en: "PR #101 [Foundations] * $x$".into(),
            hours_fa: "۲۴".into(),
            hours_en: "24".into(),
            issued_fa: "۸ آذر ۱۴۰۵".into(),
            issued_en: "29 November 2026".into(),
            serial: "HMZ-7K3Q-9XTD-M2PA".into(),
            url: "https://training.example/verify/HMZ-7K3Q-9XTD-M2PA".into(),
            signatories: vec![SignatureLine {
                name_fa: "محمد سپهر".into(),
                name_en: "Mohammad Sepehr".into(),
                title_fa: "مدیر روابط عمومی".into(),
                title_en: "Director of Public Relations".into(),
                org_fa: "ایمیدرو".into(),
                org_en: "IMIDRO".into(),
            }],
            ..CertificateData::default()
        }
    }

    const QR: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#;

    #[test]
    fn a_certificate_is_one_pdf_page_with_markup_kept_as_text() {
        let renderer = Arc::new(Renderer::new());
        let pdf = renderer.render(&sample(), QR).expect("typeset");
        assert!(pdf.starts_with(b"%PDF-"));
        let long = CertificateData {
            title_fa: "عنوانی بسیار بلند ".repeat(12),
            title_en: "A very long title ".repeat(12),
            ..sample()
        };
        assert!(
            renderer.render(&long, QR).is_ok(),
            "a long title still fits one page"
        );
    }

    #[test]
    fn the_digest_follows_what_is_shown() {
        let a = Renderer::digest(&sample(), QR);
        assert_eq!(a, Renderer::digest(&sample(), QR));
        let renamed = CertificateData {
            name_en: "Maryam Ahmadi Jr".into(),
            ..sample()
        };
        assert_ne!(a, Renderer::digest(&renamed, QR));
    }
}
