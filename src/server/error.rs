//! How the server's failures become [`AppError`]s (the one error type, in `model`): storage
//! errors, I/O errors (a full or read-only disk is a 507, not a 500) and parse errors.

use crate::engine::ProfileError;
pub use crate::model::AppError;

use super::store::StoreError;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::SessionNotFound => AppError::SessionGone,
            StoreError::ProfileNotFound | StoreError::ShareNotFound => {
                AppError::NotFound(e.to_string())
            }
            StoreError::Quota(m) => AppError::Conflict(m),
            StoreError::NoSpace(m) => AppError::InsufficientStorage(m),
            StoreError::TooManySessions(max) => AppError::Busy {
                message: format!(
                    "the server holds its maximum of {max} sessions (max-sessions); try again later"
                ),
                retry_after: 60,
            },
            StoreError::Unavailable(_) => AppError::Unavailable(e.to_string()),
            StoreError::Io(detail) => AppError::internal(detail),
        }
    }
}

/// Whether an I/O error means the disk is full or does not take writes.
pub fn is_full_or_read_only(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::StorageFull | K::ReadOnlyFilesystem | K::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28 | 30 | 122)) // ENOSPC, EROFS, EDQUOT
}

/// What a user is told when storage takes no writes.
pub const NO_WRITES: &str = "the server's storage is full or read-only; uploads are refused until it has room (reads still work)";

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        if is_full_or_read_only(&e) {
            AppError::InsufficientStorage(NO_WRITES.into())
        } else {
            AppError::internal(e)
        }
    }
}

impl From<ProfileError> for AppError {
    fn from(e: ProfileError) -> Self {
        AppError::Unprocessable(e.to_string())
    }
}
