//! People-readable rendering of a profile (what `behavry baseline show
//! AGENT` prints).

use crate::assessment::human_number;
use crate::config::BaselineConfig;
use crate::profile::AgentProfile;
use std::fmt::Write as _;
use time::OffsetDateTime;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A multi-line description of one agent's profile.
pub fn render_profile(p: &AgentProfile, config: &BaselineConfig) -> String {
    let mut out = String::new();
    let learning = p.observations < config.min_observations || p.history_days() < config.min_days;
    let _ = writeln!(out, "agent {} (role {})", p.agent, p.role);
    let _ = writeln!(
        out,
        "  observations  {} over {:.1} days ({} → {}){}",
        human_number(p.observations as f64),
        p.history_days(),
        date(p.first_seen, config),
        date(p.last_seen, config),
        if learning { ", learning" } else { "" }
    );
    match p.week.active_hours() {
        Some(h) => {
            let _ = writeln!(out, "  usual hours   {h}");
        }
        None => {
            let _ = writeln!(out, "  usual hours   (none yet)");
        }
    }
    let _ = writeln!(out, "  hour of day   {}  (00 → 23)", hour_bars(p));
    if let Some(e) = p.rate.expectation() {
        let _ = writeln!(
            out,
            "  calls/hour    typically {} (spread ×{:.1})",
            human_number(e.typical()),
            e.sd.exp()
        );
    }
    if let Some(e) = p.burst.expectation() {
        let _ = writeln!(
            out,
            "  distinct resources per {} min  typically {}",
            config.burst_window_seconds / 60,
            human_number(e.typical())
        );
    }
    let _ = writeln!(
        out,
        "  destinations  {} known hosts; new-host rate {}",
        p.hosts.len(),
        pct(p.host_novelty.get())
    );
    let _ = writeln!(
        out,
        "  sequences     {} known sensitive-read → outbound sequences",
        p.sequences.len()
    );
    let _ = writeln!(
        out,
        "  tools         {} (new-tool rate {})",
        p.tools.len(),
        pct(p.tool_novelty.get())
    );
    let _ = writeln!(
        out,
        "    {:<28} {:>8} {:>10} {:>10} {:>9} {:>12}",
        "tool", "calls", "last seen", "calls/h", "prefixes", "volume/call"
    );
    let mut tools: Vec<_> = p.tools.iter().collect();
    tools.sort_by(|a, b| b.1.calls.cmp(&a.1.calls).then(a.0.cmp(b.0)));
    for (name, t) in tools {
        let rate = t
            .rate
            .expectation()
            .map_or("-".to_string(), |e| human_number(e.typical()));
        let volume = t
            .volume
            .expectation()
            .map_or("-".to_string(), |e| human_number(e.typical()));
        let _ = writeln!(
            out,
            "    {:<28} {:>8} {:>10} {:>10} {:>9} {:>12}",
            name,
            human_number(t.calls as f64),
            date(t.last_seen, config).get(..10).unwrap_or(""),
            rate,
            t.prefixes.len(),
            volume
        );
    }
    out
}

fn pct(p: Option<f64>) -> String {
    p.map_or("-".to_string(), |p| format!("{:.1}%", p * 100.0))
}

fn date(unix: i64, config: &BaselineConfig) -> String {
    let local = unix + i64::from(config.utc_offset_seconds);
    let Ok(t) = OffsetDateTime::from_unix_timestamp(local) else {
        return "?".to_string();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// One bar per hour of the day, scaled to the busiest hour.
fn hour_bars(p: &AgentProfile) -> String {
    let by_hour = p.week.by_hour_of_day();
    let max = by_hour.iter().copied().fold(0.0, f64::max);
    by_hour
        .iter()
        .map(|v| {
            if max <= 0.0 || *v < max * 0.02 {
                ' '
            } else {
                let i = ((v / max) * 7.0).round() as usize;
                BARS.get(i.min(7)).copied().unwrap_or(' ')
            }
        })
        .collect()
}
