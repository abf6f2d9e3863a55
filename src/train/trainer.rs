//! Mini-batch training with Adam, data-parallel over the batch with rayon.
//!
//! One step on a mini-batch:
//! 1. forward every sample (in parallel) and keep its trace;
//! 2. flag the dead neurons of every hidden layer: P_j = 1 when neuron j fired on fewer than
//!    `dead_fraction` × batch-size samples (the paper's 1/10); flags are constants for the gradient;
//! 3. backward every sample into per-chunk gradient buffers (fixed chunks of `CHUNK` samples,
//!    in parallel), reduce the chunks in chunk order and average: the result does not depend on
//!    the number of threads, bit for bit;
//! 4. one Adam step, in parallel pieces (it is elementwise: the same bits as one pass).
//!
//! A sample whose backward meets a non-finite adjoint is left out of the batch gradient and
//! counted (`non_finite`); a batch whose gradient is still non-finite is skipped and counted.

use crate::data::catalog::DatasetId;
use crate::data::samples::Samples;
use crate::engine::backward::BackwardStats;
use crate::engine::config::NetConfig;
use crate::engine::encoding::PixelEncoder;
use crate::engine::loss::{dead_penalty_into, output_loss, output_loss_into, LossWeights};
use crate::engine::network::{Network, Trace, Workspace};
use crate::engine::optim::{Adam, AdamConfig};
use crate::engine::real::Precision;
use crate::error::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

/// Largest accepted weight of the dead-neuron and L2 penalties (lambda, sigma).
pub const MAX_PENALTY: f64 = 1000.0;
/// Largest accepted |mean| and standard deviation of the Gaussian weight initialisation.
pub const MAX_INIT: f64 = 100.0;
/// Largest accepted mini-batch size.
pub const MAX_BATCH: usize = 100_000;

/// Samples per gradient chunk. Fixed (not derived from the thread count) so that the reduction
/// order, and therefore every bit of the weights, is the same on any number of threads.
pub const CHUNK: usize = 25;

/// Everything that defines a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The data set trained on (decides the input and output sizes; absent in files written
    /// before data sets other than MNIST existed, hence MNIST by default and not written then).
    #[serde(default, skip_serializing_if = "DatasetId::is_mnist")]
    pub dataset: DatasetId,
    pub net: NetConfig,
    pub adam: AdamConfig,
    pub loss: LossWeights,
    pub batch_size: usize,
    pub epochs: usize,
    pub seed: u64,
    /// Gaussian init mean and standard deviation (every layer, unless `init_layers` is given).
    pub init_mean: f64,
    pub init_std: f64,
    /// Per weight matrix (mean, std), first layer first; empty: `init_mean`/`init_std` everywhere.
    /// Small-input data sets (Yin-Yang: 5 inputs) need a larger first-layer mean to fire at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_layers: Vec<[f64; 2]>,
    /// A hidden neuron is flagged dead when it fires on fewer than this fraction of a batch.
    pub dead_fraction: f64,
    /// Precision of the per-neuron state during training (f32: fast; f64: exact reference).
    #[serde(default = "default_train_precision")]
    pub precision: Precision,
    /// Learning-rate schedule over the epochs (the paper uses a constant rate).
    #[serde(default)]
    pub lr_schedule: LrSchedule,
}

/// Learning-rate schedule, applied per epoch (so a resumed run follows the same schedule).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The paper's recipe: the same rate for every epoch.
    #[default]
    Constant,
    /// Cosine decay from lr (first epoch) towards 0 (after the last epoch).
    Cosine,
}

impl LrSchedule {
    /// Factor applied to the base rate during epoch `epoch` (0-based) of `epochs`.
    pub fn factor(self, epoch: u64, epochs: usize) -> f64 {
        match self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Cosine => {
                let p = (epoch as f64 / epochs.max(1) as f64).min(1.0);
                0.5 * (1.0 + (std::f64::consts::PI * p).cos())
            }
        }
    }
}

