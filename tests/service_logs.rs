//! What the service writes to its log when the log is a file, not a terminal.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};

#[test]
fn a_log_written_to_a_file_has_no_colour_codes() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .env("SWITCHBOARD_LOG__LEVEL", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut printed = [0u8; 64];
    // The first line on standard output means it listens: the log has its start lines by then.
    let _ = stdout.read(&mut printed).unwrap();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.contains("INFO"), "{written}");
    assert!(
        !written.contains('\u{1b}'),
        "escape codes in a log file: {written:?}"
    );
}
