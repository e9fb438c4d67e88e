//! DOCX (what Word and Google Docs export): paragraphs, headings as section paths, lists, and
//! tables whose rows become records. The archive is read with a cap on what it may expand to.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::error::Error;

/// More XML than any real document has; a zip bomb reaches it quickly.
const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
const KIND: SourceKind = SourceKind::Docx;

pub(crate) fn parse(bytes: &[u8]) -> Result<Document, Error> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|error| Error::malformed(KIND, error))?;
    let body = read_part(&mut archive, "word/document.xml")?
        .ok_or_else(|| Error::malformed(KIND, "no word/document.xml: not a Word document"))?;
    let heading_styles = read_part(&mut archive, "word/styles.xml")?
        .map(|styles| heading_styles(&styles))
        .unwrap_or_default();
    let mut document = Document::new(KIND);
    let mut walker = Walker::new(&mut document, heading_styles);
    walker.walk(&body)?;
    for (part, label) in [
        ("word/footnotes.xml", "Footnotes"),
        ("word/endnotes.xml", "Endnotes"),
    ] {
        if let Some(notes) = read_part(&mut archive, part)? {
            let mut walker = Walker::new(&mut document, HashMap::new());
            walker.path = vec![(0, label.to_string())];
            walker.walk(&notes)?;
        }
    }
    document.title = document
        .blocks
        .iter()
        .find_map(|block| block.position.section.first().cloned());
    Ok(document)
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, Error> {
    let mut entry = match archive.by_name(name) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(error) => return Err(Error::malformed(KIND, format!("{name}: {error}"))),
    };
    let mut xml = Vec::new();
    entry
        .by_ref()
        .take(MAX_PART_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|error| Error::malformed(KIND, format!("{name}: {error}")))?;
    if xml.len() as u64 > MAX_PART_BYTES {
        return Err(Error::ArchiveTooLarge {
            detail: name.to_string(),
            limit: MAX_PART_BYTES,
        });
    }
    String::from_utf8(xml)
        .map(|text| Some(text.trim_start_matches('\u{feff}').to_string()))
        .map_err(|_| Error::malformed(KIND, format!("{name} is not UTF-8 XML")))
}