fn default_train_precision() -> Precision {
    Precision::F32
}

impl TrainConfig {
    /// The paper's recipe for a given architecture, τ_I and mode.
    pub fn paper(net: NetConfig) -> Self {
        TrainConfig {
            dataset: DatasetId::Mnist,
            net,
            adam: AdamConfig::default(),
            loss: LossWeights::default(),
            batch_size: 100,
            epochs: 100,
            seed: 1,
            init_mean: 0.03,
            init_std: 0.3f64.sqrt(),
            init_layers: Vec::new(),
            dead_fraction: 0.1,
            precision: Precision::F32,
            lr_schedule: LrSchedule::Constant,
        }
    }

    /// Bytes of training state a [`Trainer`] of this configuration holds once it has run a step:
    /// per weight 4 (f32 weight) + 8 (Adam moments) + 4 per gradient chunk of the batch (the
    /// first chunk's buffer also carries the reduced gradient). Traces and data come on top.
    pub fn state_bytes(&self) -> u64 {
        let params: u64 = self.net.layers.windows(2).map(|w| (w[0] * w[1]) as u64).sum();
        let chunks = self.batch_size.div_ceil(CHUNK) as u64;
        params * (12 + 4 * chunks)
    }

    /// The (mean, std) of each weight matrix's initialisation.
    pub fn init_per_layer(&self) -> Vec<[f64; 2]> {
        if self.init_layers.is_empty() {
            vec![[self.init_mean, self.init_std]; self.net.n_weight_layers()]
        } else {
            self.init_layers.clone()
        }
    }

    /// A human description of the initialisation, e.g. `normal(mean=0.03,std=0.3)`.
    pub fn init_description(&self) -> String {
        if self.init_layers.is_empty() {
            format!("normal(mean={},std={})", self.init_mean, self.init_std)
        } else {
            let per: Vec<String> = self.init_layers.iter().map(|[m, s]| format!("normal(mean={m},std={s})")).collect();
            per.join(";")
        }
    }

    pub fn validate(&self) -> Result<()> {
        self.net.validate()?;
        self.adam.validate()?;
        let c = |m: String| Err(Error::Config(m));
        if self.batch_size == 0 || self.batch_size > MAX_BATCH {
            return c(format!("batch size must be in 1..={MAX_BATCH}, got {}", self.batch_size));
        }
        if self.epochs > 100_000 {
            return c(format!("epochs must be at most 100000, got {}", self.epochs));
        }
        if !(self.loss.lambda.is_finite() && (0.0..=MAX_PENALTY).contains(&self.loss.lambda)) {
            return c(format!("lambda must be in [0, {MAX_PENALTY}], got {}", self.loss.lambda));
        }
        if !(self.loss.sigma.is_finite() && (0.0..=MAX_PENALTY).contains(&self.loss.sigma)) {
            return c(format!("sigma must be in [0, {MAX_PENALTY}], got {}", self.loss.sigma));
        }
        // Bounded so that every initial weight is a finite f32 (found by fuzzing: a mean of 5e108
        // passed a finiteness check and produced infinite weights).
        if !(self.init_mean.is_finite() && self.init_mean.abs() <= MAX_INIT) {
            return c(format!("init mean must be in [-{MAX_INIT}, {MAX_INIT}], got {:e}", self.init_mean));
        }
        if !(self.init_std.is_finite() && (0.0..=MAX_INIT).contains(&self.init_std)) {
            return c(format!("init std must be in [0, {MAX_INIT}], got {:e}", self.init_std));
        }
        if !self.init_layers.is_empty() && self.init_layers.len() != self.net.n_weight_layers() {
            return c(format!(
                "{} init (mean, std) pairs for {} weight layers",
                self.init_layers.len(),
                self.net.n_weight_layers()
            ));
        }
        for &[m, s] in &self.init_layers {
            if !(m.is_finite() && m.abs() <= MAX_INIT) {
                return c(format!("init mean must be in [-{MAX_INIT}, {MAX_INIT}], got {m:e}"));
            }
            if !(s.is_finite() && (0.0..=MAX_INIT).contains(&s)) {
                return c(format!("init std must be in [0, {MAX_INIT}], got {s:e}"));
            }
        }
        if !(0.0..=1.0).contains(&self.dead_fraction) {
            return c(format!("dead_fraction must be in [0, 1], got {}", self.dead_fraction));
        }
        Ok(())
    }
}

