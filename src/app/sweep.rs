//! The τ study behind `multispike sweep`: one CSV row per (τ_I, mode, seed) training run, and the
//! aggregation over seeds that the plots show (paper Figs. 3–5).
//!
//! Pure logic on strings and numbers: no file system, no plotting, so it also builds for wasm32.
//!
//! The CSV has a header line and one line per finished run, in the column order of [`columns`].
//! Floats are written with Rust's shortest round-trip formatting, so a row read back is equal to
//! the row written, bit for bit: a resumed sweep recognises its finished runs exactly.

use crate::engine::config::Mode;
use crate::train::HIST_BINS;
use serde::Deserialize;

/// The columns before the histogram, in file order.
pub const FIXED_COLUMNS: [&str; 16] = [
    "tau_I",
    "mode",
    "seed",
    "epochs",
    "train_samples",
    "test_samples",
    "test_accuracy",
    "test_loss",
    "train_accuracy",
    "mean_spikes",
    "silent_fraction",
    "dead_fraction",
    "non_finite",
    "guarded",
    "truncated",
    "wall_s",
];

/// All column names: [`FIXED_COLUMNS`], then `hist_0` … `hist_20` (the last bin collects 20 or more).
pub fn columns() -> Vec<String> {
    let mut c: Vec<String> = FIXED_COLUMNS.iter().map(|s| s.to_string()).collect();
    c.extend((0..HIST_BINS).map(|k| format!("hist_{k}")));
    c
}

/// The header line (without a line break).
pub fn header() -> String {
    columns().join(",")
}

/// What identifies a run: a finished run with the same key is not trained again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunKey {
    pub tau_i: f64,
    pub mode: Mode,
    pub seed: u64,
    pub epochs: u64,
    pub train_samples: u64,
    pub test_samples: u64,
}

impl RunKey {
    /// The budget part of the key: runs of one group are comparable and are plotted together.
    pub fn group(&self) -> RunGroup {
        RunGroup { epochs: self.epochs, train_samples: self.train_samples, test_samples: self.test_samples }
    }
}

/// Training budget shared by the runs of one sweep (epochs and data sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunGroup {
    pub epochs: u64,
    pub train_samples: u64,
    pub test_samples: u64,
}

/// The outcome of one training run (one CSV line).
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    pub key: RunKey,
    /// Test accuracy after the last epoch, as a fraction.
    pub test_accuracy: f64,
    /// Mean test cross-entropy.
    pub test_loss: f64,
    /// Training accuracy during the last epoch, as a fraction.
    pub train_accuracy: f64,
    /// Hidden spikes per hidden neuron per test image.
    pub mean_spikes: f64,
    /// Fraction of hidden neurons that fire on no test image.
    pub silent_fraction: f64,
    /// Fraction of hidden neurons flagged dead, over the batches of the last epoch.
    pub dead_fraction: f64,
    /// Samples left out for a non-finite loss or adjoint (plus skipped batches), all epochs.
    pub non_finite: u64,
    /// Grazing crossings whose slope was clamped in the backward pass, all epochs.
    pub guarded: u64,
    /// Spike trains cut by the spike cap during training, all epochs.
    pub truncated: u64,
    /// Seconds spent training and evaluating this run.
    pub wall_s: f64,
    /// Test-set histogram of per-(neuron, image) spike counts of the first hidden layer,
    /// [`HIST_BINS`] bins, the last one collecting counts ≥ its index.
    pub hist: Vec<u64>,
}

impl SweepRow {
    /// One CSV line (without a line break).
    pub fn to_csv(&self) -> String {
        let k = &self.key;
        let mut f: Vec<String> = vec![
            k.tau_i.to_string(),
            k.mode.as_str().to_string(),
            k.seed.to_string(),
            k.epochs.to_string(),
            k.train_samples.to_string(),
            k.test_samples.to_string(),
            self.test_accuracy.to_string(),
            self.test_loss.to_string(),
            self.train_accuracy.to_string(),
            self.mean_spikes.to_string(),
            self.silent_fraction.to_string(),
            self.dead_fraction.to_string(),
            self.non_finite.to_string(),
            self.guarded.to_string(),
            self.truncated.to_string(),
            self.wall_s.to_string(),
        ];
        f.extend(self.hist.iter().map(|h| h.to_string()));
        f.join(",")
    }

