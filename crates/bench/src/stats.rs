//! Summaries of timing samples.

use std::time::Duration;

/// Median, tail percentiles and maximum of a set of samples, in microseconds.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Median.
    pub median_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Maximum.
    pub max_us: f64,
    /// Number of samples.
    pub count: usize,
}

impl Summary {
    /// Summarises `samples` (any order).
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort();
        let at = |q: f64| {
            if samples.is_empty() {
                return 0.0;
            }
            let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
            samples[index].as_secs_f64() * 1e6
        };
        Self {
            median_us: at(0.5),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: at(1.0),
            count: samples.len(),
        }
    }

    /// The four numbers as a table row.
    pub fn row(&self) -> String {
        format!(
            "{:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            self.median_us, self.p99_us, self.p999_us, self.max_us
        )
    }

    /// As JSON.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "median_us": self.median_us, "p99_us": self.p99_us, "p99_9_us": self.p999_us,
            "max_us": self.max_us, "count": self.count,
        })
    }
}
