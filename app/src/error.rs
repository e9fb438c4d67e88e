use records::StoreError;

/// Why a use case failed. The front-ends map each variant to their own answer (an HTTP status
/// and code, an exit message); a new variant is a compile error there, not a silent 500.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Agent(#[from] agentflow::AgentError),
    /// The request is wrong; the message names the field and what is expected.
    #[error("{0}")]
    Invalid(String),
    /// The request's credential or signature does not hold.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this to this record.
    #[error("{0}")]
    Forbidden(String),
    /// Over a size limit; the message names the limit and the setting.
    #[error("{0}")]
    TooLarge(String),
    /// A messaging platform's API could not be read (unreachable, or an error answer).
    #[error("{0}")]
    Platform(String),
    /// The vector index failed.
    #[error("vector index: {0}")]
    Index(String),
    #[error("{0}")]
    Internal(String),
}

impl From<knowledge::retrieve::RetrieveError> for AppError {
    fn from(error: knowledge::retrieve::RetrieveError) -> Self {
        AppError::Index(error.to_string())
    }
}

impl From<knowledge::index::IndexError> for AppError {
    fn from(error: knowledge::index::IndexError) -> Self {
        AppError::Index(error.to_string())
    }
}
