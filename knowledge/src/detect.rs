use std::io::{Cursor, Read};

use serde::Serialize;

use crate::error::Error;

/// The kinds of source the parsers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Pdf,
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
    Csv,
    Tsv,
    Docx,
    Html,
    Text,
    Markdown,
}

pub(crate) const SUPPORTED: &str =
    "PDF, Excel (xlsx, xlsm, xlsb, xls), ODS, CSV, TSV, DOCX, HTML, TXT and Markdown";

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            SourceKind::Pdf => "PDF",
            SourceKind::Xlsx => "XLSX",
            SourceKind::Xlsm => "XLSM",
            SourceKind::Xlsb => "XLSB",
            SourceKind::Xls => "XLS",
            SourceKind::Ods => "ODS",
            SourceKind::Csv => "CSV",
            SourceKind::Tsv => "TSV",
            SourceKind::Docx => "DOCX",
            SourceKind::Html => "HTML",
            SourceKind::Text => "text",
            SourceKind::Markdown => "Markdown",
        };
        f.write_str(name)
    }
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides what `bytes` are: by their content where it is conclusive (magic bytes, the entries
/// of a zip), by the extension of `name` where it is not (CSV and plain text look alike).
pub fn detect(name: &str, bytes: &[u8]) -> Result<SourceKind, Error> {
    let extension = extension(name);
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Ok(SourceKind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return detect_zip(bytes, extension.as_deref());
    }
    if bytes.starts_with(OLE_MAGIC) {
        return match extension.as_deref() {
            Some("doc") | Some("ppt") => Err(Error::Unsupported {
                found: format!("legacy Office .{}", extension.unwrap_or_default()),
            }),
            // Encrypted xlsx and docx files are OLE containers too; the spreadsheet parser
            // reports those as password-protected.
            _ => Ok(SourceKind::Xls),
        };
    }
    if looks_binary(bytes) {
        return Err(Error::Unsupported {
            found: describe(extension.as_deref(), "binary data"),
        });
    }
    let by_name = match extension.as_deref() {
        Some("csv") => Some(SourceKind::Csv),
        Some("tsv") | Some("tab") => Some(SourceKind::Tsv),
        Some("md") | Some("markdown") => Some(SourceKind::Markdown),
        Some("html") | Some("htm") | Some("xhtml") => Some(SourceKind::Html),
        Some("txt") | Some("text") => Some(SourceKind::Text),
        _ => None,
    };
    if by_name.is_none_or(|kind| kind == SourceKind::Text) && looks_like_html(head) {
        return Ok(SourceKind::Html);
    }
    match (by_name, extension.as_deref()) {
        (Some(kind), _) => Ok(kind),
        (None, None) => Ok(SourceKind::Text),
        (None, Some(other)) => Err(Error::Unsupported {
            found: format!(".{other}"),
        }),
    }
}

fn describe(extension: Option<&str>, what: &str) -> String {
    match extension {
        Some(extension) => format!(".{extension}, {what}"),
        None => what.to_string(),
    }
}

fn extension(name: &str) -> Option<String> {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let (stem, extension) = file.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then(|| extension.to_ascii_lowercase())
}

fn detect_zip(bytes: &[u8], extension: Option<&str>) -> Result<SourceKind, Error> {
    let not_a_document = |detail: String| Error::Unsupported {
        found: format!("zip archive that is not a DOCX, XLSX or ODS file ({detail})"),
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| not_a_document(error.to_string()))?;
    let has = |archive: &zip::ZipArchive<Cursor<&[u8]>>, entry: &str| {
        archive
            .file_names()
            .flatten()
            .any(|name| name.eq_ignore_ascii_case(entry))
    };
    if has(&archive, "word/document.xml") {
        return Ok(SourceKind::Docx);
    }
    if has(&archive, "xl/workbook.bin") {
        return Ok(SourceKind::Xlsb);
    }
    if has(&archive, "xl/workbook.xml") {
        let macros = has(&archive, "xl/vbaProject.bin") || extension == Some("xlsm");
        return Ok(if macros {
            SourceKind::Xlsm
        } else {
            SourceKind::Xlsx
        });
    }
    // Some producers place the workbook elsewhere; the name is the last word before refusing.
    match extension {
        Some("xlsx") => return Ok(SourceKind::Xlsx),
        Some("xlsm") => return Ok(SourceKind::Xlsm),
        Some("xlsb") => return Ok(SourceKind::Xlsb),
        Some("ods") => return Ok(SourceKind::Ods),
        _ => {}
    }
    if let Ok(mut entry) = archive.by_name("mimetype") {
        let mut mimetype = String::new();
        let _ = entry.by_ref().take(128).read_to_string(&mut mimetype);
        if mimetype.trim() == "application/vnd.oasis.opendocument.spreadsheet" {
            return Ok(SourceKind::Ods);
        }
        return Err(not_a_document(format!(
            "OpenDocument type {}",
            mimetype.trim()
        )));
    }
    Err(not_a_document(format!("{} entries", archive.len())))
}

/// Text files have no NUL bytes, except UTF-16, which the text decoder handles.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return false;
    }
    if crate::text::looks_like_utf16(head).is_some() {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&byte| byte < 0x09 || (byte > 0x0D && byte < 0x20 && byte != 0x1B))
        .count();
    head.contains(&0) || controls * 20 > head.len()
}

fn looks_like_html(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with("<!doctype html")
        || text.starts_with("<html")
        || (text.starts_with('<') && (text.contains("<head") || text.contains("<body")))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_wins_over_the_name() {
        assert_eq!(
            detect("report.txt", b"%PDF-1.7\n").unwrap(),
            SourceKind::Pdf
        );
        assert_eq!(
            detect("page", b"<!DOCTYPE html><html></html>").unwrap(),
            SourceKind::Html
        );
        assert_eq!(
            detect("notes.txt", b"<html><body>x</body></html>").unwrap(),
            SourceKind::Html
        );
    }

    #[test]
    fn the_name_decides_between_text_kinds() {
        assert_eq!(
            detect("prices.csv", b"a,b\n1,2\n").unwrap(),
            SourceKind::Csv
        );
        assert_eq!(detect("prices.TSV", b"a\tb\n").unwrap(), SourceKind::Tsv);
        assert_eq!(
            detect("README.md", b"# Title\n").unwrap(),
            SourceKind::Markdown
        );
        assert_eq!(detect("notes", b"plain words").unwrap(), SourceKind::Text);
    }

    #[test]
    fn unsupported_types_name_what_is_supported() {
        let error = detect("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err();
        let message = error.to_string();
        assert!(message.contains(".png"), "{message}");
        assert!(message.contains("supported: PDF"), "{message}");
        let error = detect("slides.key", b"just text").unwrap_err();
        assert!(error.to_string().contains(".key"));
    }

    #[test]
    fn a_zip_that_is_no_document_is_refused() {
        let mut buffer = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut buffer);
        writer
            .start_file("hello.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut writer, b"hi").unwrap();
        writer.finish().unwrap();
        let error = detect("archive.docx", buffer.get_ref()).unwrap_err();
        assert!(
            error.to_string().contains("zip archive that is not a DOCX"),
            "{error}"
        );
    }
}
