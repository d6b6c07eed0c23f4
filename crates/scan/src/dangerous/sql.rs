//! SQL: injection payloads (tautologies, UNION SELECT, stacked queries,
//! comment truncation after a quote, time-based probes, server functions)
//! and destructive or unbounded statements (DROP, TRUNCATE, DELETE or
//! UPDATE without WHERE).

use crate::dangerous::FieldKind;
use crate::finding::{excerpt, Finding, Kind, Severity};
use regex::{Regex, RegexSet};

const SCANNER: &str = "dangerous";

const INJECTION: &[&str] = &[
    // tautologies after a quote or closing parenthesis: ' or 1=1, " or ""=", ') or ('a'='a
    r#"(?i)['"`)]\s*(?:or|and|\|\||&&|xor)\s*\(?\s*['"`]?[\w@.-]*['"`]?\s*(?:=|<>|!=|<|>|like|is)\s*\(?['"`]?[\w@.-]*"#,
    r"(?i)\b(?:or|and|xor|where)\s+\(?\s*(\d+)\s*(?:=|<>|!=|<|>)\s*\d+\b",
    r"(?i)\b(?:or|and|where)\s+'[^']*'\s*=\s*'",
    r"(?i)\bunion\b(?:\s+|/\*.*?\*/|\+)+(?:all\b(?:\s+|/\*.*?\*/|\+)+)?(?:distinct\s+)?select\b",
    r"(?i);\s*(?:drop|delete|insert|update|shutdown|exec|execute|declare|create|alter|truncate|select|grant|revoke|waitfor|backup)\b",
    r#"(?i)(?:^|[\w)])['"`]\s*\)*\s*(?:--(?:\s|$)|#(?:\s|$)|/\*|;\s*(?:--|$))"#,
    r"(?i)\b(?:sleep|benchmark|pg_sleep|dbms_pipe\.receive_message|dbms_lock\.sleep|randomblob)\s*\(",
    r"(?i)\bwaitfor\s+(?:delay|time)\b",
    r"(?i)@@(?:version|datadir|hostname|servername|basedir)\b",
    r"(?i)\b(?:information_schema|sysobjects|syscolumns|sys\.tables|pg_catalog|sqlite_master|mysql\.user)\b",
    r"(?i)\b(?:load_file|extractvalue|updatexml|xp_cmdshell|sp_executesql|sp_oacreate|utl_http|char\s*\(\s*\d+\s*\)\s*(?:\+|\|\|))",
    r"(?i)\binto\s+(?:out|dump)file\b",
    r"(?i)\border\s+by\s+\d+\s*(?:--|#|,\s*(?:sleep|benchmark))",
    r"(?i)\b(?:and|or)\s+(?:ascii|substring|substr|mid|length|if|case|exists)\s*\(",
    r"(?i)\bif\s*\(\s*\d+\s*=\s*\d+",
    r"(?i)\bcase\s+when\s+\(?\s*\d+\s*=\s*\d+",
    r"(?i)\bexec(?:ute)?\s*\(\s*['\x22]",
    r"(?i)\bselect\b.{0,40}\bfrom\b.{0,40}\b(?:users|passwords?|credentials|accounts)\b.*(?:--|#)",
    r"(?i)'\s*(?:\|\||\+)\s*'[A-Za-z]",
    r"(?i)^\s*(?:order|group)\s+by\s+\d+(?:\s*,\s*\d+)*\s*(?:--|#)?\s*$",
    r"(?i)\bhaving\s+\d+\s*=\s*\d+",
    r"(?i)\b(?:or|and)\s+(\w+)\s*=\s*\w+\s*(?:--|#)",
    r#"(?i)['"]\)\s*(?:or|and)\s*\(\s*['"]"#,
    r"(?i)\bchar\s*\(\s*(?:0x[0-9a-f]+|\d+)\s*\)\s*(?:\+|\|\||,)",
    r"(?i)\bconvert\s*\(\s*int\s*,",
    r"(?i)\bas\s+injectx\b|\binjectx\b",
];

#[derive(Debug)]
pub(crate) struct SqlRules {
    injection: RegexSet,
    drop: Regex,
    delete_all: Regex,
    update_all: Regex,
    where_clause: Regex,
}

impl SqlRules {
    pub(crate) fn new() -> Result<SqlRules, regex::Error> {
        Ok(SqlRules {
            injection: crate::regexes::regex_set(INJECTION)?,
            drop: crate::regexes::regex(
                r"(?i)\b(?:drop\s+(?:table|database|schema|user|index|view)|truncate\s+(?:table\s+)?[\w.`\x22\[]+|flushall|flushdb|dropdatabase\s*\(|\.drop\s*\(\s*\))",
            )?,
            delete_all: crate::regexes::regex(
                r"(?i)\bdelete\s+from\s+[\w.`\x22\[\]]+\s*(?:;|$|--|#)",
            )?,
            update_all: crate::regexes::regex(r"(?i)\bupdate\s+[\w.`\x22\[\]]+\s+set\b")?,
            where_clause: crate::regexes::regex(r"(?i)\bwhere\b")?,
        })
    }

