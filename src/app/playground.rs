//! The Yin-Yang playground (what the browser's `YinYang` class wraps): a small network trained
//! live on the published Yin-Yang training split, with what the page draws — the decision regions
//! on a grid over the unit square, the data points, and the spike raster and membrane traces of
//! one point. Like [`crate::app::session`], it measures no time (callers add it) and validates every
//! setting in Rust, so the page has no validation of its own.

use crate::app::session::{weights_digest, EpochPosition, EvalReport, StepReport};
use crate::app::traces::{self, Prediction};
use crate::data::catalog::DatasetId;
use crate::data::samples::{Samples, TimedSet};
use crate::data::yinyang::{self, YinYangSplit};
use crate::engine::config::{Mode, NetConfig};
use crate::engine::loss::output_loss;
use crate::engine::network::Workspace;
use crate::engine::optim::AdamConfig;
use crate::error::{Error, Result};
use crate::formats::model_file;
use crate::train::{evaluate, TrainConfig, Trainer};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest hidden layer of the playground (it trains in a page, live).
pub const MAX_HIDDEN: usize = 1000;
/// Largest decision-map resolution (cells per side).
pub const MAX_RESOLUTION: usize = 256;

/// Playground settings as the page gives them; every field optional (missing: our Yin-Yang
/// recipe, see [`yinyang::RECIPE_HIDDEN`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlaygroundConfig {
    /// Hidden layer sizes (one or more layers), each 1..=1000.
    pub hidden: Vec<usize>,
    #[serde(alias = "tau_I", alias = "tauI", alias = "tau")]
    pub tau_i: f64,
    pub mode: Mode,
    #[serde(alias = "learning_rate")]
    pub lr: f64,
    #[serde(alias = "batch_size")]
    pub batch: usize,
    pub lambda: f64,
    pub sigma: f64,
    /// Seed of the initial weights and of the sample order (the data use the published seeds).
    pub seed: u64,
    pub max_spikes: u32,
    /// Mean and standard deviation of the Gaussian init: one value (every layer) or one per
    /// weight layer.
    pub init_mean: Vec<f64>,
    pub init_std: Vec<f64>,
    /// Training examples used: the first N of the published training split (1..=5000).
    pub train_size: usize,
}

impl Default for PlaygroundConfig {
    fn default() -> Self {
        let p = TrainConfig::paper(NetConfig::new(vec![yinyang::INPUTS, 1, yinyang::CLASSES], 0.8, Mode::Multi));
        PlaygroundConfig {
            hidden: vec![yinyang::RECIPE_HIDDEN],
            tau_i: p.net.tau_i,
            mode: p.net.mode,
            lr: yinyang::RECIPE_LR,
            batch: yinyang::RECIPE_BATCH,
            lambda: p.loss.lambda,
            sigma: p.loss.sigma,
            seed: p.seed,
            max_spikes: p.net.max_spikes,
            init_mean: vec![yinyang::RECIPE_INIT[0][0], yinyang::RECIPE_INIT[1][0]],
            init_std: vec![yinyang::RECIPE_INIT[0][1], yinyang::RECIPE_INIT[1][1]],
            train_size: yinyang::TRAIN_SIZE,
        }
    }
}

impl PlaygroundConfig {
    /// Parses a JSON object; unknown keys and `null` (JS `NaN`/`±Infinity`) are errors naming
    /// the key.
    pub fn from_json(json: &str) -> Result<Self> {
        crate::app::session::config_from_json(json)
    }

    /// The validated training configuration (5 inputs, the hidden layers, 3 outputs).
    pub fn to_train_config(&self) -> Result<TrainConfig> {
        let cfg = |m: String| Err(Error::Config(m));
        if self.hidden.is_empty() || self.hidden.len() > 4 {
            return cfg(format!("hidden needs 1 to 4 layer sizes, got {}", self.hidden.len()));
        }
        if let Some(&h) = self.hidden.iter().find(|&&h| h == 0 || h > MAX_HIDDEN) {
            return cfg(format!("hidden layer sizes must be in 1..={MAX_HIDDEN}, got {h}"));
        }
        if !(1..=yinyang::TRAIN_SIZE).contains(&self.train_size) {
            return cfg(format!("train_size must be in 1..={}, got {}", yinyang::TRAIN_SIZE, self.train_size));
        }
        let mut layers = vec![yinyang::INPUTS];
        layers.extend(&self.hidden);
        layers.push(yinyang::CLASSES);
        let mut net = NetConfig::new(layers, self.tau_i, self.mode);
        net.max_spikes = self.max_spikes;
        let n_w = net.n_weight_layers();
        let mut c = TrainConfig::paper(net);
        c.dataset = DatasetId::YinYang;
        c.adam = AdamConfig { lr: self.lr, ..c.adam };
        c.batch_size = self.batch;
        c.loss.lambda = self.lambda;
        c.loss.sigma = self.sigma;
        c.seed = self.seed;
        let mut per_layer = Vec::with_capacity(n_w);
        for l in 0..n_w {
            let pick = |v: &[f64], what: &str| -> Result<f64> {
                match v.len() {
                    1 => Ok(v[0]),
                    n if n == n_w => Ok(v[l]),
                    // Shorter lists: the last value for the remaining layers (a 2-value default
                    // fits a deeper net: input layer, then every later layer).
                    n if n >= 1 && n < n_w => Ok(v[l.min(n - 1)]),
                    n => Err(Error::Config(format!("{what} has {n} values for {n_w} weight layers"))),
                }
            };
            per_layer.push([pick(&self.init_mean, "init_mean")?, pick(&self.init_std, "init_std")?]);
        }
        c.init_mean = per_layer[0][0];
        c.init_std = per_layer[0][1];
        c.init_layers = per_layer;
        c.validate()?;
        Ok(c)
    }
}

