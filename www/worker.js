// The engine Worker of the image pages (Draw, Train, τ experiments, the engine check): models,
// in-browser training on MNIST-shaped shards (MNIST or Fashion-MNIST), τ sweeps. Start-up (st vs
// mt package, thread pool) and the request/event protocol are shared with the playground's
// worker: see worker-core.js.
// Models live in a map by name; a failed `loadModel` keeps the previous model of that name.
// Data sets: each image data set has its shards and manifest in a directory of its own (MNIST in
// data/, the others in data/<name>/); the data set of a directory is its manifest's `dataset`
// (absent: mnist).

import { api, checkpointJob, event, now, serve, startJob, yieldEvents } from './worker-core.js';

const models = new Map(); // name → multispike Model
let active = null; // name of the model `predict` uses
let trainer = null; // multispike Trainer of the Train page (or of the current sweep run)
let trainerTag = null; // what the trainer is (for the page): { config, trainSize, dataset, … }
let trainerDir = 'data/'; // the data directory of the trainer's data set (evaluation)
const manifests = new Map(); // directory → manifest
const shardCache = new Map(); // directory + file → inflated shard bytes (Uint8Array)

const SIDE = 784;
const HEADER = 16;

// ---------------------------------------------------------------- data sets, shards, manifests

/** The engine's data-set table (name, title, classes, inputs, image_side, encoding, credit). */
let table = null;
const datasets = () => (table ??= api.datasets());

/** The row of a data set by name (a model or manifest without one is MNIST). */
function dataset(name = 'mnist') {
  const d = datasets().find((x) => x.name === (name ?? 'mnist'));
  if (!d) throw new Error(`unknown data set ${name} (known: ${datasets().map((x) => x.name).join(', ')})`);
  return d;
}

/** The directory of an image data set's shards: MNIST in data/, every other in data/<name>/. */
function dataDir(name = 'mnist') {
  const d = dataset(name);
  if (!d.image_side) throw new Error(`${d.title} is not an image data set: it has no shards`);
  return d.name === 'mnist' ? 'data/' : `data/${d.name}/`;
}

/** Fetches `url`, reporting progress as `download` events; resolves with the bytes. */
async function fetchBytes(url, label = url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const total = Number(r.headers.get('content-length')) || 0;
  if (!r.body) return new Uint8Array(await r.arrayBuffer());
  const reader = r.body.getReader();
  const parts = [];
  let loaded = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    if (now() - last > 100) {
      last = now();
      event('download', { file: label, loaded, total });
    }
  }
  event('download', { file: label, loaded, total: total || loaded, done: true });
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The manifest of a data directory, with `dataset` filled in (absent in older manifests: mnist). */
async function getManifest(dir = 'data/') {
  if (!manifests.has(dir)) {
    const r = await fetch(`${dir}manifest.json`);
    if (!r.ok) throw new Error(`${dir}manifest.json: HTTP ${r.status} (run scripts/build-web.sh)`);
    const m = await r.json();
    manifests.set(dir, { ...m, dataset: m.dataset ?? 'mnist' });
  }
  return manifests.get(dir);
}

