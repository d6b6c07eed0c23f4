//! Secret references in upstream `env` and `headers` values.
//!
//! A value is either a literal or exactly `${env:NAME}`, read from the
//! gateway's environment at start-up. Resolved values are never logged and
//! never reach agents.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error(
        "secret reference `{0}` is malformed: use ${{env:NAME}} with NAME of letters, digits and _"
    )]
    Malformed(String),
    #[error("environment variable `{0}` named by a secret reference is not set")]
    Missing(String),
}

/// The variable name a value refers to, `Ok(None)` for a literal.
pub(crate) fn reference(value: &str) -> Result<Option<&str>, SecretError> {
    if !value.contains("${") {
        return Ok(None);
    }
    let name = value
        .strip_prefix("${env:")
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or_else(|| SecretError::Malformed(value.to_string()))?;
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(Some(name))
    } else {
        Err(SecretError::Malformed(value.to_string()))
    }
}

/// Resolve a literal or `${env:NAME}` value with `lookup` (normally `std::env::var`).
pub fn resolve_secret(
    value: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, SecretError> {
    match reference(value)? {
        None => Ok(value.to_string()),
        Some(name) => lookup(name).ok_or_else(|| SecretError::Missing(name.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_reference() {
        let lookup = |n: &str| (n == "TOKEN").then(|| "s3cret".to_string());
        assert_eq!(resolve_secret("plain", lookup).as_deref(), Ok("plain"));
        assert_eq!(
            resolve_secret("${env:TOKEN}", lookup).as_deref(),
            Ok("s3cret")
        );
        assert_eq!(
            resolve_secret("${env:OTHER}", lookup),
            Err(SecretError::Missing("OTHER".into()))
        );
        for bad in [
            "${env:}",
            "${env:A-B}",
            "x${env:TOKEN}",
            "${vault:x}",
            "${env:TOKEN",
        ] {
            assert!(
                matches!(resolve_secret(bad, lookup), Err(SecretError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
