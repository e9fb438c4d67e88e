//! A damaged upload is refused, never a crash: the parser test suites' own documents
//! (`../shared/data/documents`: DOCX, spreadsheets, CSV, HTML, PDF) with their bytes cut and
//! changed, and DOCX and spreadsheet archives rebuilt around a damaged XML part (a zip's
//! checksums would stop plain byte changes at the door). Skips with a printed reason where
//! that material is absent.

use std::io::{Cursor, Read, Write};
use std::path::Path;

use knowledge::{Limits, parse};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[path = "../../tests/damage/mod.rs"]
mod damage;

/// Largest document read, so that a case stays quick.
const MOST_BYTES: u64 = 256 * 1024;

const ARCHIVES: [&str; 5] = ["docx", "xlsx", "xlsm", "xlsb", "ods"];

fn documents() -> Option<Vec<(String, Vec<u8>)>> {
    let root = damage::shared_data(env!("CARGO_MANIFEST_DIR")).join("documents");
    let folders = ["docx", "spreadsheet", "html", "pdf"].map(|kind| root.join(kind));
    let extensions = [ARCHIVES.as_slice(), &["xls", "csv", "html", "htm", "pdf"]].concat();
    let found = damage::files_under(&folders, &extensions, MOST_BYTES);
    (!found.is_empty()).then_some(found)
}

/// Values put in place of a document's own: in XML, cells out of range and parts cut open;
/// in a PDF, lengths, counts and references that point nowhere or back to where they came
/// from, and operators out of place.
const VALUES: &[&str] = &[
    "",
    "<",
    "</w:p>",
    "<w:t>",
    "<c r=\"XFD1048577\"><v>1</v></c>",
    "r=\"A0\"",
    "r=\"ZZZZZZ99999999999\"",
    "t=\"s\"",
    "<v>99999999999999999999</v>",
    "<v>-1</v>",
    "&#0;",
    "&#xD800;",
    "<![CDATA[",
    "\u{202E}\u{0640}",
    "\",\"",
    "\r\n",
    "<table><tr><td colspan=\"1000000\">",
    "<<",
    "[",
    "/Length 999999999",
    "/Count -1",
    "/Kids [1 0 R 1 0 R]",
    "/Parent 1 0 R",
    "9999999 0 R",
    "/Filter [/FlateDecode /ASCIIHexDecode /LZWDecode]",
    "/DecodeParms << /Predictor 15 /Columns 999999999 >>",
    "/W [0 [1 99999999] 99999999]",
    "/FirstChar 4294967295",
    "0 0 0 0 0 0 Tm",
    "/Fm1 Do",
    "0 999999999",
    "/Prev 0",
    "endobj",
];

/// The archive rebuilt with its `part`-th XML part changed; `None` when it does not open.
fn with_damaged_part(archive: &[u8], part: usize, changes: &[damage::Change]) -> Option<Vec<u8>> {
    let mut reading = zip::ZipArchive::new(Cursor::new(archive)).ok()?;
    let xml: Vec<usize> = (0..reading.len())
        .filter(|&index| {
            reading
                .by_index(index)
                .is_ok_and(|entry| entry.name().is_ok_and(|name| name.ends_with(".xml")))
        })
        .collect();
    let damaged = *xml.get(part % xml.len().max(1))?;
    let mut writing = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..reading.len() {
        let mut entry = reading.by_index(index).ok()?;
        let name = entry.name().ok()?.to_string();
        let mut content = Vec::new();
        entry.read_to_end(&mut content).ok()?;
        if index == damaged {
            for change in changes {
                damage::apply(&mut content, change);
            }
        }
        writing
            .start_file(
                name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored),
            )
            .ok()?;
        writing.write_all(&content).ok()?;
    }
    Some(writing.finish().ok()?.into_inner())
}

#[test]
fn damaged_documents_are_refused_or_read_never_a_crash() {
    let Some(documents) = documents() else {
        eprintln!("skipped: ../shared/data/documents is absent");
        return;
    };
    let limits = Limits::default();
    let mut runner = TestRunner::new(Config {
        cases: 900,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..documents.len(),
        any::<usize>(),
        prop::collection::vec(damage::change(VALUES), 1..4),
    );
    runner
        .run(&strategy, |(index, part, changes)| {
            let (name, original) = &documents[index];
            let archive = ARCHIVES.iter().any(|extension| name.ends_with(extension));
            let bytes = match archive.then(|| with_damaged_part(original, part, &changes)) {
                Some(Some(rebuilt)) => rebuilt,
                _ => {
                    let mut bytes = original.clone();
                    for change in &changes {
                        damage::apply(&mut bytes, change);
                    }
                    bytes
                }
            };
            if let Err(error) = parse(name, &bytes, &limits) {
                // A refusal says why.
                prop_assert!(!error.to_string().trim().is_empty(), "{}", name);
            }
            Ok(())
        })
        .unwrap();
}

/// The damaged files the property test above found, each once: calamine 0.38 asserted on the
/// first, looped forever on the second and filled memory following a looping chain of sectors
/// on the third.
#[test]
fn the_damaged_files_found_are_refused() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/documents/spreadsheet/calamine");
    let found: [(&str, usize, &[damage::Change]); 3] = [
        (
            "issue444.xls",
            0,
            &[damage::Change::Value(3, "r=\"ZZZZZZ99999999999\"")],
        ),
        (
            "merged_cells.ods",
            5312483726394189482,
            &[damage::Change::Cut(760), damage::Change::Byte(40, 58)],
        ),
        (
            "xls_cross_sheet_chart.xls",
            0,
            &[damage::Change::Value(
                381,
                "<table><tr><td colspan=\"1000000\">",
            )],
        ),
    ];
    for (name, part, changes) in found {
        let Ok(original) = std::fs::read(folder.join(name)) else {
            eprintln!("skipped: {} is absent", folder.join(name).display());
            return;
        };
        let archive = ARCHIVES.iter().any(|extension| name.ends_with(extension));
        let bytes = if archive {
            with_damaged_part(&original, part, changes).expect("the archive opens")
        } else {
            let mut bytes = original;
            for change in changes {
                damage::apply(&mut bytes, change);
            }
            bytes
        };
        let error = parse(name, &bytes, &Limits::default()).unwrap_err();
        assert!(
            error.to_string().contains(name),
            "the refusal names the file: {error}"
        );
    }
}

/// One cell far from the others: calamine 0.38 fills the rectangle between them, here a
/// million rows by 16,384 columns (550 GB), and the allocation's failure aborts the process.
#[test]
fn a_cell_far_from_the_others_is_refused_not_an_abort() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/documents/spreadsheet/calamine/whitespace_trim.xlsx");
    let Ok(original) = std::fs::read(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return;
    };
    let mut reading = zip::ZipArchive::new(Cursor::new(original.as_slice())).unwrap();
    let mut writing = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..reading.len() {
        let mut entry = reading.by_index(index).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = String::new();
        entry.read_to_string(&mut content).unwrap();
        if name.starts_with("xl/worksheets/") {
            content = content.replace(
                "</sheetData>",
                "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>",
            );
        }
        writing
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writing.write_all(content.as_bytes()).unwrap();
    }
    let bytes = writing.finish().unwrap().into_inner();
    let error = parse("far.xlsx", &bytes, &Limits::default()).unwrap_err();
    assert!(
        error.to_string().contains("far.xlsx") && error.to_string().contains("16384 columns"),
        "{error}"
    );
}
