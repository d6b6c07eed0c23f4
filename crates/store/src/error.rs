//! The store's error type. Messages are lowercase, name no internal types and
//! never contain credentials or their hashes.

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The named record does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The operation conflicts with the current state (duplicate name,
    /// approval already decided, revoked agent).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller passed a value the store refuses to record.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The database could not be reached or the operation failed in it.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be decoded.
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Map a database driver error, describing the operation that failed.
    /// Driver messages describe SQL and files, never bound values, so they
    /// cannot carry a credential hash.
    pub(crate) fn db(context: &str, err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::ColumnDecode { index, .. } => {
                StoreError::Corrupt(format!("{context}: column {index} could not be decoded"))
            }
            sqlx::Error::Decode(_) => {
                StoreError::Corrupt(format!("{context}: a value could not be decoded"))
            }
            sqlx::Error::ColumnNotFound(column) => {
                StoreError::Corrupt(format!("{context}: column {column} is missing"))
            }
            other => StoreError::Unavailable(format!("{context}: {other}")),
        }
    }

    pub(crate) fn corrupt(context: &str, detail: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(format!("{context}: {detail}"))
    }
}

/// True when `err` is a unique-constraint violation.
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
