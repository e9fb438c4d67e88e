//! Workbooks (xlsx, xlsm, xlsb, xls, ods) through calamine, and the record shape that
//! spreadsheets and CSV files share: one retrievable record per data row.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use quick_xml::events::Event;

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::error::Error;

pub(crate) fn parse(kind: SourceKind, bytes: &[u8]) -> Result<Document, Error> {
    match kind {
        // An encrypted package's parts are not XML: calamine says it is protected.
        _ if is_encrypted_package(bytes) => {}
        SourceKind::Xlsx | SourceKind::Xlsm | SourceKind::Ods => check_xml_parts(kind, bytes)?,
        SourceKind::Xls => check_compound_file(kind, bytes)?,
        _ => {}
    }
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|error| workbook_error(kind, bytes, error))?;
    let mut document = Document::new(kind);
    let names = workbook.sheet_names();
    let mut rows_total = 0;
    for name in &names {
        let range = match workbook.worksheet_range(name) {
            Ok(range) => range,
            Err(error) => {
                document
                    .warnings
                    .push(format!("sheet {name:?} skipped: {error}"));
                continue;
            }
        };
        let first_row = range.start().map_or(0, |(row, _)| row as usize);
        let rows = range
            .rows()
            .map(|cells| cells.iter().map(cell_text).collect::<Vec<_>>());
        let sheet = (names.len() > 1 || !is_default_sheet_name(name)).then(|| name.clone());
        let at = Position {
            sheet,
            ..Position::default()
        };
        rows_total += push_records(&mut document, rows, first_row + 1, at);
    }
    document.stats.sheets = Some(names.len());
    document.stats.rows = Some(rows_total);
    Ok(document)
}

/// The XML parts calamine reads of a zipped workbook (the workbook's own under `xl/`, an ODS's
/// `content.xml`) are whole, well-formed XML. calamine 0.38 reads on past the end of one it
/// does not expect to end: an ODS cut off inside a cell's annotation keeps it reading forever.
/// Such a part is a damaged file, so it is refused before calamine sees it. Other parts (custom
/// XML, often in UTF-16) are not read; a workbook that is not a zip is left to calamine.
fn check_xml_parts(kind: SourceKind, bytes: &[u8]) -> Result<(), Error> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for index in 0..archive.len() {
        let mut part = archive
            .by_index(index)
            .map_err(|error| Error::malformed(kind, error))?;
        let name = part
            .name()
            .map_err(|error| Error::malformed(kind, error))?
            .to_string();
        let read_by_calamine = match kind {
            SourceKind::Ods => name == "content.xml",
            _ => name.starts_with("xl/") && (name.ends_with(".xml") || name.ends_with(".rels")),
        };
        if !read_by_calamine {
            continue;
        }
        let damaged = |detail: String| Error::malformed(kind, format!("{name}: {detail}"));
        let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(&mut part));
        let mut buffer = Vec::new();
        let mut depth = 0usize;
        let mut extent = Extent::default();
        loop {
            let event = reader.read_event_into(&mut buffer);
            if let Ok(Event::Start(element) | Event::Empty(element)) = &event
                && element.name().as_ref() == "c"
                && let Ok(Some(at)) = element.try_get_attribute("r")
            {
                extent.take(at.value.as_bytes());
            }
            match event {
                Ok(Event::Start(_)) => depth += 1,
                Ok(Event::End(_)) => depth = depth.saturating_sub(1),
                Ok(Event::Eof) if depth == 0 => break,
                Ok(Event::Eof) => return Err(damaged("the XML ends inside an element".into())),
                Ok(_) => {}
                Err(error) => return Err(damaged(error.to_string())),
            }
            buffer.clear();
        }
        if extent.cells() > MOST_SHEET_CELLS {
            return Err(damaged(format!(
                "its cells span {} rows by {} columns, more than the {MOST_SHEET_CELLS} cells a \
                 sheet is read with: remove the cells far from the others or split the sheet",
                extent.rows(),
                extent.columns()
            )));
        }
    }
    Ok(())
}

