//! First normalisation pass over the original string: removes ANSI escape
//! sequences, invisible characters (zero-width, tag characters, bidi
//! controls, stray control characters) and reports what they hid.
//!
//! Invariants: one left-to-right pass, O(n) time; every finding's span is a
//! byte range of the *original* string on character boundaries; hidden
//! content (decoded tag characters, the reversed run of a bidi override,
//! OSC hyperlink targets and titles) is returned as extra segments so later
//! scanners read what the model would read.

use super::homoglyph;
use crate::finding::{excerpt, Finding, Kind, Severity};
use std::borrow::Cow;

const SCANNER: &str = "normalize";
const EVIDENCE_CHARS: usize = 80;

/// The result of the first pass.
pub(crate) struct Stripped<'a> {
    pub visible: Cow<'a, str>,
    pub segments: Vec<String>,
    pub findings: Vec<Finding>,
}

/// True when `input` holds nothing this pass would change: printable ASCII,
/// tab, CR and LF only.
pub(crate) fn is_plain(input: &str) -> bool {
    input
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t' || b == b'\r')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Normal,
    /// Zero-width and other default-ignorable format characters.
    Invisible,
    Tag,
    /// Bidi embedding/override/isolate controls. `reverses` for the ones
    /// that display following Latin text right-to-left (RLO, RLE, RLI).
    BidiOpen {
        reverses: bool,
    },
    BidiClose,
    Control,
    Escape,
}

fn classify(c: char) -> Class {
    match c {
        '\u{1b}' | '\u{9b}' => Class::Escape,
        '\t' | '\n' | '\r' => Class::Normal,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => Class::Control,
        '\u{202a}' | '\u{202d}' | '\u{2066}' | '\u{2068}' => Class::BidiOpen { reverses: false },
        '\u{202b}' | '\u{202e}' | '\u{2067}' => Class::BidiOpen { reverses: true },
        '\u{202c}' | '\u{2069}' => Class::BidiClose,
        '\u{e0000}'..='\u{e007f}' => Class::Tag,
        '\u{ad}'
        | '\u{34f}'
        | '\u{61c}'
        | '\u{115f}'
        | '\u{1160}'
        | '\u{17b4}'
        | '\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0100}'..='\u{e01ef}' => Class::Invisible,
        _ => Class::Normal,
    }
}

/// Occurrences of one rule inside one string, merged into one finding.
#[derive(Default)]
struct Run {
    count: usize,
    start: usize,
    end: usize,
}

impl Run {
    fn add(&mut self, start: usize, end: usize) {
        if self.count == 0 {
            self.start = start;
        }
        self.count += 1;
        self.end = end;
    }

    fn finding(&self, rule: &str, severity: Severity, evidence: String) -> Option<Finding> {
        (self.count > 0).then(|| {
            Finding::new(Kind::HiddenText, rule, SCANNER)
                .severity(severity)
                .span(self.start, self.end)
                .evidence(evidence)
        })
    }
}

#[derive(Default)]
struct Pass {
    out: String,
    segments: Vec<String>,
    invisible: Run,
    /// Invisible characters waiting for the next visible one to decide
    /// whether they sit inside ASCII text (suspicious) or not (emoji, Indic).
    pending: Vec<(usize, usize)>,
    prev_ascii: bool,
    prev_char: Option<char>,
    tags: Run,
    tag_text: String,
    tag_evidence: String,
    in_flag: bool,
    bidi: Run,
    bidi_reversing: bool,
    bidi_open: Option<(usize, bool)>,
    bidi_evidence: String,
    controls: Run,
    ansi: Run,
    ansi_hiding: bool,
    concealed: bool,
    concealed_text: String,
    fg: Option<u32>,
    bg: Option<u32>,
    word_start: Option<usize>,
    word_end: usize,
    word_ascii: bool,
    word_confusable: bool,
    homoglyph: Run,
}

/// Runs the first pass.
/// True when the pass would neither change nor report anything: no
/// escapes, controls, invisible, tag or bidi characters and no Cyrillic or
/// Greek look-alike letters (accents, bullets and CJK text stay clean).
fn is_clean(input: &str) -> bool {
    is_plain(input)
        || input.chars().all(|c| {
            if c.is_ascii() {
                matches!(c, ' '..='~' | '\t' | '\n' | '\r')
            } else {
                classify(c) == Class::Normal && homoglyph::fold_char(c).is_none()
            }
        })
}

