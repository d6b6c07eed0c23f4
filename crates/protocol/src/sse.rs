//! Incremental Server-Sent Events parsing and encoding (WHATWG event stream
//! format), used for both downstream and upstream MCP streams.
//!
//! Parser invariants:
//! - lines end with LF, CRLF or CR, and a CRLF split across two chunks is
//!   one line ending, so the events do not depend on how the stream is chunked;
//! - a leading UTF-8 BOM is ignored; comment lines (`:`) and unknown fields
//!   are ignored; one space after the colon is stripped;
//! - an event is yielded at a blank line if any of `data`, `event`, `id` or
//!   `retry` appeared since the previous one (so an id-only "priming" event
//!   is visible, with empty `data`); multiple `data` lines join with `\n`;
//! - `id` is the id field of this event only (ids containing NUL are
//!   ignored); `last_event_id()` keeps the stream's last id for resumption;
//! - `retry` is set only for all-digit values;
//! - an event larger than the configured limit, or a line that is not UTF-8,
//!   is an error; the parser must then be discarded;
//! - an unterminated final event is never yielded.

/// One parsed event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `id` field of this event, if it had one.
    pub id: Option<String>,
    /// The `event` field (the event type), if any.
    pub event: Option<String>,
    /// The `data` lines joined with `\n` (empty if there were none).
    pub data: String,
    /// The `retry` field in milliseconds, if valid.
    pub retry: Option<u64>,
}

/// Why a stream cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One event exceeded the size limit.
    #[error("sse event exceeds {limit} bytes")]
    EventTooLarge { limit: usize },
    /// A line is not valid UTF-8.
    #[error("sse stream is not valid utf-8")]
    InvalidUtf8,
}

/// Default per-event size limit: 4 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 4 * 1024 * 1024;

/// Incremental SSE parser; feed it chunks as they arrive.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    at_stream_start: bool,
    current: SseEvent,
    has_data_line: bool,
    has_field: bool,
    last_event_id: Option<String>,
    max_event_size: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default event size limit.
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A parser with a custom per-event size limit (bytes of pending line plus data).
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            at_stream_start: true,
            current: SseEvent::default(),
            has_data_line: false,
            has_field: false,
            last_event_id: None,
            max_event_size,
        }
    }

    /// The id of the last event seen on this stream (for `Last-Event-ID`).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    /// Feeds one chunk, returning the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        let mut rest = chunk;
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while let Some(pos) = rest.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.push_bytes(&rest[..pos])?;
            let is_cr = rest[pos] == b'\r';
            rest = &rest[pos + 1..];
            if is_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if let Some(event) = self.end_line()? {
                events.push(event);
            }
        }
        self.push_bytes(rest)?;
        Ok(events)
    }

    fn push_bytes(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len() + bytes.len() + self.current.data.len() > self.max_event_size {
            return Err(SseError::EventTooLarge {
                limit: self.max_event_size,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn end_line(&mut self) -> Result<Option<SseEvent>, SseError> {
        let raw = std::mem::take(&mut self.line);
        let mut line = String::from_utf8(raw).map_err(|_| SseError::InvalidUtf8)?;
        if self.at_stream_start {
            self.at_stream_start = false;
            if let Some(stripped) = line.strip_prefix('\u{feff}') {
                line = stripped.to_owned();
            }
        }
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                if self.has_data_line {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_data_line = true;
                self.has_field = true;
            }
            "event" => {
                self.current.event = Some(value.to_owned());
                self.has_field = true;
            }
            "id" if !value.contains('\0') => {
                self.current.id = Some(value.to_owned());
                self.last_event_id = Some(value.to_owned());
                self.has_field = true;
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    self.current.retry = Some(ms);
                    self.has_field = true;
                }
            }
            _ => {}
        }
        if self.current.data.len() > self.max_event_size {
            return Err(SseError::EventTooLarge {
                limit: self.max_event_size,
            });
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let had_field = std::mem::take(&mut self.has_field);
        self.has_data_line = false;
        let event = std::mem::take(&mut self.current);
        had_field.then_some(event)
    }
}

fn push_field(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    out.extend(value.chars().filter(|c| *c != '\r' && *c != '\n'));
    out.push('\n');
}

/// Encodes one event. CR and LF are removed from `id` and `event`; `data` is
/// split into one `data:` line per line (LF, CRLF or CR), and at least one
/// `data:` line is always written.
pub fn encode_sse_event(id: Option<&str>, event: Option<&str>, data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 32);
    if let Some(event) = event {
        push_field(&mut out, "event", event);
    }
    if let Some(id) = id {
        push_field(&mut out, "id", id);
    }
    let normalized = data.replace("\r\n", "\n").replace('\r', "\n");
    for line in normalized.split('\n') {
        push_field(&mut out, "data", line);
    }
    out.push('\n');
    out
}