    /// Parses one CSV line; the error names the offending column.
    pub fn from_csv(line: &str) -> Result<SweepRow, String> {
        let cols = columns();
        let f: Vec<&str> = line.trim_end_matches('\r').split(',').map(str::trim).collect();
        if f.len() != cols.len() {
            return Err(format!("{} fields, expected {}", f.len(), cols.len()));
        }
        fn num<T: std::str::FromStr>(f: &[&str], cols: &[String], i: usize) -> Result<T, String> {
            f[i].parse().map_err(|_| format!("{}: {:?} is not a valid number", cols[i], f[i]))
        }
        let mode: Mode = f[1].parse().map_err(|_| format!("mode: {:?} is neither multi nor single", f[1]))?;
        let tau_i: f64 = num(&f, &cols, 0)?;
        if !(tau_i.is_finite() && tau_i > 0.0) {
            return Err(format!("tau_I: {tau_i} is not a positive number"));
        }
        let hist = (0..HIST_BINS).map(|b| num(&f, &cols, FIXED_COLUMNS.len() + b)).collect::<Result<Vec<u64>, _>>()?;
        Ok(SweepRow {
            key: RunKey {
                tau_i,
                mode,
                seed: num(&f, &cols, 2)?,
                epochs: num(&f, &cols, 3)?,
                train_samples: num(&f, &cols, 4)?,
                test_samples: num(&f, &cols, 5)?,
            },
            test_accuracy: num(&f, &cols, 6)?,
            test_loss: num(&f, &cols, 7)?,
            train_accuracy: num(&f, &cols, 8)?,
            mean_spikes: num(&f, &cols, 9)?,
            silent_fraction: num(&f, &cols, 10)?,
            dead_fraction: num(&f, &cols, 11)?,
            non_finite: num(&f, &cols, 12)?,
            guarded: num(&f, &cols, 13)?,
            truncated: num(&f, &cols, 14)?,
            wall_s: num(&f, &cols, 15)?,
            hist,
        })
    }
}

/// A whole CSV file: the header and one line per row, each ending with a line break.
pub fn to_csv(rows: &[SweepRow]) -> String {
    let mut text = header() + "\n";
    for r in rows {
        text += &(r.to_csv() + "\n");
    }
    text
}

/// One finished run of the browser's τ page (its worker's `run` event, as the page stores it):
/// the fields a CSV row needs; other fields are ignored.
#[derive(Clone, Debug, Deserialize)]
pub struct PageRun {
    pub tau: f64,
    pub mode: Mode,
    pub seed: u64,
    pub epochs: u64,
    pub train_samples: u64,
    pub test_samples: u64,
    pub wall_s: f64,
    /// The last epoch's training totals.
    pub train: PageTrain,
    /// The test evaluation after the last epoch.
    pub eval: PageEval,
}

/// The training totals of a [`PageRun`].
#[derive(Clone, Debug, Deserialize)]
pub struct PageTrain {
    pub accuracy: f64,
    pub dead_fraction: f64,
    pub non_finite: u64,
    pub guarded: u64,
    pub truncated: u64,
}

/// The test evaluation of a [`PageRun`].
#[derive(Clone, Debug, Deserialize)]
pub struct PageEval {
    pub accuracy: f64,
    pub loss: f64,
    pub mean_spikes: f64,
    pub silent_fraction: f64,
    pub spike_hist: Vec<u64>,
}