/// Statistics of one mini-batch step (sums; divide by `samples`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    pub samples: u64,
    pub loss_sum: f64,
    pub correct: u64,
    /// Hidden spikes summed over samples and layers.
    pub spikes: u64,
    /// Hidden neurons flagged dead, summed over batches (and layers).
    pub flagged: u64,
    /// Neurons per flagging (hidden neurons × batches).
    pub flag_slots: u64,
    /// Spike trains cut by the cap.
    pub truncated: u64,
    /// Grazing crossings whose slope was clamped in the backward pass.
    pub guarded: u64,
    /// Samples left out for a non-finite adjoint or loss, plus skipped batches.
    pub non_finite: u64,
    pub skipped_batches: u64,
    /// Samples whose largest output was tied (no decision; counted as wrong).
    #[serde(default)]
    pub undecided: u64,
}

impl StepStats {
    pub fn merge(&mut self, o: &StepStats) {
        self.samples += o.samples;
        self.loss_sum += o.loss_sum;
        self.correct += o.correct;
        self.spikes += o.spikes;
        self.flagged += o.flagged;
        self.flag_slots += o.flag_slots;
        self.truncated += o.truncated;
        self.guarded += o.guarded;
        self.non_finite += o.non_finite;
        self.skipped_batches += o.skipped_batches;
        self.undecided += o.undecided;
    }
}

