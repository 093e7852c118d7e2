use herald_core::DomainError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The request broke a rule of the workflow; the message says what to do instead.
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{what} {id:?} was not found")]
    NotFound { what: &'static str, id: String },
    /// The request clashes with what is stored (a taken slug, a referenced component).
    #[error("{0}")]
    Conflict(String),
    /// The database could not be reached or stayed locked; nothing was written.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database file was deleted or replaced under the running process: writes are
    /// refused until an operator restores it. The message is the operator's to read.
    #[error("{0}")]
    FileChanged(String),
    /// The worker's claim on a job has run out and the job is another's now (or gone):
    /// nothing was written, and the worker should let the job go.
    #[error("job {job} was claimed again after this worker's lease ran out; nothing was written")]
    LeaseLost { job: i64 },
    #[error("database error: {0}")]
    Internal(String),
}

impl StoreError {
    pub fn not_found(what: &'static str, id: &str) -> StoreError {
        StoreError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match err.sqlite_error_code() {
            Some(
                DatabaseBusy | DatabaseLocked | CannotOpen | ReadOnly | DiskFull | SystemIoFailure,
            ) => StoreError::Unavailable(err.to_string()),
            _ => StoreError::Internal(err.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::Internal(format!("stored data could not be decoded: {err}"))
    }
}