impl PageRun {
    /// The CSV row of the run (the same columns as `multispike sweep`); the histogram must have
    /// [`HIST_BINS`] bins.
    pub fn to_row(&self) -> Result<SweepRow, String> {
        if self.eval.spike_hist.len() != HIST_BINS {
            return Err(format!("spike_hist has {} bins, expected {HIST_BINS}", self.eval.spike_hist.len()));
        }
        Ok(SweepRow {
            key: RunKey {
                tau_i: self.tau,
                mode: self.mode,
                seed: self.seed,
                epochs: self.epochs,
                train_samples: self.train_samples,
                test_samples: self.test_samples,
            },
            test_accuracy: self.eval.accuracy,
            test_loss: self.eval.loss,
            train_accuracy: self.train.accuracy,
            mean_spikes: self.eval.mean_spikes,
            silent_fraction: self.eval.silent_fraction,
            dead_fraction: self.train.dead_fraction,
            non_finite: self.train.non_finite,
            guarded: self.train.guarded,
            truncated: self.train.truncated,
            wall_s: self.wall_s,
            hist: self.eval.spike_hist.clone(),
        })
    }
}

/// Parses a whole CSV file: the header must be this version's; blank lines are ignored. The
/// error gives the line number.
pub fn parse_csv(text: &str) -> Result<Vec<SweepRow>, String> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        None => return Ok(Vec::new()),
        Some((_, h)) if h.trim_end_matches('\r').trim() == header() => {}
        Some((_, h)) => {
            return Err(format!(
                "line 1: the header is not the one this version writes (expected {} columns tau_I,mode,…,hist_{}; \
                 found {:?})",
                columns().len(),
                HIST_BINS - 1,
                h.chars().take(60).collect::<String>()
            ))
        }
    }
    lines.map(|(i, l)| SweepRow::from_csv(l).map_err(|e| format!("line {}: {e}", i + 1))).collect()
}

/// Mean and standard error of the mean (sample standard deviation / √n; 0 for a single value).
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    (mean, (var / n as f64).sqrt())
}

/// One plotted point: a statistic at one τ_I for one mode, over the seeds that ran.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub tau_i: f64,
    /// Number of seeds (runs) averaged.
    pub n: usize,
    pub mean: f64,
    /// Standard error over seeds (0 when `n` = 1).
    pub se: f64,
}

/// The rows of one budget group, one row per key (the first wins if a key repeats).
pub fn rows_of_group(rows: &[SweepRow], group: RunGroup) -> Vec<&SweepRow> {
    let mut out: Vec<&SweepRow> = Vec::new();
    for r in rows.iter().filter(|r| r.key.group() == group) {
        if !out.iter().any(|o| o.key == r.key) {
            out.push(r);
        }
    }
    out
}

/// The group to plot when none is asked for: that of the last row (the latest sweep).
pub fn latest_group(rows: &[SweepRow]) -> Option<RunGroup> {
    rows.last().map(|r| r.key.group())
}

/// The modes present in `rows`, multi first.
pub fn modes_present(rows: &[&SweepRow]) -> Vec<Mode> {
    [Mode::Multi, Mode::Single].into_iter().filter(|m| rows.iter().any(|r| r.key.mode == *m)).collect()
}

/// Distinct τ_I values of `rows`, ascending.
pub fn taus_present(rows: &[&SweepRow]) -> Vec<f64> {
    let mut t: Vec<f64> = rows.iter().map(|r| r.key.tau_i).collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    t
}

/// `stat` of the rows of `mode`, averaged over seeds at each τ_I (ascending τ_I). Non-finite
/// values are left out of the average; a τ_I without any finite value gives no point.
pub fn curve(rows: &[&SweepRow], mode: Mode, stat: impl Fn(&SweepRow) -> f64) -> Vec<Point> {
    let mine: Vec<&SweepRow> = rows.iter().copied().filter(|r| r.key.mode == mode).collect();
    taus_present(&mine)
        .into_iter()
        .filter_map(|tau| {
            let xs: Vec<f64> =
                mine.iter().filter(|r| r.key.tau_i == tau).map(|r| stat(r)).filter(|x| x.is_finite()).collect();
            if xs.is_empty() {
                return None;
            }
            let (mean, se) = mean_se(&xs);
            Some(Point { tau_i: tau, n: xs.len(), mean, se })
        })
        .collect()
}

