//! CSV and TSV: encoding detection, delimiter sniffing, quoted fields with embedded newlines,
//! and the same one-record-per-row shape as workbooks.

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::error::Error;
use crate::sheet::push_records;
use crate::text::decode;

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

pub(crate) fn parse(kind: SourceKind, bytes: &[u8]) -> Result<Document, Error> {
    let text = decode(bytes);
    let delimiter = sniff_delimiter(&text, kind);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record
            .map_err(|error| Error::malformed(kind, format!("row {}: {error}", index + 1)))?;
        rows.push(
            record
                .iter()
                .map(|field| field.trim().to_string())
                .collect::<Vec<_>>(),
        );
    }
    let mut document = Document::new(kind);
    let records = push_records(&mut document, rows.into_iter(), 1, Position::default());
    document.stats.rows = Some(records);
    Ok(document)
}

/// Picks the delimiter that splits the first lines into the most consistent number of fields
/// (more than one), preferring tabs for TSV files and commas on a tie.
fn sniff_delimiter(text: &str, kind: SourceKind) -> u8 {
    let sample: String = text.lines().take(50).collect::<Vec<_>>().join("\n");
    let mut best = (if kind == SourceKind::Tsv { b'\t' } else { b',' }, 0usize);
    for delimiter in DELIMITERS {
        let counts: Vec<usize> = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(sample.as_bytes())
            .records()
            .filter_map(Result::ok)
            .map(|record| record.len())
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&count| count == first).count();
        let score = consistent * 1000 + first;
        if score > best.1 {
            best = (delimiter, score);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_semicolons_and_tabs() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2,5;3\n", SourceKind::Csv), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n", SourceKind::Csv), b'\t');
        assert_eq!(sniff_delimiter("a,b\n1,2\n", SourceKind::Csv), b',');
        assert_eq!(
            sniff_delimiter("only one column\nx\n", SourceKind::Tsv),
            b'\t'
        );
    }

    #[test]
    fn quoted_fields_keep_newlines_and_delimiters() {
        let document = parse(
            SourceKind::Csv,
            b"Name,Note\n\"Smith, J\",\"line one\nline two\"\n",
        )
        .unwrap();
        assert_eq!(document.blocks.len(), 1);
        assert_eq!(
            document.blocks[0].text,
            "Name: Smith, J; Note: line one line two"
        );
    }

    #[test]
    fn windows_1256_arabic_export() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("الخطة;السعر\nبرو;12\n");
        let document = parse(SourceKind::Csv, &bytes).unwrap();
        assert_eq!(document.blocks[0].text, "الخطة: برو; السعر: 12");
    }
}
