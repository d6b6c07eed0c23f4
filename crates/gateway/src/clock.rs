//! The gateway's source of "now" for the stages that reason about time
//! (the behavioural baseline's hour of week, `input.time`). Production
//! uses [`SystemClock`]; tests inject a [`ManualClock`] and move it.

use std::sync::Mutex;
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The system's UTC clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that reads whatever it was last set to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    pub fn new(now: OffsetDateTime) -> Self {
        ManualClock {
            now: Mutex::new(now),
        }
    }

    pub fn set(&self, now: OffsetDateTime) {
        match self.now.lock() {
            Ok(mut t) => *t = now,
            Err(poisoned) => *poisoned.into_inner() = now,
        }
    }

    pub fn advance(&self, by: time::Duration) {
        let now = self.now();
        self.set(now + by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        match self.now.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_is_set_and_advanced() {
        let c = ManualClock::new(datetime!(2026-03-03 10:14 UTC));
        assert_eq!(c.now(), datetime!(2026-03-03 10:14 UTC));
        c.advance(time::Duration::minutes(16));
        assert_eq!(c.now(), datetime!(2026-03-03 10:30 UTC));
        c.set(datetime!(2026-03-04 02:47 UTC));
        assert_eq!(c.now(), datetime!(2026-03-04 02:47 UTC));
        let s = SystemClock.now();
        assert!(s.year() >= 2024);
    }
}
