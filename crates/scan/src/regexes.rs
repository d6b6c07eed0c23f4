//! Regex construction shared by the scanners: `\b` is compiled as an ASCII
//! word boundary. A Unicode `\b` keeps the regex crate off its fast DFA
//! engines whenever the text holds non-ASCII characters, which made
//! scanning ordinary text (bullets, accents) orders of magnitude slower.
//! [`regex_ascii`] also reads `\d`, `\s` and `\w` as their ASCII classes,
//! for detectors whose validators only accept ASCII digits anyway; the
//! smaller automata run two to three times faster.

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

/// `\d`, `\s` and `\w` as ASCII classes, inside and outside `[...]`.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut in_class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ ('d' | 's' | 'w')) => {
                    let body = match n {
                        'd' => "0-9",
                        's' => "\\t\\n\\x0B\\x0C\\r ",
                        _ => "0-9A-Za-z_",
                    };
                    if in_class {
                        out.push_str(body);
                    } else {
                        out.push('[');
                        out.push_str(body);
                        out.push(']');
                    }
                }
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Compiles one pattern with ASCII `\d`, `\s`, `\w` and `\b`.
pub fn regex_ascii(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&ascii_boundaries(&ascii_classes(pattern)))
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

    #[test]
    fn ascii_classes_inside_and_outside_brackets() {
        assert_eq!(ascii_classes(r"\d+[^\n\d]\\d"), r"[0-9]+[^\n0-9]\\d");
        assert_eq!(ascii_classes(r"a\sb"), "a[\\t\\n\\x0B\\x0C\\r ]b");
        let re = regex_ascii(r"\b\d{3}\s\w+\b").unwrap();
        assert!(re.is_match("call 555 now"));
        // Arabic-Indic digits and a no-break space are not ASCII classes.
        assert!(!re.is_match("call \u{663}\u{663}\u{663} now"));
        assert!(!re.is_match("call 555\u{a0}now"));
    }
}
