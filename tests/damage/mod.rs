//! Damage a delivery or an upload the way a sender, a broken proxy or a bad disk could: cut it
//! short, change a byte, swap a value for another. Shared by the property tests that feed the
//! platforms' payloads and the parser suites' documents to what reads them
//! (`connectors/tests/mutated_webhooks.rs`, `knowledge/tests/mutated_documents.rs`), through
//! `#[path]`, since neither crate may depend on the other.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

/// The files under `folders` (and their subfolders) with one of `extensions` and at most
/// `most_bytes` long, by name, in the order the file system lists them; a folder that is not
/// there holds none.
pub fn files_under(
    folders: &[PathBuf],
    extensions: &[&str],
    most_bytes: u64,
) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut folders = folders.to_vec();
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let wanted = path
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| extensions.contains(&extension));
            if path.is_dir() {
                folders.push(path);
            } else if wanted
                && entry.metadata().is_ok_and(|meta| meta.len() <= most_bytes)
                && let (Some(name), Ok(bytes)) = (path.file_name(), std::fs::read(&path))
            {
                found.push((name.to_string_lossy().into_owned(), bytes));
            }
        }
    }
    found
}

/// The shared test material's folder (`../shared/data`, beside the repository).
pub fn shared_data(crate_dir: &str) -> PathBuf {
    Path::new(crate_dir).join("../../shared/data")
}

/// A change to a file's bytes; positions are fractions of its length, in thousandths.
#[derive(Debug, Clone)]
pub enum Change {
    /// Cut short there.
    Cut(u16),
    /// The byte there replaced.
    Byte(u16, u8),
    /// What follows there, up to the next delimiter, replaced.
    Value(u16, &'static str),
}

/// Where a value ends, in JSON and in XML.
const DELIMITERS: &[u8] = b"<>\",\n";

/// Changes of every kind, the swapped values taken from `values`.
pub fn change(values: &'static [&'static str]) -> impl Strategy<Value = Change> {
    prop_oneof![
        (0u16..1000).prop_map(Change::Cut),
        (0u16..1000, any::<u8>()).prop_map(|(at, byte)| Change::Byte(at, byte)),
        (0u16..1000, prop::sample::select(values)).prop_map(|(at, value)| Change::Value(at, value)),
    ]
}

pub fn apply(bytes: &mut Vec<u8>, change: &Change) {
    let at = |fraction: u16| bytes.len() * usize::from(fraction) / 1000;
    match *change {
        Change::Cut(fraction) => bytes.truncate(at(fraction)),
        Change::Byte(fraction, byte) => {
            let index = at(fraction);
            if let Some(place) = bytes.get_mut(index) {
                *place = byte;
            }
        }
        Change::Value(fraction, value) => {
            let start = at(fraction);
            let end = bytes[start..]
                .iter()
                .position(|byte| DELIMITERS.contains(byte))
                .map_or(bytes.len(), |offset| start + offset);
            bytes.splice(start..end, value.bytes());
        }
    }
}
