#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is neither sqlite: nor postgres:")]
    UnsupportedUrl(String),
    #[error("database migration {version} ({description}): {reason}")]
    Migration {
        version: i64,
        description: &'static str,
        reason: String,
    },
    /// What was asked for does not exist in the caller's workspace (or at all: the two are
    /// deliberately the same answer).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error(
        "workspace {workspace} has {balance} credits left on the {plan} plan, and this needs {needed}"
    )]
    InsufficientCredits {
        workspace: String,
        plan: String,
        balance: i64,
        needed: i64,
    },
    #[error("password hashing: {0}")]
    Password(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// A unique constraint failed: the same name or email exists already.
    pub(crate) fn conflict_or(error: sqlx::Error, message: impl FnOnce() -> String) -> Self {
        match &error {
            sqlx::Error::Database(database) if database.is_unique_violation() => {
                StoreError::Conflict(message())
            }
            _ => StoreError::Database(error),
        }
    }
}