thread_local! {
    static WS: RefCell<Workspace> = RefCell::new(Workspace::default());
    /// The f64 sums of one block of the chunk reduction (reused: no allocation per block).
    static BLOCK_SUM: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// One block of the chunk reduction: the chunks' parts of the same weights (`rows`: which rows of
/// each part some sample wrote), summed in chunk order in f64 (`acc`, reused scratch) and
/// averaged by `scale`; every part is left zero except chunk 0's, which receives the batch
/// gradient as the f32 Adam reads. Returns whether every averaged value is finite.
fn reduce_block(parts: &mut [(&mut [f32], &[bool])], width: usize, scale: f64, acc: &mut Vec<f64>) -> bool {
    acc.clear();
    acc.resize(parts[0].0.len(), 0.0);
    for (part, rows) in parts.iter_mut() {
        // A row no sample wrote is +0.0 in the chunk and already cleared; adding it would change
        // no bit (the f64 sum starts at +0.0 and is never −0.0).
        for ((o, p), _) in acc.chunks_mut(width).zip(part.chunks_mut(width)).zip(rows.iter()).filter(|(_, &t)| t) {
            crate::engine::kernels::add_into_f64_and_clear(o, p);
        }
    }
    let mut ok = true;
    for (o, &a) in parts[0].0.iter_mut().zip(acc.iter()) {
        let g = a * scale;
        ok &= g.is_finite();
        *o = g as f32;
    }
    ok
}

/// A network with its optimiser state and training configuration.
#[derive(Clone, Debug)]
pub struct Trainer {
    pub net: Network,
    pub adam: Adam,
    pub cfg: TrainConfig,
    /// Completed epochs.
    pub epoch: u64,
    encoder: PixelEncoder,
    /// Per-chunk gradient accumulators (f32); between the reduction and Adam, chunk 0's hold the
    /// batch gradient. Zero between steps.
    chunk_grads: Vec<Vec<Vec<f32>>>,
    /// Per chunk and weight layer, the rows (presynaptic inputs) that some sample of the chunk
    /// may have written: the sources of its input events. Every other row is still +0.0.
    chunk_rows: Vec<Vec<Vec<bool>>>,
    /// The forward traces of the last batch, kept so that their buffers are reused.
    traces: Vec<Trace>,
}

impl Trainer {
    /// A fresh network initialised from `cfg.seed`.
    pub fn new(cfg: TrainConfig) -> Result<Self> {
        cfg.validate()?;
        let net = Network::init_gaussian_layers(cfg.net.clone(), cfg.seed, &cfg.init_per_layer())?;
        Self::resume(cfg, net, None, 0)
    }

    /// Continues from given weights (and optimiser state, if any) after `epoch` epochs.
    pub fn resume(cfg: TrainConfig, mut net: Network, adam: Option<Adam>, epoch: u64) -> Result<Self> {
        cfg.validate()?;
        net.set_precision(cfg.precision);
        if net.config() != &cfg.net {
            return Err(Error::Config("the network does not match the training configuration".into()));
        }
        let sizes: Vec<usize> = net.weights().iter().map(|w| w.len()).collect();
        let adam = match adam {
            Some(a) => {
                if a.m.iter().map(|m| m.len()).ne(sizes.iter().copied()) {
                    return Err(Error::Config("optimizer state does not match the network".into()));
                }
                a
            }
            None => Adam::new(cfg.adam, &sizes),
        };

        let encoder = PixelEncoder::new(cfg.net.tau_i, cfg.net.t_out);
        Ok(Trainer {
            net,
            adam,
            cfg,
            epoch,
            encoder,
            chunk_grads: Vec::new(),
            chunk_rows: Vec::new(),
            traces: Vec::new(),
        })
    }

    /// The sample order of an epoch: a permutation seeded by (seed, epoch), so a resumed run
    /// sees the same order as an uninterrupted one.
    pub fn epoch_order(&self, n: usize, epoch: u64) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.cfg.seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        idx.shuffle(&mut rng);
        idx
    }

    /// One Adam step on the samples `batch` of `data`.
    pub fn step<S: Samples + ?Sized>(&mut self, data: &S, batch: &[usize]) -> Result<StepStats> {
        on_pool(|| self.step_on_pool(data, batch))
    }

    /// [`Trainer::step`], on a thread of rayon's pool (its parallel regions are forks, not
    /// requests from outside the pool).
    fn step_on_pool<S: Samples + ?Sized>(&mut self, data: &S, batch: &[usize]) -> Result<StepStats> {
        check_inputs(data, self.net.config().layers[0])?;
        let n_out = *self.net.config().layers.last().unwrap();
        if let Some(l) = batch.iter().map(|&i| data.label(i)).find(|&l| l as usize >= n_out) {
            return Err(Error::Shape(format!("label {l} is out of range for {n_out} outputs")));
        }
        let net = &self.net;
        let enc = &self.encoder;
        // 1. forward, into the traces of the previous step (their buffers are reused)
        if self.traces.len() < batch.len() {
            self.traces.resize_with(batch.len(), Trace::default);
        }
        let traces = &mut self.traces[..batch.len()];
        traces.par_iter_mut().zip(batch.par_iter()).for_each(|(tr, &i)| {
            if tr.events.is_empty() {
                tr.events.push(Default::default());
            }
            data.events_into(i, enc, &mut tr.events[0]);
            WS.with(|ws| net.forward_into(tr, &mut ws.borrow_mut()));
        });
        let traces = &self.traces[..batch.len()];
        // 2. dead-neuron flags per hidden layer
        let hidden = &net.config().layers[1..net.config().layers.len() - 1];
        let mut fired: Vec<Vec<u32>> = hidden.iter().map(|&n| vec![0; n]).collect();
        for tr in traces {
            for (f, h) in fired.iter_mut().zip(&tr.hidden) {
                for (fj, &c) in f.iter_mut().zip(&h.counts) {
                    *fj += (c > 0) as u32;
                }
            }
        }
        let limit = self.cfg.dead_fraction * batch.len() as f64;
        let flags: Vec<Vec<bool>> = fired.iter().map(|f| f.iter().map(|&c| (c as f64) < limit).collect()).collect();
        let mut stats = StepStats {
            flagged: flags.iter().flatten().filter(|&&p| p).count() as u64,
            flag_slots: flags.iter().map(|f| f.len()).sum::<usize>() as u64,
            ..Default::default()
        };
        // 3. backward into fixed chunks
        let n_chunks = batch.len().div_ceil(CHUNK);
        let sizes: Vec<usize> = net.weights().iter().map(|w| w.len()).collect();
        let layers = net.config().layers.clone();
        if self.chunk_grads.len() < n_chunks {
            self.chunk_grads.resize_with(n_chunks, || sizes.iter().map(|&n| vec![0.0; n]).collect());
            self.chunk_rows
                .resize_with(n_chunks, || layers[..layers.len() - 1].iter().map(|&n| vec![false; n]).collect());
        }
        let lw = self.cfg.loss;
        let chunk_stats: Vec<StepStats> = self.chunk_grads[..n_chunks]
            .par_iter_mut()
            .zip(self.chunk_rows[..n_chunks].par_iter_mut())
            .zip(traces.par_chunks(CHUNK).zip(batch.par_chunks(CHUNK)))
            .map(|((grads, rows), (trs, idx))| {
                // The buffers are zero here: fresh, or emptied by the previous reduction.
                let mut st = StepStats::default();
                // The backward writes a weight row only for an input with an event (in
                // `backward_hidden` and `backward_readout`), so these rows cover every write.
                for (r, l) in rows.iter_mut().zip(0..) {
                    r.iter_mut().for_each(|t| *t = false);
                    for tr in trs {
                        for &i in &tr.events[l].src {
                            r[i as usize] = true;
                        }
                    }
                }
                WS.with(|ws| {
                    let ws = &mut *ws.borrow_mut();
                    // The loss gradients' buffers, reused over the chunk's samples.
                    let mut dv = Vec::new();
                    let mut gh: Vec<Vec<f64>> = vec![Vec::new(); flags.len()];
                    for (tr, &i) in trs.iter().zip(idx) {
                        let label = data.label(i) as usize;
                        let (mut loss, pred) = output_loss_into(&tr.v_out, label, lw.sigma, &mut dv);
                        for ((h, f), g) in tr.hidden.iter().zip(&flags).zip(gh.iter_mut()) {
                            loss += dead_penalty_into(&h.v_end, f, lw.lambda, g);
                        }
                        st.samples += 1;
                        st.spikes += tr.hidden_spikes() as u64;
                        st.truncated += tr.hidden.iter().map(|h| h.truncated as u64).sum::<u64>();
                        st.correct += (pred == Some(label)) as u64;
                        st.undecided += pred.is_none() as u64;
                        if !loss.is_finite() || dv.iter().any(|x| !x.is_finite()) {
                            st.non_finite += 1;
                            continue;
                        }
                        st.loss_sum += loss;
                        let bs: BackwardStats = if Self::trace_is_finite(tr, &dv) {
                            net.backward(tr, &dv, &gh, grads, ws)
                        } else {
                            BackwardStats { guarded: 0, non_finite: 1 }
                        };
                        st.guarded += bs.guarded;
                        st.non_finite += (bs.non_finite > 0) as u64;
                    }
                });
                st
            })
            .collect();
        for s in &chunk_stats {
            stats.merge(s);
        }
        // 4. reduce in chunk order (fixed, whatever the thread count), average, step. The batch
        // gradient is summed in f64 per block and written, rounded to the f32 that Adam reads,
        // into chunk 0's buffer: no f64 copy of the gradient goes through memory.
        let scale = 1.0 / batch.len() as f64;
        const BLOCK: usize = 4096;
        let chunk_rows = &self.chunk_rows[..n_chunks];
        // Blocks of whole rows (a row: the weights out of one input), about BLOCK weights, of
        // every layer: one parallel region for the whole reduction (and one for Adam), since
        // waking the threads costs more between Web Workers than between native threads.
        type Parts<'a> = Vec<(&'a mut [f32], &'a [bool])>;
        let rows_per_block: Vec<usize> = layers[1..].iter().map(|&width| (BLOCK / width).max(1)).collect();
        let mut per_layer: Vec<Vec<Parts>> = (0..sizes.len())
            .map(|l| (0..layers[l].div_ceil(rows_per_block[l])).map(|_| Vec::new()).collect())
            .collect();
        // Per block of weights, the chunks' slices in chunk order (disjoint borrows).
        for (c, rows) in self.chunk_grads[..n_chunks].iter_mut().zip(chunk_rows) {
            for (l, (g, rs)) in c.iter_mut().zip(rows).enumerate() {
                let rpb = rows_per_block[l];
                for (k, (part, r)) in g.chunks_mut(rpb * layers[l + 1]).zip(rs.chunks(rpb)).enumerate() {
                    per_layer[l][k].push((part, r));
                }
            }
        }
        let items: Vec<(Parts, usize)> = per_layer
            .into_iter()
            .enumerate()
            .flat_map(|(l, blocks)| {
                let width = layers[l + 1];
                blocks.into_iter().map(move |parts| (parts, width))
            })
            .collect();
        // The finiteness check rides along, so no serial pass over the gradient remains.
        let finite = items
            .into_par_iter()
            .map(|(mut parts, width)| {
                BLOCK_SUM.with(|acc| reduce_block(&mut parts, width, scale, &mut acc.borrow_mut()))
            })
            .reduce(|| true, |a, b| a & b);
        let grad = &mut self.chunk_grads[0];
        if finite {
            // Adam is elementwise: applied in parallel pieces, every bit is as in one pass. Each
            // piece leaves its gradient zeroed for the next step.
            let k = self.adam.next_step();
            let (ms, vs) = (&mut self.adam.m, &mut self.adam.v);
            let mut pieces = Vec::new();
            for (((w, g), m), v) in self.net.weight_slices_mut().into_iter().zip(grad.iter_mut()).zip(ms).zip(vs) {
                pieces.extend(
                    w.chunks_mut(BLOCK).zip(g.chunks_mut(BLOCK)).zip(m.chunks_mut(BLOCK).zip(v.chunks_mut(BLOCK))),
                );
            }
            pieces.into_par_iter().for_each(|((w, g), (m, v))| {
                crate::engine::kernels::adam_update(w, g, m, v, k);
                g.fill(0.0);
            });
        } else {
            grad.iter_mut().for_each(|g| g.fill(0.0));
            stats.skipped_batches += 1;
            stats.non_finite += 1;
        }
        Ok(stats)
    }

    /// Whether a sample's forward results are finite, so its backward cannot start from NaN/∞.
    fn trace_is_finite(tr: &Trace, dv: &[f64]) -> bool {
        dv.iter().all(|x| x.is_finite()) && tr.hidden.iter().all(|h| h.non_finite == 0)
    }

    /// Sets the optimiser's learning rate for the epoch about to run (`self.epoch`, 0-based).
    pub fn begin_epoch(&mut self) {
        self.adam.cfg.lr = self.cfg.adam.lr * self.cfg.lr_schedule.factor(self.epoch, self.cfg.epochs);
    }

    /// One pass over `data` in mini-batches (shuffled by [`Trainer::epoch_order`]).
    pub fn train_epoch<S: Samples + ?Sized>(
        &mut self,
        data: &S,
        progress: &mut dyn FnMut(usize, &StepStats),
    ) -> Result<StepStats> {
        self.begin_epoch();
        let order = self.epoch_order(data.len(), self.epoch);
        let mut total = StepStats::default();
        for batch in order.chunks(self.cfg.batch_size) {
            let s = self.step(data, batch)?;
            total.merge(&s);
            progress(batch.len(), &total);
        }
        self.epoch += 1;
        Ok(total)
    }
}