pub(crate) fn strip(input: &str) -> Stripped<'_> {
    if is_clean(input) {
        return Stripped {
            visible: Cow::Borrowed(input),
            segments: Vec::new(),
            findings: Vec::new(),
        };
    }
    let mut pass = Pass {
        out: String::with_capacity(input.len()),
        ..Pass::default()
    };
    let mut i = 0;
    while let Some(c) = input.get(i..).and_then(|rest| rest.chars().next()) {
        let len = c.len_utf8();
        let class = classify(c);
        if class != Class::Tag && !pass.tag_text.is_empty() {
            pass.flush_tags();
        }
        match class {
            Class::Escape => {
                pass.end_word();
                i = pass.escape(input, i, len);
                continue;
            }
            Class::Normal => pass.visible(c, i, len),
            Class::Invisible => {
                if !(i == 0 && c == '\u{feff}') {
                    pass.pending.push((i, i + len));
                }
            }
            Class::Tag => pass.tag(c, i, len),
            Class::BidiOpen { reverses } => {
                pass.bidi.add(i, i + len);
                pass.close_bidi();
                pass.bidi_open = Some((pass.out.len(), reverses));
                pass.bidi_reversing |= reverses;
            }
            Class::BidiClose => {
                pass.bidi.add(i, i + len);
                pass.close_bidi();
            }
            Class::Control => pass.controls.add(i, i + len),
        }
        i += len;
    }
    pass.finish()
}

impl Pass {
    fn visible(&mut self, c: char, at: usize, len: usize) {
        let ascii = c.is_ascii_graphic();
        if !self.pending.is_empty() {
            // Inside or next to ASCII text a zero-width character splits or
            // hides words. Next to emoji or complex scripts it is ordinary
            // (ZWJ sequences, ZWNJ in Persian, variation selectors).
            let suspicious = ascii || self.prev_ascii || self.pending.len() > 1;
            for (s, e) in std::mem::take(&mut self.pending) {
                if suspicious {
                    self.invisible.add(s, e);
                }
            }
        }
        if c == '\n' {
            self.close_bidi();
        }
        if c.is_alphabetic() {
            if self.word_start.is_none() {
                self.word_start = Some(at);
            }
            self.word_end = at + len;
            if c.is_ascii_alphabetic() {
                self.word_ascii = true;
            } else if homoglyph::fold_char(c).is_some() {
                self.word_confusable = true;
            }
        } else {
            self.end_word();
        }
        self.out.push(c);
        if self.concealed && (!c.is_whitespace() || !self.concealed_text.is_empty()) {
            self.concealed_text.push(c);
        }
        self.prev_ascii = ascii;
        self.prev_char = Some(c);
    }

    fn end_word(&mut self) {
        if let Some(start) = self.word_start.take() {
            if self.word_ascii && self.word_confusable {
                self.homoglyph.add(start, self.word_end);
            }
        }
        self.word_ascii = false;
        self.word_confusable = false;
    }

    fn tag(&mut self, c: char, start: usize, len: usize) {
        let code = u32::from(c) - 0xe0000;
        // Emoji subdivision flags (U+1F3F4, tag letters, cancel tag U+E007F)
        // are ordinary text.
        if self.prev_char == Some('\u{1f3f4}') && self.tag_text.is_empty() {
            self.in_flag = true;
        }
        if self.in_flag {
            if code == 0x7f || self.tag_text.len() > 7 {
                if code != 0x7f {
                    self.tags.add(start, start + len);
                }
                self.in_flag = false;
                self.tag_text.clear();
            } else {
                self.tag_text.push(char::from_u32(code).unwrap_or(' '));
            }
            return;
        }
        self.tags.add(start, start + len);
        if let Some(ch) = char::from_u32(code).filter(|ch| !ch.is_control()) {
            self.tag_text.push(ch);
        }
    }

