//! Aggregated naming: how names from several upstream servers are exposed
//! behind one gateway endpoint.
//!
//! - upstream names match `^[a-z0-9][a-z0-9_-]{0,31}$` (no `.`, no `+`);
//! - tools and prompts are exposed as `<upstream>.<name>`, split at the first
//!   `.` (the original name may itself contain dots);
//! - resource URIs and URI templates are exposed as `<upstream>+<uri>`, split
//!   at the first `+`; `files+file:///a.txt` is still a well-formed URI
//!   because `+` is a valid scheme character.
//!
//! Splitting only succeeds when the prefix is a valid upstream name and the
//! remainder is non-empty, so a malformed qualified name never resolves.

/// Maximum length of an upstream name.
pub const MAX_UPSTREAM_NAME_LEN: usize = 32;

/// Why an upstream name is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NamingError {
    /// The name is empty.
    #[error("upstream name must not be empty")]
    Empty,
    /// The name is longer than 32 characters.
    #[error("upstream name must be at most 32 characters")]
    TooLong,
    /// The name does not start with a lowercase letter or digit.
    #[error("upstream name must start with a lowercase letter or a digit")]
    BadStart,
    /// The name contains a character outside `[a-z0-9_-]`.
    #[error("upstream name may only contain lowercase letters, digits, '_' and '-'")]
    BadCharacter,
}

/// Validates an upstream name against `^[a-z0-9][a-z0-9_-]{0,31}$`.
pub fn validate_upstream_name(name: &str) -> Result<(), NamingError> {
    let bytes = name.as_bytes();
    let Some(first) = bytes.first() else {
        return Err(NamingError::Empty);
    };
    if bytes.len() > MAX_UPSTREAM_NAME_LEN {
        return Err(NamingError::TooLong);
    }
    if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
        return Err(NamingError::BadStart);
    }
    let valid = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-';
    if !bytes.iter().all(valid) {
        return Err(NamingError::BadCharacter);
    }
    Ok(())
}

/// `<upstream>.<name>`.
pub fn qualify_name(upstream: &str, name: &str) -> String {
    format!("{upstream}.{name}")
}

/// Splits `<upstream>.<name>` at the first `.`.
pub fn split_qualified(qualified: &str) -> Option<(&str, &str)> {
    split_at_first(qualified, '.')
}

/// `<upstream>+<uri>` (also used for `uriTemplate`).
pub fn qualify_uri(upstream: &str, uri: &str) -> String {
    format!("{upstream}+{uri}")
}

/// Splits `<upstream>+<uri>` at the first `+`.
pub fn split_qualified_uri(qualified: &str) -> Option<(&str, &str)> {
    split_at_first(qualified, '+')
}

fn split_at_first(qualified: &str, separator: char) -> Option<(&str, &str)> {
    let (upstream, rest) = qualified.split_once(separator)?;
    if rest.is_empty() || validate_upstream_name(upstream).is_err() {
        return None;
    }
    Some((upstream, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_name_table() {
        let long_ok = "a".repeat(32);
        let too_long = "a".repeat(33);
        let cases: Vec<(&str, Result<(), NamingError>)> = vec![
            ("files", Ok(())),
            ("0db", Ok(())),
            ("my_server-2", Ok(())),
            (&long_ok, Ok(())),
            ("", Err(NamingError::Empty)),
            (&too_long, Err(NamingError::TooLong)),
            ("_x", Err(NamingError::BadStart)),
            ("-x", Err(NamingError::BadStart)),
            ("Files", Err(NamingError::BadStart)),
            ("fIles", Err(NamingError::BadCharacter)),
            ("a.b", Err(NamingError::BadCharacter)),
            ("a+b", Err(NamingError::BadCharacter)),
            ("a b", Err(NamingError::BadCharacter)),
            ("é", Err(NamingError::BadStart)),
        ];
        for (name, expected) in cases {
            assert_eq!(validate_upstream_name(name), expected, "{name:?}");
        }
    }

    #[test]
    fn split_tables() {
        for (qualified, expected) in [
            ("files.read_file", Some(("files", "read_file"))),
            ("files.a.b", Some(("files", "a.b"))),
            ("files.", None),
            (".x", None),
            ("Files.x", None),
            ("nodot", None),
            ("bad+up.x", None),
        ] {
            assert_eq!(split_qualified(qualified), expected, "{qualified:?}");
        }
        for (qualified, expected) in [
            (
                "files+file:///sandbox/a.txt",
                Some(("files", "file:///sandbox/a.txt")),
            ),
            ("mem+custom+scheme://x", Some(("mem", "custom+scheme://x"))),
            ("files+", None),
            ("file:///a+b", None),
            ("+x", None),
        ] {
            assert_eq!(split_qualified_uri(qualified), expected, "{qualified:?}");
        }
    }

    #[test]
    fn qualify_examples() {
        assert_eq!(qualify_name("files", "read_file"), "files.read_file");
        assert_eq!(qualify_uri("files", "file:///a.txt"), "files+file:///a.txt");
        assert_eq!(qualify_uri("t", "file:///{path}"), "t+file:///{path}");
    }
}
