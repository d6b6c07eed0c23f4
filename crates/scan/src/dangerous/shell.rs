//! Shell commands: destructive commands (recursive deletion of system
//! locations, disk formatting and raw writes, host shutdown, dropping data
//! stores, tearing down infrastructure, recursive permission changes on
//! system locations, truncating account files) and command injection
//! (metacharacters that start a new command inside a value, command
//! substitution outside command fields, reverse shells, code evaluation).
//!
//! Commands are split into simple commands with a small quote-aware lexer;
//! rules look at the program and its arguments, not at substrings, so
//! `grep rm notes.txt` is not `rm`.

use crate::dangerous::FieldKind;
use crate::finding::{excerpt, Finding, Kind, Severity};
use regex::{Regex, RegexSet};

const SCANNER: &str = "dangerous";

/// Reverse shells, download-and-run, code evaluation: dangerous in any field.
const PAYLOADS: &[&str] = &[
    r"/dev/(?:tcp|udp)/",
    r"\bnc(?:at)?(?:\.exe)?\s+(?:-[a-z]*\s+)*-[a-z]*[ec]\b",
    r"\bnc(?:at)?\s+-[a-z]*l[a-z]*p",
    r"\b(?:ba|z|k)?sh\s+-i\b",
    r"\bmkfifo\s+/tmp/",
    r"(?i)\bsocat\b.*\bexec:",
    r"\b(?:curl|wget)\b[^|;\n]*\|\s*(?:sudo\s+)?(?:ba|z|k)?sh\b",
    r"(?i)\bpython[23]?\s+-c\s+['\x22]?\s*import\s+(?:socket|pty|os|subprocess)",
    r"(?i)\bpowershell(?:\.exe)?\b.*(?:\s-e(?:nc(?:odedcommand)?)?\s|iex|invoke-expression|downloadstring|downloadfile)",
    r"(?i)\biex\s*\(",
    r"(?i)\bcertutil(?:\.exe)?\b.*-urlcache",
    r"(?i)\bregsvr32\b.*\/i:https?",
    r"(?i)\b(?:eval|exec|system|passthru|shell_exec|popen|proc_open|pcntl_exec|assert)\s*\(\s*['\x22$\x60a-z_(]",
    r"__import__\s*\(",
    r"\bos\.(?:system|popen|exec[a-z]*|spawn[a-z]*)\s*\(",
    r"\bsubprocess\.(?:call|run|Popen|check_output|check_call|getoutput)\b",
    r"Runtime\.getRuntime\(\)",
    r"child_process",
    r"__(?:class|mro|subclasses|globals|builtins)__",
    r"(?i)\$\{jndi:",
    r"(?i)<\?php",
    r"(?i)\bphpinfo\s*\(",
    r"\{\$\{",
    r"@\{\[\s*system",
    r"\(\)\s*\{\s*:\s*;\s*\}\s*;",
    r"(?i)\bimport\s+(?:requests|socket|subprocess|os|pty)\b\s*[;\n]",
    r"\bwith\s+open\s*\(\s*['\x22]/",
    r"(?i)\bnetsh\s+(?:adv)?firewall\b",
    r"(?i)\bnet\s+(?:user|localgroup)\b.*\s/add\b",
    r"(?i)\breg\s+add\s+['\x22]?HKLM",
    r"(?i)\bvssadmin\b.*\bdelete\s+shadows",
    r"\{\{\s*\d+\s*[*+]\s*\d+\s*\}\}|\$\{\s*\d+\s*[*+]\s*\d+\s*\}",
    r"(?i)<script[\s>]|javascript:|\bonerror\s*=",
    r"(?i)%(?:systemroot|windir)%",
];

/// A command that starts a new command inside a value: `; id`, `| sleep 5`,
/// `&& curl ...`, a backtick, `$(`, or a newline (raw or `%0a`).
const LEADING: &str = r"(?s)^\s*[\x27\x22)\]}>*a-zA-Z0-9._-]{0,12}?(?:;|\|\|?|&&?|\n|\r|%0[aAdD]|\\n|\x60|\$\()\s*[A-Za-z/.\\%{$]";