/// Runs `f` on a thread of rayon's current pool: at once when called from one, otherwise handed
/// to the pool, the caller waiting. Every parallel region inside `f` then forks from a pool
/// thread, whose idle siblings steal the work, instead of being sent into the pool from outside
/// and waited for, with two thread wake-ups per region (four regions per training step; each
/// wake-up of a Web Worker costs far more than one of a native thread). Results do not change:
/// the regions' splits and reductions are fixed, not taken from the thread that starts them.
fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        f()
    } else {
        rayon::scope(|_| f())
    }
}

/// The error when the examples do not fit the network's input layer.
fn check_inputs<S: Samples + ?Sized>(data: &S, n_in: usize) -> Result<()> {
    if data.input_dim() == n_in {
        return Ok(());
    }
    let (what, input) = data.nouns();
    Err(Error::Shape(format!("{what} have {} {input}, the network has {n_in} inputs", data.input_dim())))
}

/// Result of evaluating a network on a labelled set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalStats {
    pub samples: u64,
    pub correct: u64,
    pub loss_sum: f64,
    pub per_class_correct: Vec<u64>,
    pub per_class_total: Vec<u64>,
    /// Hidden spikes per hidden neuron per sample.
    pub mean_spikes: f64,
    /// Fraction of hidden neurons that never fired on any sample.
    pub silent_fraction: f64,
    /// Histogram of per-(neuron, sample) spike counts of the first hidden layer; the last bin
    /// collects counts ≥ its index.
    pub spike_hist: Vec<u64>,
    /// Per-neuron mean spike count of the first hidden layer.
    pub neuron_mean_spikes: Vec<f64>,
    pub truncated: u64,
    /// Samples whose largest output was tied (no decision; counted as wrong).
    #[serde(default)]
    pub undecided: u64,
}

