//! Dangerous arguments: path traversal and sensitive paths ([`paths`]),
//! shell command injection and destructive commands ([`shell`]), SQL
//! injection and destructive or unbounded SQL ([`sql`]), and SSRF targets
//! in URLs ([`ssrf`]).
//!
//! Each detector sees the argument as sent and its decoded forms
//! (percent-decoding up to three rounds, overlong UTF-8, `%uXXXX`, Unicode
//! slash and dot look-alikes, backslashes as slashes), because servers
//! decode before they use a path. Work is linear in the input.

pub mod paths;
pub mod shell;
pub mod sql;
pub mod ssrf;

use crate::finding::Finding;

/// The compiled dangerous-argument scanner.
#[derive(Debug)]
pub struct DangerousScanner {
    paths: paths::PathRules,
    shell: shell::ShellRules,
    sql: sql::SqlRules,
}

/// What the argument is, judged from its JSON key: a shell command field
/// may use pipes and substitutions; any other field may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// `command`, `cmd`, `script`, `shell`, ...
    Command,
    /// `sql`, `query`, `statement`.
    Sql,
    /// Anything else, or a bare string.
    Other,
}

impl FieldKind {
    pub fn from_key(key: Option<&str>) -> FieldKind {
        let Some(key) = key else {
            return FieldKind::Other;
        };
        let k = key.to_ascii_lowercase();
        if [
            "cmd",
            "command",
            "script",
            "shell",
            "shell_command",
            "exec",
            "run",
            "commandline",
            "args",
        ]
        .iter()
        .any(|w| k == *w || k.ends_with(&format!("_{w}")))
        {
            FieldKind::Command
        } else if ["sql", "query", "statement", "stmt"]
            .iter()
            .any(|w| k == *w || k.ends_with(&format!("_{w}")))
        {
            FieldKind::Sql
        } else {
            FieldKind::Other
        }
    }
}

impl DangerousScanner {
    pub fn new() -> Result<DangerousScanner, regex::Error> {
        Ok(DangerousScanner {
            paths: paths::PathRules::new()?,
            shell: shell::ShellRules::new()?,
            sql: sql::SqlRules::new()?,
        })
    }

    /// Scans one argument string. Spans are byte ranges of `text` when the
    /// finding was made on the text as sent.
    pub fn scan(&self, text: &str, key: Option<&str>, out: &mut Vec<Finding>) {
        let mut field = FieldKind::from_key(key);
        if key.is_none() && looks_like_command_line(text) {
            field = FieldKind::Command;
        }
        let decoded = decoded_forms(text);
        let mut found = Vec::new();
        self.paths.scan(text, &decoded, &mut found);
        self.shell.scan(text, &decoded, field, &mut found);
        self.sql.scan(text, &decoded, field, &mut found);
        ssrf::scan(text, &decoded, &mut found);
        out.extend(found);
    }
}

/// A bare string that starts with a program name and arguments
/// (`git log | head`), as opposed to a value with metacharacters in front.
fn looks_like_command_line(text: &str) -> bool {
    let t = text.trim_start();
    let first = t.split_whitespace().next().unwrap_or("");
    t.len() > first.len()
        && first.len() >= 2
        && first.starts_with(|c: char| c.is_ascii_lowercase())
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// The argument after server-style decoding, when it differs from the
/// text as sent.
pub(crate) fn decoded_forms(text: &str) -> Option<String> {
    let needs = text.contains(['%', '\\', '&']) || !text.is_ascii();
    if !needs {
        return None;
    }
    let mut current = text.to_string();
    for _ in 0..3 {
        if !current.contains('%') {
            break;
        }
        let next = percent_bytes(&current);
        if next == current {
            break;
        }
        current = next;
    }
    let mut out = String::with_capacity(current.len());
    for c in current.chars() {
        match c {
            '\\' | '\u{2215}' | '\u{2044}' | '\u{ff0f}' | '\u{2216}' | '\u{ff3c}' | '\u{29f5}'
            | '\u{efc8}' | '\u{f8a5}' => out.push('/'),
            '\u{ff0e}' | '\u{2024}' | '\u{fe52}' | '\u{3002}' => out.push('.'),
            '\u{0}' => out.push_str("%00"),
            _ => out.push(c),
        }
    }
    (out != text).then_some(out)
}

/// One round of percent-decoding into bytes, read back with overlong UTF-8
/// forms accepted (as lenient servers did): `%c0%ae` is `.`.
fn percent_bytes(s: &str) -> String {
    let b = s.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |x: u8| (x as char).to_digit(16);
    while i < b.len() {
        if b[i] == b'%' {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|x| hex(*x)),
                b.get(i + 2).and_then(|x| hex(*x)),
            ) {
                bytes.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            if matches!(b.get(i + 1), Some(b'u' | b'U')) {
                let digits: Option<Vec<u32>> =
                    (2..6).map(|k| b.get(i + k).and_then(|x| hex(*x))).collect();
                if let Some(d) = digits {
                    let code = d.iter().fold(0u32, |a, v| a * 16 + v);
                    let c = char::from_u32(code).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += 6;
                    continue;
                }
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    lenient_utf8(&bytes)
}

/// Decodes UTF-8 accepting overlong forms; stray bytes are dropped.
fn lenient_utf8(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (len, init) = match b {
            0x00..=0x7f => {
                out.push(b as char);
                i += 1;
                continue;
            }
            0xc0..=0xdf => (2, u32::from(b & 0x1f)),
            0xe0..=0xef => (3, u32::from(b & 0x0f)),
            0xf0..=0xf7 => (4, u32::from(b & 0x07)),
            0xf8..=0xfb => (5, u32::from(b & 0x03)),
            0xfc..=0xfd => (6, u32::from(b & 0x01)),
            _ => {
                i += 1;
                continue;
            }
        };
        let mut code = init;
        let mut ok = true;
        for k in 1..len {
            match bytes.get(i + k) {
                Some(&c) if c & 0xc0 == 0x80 => code = (code << 6) | u32::from(c & 0x3f),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            if let Some(c) = char::from_u32(code) {
                out.push(c);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_lenient_servers() {
        let cases = [
            ("..%252f..%252fetc%252fpasswd", "../../etc/passwd"),
            ("%c0%ae%c0%ae%c0%afetc", "../etc"),
            ("%f8%80%80%80%ae%f8%80%80%80%ae%2fetc", "../etc"),
            ("%uff0e%uff0e%u2215etc%u2215passwd", "../etc/passwd"),
            ("..\\..\\windows\\win.ini", "../../windows/win.ini"),
            ("%c0.%c0.%c0%2fetc", "../etc"),
        ];
        for (input, want) in cases {
            assert_eq!(decoded_forms(input).as_deref(), Some(want), "{input}");
        }
        assert_eq!(decoded_forms("plain/path.txt"), None);
    }

    #[test]
    fn field_kind_from_key() {
        assert_eq!(
            FieldKind::from_key(Some("shell_command")),
            FieldKind::Command
        );
        assert_eq!(FieldKind::from_key(Some("sql")), FieldKind::Sql);
        assert_eq!(FieldKind::from_key(Some("file")), FieldKind::Other);
        assert_eq!(FieldKind::from_key(None), FieldKind::Other);
    }
}