#[derive(Debug)]
pub(crate) struct ShellRules {
    payloads: RegexSet,
    leading: Regex,
    substitution: Regex,
    chained: Regex,
    fork_bomb: Regex,
}

impl ShellRules {
    pub(crate) fn new() -> Result<ShellRules, regex::Error> {
        Ok(ShellRules {
            payloads: crate::regexes::regex_set(PAYLOADS)?,
            leading: crate::regexes::regex(LEADING)?,
            substitution: crate::regexes::regex(r"\$\(\s*[A-Za-z/]|\x60\s*[A-Za-z/][^\x60]*\x60")?,
            chained: crate::regexes::regex(
                r"(?:;|\|\|?|&&)\s*(?:cat|ls|id|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ping|sleep|echo|rm|chmod|python[23]?|perl|php|ruby|powershell|cmd|type|dir|net|reg|nslookup|dig|pwd|env|set|ifconfig|ipconfig|systeminfo|tasklist|hostname)\b",
            )?,
            fork_bomb: crate::regexes::regex(r"(\w+|:)\s*\(\)\s*\{[^}]*\|[^}]*&\s*\}\s*;")?,
        })
    }

    pub(crate) fn scan(
        &self,
        text: &str,
        decoded: &Option<String>,
        field: FieldKind,
        out: &mut Vec<Finding>,
    ) {
        let forms = std::iter::once(text).chain(decoded.as_deref());
        let mut injection: Option<(f32, &'static str, String)> = None;
        let mut destructive: Option<(&'static str, String)> = None;
        for form in forms {
            if destructive.is_none() {
                if let Some(rule) = destructive_rule(form, &self.fork_bomb) {
                    destructive = Some((rule, excerpt(form, 80)));
                }
            }
            let hit = if self.payloads.is_match(form) {
                Some((0.95, "code-execution-payload"))
            } else if self.leading.is_match(form) && field != FieldKind::Sql {
                Some((0.9, "command-chaining"))
            } else if field != FieldKind::Command
                && (self.substitution.is_match(form) || self.chained.is_match(form))
            {
                Some((0.85, "command-substitution"))
            } else {
                None
            };
            if let Some((conf, rule)) = hit {
                if injection.as_ref().is_none_or(|(c, _, _)| conf > *c) {
                    injection = Some((conf, rule, excerpt(form, 80)));
                }
            }
        }
        if let Some((rule, ev)) = destructive {
            out.push(
                Finding::new(Kind::DestructiveCommand, rule, SCANNER)
                    .severity(Severity::Critical)
                    .confidence(0.95)
                    .evidence(ev),
            );
        }
        if let Some((conf, rule, ev)) = injection {
            out.push(
                Finding::new(Kind::CommandInjection, rule, SCANNER)
                    .severity(Severity::High)
                    .confidence(conf)
                    .evidence(ev),
            );
        }
    }
}

/// One simple command: its words and the targets of `>` redirections.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Simple {
    pub words: Vec<String>,
    pub truncates: Vec<String>,
}

/// Splits a command line into simple commands. Quotes group words;
/// `;`, `&`, `|`, newlines, parentheses, braces and backticks separate.
pub(crate) fn split_commands(line: &str) -> Vec<Simple> {
    let mut cmds = vec![Simple::default()];
    let mut word = String::new();
    let mut in_word = false;
    let mut redirect: Option<bool> = None; // Some(truncating)
    let mut chars = line.chars().peekable();
    let flush = |cmds: &mut Vec<Simple>,
                 word: &mut String,
                 in_word: &mut bool,
                 redirect: &mut Option<bool>| {
        if *in_word {
            let w = std::mem::take(word);
            if let Some(cmd) = cmds.last_mut() {
                match redirect.take() {
                    Some(true) => cmd.truncates.push(w),
                    Some(false) => {}
                    None => cmd.words.push(w),
                }
            }
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                word.push(n);
                            }
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                // An escape only before a character the shell treats
                // specially; otherwise a literal (Windows paths).
                in_word = true;
                match chars.peek() {
                    Some(&n) if n.is_whitespace() || "\\'\";&|$`<>()".contains(n) => {
                        word.push(n);
                        chars.next();
                    }
                    _ => word.push('\\'),
                }
            }
            '>' => {
                flush(&mut cmds, &mut word, &mut in_word, &mut redirect);
                let append = chars.peek() == Some(&'>');
                if append {
                    chars.next();
                }
                if chars.peek() == Some(&'&') {
                    chars.next();
                    redirect = Some(false);
                } else {
                    redirect = Some(!append);
                }
            }
            '<' => {
                flush(&mut cmds, &mut word, &mut in_word, &mut redirect);
                redirect = Some(false);
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '{' | '}' | '`' => {
                flush(&mut cmds, &mut word, &mut in_word, &mut redirect);
                redirect = None;
                if cmds
                    .last()
                    .is_some_and(|c| !c.words.is_empty() || !c.truncates.is_empty())
                {
                    cmds.push(Simple::default());
                }
            }
            c if c.is_whitespace() => flush(&mut cmds, &mut word, &mut in_word, &mut redirect),
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut cmds, &mut word, &mut in_word, &mut redirect);
    cmds.retain(|c| !c.words.is_empty() || !c.truncates.is_empty());
    cmds
}

/// The words after wrappers (`sudo -u x`, `env A=b`, `nohup`, ...) and
/// variable assignments, with the program reduced to its lower-case base name.
fn program_and_args(words: &[String]) -> Option<(String, &[String])> {
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let base = w
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(w)
            .to_ascii_lowercase();
        match base.as_str() {
            "sudo" | "doas" => {
                i += 1;
                while i < words.len() && words[i].starts_with('-') {
                    let takes_value =
                        matches!(words[i].as_str(), "-u" | "-g" | "-U" | "-C" | "-h" | "-p");
                    i += if takes_value { 2 } else { 1 };
                }
                continue;
            }
            "env" | "nohup" | "time" | "nice" | "exec" | "command" | "builtin" | "xargs"
            | "watch" | "stdbuf" | "ionice" | "timeout" => {
                i += 1;
                while i < words.len()
                    && (words[i].starts_with('-')
                        || words[i]
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == 's' || c == 'm'))
                {
                    i += 1;
                }
                continue;
            }
            _ if w.contains('=') && !w.starts_with('-') && !w.starts_with('=') => {
                i += 1;
                continue;
            }
            _ => {
                let base = base.trim_end_matches(".exe").to_string();
                return Some((base, &words[i + 1..]));
            }
        }
    }
    None
}