impl EvalStats {
    pub fn accuracy(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.correct as f64 / self.samples as f64
        }
    }

    /// Adds the evaluation of a disjoint part of the same set by the same network (the browser
    /// evaluates in chunks to report progress). Counts add up exactly; `mean_spikes` and
    /// `neuron_mean_spikes` are sample-weighted, hence exact too; `silent_fraction` becomes the
    /// sample-weighted mean of the parts' fractions (exact for one part: which neurons fired is
    /// not kept).
    pub fn merge(&mut self, o: &EvalStats) {
        let (a, b) = (self.samples as f64, o.samples as f64);
        let mean = |x: f64, y: f64| if a + b > 0.0 { (x * a + y * b) / (a + b) } else { 0.0 };
        self.mean_spikes = mean(self.mean_spikes, o.mean_spikes);
        self.silent_fraction = mean(self.silent_fraction, o.silent_fraction);
        if self.neuron_mean_spikes.len() < o.neuron_mean_spikes.len() {
            self.neuron_mean_spikes.resize(o.neuron_mean_spikes.len(), 0.0);
        }
        for (k, x) in self.neuron_mean_spikes.iter_mut().enumerate() {
            *x = mean(*x, o.neuron_mean_spikes.get(k).copied().unwrap_or(0.0));
        }
        let add = |x: &mut Vec<u64>, y: &[u64]| {
            if x.len() < y.len() {
                x.resize(y.len(), 0);
            }
            x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
        };
        add(&mut self.per_class_correct, &o.per_class_correct);
        add(&mut self.per_class_total, &o.per_class_total);
        add(&mut self.spike_hist, &o.spike_hist);
        self.samples += o.samples;
        self.correct += o.correct;
        self.loss_sum += o.loss_sum;
        self.truncated += o.truncated;
        self.undecided += o.undecided;
    }
}

