//! Helpers shared by the subcommands: the error type with its exit code, dates, the command
//! line, data loading, progress bars, small statistics.

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use multispike::data::{DatasetId, Examples, Split};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Exit code of usage and configuration errors (as clap uses for bad arguments).
pub const EXIT_USAGE: u8 = 2;
/// Exit code of runtime errors (unreadable files, corrupt data, I/O failures).
pub const EXIT_RUNTIME: u8 = 1;

/// A failed command: the message shown as `error: <msg>` and the process exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub msg: String,
}

impl Failure {
    /// A usage or configuration error (exit code 2).
    pub fn usage(msg: impl Into<String>) -> Self {
        Failure { code: EXIT_USAGE, msg: msg.into() }
    }

    /// A runtime error (exit code 1).
    pub fn runtime(msg: impl Into<String>) -> Self {
        Failure { code: EXIT_RUNTIME, msg: msg.into() }
    }
}

impl From<multispike::Error> for Failure {
    fn from(e: multispike::Error) -> Self {
        match e {
            multispike::Error::Config(_) => Failure::usage(e.to_string()),
            other => Failure::runtime(other.to_string()),
        }
    }
}

/// Result of a subcommand.
pub type CliResult<T = ()> = Result<T, Failure>;

/// Extension to attach context to any error, as a runtime failure.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> CliResult<T>;
}

impl<T, E: std::fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> CliResult<T> {
        self.map_err(|e| Failure::runtime(format!("{}: {e}", what())))
    }
}

/// The command line as typed, each argument quoted for a POSIX shell when needed.
pub fn command_line() -> String {
    // The program is recorded by its name, not by the path it was started from.
    std::iter::once("multispike".into())
        .chain(std::env::args_os().skip(1))
        .map(|a| {
            let s = a.to_string_lossy().into_owned();
            let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c));
            if plain {
                s
            } else {
                format!("'{}'", s.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// (year, month, day) of a day count since 1970-01-01 in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A time as UTC ISO-8601 with second resolution, e.g. `2024-05-17T09:03:41Z`.
pub fn iso8601_utc(t: SystemTime) -> String {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `--dataset`: a data set of the table (`multispike::data::catalog`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// Handwritten digits, 28x28, 10 classes (the paper's data set).
    Mnist,
    /// Zalando's clothing images, 28x28, 10 classes (same files and shapes as MNIST).
    FashionMnist,
    /// The 2-D, 3-class Yin-Yang benchmark, generated from the published seeds (5 inputs).
    YinYang,
}

impl From<DatasetArg> for DatasetId {
    fn from(d: DatasetArg) -> DatasetId {
        match d {
            DatasetArg::Mnist => DatasetId::Mnist,
            DatasetArg::FashionMnist => DatasetId::FashionMnist,
            DatasetArg::YinYang => DatasetId::YinYang,
        }
    }
}

/// The data directory: `--data` if given, else the data set's default (`data/<name>`).
pub fn data_dir(id: DatasetId, data: Option<&Path>) -> std::path::PathBuf {
    data.map(Path::to_path_buf).unwrap_or_else(|| std::path::PathBuf::from(id.spec().default_dir))
}

/// Loads one split of a data set and keeps its first `limit` examples.
pub fn load_split(id: DatasetId, dir: &Path, split: Split, limit: Option<usize>) -> CliResult<Examples> {
    let ds = multispike::data::load_split(id, dir, split)?;
    Ok(match limit {
        Some(n) => ds.head(n),
        None => ds,
    })
}

/// Checks an optional `--…-limit N` flag: N must be at least 1.
pub fn check_limit(flag: &str, limit: Option<usize>) -> CliResult {
    match limit {
        Some(0) => Err(Failure::usage(format!("{flag} must be at least 1"))),
        _ => Ok(()),
    }
}

/// A progress bar over `len` samples that shows the rate in samples/s and the ETA; drawn on
/// stderr, and only when stderr is a terminal.
pub fn sample_bar(len: u64, prefix: String) -> ProgressBar {
    let style =
        ProgressStyle::with_template("{prefix:.bold} {bar:20.cyan/blue} {pos}/{len} {rate} ETA {eta} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", s.per_sec());
            })
            .progress_chars("█▉▊▋▌▍▎▏ ");
    let pb = ProgressBar::new(len).with_style(style).with_prefix(prefix);
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// A spinner with a message, for steps without a sample-by-sample callback.
pub fn spinner(msg: String) -> ProgressBar {
    let pb = ProgressBar::new_spinner().with_message(msg);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Median of a non-empty list (mean of the two middle values for an even length).
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// `a / b`, or 0 when `b` is 0.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

/// The CPU model named in /proc/cpuinfo, if any.
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model") || l.starts_with("cpu model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// Number of CPUs this process may use.
pub fn nproc() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The leaves where two JSON values differ: (dotted path, value in `a`, value in `b`), in key
/// order; a key missing on one side counts as `null` there.
pub fn json_diff(a: &Value, b: &Value) -> Vec<(String, Value, Value)> {
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<(String, Value, Value)>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(&p, x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), out);
                }
            }
            _ if a != b => out.push((path.to_string(), a.clone(), b.clone())),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", a, b, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(iso8601_utc(UNIX_EPOCH + Duration::from_secs(1_715_936_621)), "2024-05-17T09:03:41Z");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