/// The decision regions on a `resolution × resolution` grid over the unit square (cell centres,
/// row 0 at the top, y = 1): class per cell (255 where the largest outputs tie) and the winning
/// class's softmax probability.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DecisionMap {
    pub resolution: usize,
    pub class: Vec<u8>,
    pub confidence: Vec<f32>,
    /// Cells of each class (ties left out), and hidden spikes per cell on average.
    pub counts: Vec<usize>,
    pub mean_spikes: f64,
}

/// Points of a split, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Points {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub label: Vec<u8>,
}

/// Accuracy on the training examples used and on the published test split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlaygroundEval {
    pub train: EvalReport,
    pub test: EvalReport,
}

/// A trainer on Yin-Yang with its data and position in the epoch.
#[derive(Clone, Debug)]
pub struct Playground {
    cfg: PlaygroundConfig,
    trainer: Trainer,
    train_points: Vec<[f64; 2]>,
    train: TimedSet,
    test_points: Vec<[f64; 2]>,
    test: TimedSet,
    position: EpochPosition,
}

impl Playground {
    /// A fresh network and the published data (validated settings).
    pub fn new(cfg: &PlaygroundConfig) -> Result<Self> {
        let tc = cfg.to_train_config()?;
        let trainer = Trainer::new(tc)?;
        let (mut train_points, train) = yinyang::split(YinYangSplit::Train);
        train_points.truncate(cfg.train_size);
        let (test_points, test) = yinyang::split(YinYangSplit::Test);
        Ok(Playground {
            cfg: cfg.clone(),
            trainer,
            train_points,
            train: train.head(cfg.train_size),
            test_points,
            test,
            position: EpochPosition::default(),
        })
    }

