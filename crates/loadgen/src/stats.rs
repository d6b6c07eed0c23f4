//! Percentiles over measured latencies (nearest-rank).

use std::time::Duration;

pub struct Summary {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

impl Summary {
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort_unstable();
        let pick = |q: f64| -> Duration {
            if samples.is_empty() {
                return Duration::ZERO;
            }
            let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples.get(rank - 1).copied().unwrap_or_default()
        };
        let total: Duration = samples.iter().sum();
        let mean = if samples.is_empty() {
            Duration::ZERO
        } else {
            total / samples.len() as u32
        };
        Summary {
            p50: pick(0.50),
            p90: pick(0.90),
            p99: pick(0.99),
            mean,
        }
    }

    pub fn row(&self, name: &str) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} |",
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.mean)
        )
    }
}
