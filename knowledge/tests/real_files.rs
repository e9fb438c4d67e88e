//! Every real file in ../shared/data/documents goes through `parse`: none may panic or hang,
//! each gives text or a clear error, and content is checked where an expected output exists.
//! Skipped, with a printed reason, where ../shared is absent.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use knowledge::{Document, Error, Limits, SourceError, parse};

fn shared_documents() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/documents");
    if path.is_dir() {
        Some(path)
    } else {
        println!("skipped: {} is absent", path.display());
        None
    }
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Parses on another thread so that a hang fails the test instead of stalling it.
fn parse_bounded(path: &Path) -> Result<Document, SourceError> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| parse(&name, &bytes, &Limits::default()));
        let _ = sender.send(result);
    });
    match receiver.recv_timeout(Duration::from_secs(120)) {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => panic!("{} made the parser panic", path.display()),
        Err(_) => panic!(
            "{} did not finish parsing within two minutes",
            path.display()
        ),
    }
}

fn text_of(document: &Document) -> String {
    document
        .blocks
        .iter()
        .map(|block| block.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn every_real_document_parses_or_fails_clearly() {
    let Some(root) = shared_documents() else {
        return;
    };
    let (mut parsed, mut refused) = (0, 0);
    for path in files_under(&root) {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if matches!(extension, "out" | "json" | "md" | "png" | "html")
            && !path.ends_with("source.html")
        {
            continue; // expectations and readme files, not sources
        }
        match parse_bounded(&path) {
            Ok(document) => {
                parsed += 1;
                assert!(
                    !text_of(&document).trim().is_empty(),
                    "{} parsed to nothing",
                    path.display()
                );
            }
            Err(error) => {
                refused += 1;
                let message = error.to_string();
                assert!(
                    message.starts_with(&path.display().to_string()),
                    "error does not name the file: {message}"
                );
                println!("refused: {message}");
            }
        }
    }
    println!("{parsed} parsed, {refused} refused with a clear error");
    assert!(parsed > 150, "only {parsed} files parsed");
}

#[test]
fn arabic_pdfs_come_out_in_logical_order() {
    let Some(root) = shared_documents() else {
        return;
    };
    for name in [
        "habibi.pdf",
        "habibi-oneline-cmap.pdf",
        "habibi-rotated.pdf",
    ] {
        let document =
            parse_bounded(&root.join("pdf/py-pdf-sample-files/015-arabic").join(name)).unwrap();
        assert_eq!(document.blocks[0].text, "حَبيبي habibi", "{name}");
    }
}

#[test]
fn encrypted_pdfs_open_with_an_empty_password_or_say_password_protected() {
    let Some(root) = shared_documents() else {
        return;
    };
    for entry in files_under(&root.join("pdf/pdfminer/encryption")) {
        match parse_bounded(&entry) {
            Ok(document) => assert!(!text_of(&document).trim().is_empty(), "{}", entry.display()),
            Err(error) => assert!(
                matches!(error.error, Error::PasswordProtected { .. }),
                "{error}"
            ),
        }
    }
    let protected = root.join(
        "pdf/py-pdf-sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf",
    );
    let error = parse_bounded(&protected).unwrap_err();
    assert!(error.to_string().contains("password-protected"), "{error}");
}

#[test]
fn pdf_text_matches_the_known_content() {
    let Some(root) = shared_documents() else {
        return;
    };
    let sample = root.join("pdf/py-pdf-sample-files");
    let document =
        parse_bounded(&sample.join("004-pdflatex-4-pages/pdflatex-4-pages.pdf")).unwrap();
    assert_eq!(document.stats.pages, Some(4));
    assert_eq!(
        document
            .blocks
            .iter()
            .map(|block| block.position.page.unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let document = parse_bounded(&sample.join("026-latex-multicolumn/multicolumn.pdf")).unwrap();
    let text = text_of(&document)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Two-Column Document with Lorem Ipsum"),
        "{text}"
    );
    // Ligatures from the font program's own encoding, and words mended across line breaks.
    assert!(text.contains("filled with Lorem Ipsum"), "{text}");
    assert!(text.contains("Official Language"), "{text}");
    assert!(text.contains("Pellentesque"), "{text}");
    // Table cells come out column by column, as pdftotext gives them.
    for cell in ["Austria", "83,879", "Vienna"] {
        assert!(text.contains(cell), "{cell} missing from {text}");
    }
}

#[test]
fn csv_spectrum_matches_its_expected_parses() {
    let Some(root) = shared_documents() else {
        return;
    };
    let spectrum = root.join("spreadsheet/csv-spectrum");
    for csv in files_under(&spectrum.join("csvs")) {
        let stem = csv.file_stem().unwrap().to_str().unwrap().to_string();
        let expected: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_str(
            &std::fs::read_to_string(spectrum.join("json").join(format!("{stem}.json"))).unwrap(),
        )
        .unwrap();
        let records: Vec<String> = expected
            .iter()
            .map(|row| {
                row.iter()
                    .filter_map(|(key, value)| {
                        let value = value
                            .as_str()
                            .unwrap_or_default()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ");
                        (!value.is_empty()).then(|| format!("{key}: {value}"))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|record| !record.is_empty())
            .collect();
        // JSON objects do not keep their key order; compare each record's fields as a set.
        let fields = |record: &str| {
            let mut fields: Vec<String> = record.split("; ").map(str::to_string).collect();
            fields.sort();
            fields
        };
        let expected: Vec<Vec<String>> = records.iter().map(|record| fields(record)).collect();
        match parse_bounded(&csv) {
            Ok(document) => {
                let got: Vec<Vec<String>> = document
                    .blocks
                    .iter()
                    .map(|block| fields(&block.text))
                    .collect();
                assert_eq!(got, expected, "{stem}");
                assert!(document.blocks.iter().all(|block| block.record));
            }
            Err(error) => assert!(records.is_empty(), "{stem}: {error}"),
        }
    }
}

#[test]
fn protected_and_broken_workbooks_fail_clearly() {
    let Some(root) = shared_documents() else {
        return;
    };
    let error = parse_bounded(&root.join("spreadsheet/calamine/pass_protected.xlsb")).unwrap_err();
    assert!(error.to_string().contains("password-protected"), "{error}");
    let document = parse_bounded(&root.join("spreadsheet/calamine/merged_range.xlsx")).unwrap();
    assert!(
        document
            .blocks
            .iter()
            .all(|block| block.record && block.position.row.is_some())
    );
}

#[test]
fn docx_from_real_producers() {
    let Some(root) = shared_documents() else {
        return;
    };
    let docx = root.join("docx");
    for not_docx in ["mammoth/empty.zip", "mammoth/hello.zip"] {
        let error = parse_bounded(&docx.join(not_docx)).unwrap_err();
        assert!(error.to_string().contains("zip"), "{error}");
    }
    let tables = parse_bounded(&docx.join("mammoth/tables.docx")).unwrap();
    assert!(
        tables.blocks.iter().any(|block| block.record),
        "{:?}",
        tables.blocks
    );
    let list = parse_bounded(&docx.join("mammoth/simple-list.docx")).unwrap();
    assert!(text_of(&list).contains("- Apple"), "{}", text_of(&list));
}

#[test]
fn readability_pages_keep_the_article() {
    let Some(root) = shared_documents() else {
        return;
    };
    let (mut recalls, mut precisions) = (Vec::new(), Vec::new());
    for folder in files_under(&root.join("html/readability"))
        .iter()
        .filter(|p| p.ends_with("source.html"))
    {
        let folder = folder.parent().unwrap();
        let expected_html = std::fs::read(folder.join("expected.html")).unwrap();
        let expected =
            knowledge::parse("expected.html", &expected_html, &Limits::default()).unwrap();
        let expected_words = words(&text_of(&expected));
        let got = parse_bounded(&folder.join("source.html")).unwrap();
        let got_words = words(&text_of(&got));
        let got_set: std::collections::HashSet<&String> = got_words.iter().collect();
        let expected_set: std::collections::HashSet<&String> = expected_words.iter().collect();
        let recall = expected_words
            .iter()
            .filter(|word| got_set.contains(word))
            .count() as f64
            / expected_words.len().max(1) as f64;
        let precision = got_words
            .iter()
            .filter(|word| expected_set.contains(word))
            .count() as f64
            / got_words.len().max(1) as f64;
        println!(
            "{:<28} recall {recall:.2} precision {precision:.2}",
            folder.file_name().unwrap().to_string_lossy()
        );
        recalls.push(recall);
        precisions.push(precision);
    }
    let mean_precision = precisions.iter().sum::<f64>() / precisions.len() as f64;
    println!("mean precision (words of ours that are in the article): {mean_precision:.3}");
    let mean = recalls.iter().sum::<f64>() / recalls.len() as f64;
    println!("mean recall of the expected article words: {mean:.3}");
    assert!(mean > 0.9, "mean recall {mean:.3}");
    assert!(mean_precision > 0.9, "mean precision {mean_precision:.3}");
}
