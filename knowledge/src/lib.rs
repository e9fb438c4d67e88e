//! Knowledge: a business's sources become clean, positioned text and then chunks.
//!
//! `parse` turns the bytes of one source (PDF, spreadsheet, CSV, DOCX, HTML, text) into a
//! [`Document`]: blocks of text, each with the position a citation needs (page, sheet and row,
//! section path, URL). [`chunk`] splits a document into retrievable [`Chunk`]s with stable ids.
//! [`fetch`] brings web pages and Google Docs/Sheets links in safely.
//! [`embed`] turns chunks into dense vectors and [`lexical`] into BM25 sparse vectors;
//! [`index`] stores them per tenant and [`retrieve`] finds the passages that answer a question.

use std::panic::{AssertUnwindSafe, catch_unwind};

mod chunk;
mod csv;
mod detect;
mod document;
mod docx;
pub mod embed;
mod error;
pub mod fetch;
mod html;
pub mod index;
mod lang;
pub mod lexical;
mod limits;
mod outline;
mod pdf;
pub mod retrieve;
pub mod sentences;
mod sheet;
mod text;

pub use chunk::{Chunk, ChunkOptions, chunk, chunk_by_tokens};
pub use detect::{SourceKind, detect};
pub use document::{Block, Document, Position, Stats};
pub use error::{Error, SourceError};
pub use lang::{guess_language, guess_language_among};
pub use limits::Limits;

/// Parses one source, choosing the parser by content first and by file name second.
///
/// `name` is the file name or URL the bytes came from; it only breaks ties the content leaves
/// open (CSV or plain text?) and names the source in errors.
pub fn parse(name: &str, bytes: &[u8], limits: &Limits) -> Result<Document, SourceError> {
    parse_with_progress(name, bytes, limits, &mut |_, _| {})
}

/// [`parse`], reporting (pages done, pages in all) as it goes through a long document.
pub fn parse_with_progress(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, SourceError> {
    let named = |error| SourceError::new(name, error);
    limits.check_file_size(bytes.len()).map_err(named)?;
    let kind = detect(name, bytes).map_err(named)?;
    parse_kind(kind, bytes, limits, progress).map_err(named)
}

/// Parses bytes already known to be of `kind`.
pub fn parse_as(kind: SourceKind, bytes: &[u8], limits: &Limits) -> Result<Document, Error> {
    parse_kind(kind, bytes, limits, &mut |_, _| {})
}

fn parse_kind(
    kind: SourceKind,
    bytes: &[u8],
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, Error> {
    // The formats' libraries read what an uploader controls, and some panic on a damaged file
    // (lopdf on a broken object, calamine on an xls stream cut short): that is a file too
    // damaged to read, not an ingestion that dies.
    let document = catch_unwind(AssertUnwindSafe(|| match kind {
        SourceKind::Pdf => pdf::parse(bytes, limits, progress),
        SourceKind::Xlsx
        | SourceKind::Xlsm
        | SourceKind::Xlsb
        | SourceKind::Xls
        | SourceKind::Ods => sheet::parse(kind, bytes),
        SourceKind::Csv | SourceKind::Tsv => csv::parse(kind, bytes),
        SourceKind::Docx => docx::parse(bytes),
        SourceKind::Html => html::parse(bytes, None),
        SourceKind::Text | SourceKind::Markdown => text::parse(kind, bytes),
    }))
    .unwrap_or_else(|_| Err(Error::malformed(kind, "the file is too damaged to read")))?;
    if document
        .blocks
        .iter()
        .all(|block| block.text.trim().is_empty())
    {
        return Err(match kind {
            SourceKind::Pdf => Error::NoExtractableText,
            _ => Error::Empty { kind },
        });
    }
    Ok(document)
}