/// Spike-count histogram of `mode` at `tau_i` as fractions of all (neuron, image) pairs,
/// averaged over the seeds (each run normalised first); `None` when no run has counts.
pub fn hist_fractions(rows: &[&SweepRow], mode: Mode, tau_i: f64) -> Option<(Vec<f64>, usize)> {
    let runs: Vec<Vec<f64>> = rows
        .iter()
        .filter(|r| r.key.mode == mode && r.key.tau_i == tau_i)
        .filter_map(|r| {
            let total: u64 = r.hist.iter().sum();
            (total > 0).then(|| r.hist.iter().map(|&h| h as f64 / total as f64).collect())
        })
        .collect();
    if runs.is_empty() {
        return None;
    }
    let mut mean = vec![0.0; HIST_BINS];
    for r in &runs {
        for (m, x) in mean.iter_mut().zip(r) {
            *m += x / runs.len() as f64;
        }
    }
    Some((mean, runs.len()))
}

/// The paper's Fig. 3 panels read as τ_I (its caption says τ_V = 0.2, 0.4, 6.4 while its text
/// speaks of τ_I = 0.2), with 0.8 added: read as τ_V the first two panels are τ_I = 0.4 and 0.8.
pub const FIG3_TAUS: [f64; 4] = [0.2, 0.4, 0.8, 6.4];

