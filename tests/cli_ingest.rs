//! `switchboard ingest` as a user runs it: the real binary over files of our own making.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn switchboard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

#[test]
fn summarises_each_file() {
    let faq = fixture("faq.md");
    let prices = fixture("prices-windows1256.csv");
    let page = fixture("shipping.html");
    let output = switchboard(&[
        "ingest",
        faq.to_str().unwrap(),
        prices.to_str().unwrap(),
        page.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains("faq.md: Markdown") && lines[0].contains("chunks"),
        "{stdout}"
    );
    assert!(
        lines[1].contains("prices-windows1256.csv: CSV, 3 rows, 3 chunks"),
        "{stdout}"
    );
    assert!(lines[2].contains("shipping.html: HTML"), "{stdout}");
}

#[test]
fn json_chunks_carry_positions_languages_and_stable_ids() {
    let faq = fixture("faq.md");
    let prices = fixture("prices-windows1256.csv");
    let args = [
        "ingest",
        "--json",
        faq.to_str().unwrap(),
        prices.to_str().unwrap(),
    ];
    let first = json_lines(&switchboard(&args));
    let second = json_lines(&switchboard(&args));
    let ids = |chunks: &[serde_json::Value]| {
        chunks
            .iter()
            .map(|chunk| chunk["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), ids(&second));

    let refunds = first
        .iter()
        .find(|chunk| chunk["text"].as_str().unwrap().contains("Unopened bags"))
        .unwrap();
    assert_eq!(
        refunds["position"]["section"],
        serde_json::json!(["Qamar Coffee Roasters — Help Centre", "Refunds"])
    );
    assert_eq!(refunds["language"], "en");
    let arabic = first
        .iter()
        .find(|chunk| chunk["text"].as_str().unwrap().contains("الاسترجاع"))
        .unwrap();
    assert_eq!(arabic["language"], "ar");

    let row = first
        .iter()
        .find(|chunk| chunk["text"].as_str().unwrap().contains("بن كولومبي"))
        .unwrap();
    assert_eq!(row["text"], "المنتج: بن كولومبي; السعر: 8; الوزن: 250 غرام");
    assert_eq!(row["position"]["row"], 3);
}

#[test]
fn a_bad_file_fails_alone_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let picture = dir.path().join("logo.png");
    std::fs::write(&picture, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0").unwrap();
    let missing = dir.path().join("missing.pdf");
    let faq = fixture("faq.md");
    let output = switchboard(&[
        "ingest",
        picture.to_str().unwrap(),
        missing.to_str().unwrap(),
        faq.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].contains("logo.png")
            && errors[0].contains("unsupported file type")
            && errors[0].contains("supported: PDF"),
        "{stderr}"
    );
    assert!(
        errors[1].contains("missing.pdf") && errors[1].contains("cannot read"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("faq.md: Markdown"),
        "the good file is still done"
    );
}

#[test]
fn more_than_ten_sources_are_refused_before_any_work() {
    let faq = fixture("faq.md");
    let faq = faq.to_str().unwrap();
    let mut args = vec!["ingest", "--json"];
    args.extend(std::iter::repeat_n(faq, 11));
    let output = switchboard(&args);
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("at most 10 sources"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn oversized_files_name_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.txt");
    std::fs::write(&big, vec![b'a'; 20 * 1024 * 1024 + 1]).unwrap();
    let output = switchboard(&["ingest", big.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("big.txt") && stderr.contains("over the limit of 20971520 bytes"),
        "{stderr}"
    );
}