const SYSTEM_DIRS: &[&str] = &[
    "etc", "usr", "var", "bin", "sbin", "boot", "lib", "lib32", "lib64", "libx32", "home", "opt",
    "srv", "root", "sys", "proc", "dev", "mnt", "media", "run", "snap",
];

/// `/`, `/*`, `~`, `$HOME`, a top-level system directory, a drive root or
/// a Windows system folder.
pub(crate) fn is_critical_target(t: &str) -> bool {
    let raw = t.trim_matches(['"', '\'']);
    if matches!(
        raw,
        "/" | "/*"
            | "~"
            | "~/"
            | "~/*"
            | "$HOME"
            | "${HOME}"
            | "$HOME/"
            | "${HOME}/"
            | "$HOME/*"
            | "${HOME}/*"
    ) {
        return true;
    }
    let t = raw
        .strip_suffix("/*")
        .or_else(|| raw.strip_suffix("\\*"))
        .unwrap_or(raw);
    let t = t.trim_end_matches(['/', '\\']);
    if let Some(rest) = t.strip_prefix('/') {
        return SYSTEM_DIRS.contains(&rest.to_ascii_lowercase().as_str());
    }
    let lower = t.to_ascii_lowercase().replace('\\', "/");
    let bytes = lower.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        let rest = lower[2..].trim_start_matches('/');
        return rest.is_empty()
            || [
                "windows",
                "windows/system32",
                "program files",
                "program files (x86)",
                "users",
                "programdata",
                "winnt",
            ]
            .contains(&rest);
    }
    matches!(
        lower.as_str(),
        "%systemroot%" | "%windir%" | "$env:systemroot" | "%systemdrive%"
    )
}

