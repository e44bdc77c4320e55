//! The harness's error type: one readable, multi-line message.

use std::fmt;

/// A harness failure: a peer that is missing, a page that failed, a timeout.
///
/// The message is meant to be read by a person looking at a failed test: it
/// names the peer and carries the page's console lines and the tail of the
/// peer's log. `Debug` prints the message as is (no escaping), so
/// `result.unwrap()` shows it readably.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

/// `Result` with the harness's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// The whole message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context` put in front of the message.
    pub fn context(self, context: impl fmt::Display) -> Self {
        Error::new(format!("{context}: {}", self.message))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_the_message_unescaped() {
        let e = Error::new("line one\nline \"two\"").context("chromium");
        assert_eq!(format!("{e:?}"), "chromium: line one\nline \"two\"");
        assert_eq!(e.to_string(), format!("{e:?}"));
    }
}
