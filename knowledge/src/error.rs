use crate::detect::SourceKind;

/// Why a source could not be turned into text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "unsupported file type ({found}); supported: {}",
        crate::detect::SUPPORTED
    )]
    Unsupported { found: String },
    #[error("file is {size} bytes, over the limit of {limit} bytes per file")]
    FileTooLarge { size: u64, limit: u64 },
    #[error("PDF has {pages} pages, over the limit of {limit} pages per PDF")]
    TooManyPages { pages: usize, limit: usize },
    #[error("a knowledge base holds at most {limit} sources")]
    TooManySources { limit: usize },
    #[error("password-protected {kind}: remove the password and upload it again")]
    PasswordProtected { kind: SourceKind },
    #[error("no extractable text (scanned PDF?): run OCR on it first")]
    NoExtractableText,
    #[error("no text found in this {kind}")]
    Empty { kind: SourceKind },
    #[error("malformed {kind}: {detail}")]
    Malformed { kind: SourceKind, detail: String },
    #[error("{detail}: the archive expands past {limit} bytes (zip bomb?)")]
    ArchiveTooLarge { detail: String, limit: u64 },
    #[error("cannot read: {0}")]
    Io(String),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
}

impl Error {
    pub(crate) fn malformed(kind: SourceKind, detail: impl std::fmt::Display) -> Self {
        Error::Malformed {
            kind,
            detail: detail.to_string(),
        }
    }
}

/// An [`Error`] with the file name or URL it concerns, which is how users see it.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {error}")]
pub struct SourceError {
    pub name: String,
    #[source]
    pub error: Error,
}

impl SourceError {
    pub fn new(name: &str, error: Error) -> Self {
        SourceError {
            name: name.to_string(),
            error,
        }
    }
}
