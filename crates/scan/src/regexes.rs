//! Regex construction shared by the scanners: `\b` is compiled as an ASCII
//! word boundary. A Unicode `\b` keeps the regex crate off its fast DFA
//! engines whenever the text holds non-ASCII characters, which made
//! scanning ordinary text (bullets, accents) orders of magnitude slower.

use regex::{Regex, RegexSet};

fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Compiles one pattern.
pub fn regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_boundaries(pattern))
}

/// Compiles a set of patterns.
pub fn regex_set<I: IntoIterator<Item = S>, S: AsRef<str>>(
    patterns: I,
) -> Result<RegexSet, regex::Error> {
    RegexSet::new(patterns.into_iter().map(|p| ascii_boundaries(p.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_word_boundaries() {
        assert_eq!(ascii_boundaries(r"\bab\d\\b"), r"(?-u:\b)ab\d\\b");
        assert!(regex(r"\bcat\b").unwrap().is_match("a cat •"));
        assert!(!regex(r"\bcat\b").unwrap().is_match("concatenate"));
    }
}