fn has_short_flag(args: &[String], flag: char) -> bool {
    args.iter().any(|a| {
        a.starts_with('-')
            && !a.starts_with("--")
            && a[1..].chars().all(|c| c.is_ascii_alphanumeric())
            && a.contains(flag)
    })
}

fn has_arg(args: &[String], names: &[&str]) -> bool {
    args.iter()
        .any(|a| names.iter().any(|n| a.eq_ignore_ascii_case(n)))
}

fn targets(args: &[String]) -> impl Iterator<Item = &String> {
    args.iter().filter(|a| !a.starts_with('-') || a.len() == 1)
}

const DISK_DEVICES: &[&str] = &[
    "/dev/sd",
    "/dev/hd",
    "/dev/nvme",
    "/dev/vd",
    "/dev/xvd",
    "/dev/mmcblk",
    "/dev/disk",
    "/dev/md",
    "/dev/dm-",
    "/dev/mapper/",
    "/dev/loop",
    "/dev/rdisk",
];

fn is_disk_device(t: &str) -> bool {
    DISK_DEVICES.iter().any(|d| t.starts_with(d))
}

const ACCOUNT_FILES: &[&str] = &["/etc/passwd", "/etc/shadow", "/etc/sudoers", "/etc/fstab"];

/// The destructive-command rule (D1-D7 of docs/scanning.md) a command
/// line matches, if any.
pub(crate) fn destructive_rule(line: &str, fork_bomb: &Regex) -> Option<&'static str> {
    if fork_bomb.is_match(line) {
        return Some("fork-bomb");
    }
    for cmd in split_commands(line) {
        if cmd.truncates.iter().any(|t| is_disk_device(t)) {
            return Some("raw-disk-write");
        }
        if cmd
            .truncates
            .iter()
            .any(|t| ACCOUNT_FILES.contains(&t.as_str()))
        {
            return Some("truncate-account-file");
        }
        let Some((prog, args)) = program_and_args(&cmd.words) else {
            continue;
        };
        if let Some(rule) = command_rule(&prog, args) {
            return Some(rule);
        }
    }
    None
}

