//! The error returned when SDP text cannot be parsed.

use std::fmt;

/// A syntax error in SDP text, with the 1-based number of the offending line.
///
/// Displays as `line {line}: {message}`, which is also what the W3C
/// `sdp-syntax-error` detail carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number of the line that could not be parsed. For a missing
    /// mandatory line it is the line where that line was expected (the first
    /// `m=` line, or the last line of the text).
    pub line: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

impl ParseError {
    /// Builds an error for `line` with `message`.
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_line() {
        let e = ParseError::new(7, "bad rtpmap");
        assert_eq!(e.to_string(), "line 7: bad rtpmap");
    }
}