/// Bins of `EvalStats::spike_hist` (0, 1, …, HIST_BINS − 1 or more).
pub const HIST_BINS: usize = 21;

/// Evaluates `net` on `data` (parallel over samples; deterministic).
pub fn evaluate<S: Samples + ?Sized>(net: &Network, data: &S) -> Result<EvalStats> {
    let cfg = net.config();
    check_inputs(data, cfg.layers[0])?;
    let n = data.len();
    let n_out = *cfg.layers.last().unwrap();
    let enc = PixelEncoder::new(cfg.tau_i, cfg.t_out);
    let hidden: Vec<usize> = cfg.layers[1..cfg.layers.len() - 1].to_vec();
    let h0 = hidden.first().copied().unwrap_or(0);
    #[derive(Default)]
    struct Part {
        correct: u64,
        loss: f64,
        pc: Vec<u64>,
        pt: Vec<u64>,
        spikes: u64,
        fired: Vec<Vec<bool>>,
        hist: Vec<u64>,
        neuron: Vec<u64>,
        trunc: u64,
        undecided: u64,
    }
    let parts: Vec<Part> = (0..n)
        .collect::<Vec<_>>()
        .par_chunks(256)
        .map(|idx| {
            let mut p = Part {
                pc: vec![0; n_out],
                pt: vec![0; n_out],
                fired: hidden.iter().map(|&n| vec![false; n]).collect(),
                hist: vec![0; HIST_BINS],
                neuron: vec![0; h0],
                ..Default::default()
            };
            WS.with(|ws| {
                let ws = &mut *ws.borrow_mut();
                for &i in idx {
                    let tr = net.forward_events(data.events(i, &enc), ws);
                    let label = data.label(i) as usize;
                    let (loss, _, pred) = output_loss(&tr.v_out, label.min(n_out - 1), 0.0);
                    p.loss += loss;
                    p.pt[label.min(n_out - 1)] += 1;
                    if pred == Some(label) {
                        p.correct += 1;
                        p.pc[label] += 1;
                    }
                    p.undecided += pred.is_none() as u64;
                    p.spikes += tr.hidden_spikes() as u64;
                    for (f, h) in p.fired.iter_mut().zip(&tr.hidden) {
                        for (fj, &c) in f.iter_mut().zip(&h.counts) {
                            *fj |= c > 0;
                        }
                        p.trunc += h.truncated as u64;
                    }
                    if let Some(h) = tr.hidden.first() {
                        for (j, &c) in h.counts.iter().enumerate() {
                            p.hist[(c as usize).min(HIST_BINS - 1)] += 1;
                            p.neuron[j] += c as u64;
                        }
                    }
                }
            });
            p
        })
        .collect();
    let mut e = EvalStats {
        samples: n as u64,
        per_class_correct: vec![0; n_out],
        per_class_total: vec![0; n_out],
        spike_hist: vec![0; HIST_BINS],
        ..Default::default()
    };
    let mut fired: Vec<Vec<bool>> = hidden.iter().map(|&n| vec![false; n]).collect();
    let mut spikes = 0u64;
    let mut neuron = vec![0u64; h0];
    for p in &parts {
        e.correct += p.correct;
        e.loss_sum += p.loss;
        spikes += p.spikes;
        e.truncated += p.trunc;
        e.undecided += p.undecided;
        for o in 0..n_out {
            e.per_class_correct[o] += p.pc[o];
            e.per_class_total[o] += p.pt[o];
        }
        for (a, b) in fired.iter_mut().zip(&p.fired) {
            for (x, y) in a.iter_mut().zip(b) {
                *x |= *y;
            }
        }
        for (a, b) in e.spike_hist.iter_mut().zip(&p.hist) {
            *a += b;
        }
        for (a, b) in neuron.iter_mut().zip(&p.neuron) {
            *a += b;
        }
    }
    let n_hidden: usize = hidden.iter().sum();
    if n_hidden > 0 && n > 0 {
        e.mean_spikes = spikes as f64 / (n_hidden as f64 * n as f64);
        e.silent_fraction = fired.iter().flatten().filter(|&&f| !f).count() as f64 / n_hidden as f64;
        e.neuron_mean_spikes = neuron.iter().map(|&c| c as f64 / n as f64).collect();
    }
    Ok(e)
}