/// The most cells a sheet's rectangle (from its first used cell to its last) may hold:
/// calamine fills that rectangle whole, empty cells too, so one cell far from the others (at
/// XFD1048576) would have it ask for hundreds of gigabytes, and the process dies. 4 million
/// cells are about 130 MB.
const MOST_SHEET_CELLS: u64 = 4_000_000;

/// The rectangle a sheet's cells span, from their references ("B7").
#[derive(Default)]
struct Extent {
    rows: Option<(u64, u64)>,
    columns: Option<(u64, u64)>,
}

impl Extent {
    fn take(&mut self, reference: &[u8]) {
        let letters = reference
            .iter()
            .take_while(|byte| byte.is_ascii_alphabetic());
        let column = letters.clone().fold(0u64, |column, letter| {
            column
                .saturating_mul(26)
                .saturating_add(u64::from(letter.to_ascii_uppercase() - b'A' + 1))
        });
        let digits = &reference[letters.count()..];
        let row = digits.iter().try_fold(0u64, |row, digit| {
            digit.is_ascii_digit().then(|| {
                row.saturating_mul(10)
                    .saturating_add(u64::from(digit - b'0'))
            })
        });
        let (Some(row), true) = (row, column > 0) else {
            return;
        };
        let widen = |span: &mut Option<(u64, u64)>, at: u64| {
            *span = Some(span.map_or((at, at), |(low, high)| (low.min(at), high.max(at))));
        };
        widen(&mut self.rows, row);
        widen(&mut self.columns, column);
    }

    fn rows(&self) -> u64 {
        self.rows.map_or(0, |(low, high)| high - low + 1)
    }

    fn columns(&self) -> u64 {
        self.columns.map_or(0, |(low, high)| high - low + 1)
    }

    fn cells(&self) -> u64 {
        self.rows().saturating_mul(self.columns())
    }
}

/// An xls file's container (a compound file) reads whole: the chain of sectors of its
/// directory and of every stream ends. calamine 0.38 follows a chain until it ends, and one
/// that loops back on itself (a few changed bytes do it) has it fill memory.
fn check_compound_file(kind: SourceKind, bytes: &[u8]) -> Result<(), Error> {
    let damaged = |error: std::io::Error| Error::malformed(kind, error);
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(damaged)?;
    let streams: Vec<std::path::PathBuf> = file
        .walk()
        .filter(|entry| entry.is_stream())
        .map(|entry| entry.path().to_path_buf())
        .collect();
    for path in streams {
        let mut stream = file.open_stream(&path).map_err(damaged)?;
        std::io::copy(&mut stream, &mut std::io::sink()).map_err(damaged)?;
    }
    Ok(())
}

fn is_default_sheet_name(name: &str) -> bool {
    name.is_empty()
}

fn workbook_error(kind: SourceKind, bytes: &[u8], error: calamine::Error) -> Error {
    let message = error.to_string().to_ascii_lowercase();
    if message.contains("password") || message.contains("encrypt") || is_encrypted_package(bytes) {
        Error::PasswordProtected { kind }
    } else {
        Error::malformed(kind, message)
    }
}

/// Encrypted Office files are OLE containers with an "EncryptionInfo" stream; encrypted
/// OpenDocument files list encryption data in their manifest.
fn is_encrypted_package(bytes: &[u8]) -> bool {
    let utf16_name: Vec<u8> = "EncryptionInfo"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|window| window == needle);
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return contains(&utf16_name);
    }
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let Ok(manifest) = archive.by_name("META-INF/manifest.xml") else {
        return false;
    };
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(manifest, 1 << 20), &mut text).is_ok()
        && text.contains("encryption-data")
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.trim().to_string(),
        Data::Float(value) => format_number(*value),
        Data::Int(value) => value.to_string(),
        Data::Bool(value) => value.to_string(),
        Data::DateTime(value) => match value.as_datetime() {
            Some(moment) if moment.time() == chrono::NaiveTime::MIN => moment.date().to_string(),
            Some(moment) => moment.to_string(),
            None => format_number(value.as_f64()),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => format!("#{error:?}"),
    }
}

fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

