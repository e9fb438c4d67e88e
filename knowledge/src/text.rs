//! Plain text and Markdown, and the character-set detection every text format shares.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1256};

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::error::Error;

pub(crate) fn parse(kind: SourceKind, bytes: &[u8]) -> Result<Document, Error> {
    let text = decode(bytes);
    let mut document = Document::new(kind);
    if kind == SourceKind::Markdown {
        for (section, body) in markdown_sections(&text) {
            if document.title.is_none() {
                document.title = section.first().cloned();
            }
            crate::outline::push_with_tables(&mut document, &body, &Position::section(section));
        }
    } else {
        crate::outline::push_outlined(&mut document, &text);
    }
    Ok(document)
}

/// Splits Markdown at its ATX headings (`#` .. `######`), outside fenced code blocks, giving
/// each part the path of headings above it. Each part keeps its own heading line.
fn markdown_sections(text: &str) -> Vec<(Vec<String>, String)> {
    let mut sections = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut body = String::new();
    let mut in_fence = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let heading = (!in_fence).then(|| atx_heading(trimmed)).flatten();
        if let Some((level, title)) = heading {
            if !body.trim().is_empty() {
                sections.push((titles(&path), std::mem::take(&mut body)));
            }
            body.clear();
            path.retain(|(depth, _)| *depth < level);
            path.push((level, title));
        }
        body.push_str(line);
        body.push('\n');
    }
    if !body.trim().is_empty() {
        sections.push((titles(&path), body));
    }
    sections
}

fn titles(path: &[(usize, String)]) -> Vec<String> {
    path.iter().map(|(_, title)| title.clone()).collect()
}

fn atx_heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&byte| byte == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| (level, title.to_string()))
}

/// Decodes text of unknown encoding: a byte-order mark decides; otherwise UTF-16 by its zero
/// bytes, UTF-8 when valid, and between the two legacy code pages Excel exports use, Arabic
/// (Windows-1256) when high bytes come in runs (Arabic letters are all high bytes) and Western
/// (Windows-1252) when they sit alone among ASCII letters (accents).
pub(crate) fn decode(bytes: &[u8]) -> String {
    let (encoding, body) = if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        (encoding, &bytes[bom..])
    } else if let Some(encoding) = looks_like_utf16(bytes) {
        (encoding, bytes)
    } else if std::str::from_utf8(bytes).is_ok() {
        (UTF_8, bytes)
    } else if high_bytes_come_in_runs(bytes) {
        (WINDOWS_1256, bytes)
    } else {
        (WINDOWS_1252, bytes)
    };
    encoding.decode_without_bom_handling(body).0.into_owned()
}

/// UTF-16 without a byte-order mark: mostly ASCII text, so every other byte is zero.
pub(crate) fn looks_like_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zeros_at = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 10 >= pairs * 7 && even * 10 < pairs {
        Some(UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

fn high_bytes_come_in_runs(bytes: &[u8]) -> bool {
    let (mut high, mut paired) = (0usize, 0usize);
    for (index, &byte) in bytes.iter().enumerate() {
        if byte >= 0x80 {
            high += 1;
            let before = index > 0 && bytes[index - 1] >= 0x80;
            let after = bytes.get(index + 1).is_some_and(|&next| next >= 0x80);
            if before || after {
                paired += 1;
            }
        }
    }
    high > 0 && paired * 2 > high
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_arabic_and_western_code_pages() {
        let (arabic, _, _) = WINDOWS_1256.encode("السعر: 12 دينار، الخطة: برو");
        assert_eq!(decode(&arabic), "السعر: 12 دينار، الخطة: برو");
        let (latin, _, _) = WINDOWS_1252.encode("Prix: 12 €, café crème, déjà");
        assert_eq!(decode(&latin), "Prix: 12 €, café crème, déjà");
    }

    #[test]
    fn decodes_utf16_with_and_without_bom_and_utf8_bom() {
        let text = "Plan,Price\nPro,12\nمرحبا,1\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&le), text);
        assert_eq!(decode(&be), text);
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(&le);
        assert_eq!(decode(&with_bom), text);
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&utf8_bom), text);
    }

    #[test]
    fn markdown_headings_become_section_paths() {
        let text = "# Guide\nintro\n## Pricing\nPro costs 12.\n```\n# not a heading\n```\n## Refunds\n30 days.\n# Other\nx\n";
        let sections = markdown_sections(text);
        let paths: Vec<_> = sections.iter().map(|(path, _)| path.join(" > ")).collect();
        assert_eq!(
            paths,
            ["Guide", "Guide > Pricing", "Guide > Refunds", "Other"]
        );
        assert!(sections[1].1.contains("# not a heading"));
    }
}