/// The τ_I of the histogram figure: those of [`FIG3_TAUS`] when the sweep has all of them;
/// otherwise three, the smallest, 0.8 when present (the paper's optimum) or else the middle one,
/// and the largest. Fewer when fewer are given.
pub fn hist_taus(taus: &[f64]) -> Vec<f64> {
    let mut t: Vec<f64> = taus.iter().copied().filter(|x| x.is_finite()).collect();
    t.sort_by(f64::total_cmp);
    t.dedup();
    if FIG3_TAUS.iter().all(|f| t.iter().any(|x| (x - f).abs() < 1e-9)) {
        return FIG3_TAUS.to_vec();
    }
    if t.len() <= 3 {
        return t;
    }
    let mid = t.iter().copied().find(|&x| (x - 0.8).abs() < 1e-9).unwrap_or(t[(t.len() - 1) / 2]);
    vec![t[0], mid, t[t.len() - 1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tau: f64, mode: Mode, seed: u64, acc: f64) -> SweepRow {
        let mut hist = vec![0; HIST_BINS];
        hist[0] = 10;
        hist[1] = 30;
        hist[HIST_BINS - 1] = seed;
        SweepRow {
            key: RunKey { tau_i: tau, mode, seed, epochs: 2, train_samples: 100, test_samples: 50 },
            test_accuracy: acc,
            test_loss: 0.1 / 3.0,
            train_accuracy: 0.9,
            mean_spikes: 1.0 + tau,
            silent_fraction: 0.25,
            dead_fraction: 0.0,
            non_finite: 0,
            guarded: 3,
            truncated: 1,
            wall_s: 1.5,
            hist,
        }
    }

    #[test]
    fn csv_round_trip_is_exact() {
        let rows = vec![row(0.2, Mode::Multi, 1, 0.7 + 1e-17), row(1.0 / 3.0, Mode::Single, 2, 0.123456789)];
        let mut text = header() + "\n";
        for r in &rows {
            text += &(r.to_csv() + "\n");
        }
        assert_eq!(parse_csv(&text).unwrap(), rows);
        assert_eq!(header().split(',').count(), 16 + HIST_BINS);
        assert!(header().ends_with(",hist_20"));
    }

    #[test]
    fn page_runs_become_rows() {
        let json = format!(
            r#"[{{"tau":0.4,"mode":"single","seed":1,"epochs":2,"train_samples":100,"test_samples":50,"wall_s":1.5,
               "run":3,"hidden":[100],
               "train":{{"accuracy":0.9,"dead_fraction":0,"non_finite":0,"guarded":3,"truncated":1,"samples":100}},
               "eval":{{"accuracy":0.7,"loss":0.25,"mean_spikes":0.5,"silent_fraction":0.25,"spike_hist":{:?}}}}}]"#,
            vec![1u64; HIST_BINS]
        );
        let runs: Vec<PageRun> = serde_json::from_str(&json).unwrap();
        let row = runs[0].to_row().unwrap();
        assert_eq!((row.key.tau_i, row.key.mode, row.test_accuracy, row.guarded), (0.4, Mode::Single, 0.7, 3));
        let text = to_csv(std::slice::from_ref(&row));
        assert_eq!(parse_csv(&text).unwrap(), vec![row]);
        let mut short = runs[0].clone();
        short.eval.spike_hist.pop();
        assert!(short.to_row().unwrap_err().contains("bins"));
    }

    #[test]
    fn bad_csv_is_reported_with_its_line() {
        let ok = row(0.8, Mode::Multi, 1, 0.9).to_csv();
        let bad = ok.replacen("multi", "double", 1);
        let e = parse_csv(&format!("{}\n{ok}\n{bad}\n", header())).unwrap_err();
        assert!(e.contains("line 3") && e.contains("mode"), "{e}");
        let e = parse_csv("a,b\n").unwrap_err();
        assert!(e.contains("header"), "{e}");
        let e = parse_csv(&format!("{}\n1,2\n", header())).unwrap_err();
        assert!(e.contains("line 2") && e.contains("fields"), "{e}");
        assert!(parse_csv("").unwrap().is_empty());
    }

    #[test]
    fn aggregation() {
        let rows = vec![
            row(0.8, Mode::Multi, 1, 0.90),
            row(0.8, Mode::Multi, 2, 0.92),
            row(0.2, Mode::Multi, 1, 0.80),
            row(0.2, Mode::Single, 1, 0.70),
            row(0.2, Mode::Single, 1, 0.10), // repeated key: ignored
        ];
        let g = rows_of_group(&rows, latest_group(&rows).unwrap());
        assert_eq!(g.len(), 4);
        assert_eq!(modes_present(&g), vec![Mode::Multi, Mode::Single]);
        let c = curve(&g, Mode::Multi, |r| r.test_accuracy);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].tau_i, c[0].n, c[0].se), (0.2, 1, 0.0));
        assert_eq!((c[1].tau_i, c[1].n), (0.8, 2));
        assert!((c[1].mean - 0.91).abs() < 1e-12 && (c[1].se - 0.01).abs() < 1e-12);
        assert_eq!(curve(&g, Mode::Single, |r| r.test_accuracy)[0].mean, 0.70);
        let (h, n) = hist_fractions(&g, Mode::Multi, 0.8).unwrap();
        assert_eq!(n, 2);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(hist_fractions(&g, Mode::Single, 0.8).is_none());
    }

    #[test]
    fn histogram_taus() {
        assert_eq!(hist_taus(&[0.2, 0.4, 0.8, 1.6, 3.2, 6.4]), FIG3_TAUS.to_vec());
        assert_eq!(hist_taus(&[0.2, 0.4, 0.8, 1.6, 51.2]), vec![0.2, 0.8, 51.2]);
        assert_eq!(hist_taus(&[0.1, 0.3, 0.5, 0.7, 0.9]), vec![0.1, 0.5, 0.9]);
        assert_eq!(hist_taus(&[3.2, 0.2]), vec![0.2, 3.2]);
        assert_eq!(hist_taus(&[0.2, 0.2, 0.4, 0.8]), vec![0.2, 0.4, 0.8]);
    }
}
