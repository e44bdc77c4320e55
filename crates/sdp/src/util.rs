//! Small lexical helpers shared by the parsers.

use std::str::FromStr;

/// Parses a decimal number made only of ASCII digits (no sign, no spaces).
///
/// `str::parse` alone would accept a leading `+`; SDP numbers never have one.
pub(crate) fn number<T: FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Like [`number`], but with an error message naming `what`.
pub(crate) fn number_or<T: FromStr>(s: &str, what: &str) -> Result<T, String> {
    number(s).ok_or_else(|| format!("invalid {what} {s:?}"))
}

/// Parses an RTP payload type: a number in 0..=127 (RTP has 7 bits for it).
pub(crate) fn payload_type(s: &str, what: &str) -> Result<u8, String> {
    match number::<u8>(s) {
        Some(pt) if pt <= 127 => Ok(pt),
        _ => Err(format!("invalid {what} {s:?} (must be 0-127)")),
    }
}

/// Whether `s` is made only of ICE characters (`ALPHA / DIGIT / "+" / "/"`,
/// RFC 8839 §5.4), as `a=ice-ufrag` and `a=ice-pwd` values must be.
pub fn is_ice_chars(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Splits on ASCII spaces, skipping empty pieces (so runs of spaces count as one).
pub(crate) fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(' ').filter(|t| !t.is_empty())
}

/// Splits `s` at the first ASCII space: `("a", Some("b c"))` for `"a b c"`,
/// `("a", None)` for `"a"`.
pub(crate) fn first_word(s: &str) -> (&str, Option<&str>) {
    match s.split_once(' ') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

/// Removes leading ASCII spaces only (not tabs or other Unicode white space,
/// which SDP does not treat as separators).
pub(crate) fn trim_spaces(s: &str) -> &str {
    s.trim_start_matches(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_is_strict() {
        assert_eq!(number::<u16>("5000"), Some(5000));
        assert_eq!(number::<u16>("+5"), None);
        assert_eq!(number::<u16>(""), None);
        assert_eq!(number::<u16>("70000"), None);
        assert_eq!(number::<u16>(" 5"), None);
    }

    #[test]
    fn ice_chars() {
        assert!(is_ice_chars("OtSK0WpNtpUjkY4+86js7Z/l"));
        assert!(!is_ice_chars("OtSK0WpNtpUjkY4+86js7Z$l"));
        assert!(!is_ice_chars("a b"));
    }

    #[test]
    fn payload_type_range() {
        assert_eq!(payload_type("127", "pt"), Ok(127));
        assert!(payload_type("128", "pt").is_err());
        assert!(payload_type("x", "pt").is_err());
    }

    #[test]
    fn tokens_skip_runs_of_spaces() {
        let t: Vec<_> = tokens("  a  b c ").collect();
        assert_eq!(t, ["a", "b", "c"]);
    }

    #[test]
    fn first_word_splits_once() {
        assert_eq!(first_word("a b c"), ("a", Some("b c")));
        assert_eq!(first_word("a"), ("a", None));
    }
}
