//! Optimistic concurrency below HTTP: the version of a record its writer last read. The HTTP
//! edge fills it from `If-Match` (`http::precondition::IfMatch`); a bulk import or the CLI
//! from what it read itself.

use crate::error::ApiError;

/// The version the writer read; a write based on another is refused with 412.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedVersion(pub i32);

impl ExpectedVersion {
    /// 412 when the stored version moved on since the writer read it.
    pub fn check(self, current: i32) -> Result<(), ApiError> {
        if self.0 == current {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(text!(
                "the resource changed (version %{current}, you sent %{value}); read it again and retry",
                current = current,
                value = self.0
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_current_version_passes() {
        assert!(ExpectedVersion(3).check(3).is_ok());
        assert!(matches!(ExpectedVersion(2).check(3), Err(ApiError::PreconditionFailed(_))));
    }
}
