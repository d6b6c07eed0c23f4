//! Calls attempted in the current window, whatever their outcome: what an
//! agent is doing right now, known at decision time. A call is counted
//! when it is scored, so a burst is seen by its own calls even when every
//! one of them is intercepted or denied — the learned profile (trained
//! only on calls that ran) never sees those, and must not.
//!
//! Counting attempts teaches nothing: they only raise the observed call
//! volume of the calls that follow, never the baseline it is compared to.
//! The counts are not persisted (a restart forgets at most the last hour).
//!
//! Memory: one count pair per agent and per (agent, tool), at most
//! `max_tools` tools per agent, the least recently attempted forgotten.

/// Calls in the current and the previous clock hour.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct HourCount {
    hour: i64,
    calls: f32,
    prev: f32,
}

impl HourCount {
    fn add(&mut self, hour: i64) {
        if hour > self.hour {
            self.prev = if hour == self.hour + 1 {
                self.calls
            } else {
                0.0
            };
            self.hour = hour;
            self.calls = 0.0;
        }
        self.calls += 1.0;
    }

    /// Calls in the sliding hour ending at `hour` + `fraction` (the
    /// previous bucket weighted by the part of it still inside).
    pub(crate) fn sliding(&self, hour: i64, fraction: f64) -> f64 {
        let rest = (1.0 - fraction).clamp(0.0, 1.0);
        if hour <= self.hour {
            f64::from(self.calls) + rest * f64::from(self.prev)
        } else if hour == self.hour + 1 {
            rest * f64::from(self.calls)
        } else {
            0.0
        }
    }
}

/// One agent's attempted calls, in total and per tool.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AgentAttempts {
    pub(crate) all: HourCount,
    tools: Vec<(String, HourCount)>,
}

impl AgentAttempts {
    /// Count one attempt of `tool` at `hour`.
    pub(crate) fn add(&mut self, tool: &str, hour: i64, max_tools: usize) {
        self.all.add(hour);
        if let Some((_, c)) = self.tools.iter_mut().find(|(t, _)| t == tool) {
            c.add(hour);
            return;
        }
        while self.tools.len() >= max_tools.max(1) {
            let oldest = self
                .tools
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, c))| c.hour)
                .map(|(i, _)| i);
            match oldest {
                Some(i) => {
                    self.tools.swap_remove(i);
                }
                None => break,
            }
        }
        let mut c = HourCount::default();
        c.add(hour);
        self.tools.push((tool.to_string(), c));
    }

    pub(crate) fn tool(&self, tool: &str) -> Option<&HourCount> {
        self.tools.iter().find(|(t, _)| t == tool).map(|(_, c)| c)
    }

    #[cfg(test)]
    pub(crate) fn tools(&self) -> usize {
        self.tools.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_slide_and_tools_are_capped() {
        let mut a = AgentAttempts::default();
        for _ in 0..5 {
            a.add("db.query", 100, 2);
        }
        a.add("files.read", 100, 2);
        assert_eq!(a.all.sliding(100, 0.5), 6.0);
        assert_eq!(a.tool("db.query").unwrap().sliding(100, 0.5), 5.0);
        // The next hour: the previous bucket counts for the part still inside.
        a.add("db.query", 101, 2);
        assert_eq!(
            a.tool("db.query").unwrap().sliding(101, 0.25),
            1.0 + 0.75 * 5.0
        );
        assert_eq!(a.tool("files.read").unwrap().sliding(101, 0.25), 0.75);
        assert_eq!(a.tool("files.read").unwrap().sliding(103, 0.0), 0.0);
        // A third tool evicts the least recently attempted one.
        a.add("email.send", 102, 2);
        assert_eq!(a.tools(), 2);
        assert!(a.tool("files.read").is_none());
        assert!(a.tool("db.query").is_some());
    }
}