/** The manifest of the named data set's directory; its `dataset` must be that data set. */
async function datasetManifest(name = 'mnist') {
  const dir = dataDir(name);
  const m = await getManifest(dir);
  if (m.dataset !== dataset(name).name) throw new Error(`${dir}manifest.json holds ${m.dataset}, not ${name}`);
  return { dir, manifest: m };
}

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** The inflated bytes of a shard, downloaded once per page, sha256-checked against the manifest. */
async function shard(file, dir = 'data/') {
  const key = `${dir}${file}`;
  if (shardCache.has(key)) return shardCache.get(key);
  const m = await getManifest(dir);
  const entry = m.shards.find((s) => s.file === file);
  if (!entry) throw new Error(`shard ${file} is not in ${dir}manifest.json`);
  const gz = await fetchBytes(key, file);
  if (self.crypto?.subtle) {
    const got = hex(await crypto.subtle.digest('SHA-256', gz));
    if (got !== entry.sha256) throw new Error(`${key}: sha256 mismatch (corrupt or stale download)`);
  }
  const raw = new Uint8Array(await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  shardCache.set(key, raw);
  return raw;
}

const shardCount = (raw) => new DataView(raw.buffer, raw.byteOffset).getUint32(8, true);

/** A shard holding examples [start, start + k) of the inflated shard `raw`. */
function subShard(raw, start, k) {
  const n = shardCount(raw);
  k = Math.max(0, Math.min(k, n - start));
  const out = new Uint8Array(HEADER + k + k * SIDE);
  out.set(raw.subarray(0, HEADER));
  new DataView(out.buffer).setUint32(8, k, true);
  out.set(raw.subarray(HEADER + start, HEADER + start + k), HEADER);
  out.set(raw.subarray(HEADER + n + start * SIDE, HEADER + n + (start + k) * SIDE), HEADER + k);
  return out;
}

/** The first `count` examples of a split of the data directory `dir`, as a list of shards. */
async function splitShards(split, count, dir = 'data/') {
  const m = await getManifest(dir);
  const out = [];
  let left = count;
  for (const s of m.shards.filter((x) => x.split === split)) {
    if (left <= 0) break;
    const raw = await shard(s.file, dir);
    const k = Math.min(left, shardCount(raw));
    out.push(k === shardCount(raw) ? raw : subShard(raw, 0, k));
    left -= k;
  }
  if (left > 0) throw new Error(`only ${count - left} ${split} examples of ${m.dataset} are available, ${count} asked`);
  return out;
}

/** Test image `k` (modulo the test split's size, across its shards): { index, label, pixels }. */
async function testImage(k, name = 'mnist') {
  const { dir, manifest } = await datasetManifest(name);
  const tests = manifest.shards.filter((s) => s.split === 'test');
  const total = tests.reduce((n, s) => n + s.count, 0);
  if (!total) throw new Error(`${dir}manifest.json lists no test shard`);
  let i = ((k % total) + total) % total;
  const index = i;
  for (const s of tests) {
    if (i >= s.count) {
      i -= s.count;
      continue;
    }
    const raw = await shard(s.file, dir);
    const n = shardCount(raw);
    return { index, label: raw[HEADER + i], pixels: raw.slice(HEADER + n + i * SIDE, HEADER + n + (i + 1) * SIDE) };
  }
  throw new Error(`${dir}manifest.json: the test shards hold fewer examples than their counts say`);
}

/** Examples of each class in a shard (from its labels). */
function classCounts(raw, classes) {
  const n = shardCount(raw);
  const c = new Array(classes).fill(0);
  for (let k = 0; k < n; k++) c[raw[HEADER + k]]++;
  return c;
}

// ---------------------------------------------------------------- models

/** The data set a model was trained on: its metadata's `dataset` (absent: mnist). */
function modelDataset(md) {
  const name = md?.dataset ?? 'mnist';
  const d = datasets().find((x) => x.name === name);
  return d ? { name, title: d.title, classes: d.classes } : { name, title: name, classes: null };
}

function modelInfo(m) {
  const metadata = m.metadata();
  return { layers: Array.from(m.layers), tauI: m.tauI, metadata, dataset: modelDataset(metadata) };
}

function loadModel(bytes, name = 'current') {
  const m = new api.Model(bytes); // throws on a bad file; the old model stays
  const layers = Array.from(m.layers);
  if (layers[0] !== SIDE || layers[layers.length - 1] !== 10) {
    m.free();
    throw new Error(
      `incompatible model: the network is ${layers.join('-')}; this page needs 784 inputs (28×28 pixels) and 10 outputs (${datasets()
        .filter((d) => d.image_side)
        .map((d) => d.title)
        .join(' or ')})`,
    );
  }
  const old = models.get(name);
  if (old) old.free();
  models.set(name, m);
  active = name;
  return { name, ...modelInfo(m), bytes: bytes.length };
}

function needModel(name) {
  const m = models.get(name ?? active);
  if (!m) throw new Error(name ? `no model named ${name}` : 'no model loaded');
  return m;
}

function needTrainer() {
  if (!trainer) throw new Error('no trainer: start a training run first');
  return trainer;
}

/** Prediction with timings; `hidden` > 0 adds V(t) of the `hidden` most active hidden neurons. */
function predictPixels(m, pixels, { hidden = 0, points = 201 } = {}) {
  const t0 = now();
  const p = points === 201 ? m.predict(pixels) : m.predictWithGrid(pixels, points);
  const predict_ms = now() - t0;
  if (hidden > 0 && p.layers.length > 2) {
    const counts = new Map();
    for (let i = 0; i < p.spike_neuron.length; i++) {
      if (p.spike_layer[i] === 0) counts.set(p.spike_neuron[i], (counts.get(p.spike_neuron[i]) ?? 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, hidden).map((e) => e[0]);
    p.hidden_neurons = top;
    p.hidden_trace = top.length ? m.hiddenTraces(pixels, 0, new Uint32Array(top), points) : [];
  }
  p.predict_ms = predict_ms;
  return p;
}

// ---------------------------------------------------------------- evaluation

/**
 * Merges evaluation reports of disjoint chunks (sample-weighted); `shards[i]` holds the examples
 * of `parts[i]` (their labels make the per-class accuracy exact).
 */
function mergeEval(parts, shards) {
  const n = parts.reduce((s, p) => s + p.samples, 0);
  const w = (key) => parts.reduce((s, p) => s + p[key] * p.samples, 0) / Math.max(1, n);
  const hist = parts[0].spike_hist.map((_, k) => parts.reduce((s, p) => s + p.spike_hist[k], 0));
  const seconds = parts.reduce((s, p) => s + p.seconds, 0);
  const classes = parts[0].per_class_accuracy?.length ?? 0;
  const right = new Array(classes).fill(0);
  const total = new Array(classes).fill(0);
  parts.forEach((p, i) => {
    const c = classCounts(shards[i], classes);
    for (let k = 0; k < classes; k++) {
      right[k] += p.per_class_accuracy[k] * c[k];
      total[k] += c[k];
    }
  });
  return {
    samples: n,
    accuracy: w('accuracy'),
    loss: w('loss'),
    mean_spikes: w('mean_spikes'),
    // exact for one chunk; for several, the sample-weighted mean of the chunks' fractions
    silent_fraction: w('silent_fraction'),
    undecided: parts.reduce((s, p) => s + p.undecided, 0),
    per_class_accuracy: right.map((r, k) => (total[k] ? Math.round(r) / total[k] : 0)),
    spike_hist: hist,
    seconds,
    samples_per_s: n / Math.max(seconds, 1e-9),
  };
}

/** Evaluates the trainer on the first `count` test images in chunks, posting `eval` progress. */
async function evaluateTrainer(count, chunk = 2000) {
  const t = needTrainer();
  const shards = await splitShards('test', count, trainerDir);
  const parts = [];
  const used = [];
  let done = 0;
  for (const s of shards) {
    const n = shardCount(s);
    for (let a = 0; a < n; a += chunk) {
      const part = a === 0 && n <= chunk ? s : subShard(s, a, chunk);
      parts.push(t.evaluate(part));
      used.push(part);
      done += shardCount(part);
      event('eval', { done, total: count });
      await yieldEvents();
    }
  }
  return mergeEval(parts, used);
}

/** Accuracy of a loaded model on the first `count` test images of its data set (forward passes). */
async function evaluateModel(name, count) {
  const m = needModel(name);
  const ds = modelDataset(m.metadata());
  const shards = await splitShards('test', count, dataDir(ds.name));
  let correct = 0;
  let undecided = 0;
  let spikes = 0;
  let done = 0;
  const right = new Array(10).fill(0);
  const total = new Array(10).fill(0);
  const t0 = now();
  const hidden = Array.from(m.layers).slice(1, -1).reduce((a, b) => a + b, 0);
  for (const s of shards) {
    const n = shardCount(s);
    for (let k = 0; k < n; k++) {
      const p = m.predictWithGrid(s.subarray(HEADER + n + k * SIDE, HEADER + n + (k + 1) * SIDE), 2);
      const max = Math.max(...p.v_out);
      const tied = p.v_out.filter((v) => v === max).length > 1;
      const label = s[HEADER + k];
      total[label]++;
      if (tied) undecided++;
      else if (p.class === label) {
        correct++;
        right[label]++;
      }
      spikes += p.n_spikes;
      done++;
      if (done % 500 === 0) {
        event('eval', { done, total: count });
        await yieldEvents();
      }
    }
  }
  const seconds = (now() - t0) / 1000;
  return {
    samples: done,
    accuracy: correct / done,
    undecided,
    mean_spikes: spikes / done / Math.max(1, hidden),
    per_class_accuracy: right.map((r, k) => (total[k] ? r / total[k] : 0)),
    dataset: ds.name,
    seconds,
    samples_per_s: done / seconds,
  };
}

// ---------------------------------------------------------------- jobs

/**
 * Trains the trainer for `epochs` total epochs over `stepsPerEpoch` steps each, from epoch
 * `startEpoch`, in slices of about `sliceSeconds`; posts `progress` after every slice and calls
 * `onEpoch(epoch, totals)` after each completed epoch (totals: sample-weighted means and sums of
 * that epoch's step reports). Returns 'finished' or 'stopped'.
 */
async function trainLoop({ epochs, startEpoch, stepsPerEpoch, sliceSeconds = 0.25, onEpoch, tag = {} }) {
  let epoch = startEpoch;
  let stepInEpoch = 0;
  let k = 1;
  let tot = null;
  // at least ~25 progress points per epoch for the charts, slices of at most ~sliceSeconds
  const maxSlice = Math.max(1, Math.floor(stepsPerEpoch / 25));
  while (epoch < epochs) {
    if (await checkpointJob()) return 'stopped';
    const n = Math.max(1, Math.min(k, maxSlice, stepsPerEpoch - stepInEpoch));
    const s = trainer.trainSteps(n);
    stepInEpoch += s.steps;
    tot ??= { samples: 0, correct: 0, loss: 0, dead: 0, steps: 0, non_finite: 0, guarded: 0, truncated: 0, seconds: 0 };
    tot.samples += s.samples;
    tot.correct += s.accuracy * s.samples;
    tot.loss += s.loss * s.samples;
    tot.dead += s.dead_fraction * s.steps;
    tot.steps += s.steps;
    tot.non_finite += s.non_finite;
    tot.guarded += s.guarded;
    tot.truncated += s.truncated;
    tot.seconds += s.seconds;
    // next slice: aim at sliceSeconds of work
    const per = s.seconds / Math.max(1, s.steps);
    k = Math.max(1, Math.round(sliceSeconds / Math.max(per, 1e-4)));
    event('progress', { ...tag, stats: s, epoch: epoch + stepInEpoch / stepsPerEpoch, threads: api.rayonThreads() });
    if (stepInEpoch >= stepsPerEpoch) {
      epoch++;
      stepInEpoch = 0;
      const totals = {
        samples: tot.samples,
        accuracy: tot.correct / tot.samples,
        loss: tot.loss / tot.samples,
        dead_fraction: tot.dead / tot.steps,
        non_finite: tot.non_finite,
        guarded: tot.guarded,
        truncated: tot.truncated,
        samples_per_s: tot.samples / tot.seconds,
      };
      tot = null;
      if (onEpoch) await onEpoch(epoch, totals);
    }
  }
  return 'finished';
}

/**
 * The Train page's run: data of the chosen data set (`dataset`, default mnist), trainer (fresh or
 * from a checkpoint), epochs, evaluation, autosave data. The Trainer's `dataset` is the manifest's.
 */
async function trainRun(o) {
  const { config, trainSize, testSize, epochs, checkpoint = null, startEpoch = 0 } = o;
  const { dir, manifest } = await datasetManifest(o.dataset ?? config.dataset ?? 'mnist');
  const ds = dataset(manifest.dataset);
  event('phase', { phase: 'download', dataset: ds.name, title: ds.title });
  const shards = await splitShards('train', trainSize, dir);
  await splitShards('test', testSize, dir); // download now (progress), used at each epoch end
  if (await checkpointJob()) return 'stopped';
  event('phase', { phase: 'setup' });
  const t = new api.Trainer({ ...config, dataset: manifest.dataset });
  try {
    for (const s of shards) t.addShard(s);
    if (checkpoint) t.importCheckpoint(checkpoint);
  } catch (e) {
    t.free();
    throw e;
  }
  if (trainer) trainer.free();
  trainer = t;
  trainerDir = dir;
  trainerTag = { config: t.config(), trainSize, testSize, epochs, dataset: ds.name };
  event('phase', { phase: 'train', config: trainerTag.config });
  const stepsPerEpoch = Math.ceil(trainSize / trainerTag.config.batch);
  return trainLoop({
    epochs,
    startEpoch,
    stepsPerEpoch,
    async onEpoch(epoch, train) {
      event('phase', { phase: 'evaluate', epoch });
      const ev = await evaluateTrainer(testSize);
      const ck = trainer.exportCheckpoint();
      event('epoch', { epoch, train, eval: ev, checkpoint: ck }, [ck.buffer]);
      event('phase', { phase: epoch < epochs ? 'train' : 'finishing', epoch });
    },
  });
}

/** The τ page's sweep (MNIST): one fresh network per (mode, τ_I), trained and evaluated in turn. */
async function sweepRun(o) {
  const { taus, modes, hidden, trainSize, testSize, epochs, batch = 100, lr = 1e-3, seed = 1, init_std = 0.3, skip = [] } = o;
  event('phase', { phase: 'download' });
  const shards = await splitShards('train', trainSize);
  const test = await splitShards('test', testSize);
  const runs = [];
  for (const mode of modes) for (const tau of taus) runs.push({ mode, tau });
  let index = 0;
  for (const r of runs) {
    index++;
    if (skip.some((s) => s.mode === r.mode && s.tau === r.tau)) continue;
    if (await checkpointJob()) return 'stopped';
    const config = { layers: [784, ...hidden, 10], tau_I: r.tau, mode: r.mode, batch, lr, seed, init_std };
    const t = new api.Trainer(config);
    for (const s of shards) t.addShard(s);
    if (trainer) trainer.free();
    trainer = t;
    trainerTag = null;
    trainerDir = 'data/';
    const tag = { run: index, runs: runs.length, mode: r.mode, tau: r.tau };
    event('run-start', tag);
    const t0 = now();
    let train = null;
    const status = await trainLoop({
      epochs,
      startEpoch: 0,
      stepsPerEpoch: Math.ceil(trainSize / batch),
      tag,
      onEpoch: async (_, totals) => {
        train = totals;
      },
    });
    if (status === 'stopped') return 'stopped';
    // the test subset in one call per shard: exact silent fraction and histogram
    const ev = mergeEval(test.map((s) => t.evaluate(s)), test);
    event('run', { ...tag, hidden, epochs, train_samples: trainSize, test_samples: testSize, seed, train, eval: ev, wall_s: (now() - t0) / 1000 });
  }
  return 'finished';
}

// ---------------------------------------------------------------- requests

serve({
  datasets: () => datasets(),
  randomSeed: () => api.randomSeed(),
  async loadModel({ url, bytes, name }) {
    return loadModel(bytes ?? (await fetchBytes(url)), name);
  },
  /** Parses a model only to read its metadata (the model is not kept). */
  async modelInfo({ url, bytes }) {
    const m = new api.Model(bytes ?? (await fetchBytes(url)));
    try {
      return modelInfo(m);
    } finally {
      m.free();
    }
  },
  useModel({ name }) {
    needModel(name);
    active = name;
    return modelInfo(models.get(name));
  },
  modelBytes: ({ name }) => needModel(name).toBytes(),
  predict: ({ pixels, name, hidden = 0 }) => predictPixels(needModel(name), pixels, { hidden }),
  preprocess: ({ data, width, height, channels = 4 }) => api.preprocess(data, width, height, channels),
  predictDrawing({ data, width, height, channels = 4, name, hidden = 0 }) {
    const t0 = now();
    const pixels = api.preprocess(data, width, height, channels);
    const preprocess_ms = now() - t0;
    const prediction = predictPixels(needModel(name), pixels, { hidden });
    return { pixels, prediction, preprocess_ms };
  },
  testImage: ({ index, dataset: name }) => testImage(index, name),
  /** The manifest of a data set's directory (default: MNIST's), with its directory. */
  async manifest({ dataset: name } = {}) {
    const { dir, manifest } = await datasetManifest(name);
    return { ...manifest, dir };
  },
  // --- training (Train page)
  newTrainer({ config }) {
    const t = new api.Trainer(config ?? undefined);
    if (trainer) trainer.free();
    trainer = t;
    trainerTag = null;
    trainerDir = dataDir(t.config().dataset);
    return t.config();
  },
  async addShard({ url, bytes, sha256 }) {
    return needTrainer().addShard(bytes ?? (await fetchBytes(url)), sha256 ?? undefined);
  },
  async setTestShard({ url, bytes, sha256 }) {
    return needTrainer().setTestShard(bytes ?? (await fetchBytes(url)), sha256 ?? undefined);
  },
  trainSteps: ({ n }) => needTrainer().trainSteps(n),
  evaluate: ({ bytes, count }) => (count ? evaluateTrainer(count) : needTrainer().evaluate(bytes ?? undefined)),
  evaluateModel: ({ name, count = 10000 }) => evaluateModel(name, count),
  exportModel: ({ metadata } = {}) => (metadata ? needTrainer().exportModelWith(metadata) : needTrainer().exportModel()),
  exportCheckpoint: () => needTrainer().exportCheckpoint(),
  weightsDigest: () => needTrainer().weightsDigest(),
  trainerInfo: () => (trainer ? { ...trainerTag, config: trainer.config() } : null),
  startTraining: (args) => startJob('train', trainRun, args),
  startSweep: (args) => startJob('sweep', sweepRun, args),
  // Throughput of a fresh paper-init network (784-400-10, tau_I 0.8, seed 1), like
  // `multispike bench`: inference over the test images of `test`, training in batches of 100
  // over the images of `train` (both raw shards), each repetition from the same weights.
  // (Used by scripts/bench-web.mjs.)
  bench({ train, test, reps = 3, config }) {
    const out = { inference: [], training: [], spikes: null };
    for (let r = 0; r < reps; r++) {
      const t = new api.Trainer(config ?? undefined);
      try {
        const e = t.evaluate(test);
        out.inference.push(e.samples_per_s);
        out.spikes = e.mean_spikes;
        const n = t.addShard(train);
        const s = t.trainSteps(Math.ceil(n / t.config().batch));
        out.training.push(s.samples_per_s);
      } finally {
        t.free();
      }
    }
    return out;
  },
});