    fn flush_tags(&mut self) {
        let text = std::mem::take(&mut self.tag_text);
        if self.in_flag {
            // A flag sequence without its cancel tag: count what it held.
            self.in_flag = false;
        }
        if !text.trim().is_empty() {
            if !self.tag_evidence.is_empty() {
                self.tag_evidence.push(' ');
            }
            self.tag_evidence.push_str(&text);
            self.segments.push(text);
        }
    }

    fn close_bidi(&mut self) {
        if let Some((from, reverses)) = self.bidi_open.take() {
            if reverses {
                let reversed: String = self.out.get(from..).unwrap_or("").chars().rev().collect();
                if !reversed.trim().is_empty() {
                    if self.bidi_evidence.is_empty() {
                        self.bidi_evidence = reversed.clone();
                    }
                    self.segments.push(reversed);
                }
            }
        }
    }

    /// Consumes one escape sequence starting at `at`; returns the index after it.
    fn escape(&mut self, input: &str, at: usize, len: usize) -> usize {
        let bytes = input.as_bytes();
        let mut j = at + len;
        let csi = if len == 2 {
            true // U+009B, the one-character CSI
        } else {
            match bytes.get(j) {
                Some(b'[') => {
                    j += 1;
                    true
                }
                Some(b']') => {
                    let end = self.string_command(input, j + 1, true);
                    self.ansi.add(at, end);
                    return end;
                }
                Some(b'P' | b'X' | b'^' | b'_') => {
                    let end = self.string_command(input, j + 1, false);
                    self.ansi.add(at, end);
                    return end;
                }
                Some(b'(' | b')' | b'*' | b'+' | b'#' | b'%') => {
                    let end = (j + 2).min(bytes.len());
                    let end = next_boundary(input, end);
                    self.ansi.add(at, end);
                    return end;
                }
                Some(0x40..=0x7e) => {
                    self.ansi.add(at, j + 1);
                    return j + 1;
                }
                _ => {
                    self.ansi.add(at, j);
                    return j;
                }
            }
        };
        if !csi {
            return j;
        }
        let params_start = j;
        while matches!(bytes.get(j), Some(0x30..=0x3f)) {
            j += 1;
        }
        let params_end = j;
        while matches!(bytes.get(j), Some(0x20..=0x2f)) {
            j += 1;
        }
        if let Some(&fin @ 0x40..=0x7e) = bytes.get(j) {
            j += 1;
            let params = input.get(params_start..params_end).unwrap_or("");
            if fin == b'm' {
                self.sgr(params);
            } else if b"ABCDEFGHJKSTfsu".contains(&fin) {
                // Cursor movement and erasing can overwrite what was shown.
                self.ansi_hiding = true;
            }
        }
        self.ansi.add(at, j);
        j
    }

    /// OSC / DCS / SOS / PM / APC: a string ended by BEL or ESC `\`.
    fn string_command(&mut self, input: &str, from: usize, osc: bool) -> usize {
        let bytes = input.as_bytes();
        let mut j = from;
        let mut content_end = bytes.len();
        let mut end = bytes.len();
        while j < bytes.len() {
            if bytes[j] == 0x07 {
                content_end = j;
                end = j + 1;
                break;
            }
            if bytes[j] == 0x1b && bytes.get(j + 1) == Some(&b'\\') {
                content_end = j;
                end = j + 2;
                break;
            }
            j += 1;
        }
        let content = input.get(from..content_end).unwrap_or("");
        if osc {
            // OSC 8 hyperlinks and window titles carry text the reader of
            // the rendered output does not see.
            let payload = match content.split_once(';') {
                Some(("8", rest)) => rest.split_once(';').map(|(_, uri)| uri).unwrap_or(""),
                Some((_, rest)) => rest,
                None => "",
            };
            if !payload.trim().is_empty() {
                self.ansi_hiding = true;
                self.segments.push(payload.to_string());
            }
        } else if !content.trim().is_empty() {
            self.ansi_hiding = true;
            self.segments.push(content.to_string());
        }
        end
    }