fn command_rule(prog: &str, args: &[String]) -> Option<&'static str> {
    let lower: Vec<String> = args.iter().map(|a| a.to_ascii_lowercase()).collect();
    let first = lower.first().map(String::as_str).unwrap_or("");
    let any_critical = || targets(args).any(|t| is_critical_target(t));
    let recursive =
        has_short_flag(args, 'r') || has_short_flag(args, 'R') || has_arg(args, &["--recursive"]);
    match prog {
        "rm" if has_arg(args, &["--no-preserve-root"]) => Some("recursive-delete-system"),
        "rm" if recursive && any_critical() => Some("recursive-delete-system"),
        "find" => {
            let start = args.iter().find(|a| !a.starts_with('-'))?;
            let deletes = has_arg(args, &["-delete"])
                || args
                    .windows(2)
                    .any(|w| w[0] == "-exec" && (w[1] == "rm" || w[1].ends_with("/rm")));
            (deletes && is_critical_target(start)).then_some("recursive-delete-system")
        }
        "rd" | "rmdir" | "del" | "erase" => {
            (has_arg(args, &["/s"]) && any_critical()).then_some("recursive-delete-system")
        }
        "remove-item" | "ri" => (lower.iter().any(|a| a.starts_with("-r")) && any_critical())
            .then_some("recursive-delete-system"),
        p if p.starts_with("mkfs")
            || matches!(p, "mke2fs" | "mkswap" | "wipefs" | "blkdiscard") =>
        {
            args.iter()
                .any(|a| a.starts_with("/dev/"))
                .then_some("format-disk")
        }
        "sgdisk" => (has_arg(args, &["-Z", "--zap-all", "-z", "--zap"])
            || has_short_flag(args, 'Z'))
        .then_some("format-disk"),
        "dd" => args
            .iter()
            .filter_map(|a| a.strip_prefix("of="))
            .any(|of| {
                of.starts_with("/dev/")
                    && !matches!(
                        of,
                        "/dev/null" | "/dev/zero" | "/dev/tty" | "/dev/stdout" | "/dev/stderr"
                    )
            })
            .then_some("raw-disk-write"),
        "shred" => args
            .iter()
            .any(|a| a.starts_with("/dev/"))
            .then_some("raw-disk-write"),
        "diskutil" => matches!(
            first,
            "erasedisk"
                | "zerodisk"
                | "partitiondisk"
                | "erasevolume"
                | "secureerase"
                | "randomdisk"
                | "reformat"
        )
        .then_some("format-disk"),
        "format" => args
            .iter()
            .any(|a| a.len() == 2 && a.as_bytes()[0].is_ascii_alphabetic() && a.ends_with(':'))
            .then_some("format-disk"),
        "shutdown" => (!has_arg(args, &["-c", "/a", "cancel"])).then_some("host-shutdown"),
        "poweroff" | "halt" | "reboot" | "stop-computer" | "restart-computer" => {
            Some("host-shutdown")
        }
        "init" | "telinit" => matches!(first, "0" | "6").then_some("host-shutdown"),
        "systemctl" => {
            matches!(first, "poweroff" | "reboot" | "halt" | "kexec").then_some("host-shutdown")
        }
        "kill" | "pkill" => (has_arg(args, &["-1"])
            && has_arg(args, &["-9", "-kill", "-sigkill", "-s"]))
        .then_some("kill-all-processes"),
        "redis-cli" => has_arg(args, &["flushall", "flushdb"]).then_some("drop-data-store"),
        "dropdb" => Some("drop-data-store"),
        "terraform" | "tofu" | "terragrunt" => (first == "destroy"
            || (first == "apply" && has_arg(args, &["-destroy", "--destroy"])))
        .then_some("infrastructure-teardown"),
        "kubectl" | "oc" => (first == "delete"
            && (lower.get(1).is_some_and(|r| {
                matches!(
                    r.as_str(),
                    "namespace" | "namespaces" | "ns" | "node" | "nodes" | "no"
                )
            }) || has_arg(args, &["--all", "-a", "--all-namespaces"])))
        .then_some("infrastructure-teardown"),
        "aws" => (first == "s3"
            && (lower.get(1).is_some_and(|s| s == "rb")
                || (lower.get(1).is_some_and(|s| s == "rm") && has_arg(args, &["--recursive"]))))
        .then_some("infrastructure-teardown"),
        "az" => (first == "group" && lower.get(1).is_some_and(|s| s == "delete"))
            .then_some("infrastructure-teardown"),
        "gcloud" => (first == "projects" && lower.get(1).is_some_and(|s| s == "delete"))
            .then_some("infrastructure-teardown"),
        "docker" | "podman" => (matches!(first, "system" | "volume")
            && lower.get(1).is_some_and(|s| s == "prune"))
        .then_some("infrastructure-teardown"),
        "git" => (first == "push"
            && (has_arg(args, &["--force", "-f"])
                || has_short_flag(args.get(1..).unwrap_or(&[]), 'f')))
        .then_some("force-push"),
        "chmod" | "chown" | "chgrp" => (recursive
            && targets(args).skip(1).any(|t| is_critical_target(t)))
        .then_some("recursive-permissions-system"),
        "truncate" => args
            .iter()
            .any(|a| ACCOUNT_FILES.contains(&a.as_str()))
            .then_some("truncate-account-file"),
        "cp" => (args.first().is_some_and(|a| a == "/dev/null")
            && args.iter().any(|a| ACCOUNT_FILES.contains(&a.as_str())))
        .then_some("truncate-account-file"),
        "crontab" => has_arg(args, &["-r"]).then_some("remove-crontab"),
        "mv" => (args.len() >= 2 && args.last().is_some_and(|a| a == "/dev/null"))
            .then_some("move-to-dev-null"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