/// Turns rows of cell texts into records. The first non-empty row is the header when every cell
/// in it is text (not a number); otherwise columns are named by letter. Each later row becomes
/// "Header: value; Header: value" at `at` (its sheet or section) with its 1-based row number.
/// Returns how many records were pushed.
pub(crate) fn push_records(
    document: &mut Document,
    rows: impl Iterator<Item = Vec<String>>,
    first_row_number: usize,
    at: Position,
) -> usize {
    let row = |number: usize| Position {
        row: Some(number),
        ..at.clone()
    };
    let mut headers: Option<Vec<String>> = None;
    let mut header_row: Option<(usize, Vec<String>)> = None;
    let mut records = 0;
    for (index, cells) in rows.enumerate() {
        if cells.iter().all(|cell| cell.is_empty()) {
            continue;
        }
        let row_number = first_row_number + index;
        let names = match &headers {
            Some(names) => names,
            None if looks_like_header(&cells) => {
                headers = Some(header_names(&cells));
                header_row = Some((row_number, cells));
                continue;
            }
            None => headers.insert((0..cells.len()).map(column_letter).collect()),
        };
        let text = record_text(names, &cells);
        document.push_record(text, row(row_number));
        records += 1;
    }
    // A sheet of one text row is data, not a header over nothing.
    if let (0, Some((row_number, cells))) = (records, header_row) {
        let letters: Vec<String> = (0..cells.len()).map(column_letter).collect();
        document.push_record(record_text(&letters, &cells), row(row_number));
        records = 1;
    }
    records
}

fn looks_like_header(cells: &[String]) -> bool {
    let filled: Vec<_> = cells.iter().filter(|cell| !cell.is_empty()).collect();
    !filled.is_empty() && filled.iter().all(|cell| cell.parse::<f64>().is_err())
}

/// Names every column: an empty header cell right of a named one is the rest of a merged cell
/// and takes its name with a counter; one with no name to its left gets its letter.
fn header_names(cells: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(cells.len());
    let mut merged_from: Option<(String, usize)> = None;
    for (index, cell) in cells.iter().enumerate() {
        let cell = cell.split_whitespace().collect::<Vec<_>>().join(" ");
        if !cell.is_empty() {
            merged_from = Some((cell.clone(), 1));
            names.push(cell);
        } else if let Some((name, count)) = &mut merged_from {
            *count += 1;
            names.push(format!("{name} ({count})"));
        } else {
            names.push(column_letter(index));
        }
    }
    names
}

fn record_text(headers: &[String], cells: &[String]) -> String {
    let mut fields = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        let name = headers
            .get(index)
            .cloned()
            .unwrap_or_else(|| column_letter(index));
        let value = cell.split_whitespace().collect::<Vec<_>>().join(" ");
        fields.push(format!("{name}: {value}"));
    }
    fields.join("; ")
}

fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| row.iter().map(|cell| cell.to_string()).collect())
            .collect()
    }

    #[test]
    fn rows_become_records_with_header_names() {
        let mut document = Document::new(SourceKind::Xlsx);
        let data = rows(&[
            &["Plan", "Price", ""],
            &["Pro", "12", "x"],
            &["", "", ""],
            &["Basic", "", ""],
        ]);
        let count = push_records(
            &mut document,
            data.into_iter(),
            1,
            Position::row(Some("Pricing".into()), 0),
        );
        assert_eq!(count, 2);
        assert_eq!(
            document.blocks[0].text,
            "Plan: Pro; Price: 12; Price (2): x"
        );
        assert_eq!(
            document.blocks[0].position,
            Position::row(Some("Pricing".into()), 2)
        );
        assert_eq!(document.blocks[1].text, "Plan: Basic");
        assert_eq!(document.blocks[1].position.row, Some(4));
        assert!(document.blocks.iter().all(|block| block.record));
    }

    #[test]
    fn numeric_first_row_is_data_with_letter_columns() {
        let mut document = Document::new(SourceKind::Csv);
        push_records(
            &mut document,
            rows(&[&["1", "2"], &["3", "4"]]).into_iter(),
            1,
            Position::default(),
        );
        assert_eq!(document.blocks[0].text, "A: 1; B: 2");
        assert_eq!(document.blocks[0].position.row, Some(1));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
