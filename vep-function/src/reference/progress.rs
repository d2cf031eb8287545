//! Progress of long steps (downloads, recompression): a bar with bytes, rate and ETA on a
//! terminal; on anything else (CI logs, a cluster Job), one plain line every few seconds.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressStyle};

/// How often a plain progress line is written when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    label: String,
    total: Option<u64>,
    done: u64,
    /// Bytes already there when this step started (a resumed download): not part of the rate.
    start_at: u64,
    started: Instant,
    last_line: Instant,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts reporting `label`; `total` when known, `done` bytes already there.
    pub fn start(label: &str, total: Option<u64>, done: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
            let template = if total.is_some() {
                "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}"
            } else {
                "{msg} {spinner} {bytes} {binary_bytes_per_sec}"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label.to_string());
            bar.set_position(done);
            bar
        });
        let now = Instant::now();
        Self {
            label: label.to_string(),
            total,
            done,
            start_at: done,
            started: now,
            last_line: now,
            bar,
        }
    }

    pub fn advance(&mut self, bytes: u64) {
        self.done += bytes;
        match &self.bar {
            Some(bar) => bar.set_position(self.done),
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                eprintln!("{}", self.line());
            }
            None => {}
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!(
            "{}: {} in {:.1} s",
            self.label,
            HumanBytes(self.done),
            self.started.elapsed().as_secs_f64()
        );
    }

    /// The plain line: `label: 1.2 GiB of 3.0 GiB (40%), 45.0 MiB/s, ETA 41s`.
    fn line(&self) -> String {
        let elapsed = self.started.elapsed();
        let fresh = self.done.saturating_sub(self.start_at);
        let rate = fresh as f64 / elapsed.as_secs_f64().max(1e-3);
        format_line(&self.label, self.done, self.total, rate)
    }
}

fn format_line(label: &str, done: u64, total: Option<u64>, rate: f64) -> String {
    let rate_text = format!("{}/s", HumanBytes(rate as u64));
    match total {
        Some(total) if total > 0 => {
            let left = total.saturating_sub(done);
            let eta = if rate > 0.0 {
                HumanDuration(Duration::from_secs_f64(left as f64 / rate)).to_string()
            } else {
                "unknown".into()
            };
            format!(
                "{label}: {} of {} ({}%), {rate_text}, ETA {eta}",
                HumanBytes(done),
                HumanBytes(total),
                done.saturating_mul(100) / total
            )
        }
        _ => format!("{label}: {}, {rate_text}", HumanBytes(done)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_line_shows_bytes_share_rate_and_eta() {
        let line = format_line(
            "genome",
            512 * 1024 * 1024,
            Some(1024 * 1024 * 1024),
            64.0 * 1024.0 * 1024.0,
        );
        assert!(
            line.starts_with("genome: 512.00 MiB of 1.00 GiB (50%), 64.00 MiB/s, ETA "),
            "{line}"
        );
        assert!(line.ends_with("8 seconds"), "{line}");
    }

    #[test]
    fn unknown_total_shows_bytes_and_rate_only() {
        assert_eq!(
            format_line("gff3", 2048, None, 1024.0),
            "gff3: 2.00 KiB, 1.00 KiB/s"
        );
    }
}
