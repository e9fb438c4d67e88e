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
    /// A page of a list asked for wrongly (a limit out of range, a cursor no list gave).
    #[error("{0}")]
    InvalidPage(String),
    /// A limit of the plan or the product would be passed.
    #[error("at most {limit} {what}")]
    LimitReached { what: &'static str, limit: usize },
    #[error("password hashing: {0}")]
    Password(String),
    /// A stored value this version cannot read (an unknown kind, a malformed payload).
    #[error("unreadable record: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The work could not be done now and nothing of it was kept: the caller may try again.
    #[error("{0}")]
    Unavailable(String),
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

    pub(crate) fn corrupt(error: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(error.to_string())
    }
}

/// A stored word that names no variant of the enum it is read as.
#[derive(Debug, thiserror::Error)]
#[error("{value:?} is not a known {what}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// Reads an enum stored as its snake_case name (`#[sqlx(try_from = "String")]`) through its
/// one `FromStr`: an unknown stored value is an error, never silently another variant.
#[macro_export]
macro_rules! stored_as_text {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = $crate::UnknownValue;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse().map_err(|_| $crate::UnknownValue {
                    what: stringify!($name),
                    value,
                })
            }
        }
    };
}