    fn sgr(&mut self, params: &str) {
        let mut codes = params.split([';', ':']).map(|p| {
            if p.is_empty() {
                0
            } else {
                p.parse::<u32>().unwrap_or(0)
            }
        });
        while let Some(code) = codes.next() {
            match code {
                0 => {
                    self.fg = None;
                    self.bg = None;
                    self.concealed_end();
                }
                8 => self.concealed = true,
                28 => self.concealed_end(),
                30..=37 | 90..=97 => self.fg = Some(code % 10 + if code >= 90 { 8 } else { 0 }),
                39 => self.fg = None,
                40..=47 | 100..=107 => self.bg = Some(code % 10 + if code >= 100 { 8 } else { 0 }),
                49 => self.bg = None,
                38 | 48 => {
                    let colour = match codes.next() {
                        Some(5) => codes.next().map(|n| n + 1000),
                        Some(2) => {
                            let (r, g, b) = (codes.next(), codes.next(), codes.next());
                            Some(
                                2_000_000
                                    + r.unwrap_or(0).min(255) * 65536
                                    + g.unwrap_or(0).min(255) * 256
                                    + b.unwrap_or(0).min(255),
                            )
                        }
                        _ => None,
                    };
                    if code == 38 {
                        self.fg = colour;
                    } else {
                        self.bg = colour;
                    }
                }
                _ => {}
            }
        }
        if self.fg.is_some() && self.fg == self.bg {
            self.concealed = true;
        } else if self.concealed && self.fg != self.bg && !params.split(';').any(|p| p == "8") {
            self.concealed_end();
        }
    }

    fn concealed_end(&mut self) {
        if self.concealed {
            self.ansi_hiding = true;
        }
        self.concealed = false;
        if !self.concealed_text.is_empty() {
            self.concealed_text.push(' ');
        }
    }

    fn finish(mut self) -> Stripped<'static> {
        self.flush_tags();
        self.close_bidi();
        self.end_word();
        if self.concealed {
            self.concealed_end();
        }
        let mut findings = Vec::new();
        let zw = &self.invisible;
        let zw_severity = if zw.count >= 3 {
            Severity::High
        } else {
            Severity::Medium
        };
        findings.extend(zw.finding(
            "zero_width",
            zw_severity,
            format!("{} invisible characters inside text", zw.count),
        ));
        findings.extend(self.tags.finding(
            "unicode_tags",
            Severity::High,
            format!(
                "{} tag characters spelling: {}",
                self.tags.count,
                excerpt(&self.tag_evidence, EVIDENCE_CHARS)
            ),
        ));
        let (bidi_rule, bidi_severity, bidi_text) = if self.bidi_reversing {
            (
                "bidi_override",
                Severity::High,
                format!(
                    "{} bidi controls; displayed reversed: {}",
                    self.bidi.count,
                    excerpt(&self.bidi_evidence, EVIDENCE_CHARS)
                ),
            )
        } else {
            (
                "bidi_control",
                Severity::Medium,
                format!("{} bidi embedding controls", self.bidi.count),
            )
        };
        findings.extend(self.bidi.finding(bidi_rule, bidi_severity, bidi_text));
        let concealed = self.concealed_text.trim();
        let (ansi_severity, ansi_text) = if !concealed.is_empty() {
            (
                Severity::High,
                format!(
                    "{} escape sequences; concealed text: {}",
                    self.ansi.count,
                    excerpt(concealed, EVIDENCE_CHARS)
                ),
            )
        } else if self.ansi_hiding {
            (
                Severity::High,
                format!(
                    "{} escape sequences that move the cursor, erase or carry hidden strings",
                    self.ansi.count
                ),
            )
        } else {
            (
                Severity::Low,
                format!("{} styling escape sequences", self.ansi.count),
            )
        };
        findings.extend(self.ansi.finding("ansi_escape", ansi_severity, ansi_text));
        findings.extend(self.controls.finding(
            "control_chars",
            Severity::Low,
            format!("{} control characters", self.controls.count),
        ));
        findings.extend(self.homoglyph.finding(
            "homoglyph",
            Severity::Medium,
            format!(
                "{} words mix Latin with Cyrillic or Greek look-alike letters",
                self.homoglyph.count
            ),
        ));
        if !concealed.is_empty() {
            self.segments.push(concealed.to_string());
        }
        Stripped {
            visible: Cow::Owned(self.out),
            segments: self.segments,
            findings,
        }
    }
}

/// The smallest char boundary of `s` at or after `i` (clamped to its length).
fn next_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

#[cfg(test)]
#[path = "invisible_tests.rs"]
mod tests;