/// Style ids whose name or outline level marks a heading, with their level (1 = top). Word
/// localises style ids ("berschrift1") but not names ("heading 1").
fn heading_styles(styles: &str) -> HashMap<String, usize> {
    let mut reader = quick_xml::Reader::from_str(styles);
    let mut headings = HashMap::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(element)) | Ok(Event::Empty(element)) => {
                match element.local_name().as_ref() {
                    "style" => current = attribute(&element, "styleId"),
                    "name" => {
                        let name = attribute(&element, "val")
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        if let (Some(id), Some(level)) = (&current, heading_level_from_name(&name))
                        {
                            headings.insert(id.clone(), level);
                        }
                    }
                    "outlineLvl" => {
                        let level = attribute(&element, "val")
                            .and_then(|value| value.parse::<usize>().ok());
                        if let (Some(id), Some(level)) = (&current, level) {
                            headings.entry(id.clone()).or_insert(level + 1);
                        }
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    headings
}

fn heading_level_from_name(name: &str) -> Option<usize> {
    if name == "title" {
        return Some(1);
    }
    let level = name.strip_prefix("heading")?.trim();
    level.parse().ok().filter(|level| (1..=9).contains(level))
}

fn attribute(element: &BytesStart<'_>, local: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|attribute| attribute.key.local_name().as_ref() == local)
        .map(|attribute| {
            quick_xml::escape::unescape(&attribute.value)
                .map_or_else(|_| attribute.value.to_string(), |value| value.into_owned())
        })
}

struct Walker<'a> {
    heading_styles: HashMap<String, usize>,
    document: &'a mut Document,
    path: Vec<(usize, String)>,
    paragraph: String,
    paragraph_style: Option<String>,
    list_item: bool,
    in_text: bool,
    /// Paragraph texts since the last heading, flushed as one block.
    section_text: String,
    tables: Vec<Table>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: String,
}

impl<'a> Walker<'a> {
    fn new(document: &'a mut Document, heading_styles: HashMap<String, usize>) -> Self {
        Walker {
            heading_styles,
            document,
            path: Vec::new(),
            paragraph: String::new(),
            paragraph_style: None,
            list_item: false,
            in_text: false,
            section_text: String::new(),
            tables: Vec::new(),
        }
    }

    fn walk(&mut self, xml: &str) -> Result<(), Error> {
        let mut reader = quick_xml::Reader::from_str(xml);
        loop {
            let event = reader.read_event().map_err(|error| {
                Error::malformed(
                    KIND,
                    format!("XML error at byte {}: {error}", reader.buffer_position()),
                )
            })?;
            match event {
                Event::Start(element) => self.start(&element),
                Event::Empty(element) => {
                    self.start(&element);
                    self.end(element.local_name().as_ref());
                }
                Event::End(element) => self.end(element.local_name().as_ref()),
                Event::Text(text) if self.in_text => self.paragraph.push_str(&text.xml10_content()),
                Event::GeneralRef(reference) if self.in_text => {
                    if let Ok(Some(character)) = reference.resolve_char_ref() {
                        self.paragraph.push(character);
                    } else if let Some(resolved) =
                        quick_xml::escape::resolve_predefined_entity(&reference.xml10_content())
                    {
                        self.paragraph.push_str(resolved);
                    }
                }
                Event::CData(data) if self.in_text => {
                    self.paragraph.push_str(&data.xml10_content())
                }
                Event::Eof => break,
                _ => {}
            }
        }
        self.flush_section();
        Ok(())
    }

    fn start(&mut self, element: &BytesStart<'_>) {
        match element.local_name().as_ref() {
            "p" => {
                self.paragraph.clear();
                self.paragraph_style = None;
                self.list_item = false;
            }
            "pStyle" => self.paragraph_style = attribute(element, "val"),
            "numPr" => self.list_item = true,
            "t" => self.in_text = true,
            "tab" if !self.paragraph.is_empty() => self.paragraph.push('\t'),
            "br" | "cr" => self.paragraph.push('\n'),
            "tbl" => self.tables.push(Table::default()),
            "tr" => {
                if let Some(table) = self.tables.last_mut() {
                    table.rows.push(Vec::new());
                }
            }
            "tc" => {
                if let Some(table) = self.tables.last_mut() {
                    table.cell.clear();
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "t" => self.in_text = false,
            "p" => self.end_paragraph(),
            "tc" => {
                if let Some(table) = self.tables.last_mut() {
                    let cell = std::mem::take(&mut table.cell);
                    if let Some(row) = table.rows.last_mut() {
                        row.push(cell.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                }
            }
            "tbl" => {
                if let Some(table) = self.tables.pop() {
                    self.end_table(table);
                }
            }
            _ => {}
        }
    }

    fn end_paragraph(&mut self) {
        let text = std::mem::take(&mut self.paragraph).trim().to_string();
        if let Some(table) = self.tables.last_mut() {
            if !table.cell.is_empty() && !text.is_empty() {
                table.cell.push(' ');
            }
            table.cell.push_str(&text);
            return;
        }
        if text.is_empty() {
            return;
        }
        let level = self.paragraph_style.as_ref().and_then(|style| {
            self.heading_styles
                .get(style)
                .copied()
                .or_else(|| heading_level_from_name(&style.to_ascii_lowercase()))
        });
        if let Some(level) = level {
            self.flush_section();
            self.path.retain(|(depth, _)| *depth < level);
            self.path.push((level, text.clone()));
        }
        if self.list_item {
            self.section_text.push_str("- ");
        }
        self.section_text.push_str(&text);
        self.section_text.push('\n');
        if !self.list_item && level.is_none() {
            self.section_text.push('\n');
        }
    }

    /// A table's first row names its columns; every other row becomes a record. A table nested
    /// in a cell becomes that cell's text.
    fn end_table(&mut self, table: Table) {
        if let Some(outer) = self.tables.last_mut() {
            let text: Vec<String> = table.rows.iter().map(|row| row.join(" | ")).collect();
            outer.cell.push_str(&text.join("; "));
            return;
        }
        self.flush_section();
        let at = Position::section(self.section_path());
        crate::sheet::push_records(self.document, table.rows.into_iter(), 1, at);
    }

    fn section_path(&self) -> Vec<String> {
        self.path.iter().map(|(_, title)| title.clone()).collect()
    }

    fn flush_section(&mut self) {
        let text = std::mem::take(&mut self.section_text);
        let position = Position::section(self.section_path());
        self.document.push(text.trim_end().to_string(), position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn docx(body: &str, styles: Option<&str>) -> Vec<u8> {
        let mut buffer = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut buffer);
        let options = zip::write::SimpleFileOptions::default();
        writer.start_file("[Content_Types].xml", options).unwrap();
        writer.write_all(b"<Types/>").unwrap();
        writer.start_file("word/document.xml", options).unwrap();
        let xml = format!(
            r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
        );
        writer.write_all(xml.as_bytes()).unwrap();
        if let Some(styles) = styles {
            writer.start_file("word/styles.xml", options).unwrap();
            writer.write_all(styles.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
        buffer.into_inner()
    }

    fn paragraph(style: Option<&str>, text: &str) -> String {
        let style = style
            .map(|style| format!(r#"<w:pPr><w:pStyle w:val="{style}"/></w:pPr>"#))
            .unwrap_or_default();
        format!("<w:p>{style}<w:r><w:t>{text}</w:t></w:r></w:p>")
    }

    #[test]
    fn headings_paragraphs_and_table_rows() {
        let styles = r#"<w:styles xmlns:w="w"><w:style w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style></w:styles>"#;
        let table = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Plan</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Price</w:t></w:r></w:p></w:tc></w:tr>\
                     <w:tr><w:tc><w:p><w:r><w:t>Pro</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12 &amp; up</w:t></w:r></w:p></w:tc></w:tr></w:tbl>";
        let body = [
            paragraph(Some("berschrift1"), "Pricing"),
            paragraph(None, "Our plans."),
            table.to_string(),
            paragraph(Some("Heading2"), "Refunds"),
            paragraph(None, "Within 30 days."),
        ]
        .concat();
        let document = parse(&docx(&body, Some(styles))).unwrap();
        let texts: Vec<_> = document
            .blocks
            .iter()
            .map(|block| {
                (
                    block.text.as_str(),
                    block.position.section.join(">"),
                    block.record,
                )
            })
            .collect();
        assert_eq!(
            texts,
            [
                ("Pricing\nOur plans.", "Pricing".to_string(), false),
                ("Plan: Pro; Price: 12 & up", "Pricing".to_string(), true),
                (
                    "Refunds\nWithin 30 days.",
                    "Pricing>Refunds".to_string(),
                    false
                ),
            ]
        );
        assert_eq!(document.title.as_deref(), Some("Pricing"));
    }

    #[test]
    fn an_expanding_part_is_refused_as_a_bomb() {
        let filler =
            "<w:p><w:r><w:t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</w:t></w:r></w:p>"
                .repeat(1_300_000);
        let bytes = docx(&filler, None);
        assert!(
            bytes.len() < 2 * 1024 * 1024,
            "compressed to {}",
            bytes.len()
        );
        let error = parse(&bytes).unwrap_err();
        assert!(matches!(error, Error::ArchiveTooLarge { .. }), "{error}");
        assert!(error.to_string().contains("zip bomb"));
    }
}