    pub(crate) fn scan(
        &self,
        text: &str,
        decoded: &Option<String>,
        field: FieldKind,
        out: &mut Vec<Finding>,
    ) {
        let mut injection = None;
        let mut destructive = None;
        for form in std::iter::once(text).chain(decoded.as_deref()) {
            if injection.is_none() && self.injection.is_match(form) && !ordinary_apostrophe(form) {
                injection = Some(excerpt(form, 80));
            }
            if destructive.is_none() {
                let rule = if self.drop.is_match(form) {
                    Some("drop-or-truncate")
                } else if self.delete_all.is_match(form) {
                    Some("delete-without-where")
                } else if field == FieldKind::Sql
                    && self.update_all.is_match(form)
                    && !self.where_clause.is_match(form)
                {
                    Some("update-without-where")
                } else {
                    None
                };
                destructive = rule.map(|r| (r, excerpt(form, 80)));
            }
        }
        if let Some(ev) = injection {
            out.push(
                Finding::new(Kind::SqlInjection, "sql-injection", SCANNER)
                    .severity(Severity::High)
                    .confidence(0.9)
                    .evidence(ev),
            );
        }
        if let Some((rule, ev)) = destructive {
            out.push(
                Finding::new(Kind::DestructiveCommand, format!("sql-{rule}"), SCANNER)
                    .severity(Severity::Critical)
                    .confidence(if rule == "update-without-where" {
                        0.8
                    } else {
                        0.95
                    })
                    .evidence(ev),
            );
        }
    }
}

/// A lone apostrophe inside a word (`O'Brien`, `it's`) is not a quote break.
fn ordinary_apostrophe(text: &str) -> bool {
    let quotes = text.matches(['\'', '"', '`']).count();
    quotes == 1
        && text
            .char_indices()
            .find(|(_, c)| matches!(c, '\'' | '"' | '`'))
            .is_some_and(|(i, _)| {
                let before = text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphabetic);
                let after = text[i + 1..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphabetic);
                before
                    && after
                    && !text[i + 1..]
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("or ")
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, field: FieldKind) -> Vec<String> {
        let rules = SqlRules::new().unwrap();
        let mut out = Vec::new();
        rules.scan(
            text,
            &crate::dangerous::decoded_forms(text),
            field,
            &mut out,
        );
        out.into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn injection_payloads() {
        for t in [
            "' or 1=1 --",
            "\" or \"\"=\"",
            "admin'--",
            "1' AND IF(SUBSTRING(password, 1, 1) = 'a', SLEEP(5), 0); --",
            " UNION ALL SELECT 'INJ'||'ECT'||'XXX',2,3--",
            "10; DROP TABLE users --",
            "1 waitfor delay '0:0:5'--",
            " ORDER BY 1,SLEEP(5),BENCHMARK(1000000,MD5('A')),4",
            "' UNION SELECT username, password FROM users--",
            " AS INJECTX WHERE 1=1 AND 1=1",
        ] {
            assert!(
                kinds(t, FieldKind::Other).contains(&"sql-injection".to_string()),
                "{t}"
            );
        }
    }

    #[test]
    fn ordinary_sql_passes() {
        for t in [
            "SELECT payload, id FROM events WHERE occurred_at = 'DE' ORDER BY payload LIMIT 50",
            "SELECT COUNT(*) FROM products WHERE title > 206",
            "UPDATE orders SET status = 'shipped' WHERE id = 42",
            "DELETE FROM sessions WHERE id = 7",
            "O'Brien",
            "SELECT name FROM customers WHERE name = 'O''Brien'",
        ] {
            assert!(
                kinds(t, FieldKind::Sql).is_empty(),
                "{t}: {:?}",
                kinds(t, FieldKind::Sql)
            );
        }
    }

    #[test]
    fn destructive_sql() {
        assert_eq!(
            kinds("drop table table_name;", FieldKind::Other),
            vec!["sql-drop-or-truncate"]
        );
        assert_eq!(
            kinds("DELETE FROM orders", FieldKind::Sql),
            vec!["sql-delete-without-where"]
        );
        assert_eq!(
            kinds("UPDATE users SET admin = 1", FieldKind::Sql),
            vec!["sql-update-without-where"]
        );
    }
}