    /// The settings (defaults filled in).
    pub fn config(&self) -> &PlaygroundConfig {
        &self.cfg
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// Runs `steps` mini-batch steps, continuing the epoch.
    pub fn train_steps(&mut self, steps: usize) -> Result<StepReport> {
        self.position.run(&mut self.trainer, &self.train, steps)
    }

    /// Accuracy and spiking statistics on the training examples and the test split.
    pub fn evaluate(&self) -> Result<PlaygroundEval> {
        Ok(PlaygroundEval {
            train: EvalReport::from_stats(&evaluate(&self.trainer.net, &self.train)?),
            test: EvalReport::from_stats(&evaluate(&self.trainer.net, &self.test)?),
        })
    }

    /// The decision regions (see [`DecisionMap`]); `resolution` in 2..=256.
    pub fn decision_map(&self, resolution: usize) -> Result<DecisionMap> {
        if !(2..=MAX_RESOLUTION).contains(&resolution) {
            return Err(Error::Shape(format!("the map resolution must be in 2..={MAX_RESOLUTION}, got {resolution}")));
        }
        let net = &self.trainer.net;
        let cfg = net.config();
        let rows: Vec<(Vec<u8>, Vec<f32>, usize)> = (0..resolution)
            .into_par_iter()
            .map(|r| {
                let mut ws = Workspace::default();
                let mut class = Vec::with_capacity(resolution);
                let mut conf = Vec::with_capacity(resolution);
                let mut spikes = 0;
                let y = 1.0 - (r as f64 + 0.5) / resolution as f64;
                for c in 0..resolution {
                    let x = (c as f64 + 0.5) / resolution as f64;
                    let ev = crate::engine::events::Events::from_times(&self.input_times(x, y), cfg.tau_i, cfg.t_out);
                    let tr = net.forward_events(ev, &mut ws);
                    spikes += tr.hidden_spikes();
                    let (_, _, pred) = output_loss(&tr.v_out, 0, 0.0);
                    let m = tr.v_out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = tr.v_out.iter().map(|v| (v - m).exp()).sum();
                    class.push(pred.map_or(255, |k| k as u8));
                    conf.push((1.0 / sum) as f32);
                }
                (class, conf, spikes)
            })
            .collect();
        let mut map = DecisionMap {
            resolution,
            class: Vec::with_capacity(resolution * resolution),
            confidence: Vec::with_capacity(resolution * resolution),
            counts: vec![0; yinyang::CLASSES],
            mean_spikes: 0.0,
        };
        let mut spikes = 0usize;
        for (class, conf, s) in rows {
            for &k in &class {
                if let Some(c) = map.counts.get_mut(k as usize) {
                    *c += 1;
                }
            }
            map.class.extend(class);
            map.confidence.extend(conf);
            spikes += s;
        }
        map.mean_spikes = spikes as f64 / (resolution * resolution) as f64;
        Ok(map)
    }

    /// The points of the training examples used (`test` false) or of the test split.
    pub fn points(&self, test: bool) -> Points {
        let (pts, set) = if test { (&self.test_points, &self.test) } else { (&self.train_points, &self.train) };
        Points {
            x: pts.iter().map(|p| p[0] as f32).collect(),
            y: pts.iter().map(|p| p[1] as f32).collect(),
            label: (0..set.len()).map(|i| set.label(i)).collect(),
        }
    }

    /// Raster and traces of the point (x, y) of the unit square: hidden spikes, output traces on
    /// `points` grid times, probabilities; plus its true class in `class` of the returned pair
    /// (`None` outside the big circle, where the data set defines none).
    pub fn predict(&self, x: f64, y: f64, points: usize) -> Result<(Prediction, Option<u8>)> {
        if !(x.is_finite() && y.is_finite() && (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y)) {
            return Err(Error::Shape(format!("the point ({x}, {y}) is not in the unit square")));
        }
        let p = traces::predict_times(&self.trainer.net, &self.input_times(x, y), points)?;
        let truth = yinyang::inside(x, y).then(|| yinyang::which_class(x, y));
        Ok((p, truth))
    }

    /// The input spike times of the point (x, y): x, y, 1−x, 1−y, bias (absolute times).
    pub fn input_times(&self, x: f64, y: f64) -> Vec<f64> {
        let t_out = self.trainer.net.config().t_out;
        yinyang::encode(x, y).iter().map(|u| u * t_out).collect()
    }

    /// The current network as a model file (dataset `yin-yang` in its metadata).
    pub fn export_model(&self) -> Result<Vec<u8>> {
        let prov = BTreeMap::from([
            ("producer".to_string(), "multispike playground (browser)".to_string()),
            ("dataset".to_string(), DatasetId::YinYang.name().to_string()),
            ("epochs".to_string(), self.trainer.epoch.to_string()),
            ("steps".to_string(), self.trainer.adam.t.to_string()),
            ("seed".to_string(), self.trainer.cfg.seed.to_string()),
            ("init".to_string(), self.trainer.cfg.init_description()),
        ]);
        model_file::to_bytes(&self.trainer.net, &prov)
    }

    /// sha256 of all weights (compare runs bit for bit).
    pub fn weights_digest(&self) -> String {
        weights_digest(&self.trainer.net)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_settings_name_the_field() {
        PlaygroundConfig::default().to_train_config().unwrap();
        for (json, want) in [
            (r#"{"hidden":[0]}"#, "hidden"),
            (r#"{"hidden":[]}"#, "hidden"),
            (r#"{"tau_I":-1}"#, "tau_I"),
            (r#"{"lr":null}"#, "lr"),
            (r#"{"train_size":0}"#, "train_size"),
            (r#"{"init_mean":[1,2,3]}"#, "init_mean"),
            (r#"{"hiden":[3]}"#, "hiden"),
        ] {
            let e = PlaygroundConfig::from_json(json).and_then(|c| c.to_train_config()).unwrap_err().to_string();
            assert!(e.contains(want), "{json}: {e}");
        }
    }

    #[test]
    fn map_points_and_raster() {
        let cfg = PlaygroundConfig { hidden: vec![20], train_size: 200, ..Default::default() };
        let mut p = Playground::new(&cfg).unwrap();
        assert_eq!(p.points(false).x.len(), 200);
        assert_eq!(p.points(true).label.len(), yinyang::TEST_SIZE);
        let before = p.decision_map(16).unwrap();
        assert_eq!(before.class.len(), 256);
        let r = p.train_steps(30).unwrap();
        assert_eq!(r.steps, 30);
        assert_eq!(r.epoch, 3);
        let after = p.decision_map(16).unwrap();
        assert_ne!(before.class, after.class, "training changes the regions");
        let (pred, truth) = p.predict(0.25, 0.5, 50).unwrap();
        assert_eq!(truth, Some(2));
        assert_eq!(pred.probabilities.len(), 3);
        assert_eq!(pred.v_trace.len(), 3 * 50);
        assert!(p.predict(1.5, 0.5, 50).is_err());
        assert!(p.decision_map(1).is_err());
        let m = model_file::from_bytes(&p.export_model().unwrap()).unwrap();
        assert_eq!(m.dataset().unwrap(), DatasetId::YinYang);
        assert_eq!(weights_digest(&m.network), p.weights_digest());
    }
}
