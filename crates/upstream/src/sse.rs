//! Incremental `text/event-stream` parser.
//!
//! Invariants: bytes may arrive split anywhere (inside a line or a UTF-8
//! sequence); lines end with LF, CRLF or CR; one event's buffered size never
//! exceeds the configured cap (exceeding it is an error, never unbounded
//! growth).

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SseEvent {
    /// `event:` field, `"message"` when absent.
    pub event: String,
    pub data: String,
    /// Last `id:` seen on the stream (sticky across events, as in the spec).
    pub id: Option<String>,
    pub retry_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseTooLarge;

#[derive(Debug)]
pub(crate) struct SseParser {
    max_event_bytes: usize,
    line: Vec<u8>,
    skip_lf: bool,
    event: Option<String>,
    data: Option<String>,
    last_id: Option<String>,
    retry_ms: Option<u64>,
}

impl SseParser {
    pub(crate) fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            line: Vec::new(),
            skip_lf: false,
            event: None,
            data: None,
            last_id: None,
            retry_ms: None,
        }
    }

    /// Last event id seen, for `Last-Event-ID` on reconnect.
    pub(crate) fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Feeds bytes; returns the events completed by them.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseTooLarge> {
        let mut events = Vec::new();
        for &byte in bytes {
            if self.skip_lf {
                self.skip_lf = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' | b'\r' => {
                    self.skip_lf = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.process_line(&line) {
                        events.push(event);
                    }
                }
                _ => {
                    self.line.push(byte);
                    if self.line.len() + self.buffered() > self.max_event_bytes {
                        return Err(SseTooLarge);
                    }
                }
            }
        }
        if self.buffered() > self.max_event_bytes {
            return Err(SseTooLarge);
        }
        Ok(events)
    }

    fn buffered(&self) -> usize {
        self.data.as_ref().map_or(0, String::len)
    }

    fn process_line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.first() == Some(&b':') {
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry_ms = Some(ms);
                }
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let data = self.data.take()?;
        Some(SseEvent {
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".to_owned()),
            data,
            id: self.last_id.clone(),
            retry_ms: self.retry_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_chunks(input: &[u8], chunk: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new(1 << 20);
        input
            .chunks(chunk)
            .flat_map(|part| parser.feed(part).unwrap())
            .collect()
    }

    #[test]
    fn parses_events_regardless_of_chunking_and_line_endings() {
        let input = b": comment\r\nid: 1\r\ndata: \r\n\r\nevent: message\rid: 2\rdata: {\"a\":\rdata: 1}\r\rdata:x\n\n";
        for chunk in 1..input.len() {
            let events = parse_in_chunks(input, chunk);
            assert_eq!(events.len(), 3, "chunk {chunk}");
            assert_eq!(events[0].data, "");
            assert_eq!(events[0].id.as_deref(), Some("1"));
            assert_eq!(events[1].data, "{\"a\":\n1}");
            assert_eq!(events[1].id.as_deref(), Some("2"));
            assert_eq!(events[2].data, "x");
            assert_eq!(events[2].event, "message");
            assert_eq!(events[2].id.as_deref(), Some("2"));
        }
    }

    #[test]
    fn event_without_data_is_not_dispatched() {
        assert!(parse_in_chunks(b"id: 5\nretry: 10\n\n", 3).is_empty());
    }

    #[test]
    fn oversized_event_is_rejected() {
        let mut parser = SseParser::new(16);
        assert!(parser.feed(b"data: 0123456789\n").is_ok());
        assert_eq!(parser.feed(b"data: 0123456789\n"), Err(SseTooLarge));
        let mut parser = SseParser::new(16);
        assert_eq!(parser.feed(&[b'x'; 64]), Err(SseTooLarge));
    }
}
