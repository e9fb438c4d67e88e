//! Parse throughput on a large multi-page PDF (against pdftotext on the same file, in the same
//! run), a 20 MB CSV and a large XLSX. Run with `cargo bench -p knowledge --bench
//! parse_throughput`; figures go to docs/benchmarks.md.

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use knowledge::{Limits, parse};

/// Runs `work` until both three runs and two seconds have passed; returns seconds per run.
fn time(mut work: impl FnMut()) -> f64 {
    work();
    let started = Instant::now();
    let mut runs = 0;
    while runs < 3 || started.elapsed() < Duration::from_secs(2) {
        work();
        runs += 1;
    }
    started.elapsed().as_secs_f64() / runs as f64
}

fn megabytes(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

fn bench_pdf() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/documents/pdf/py-pdf-sample-files/009-pdflatex-geotopo/GeoTopo-komprimiert.pdf");
    let Ok(bytes) = std::fs::read(&path) else {
        println!("pdf: skipped, {} is absent", path.display());
        return;
    };
    let limits = Limits::default();
    let mut pages = 0;
    let seconds = time(|| {
        pages = parse("GeoTopo.pdf", &bytes, &limits)
            .unwrap()
            .stats
            .pages
            .unwrap_or(0)
    });
    println!(
        "pdf  switchboard: {:.1} MB/s, {:.0} pages/s ({} pages, {:.2} MB, {:.1} ms per file)",
        megabytes(bytes.len()) / seconds,
        pages as f64 / seconds,
        pages,
        megabytes(bytes.len()),
        seconds * 1000.0
    );
    let pdftotext = || {
        Command::new("pdftotext")
            .arg(&path)
            .arg("/dev/null")
            .status()
            .is_ok_and(|status| status.success())
    };
    if !pdftotext() {
        println!("pdf  pdftotext: skipped, not installed (Debian package poppler-utils)");
        return;
    }
    let reference = time(|| assert!(pdftotext()));
    println!(
        "pdf  pdftotext:   {:.1} MB/s, {:.0} pages/s ({:.1} ms per file, process start included); switchboard at {:.2}x its speed",
        megabytes(bytes.len()) / reference,
        pages as f64 / reference,
        reference * 1000.0,
        reference / seconds
    );
}

/// A realistic export: bilingual product rows with quoted fields, about 20 MB.
fn csv_export() -> Vec<u8> {
    let mut csv = String::from("sku,name,name_ar,category,price,stock,description\n");
    let mut row = 0;
    while csv.len() < 20 * 1_000_000 - 300 {
        row += 1;
        csv.push_str(&format!(
            "SKU-{row:07},\"Ethiopian Yirgacheffe, {row} g\",بن إثيوبي {row} غرام,Coffee beans,{}.{:02},{},\"Washed, light roast; notes of jasmine and lemon. Batch {row}.\"\n",
            row % 40 + 3,
            row % 100,
            row % 500
        ));
    }
    csv.into_bytes()
}

fn bench_csv() {
    let bytes = csv_export();
    let limits = Limits::default();
    let mut rows = 0;
    let seconds = time(|| {
        rows = parse("export.csv", &bytes, &limits)
            .unwrap()
            .stats
            .rows
            .unwrap_or(0)
    });
    println!(
        "csv  switchboard: {:.1} MB/s, {:.0} rows/s ({} rows, {:.1} MB)",
        megabytes(bytes.len()) / seconds,
        rows as f64 / seconds,
        rows,
        megabytes(bytes.len())
    );
}

/// A workbook of 100,000 rows by 6 columns with shared strings, as Excel writes them.
fn xlsx_workbook(rows: usize) -> Vec<u8> {
    let mut strings = Vec::new();
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let headers = ["SKU", "Name", "الاسم", "Category", "Price", "Stock"];
    let shared = |text: String, strings: &mut Vec<String>| {
        strings.push(text);
        strings.len() - 1
    };
    for row in 0..=rows {
        sheet.push_str(&format!(r#"<row r="{}">"#, row + 1));
        for (column, header) in headers.iter().enumerate() {
            let reference = format!("{}{}", (b'A' + column as u8) as char, row + 1);
            let cell = match (row, column) {
                (0, _) => format!(
                    r#"<c r="{reference}" t="s"><v>{}</v></c>"#,
                    shared(header.to_string(), &mut strings)
                ),
                (_, 4) => format!(r#"<c r="{reference}"><v>{}.5</v></c>"#, row % 40),
                (_, 5) => format!(r#"<c r="{reference}"><v>{}</v></c>"#, row % 500),
                (_, 0) => format!(
                    r#"<c r="{reference}" t="s"><v>{}</v></c>"#,
                    shared(format!("SKU-{row:07}"), &mut strings)
                ),
                (_, 1) => format!(
                    r#"<c r="{reference}" t="s"><v>{}</v></c>"#,
                    shared(format!("Colombian Huila {row} g"), &mut strings)
                ),
                (_, 2) => format!(
                    r#"<c r="{reference}" t="s"><v>{}</v></c>"#,
                    shared(format!("بن كولومبي {row} غرام"), &mut strings)
                ),
                _ => format!(
                    r#"<c r="{reference}" t="s"><v>{}</v></c>"#,
                    shared("Coffee beans".to_string(), &mut strings)
                ),
            };
            sheet.push_str(&cell);
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut shared_xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">"#,
        strings.len()
    );
    for text in &strings {
        shared_xml.push_str(&format!("<si><t>{text}</t></si>"));
    }
    shared_xml.push_str("</sst>");
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", shared_xml),
    ];
    let mut buffer = Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buffer);
    for (name, content) in parts {
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    buffer.into_inner()
}

fn bench_xlsx() {
    let bytes = xlsx_workbook(100_000);
    let limits = Limits::default();
    let mut rows = 0;
    let seconds = time(|| {
        rows = parse("products.xlsx", &bytes, &limits)
            .unwrap()
            .stats
            .rows
            .unwrap_or(0)
    });
    println!(
        "xlsx switchboard: {:.1} MB/s compressed, {:.0} rows/s ({} rows, {:.1} MB file)",
        megabytes(bytes.len()) / seconds,
        rows as f64 / seconds,
        rows,
        megabytes(bytes.len())
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this quickly as a smoke test.
    if std::env::args().any(|arg| arg == "--bench") {
        bench_pdf();
        bench_csv();
        bench_xlsx();
    } else {
        let bytes = xlsx_workbook(10);
        assert_eq!(
            parse("small.xlsx", &bytes, &Limits::default())
                .unwrap()
                .stats
                .rows,
            Some(10)
        );
    }
}
