// The engine Worker of the image pages (Draw, Train, τ experiments, the engine check): models,
// in-browser training on MNIST-shaped shards (MNIST or Fashion-MNIST), τ sweeps. Start-up (st vs
// mt package, thread pool) and the request/event protocol are shared with the playground's
// worker: see worker-core.js; the request and event names are those of js/protocol.js.
// This file only downloads and schedules: shards, manifests, validation, evaluation, epoch
// statistics and the sweep CSV are Rust's (src/wasm.rs: Shard, manifest, checkRun, Evaluation,
// Trainer.trainSteps' epoch_totals, sweepCsv).
// Models live in a map by name; a failed `loadModel` keeps the previous model of that name.
// Data sets: each image data set has its shards and manifest in a directory of its own (MNIST in
// data/, the others in data/<name>/); the data set of a directory is its manifest's `dataset`.

import { api, checkpointJob, event, now, serve, startJob, yieldEvents } from './worker-core.js';

const models = new Map(); // name → multispike Model
let active = null; // name of the model `predict` uses
let trainer = null; // multispike Trainer of the Train page (or of the current sweep run)
let trainerDir = 'data/'; // the data directory of the trainer's data set (evaluation)
const manifests = new Map(); // directory → validated manifest
const shardCache = new Map(); // directory + file → multispike Shard (parsed once per page)

/** Test images per evaluation call: progress events and pause/stop between chunks. */
const EVAL_CHUNK = 2000;

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

/** The manifest of a data directory, validated by Rust (`dataset` filled in). */
async function getManifest(dir = 'data/') {
  if (!manifests.has(dir)) {
    const r = await fetch(`${dir}manifest.json`);
    if (!r.ok) throw new Error(`${dir}manifest.json: HTTP ${r.status} (run scripts/build-web.sh)`);
    manifests.set(dir, api.manifest(await r.text()));
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

/** A shard of the manifest, downloaded and parsed (sha256 checked, inflated) once per page. */
async function shard(file, dir = 'data/') {
  const key = `${dir}${file}`;
  if (shardCache.has(key)) return shardCache.get(key);
  const m = await getManifest(dir);
  const entry = m.shards.find((s) => s.file === file);
  if (!entry) throw new Error(`shard ${file} is not in ${dir}manifest.json`);
  const s = new api.Shard(await fetchBytes(key, file), entry.sha256, key);
  shardCache.set(key, s);
  return s;
}

/** The first `count` examples of a split of the data directory `dir`: [{ shard, n }] (the first n of each). */
async function splitParts(split, count, dir = 'data/') {
  const m = await getManifest(dir);
  const out = [];
  let left = count;
  for (const s of m.shards.filter((x) => x.split === split)) {
    if (left <= 0) break;
    const sh = await shard(s.file, dir);
    const n = Math.min(left, sh.length);
    out.push({ shard: sh, n });
    left -= n;
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
    const sh = await shard(s.file, dir);
    return { index, label: sh.label(i), pixels: sh.image(i) };
  }
  throw new Error(`${dir}manifest.json: the test shards hold fewer examples than their counts say`);
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
  const images = datasets().filter((d) => d.image_side);
  if (!images.some((d) => d.inputs === layers[0] && d.classes.length === layers[layers.length - 1])) {
    m.free();
    throw new Error(
      `incompatible model: the network is ${layers.join('-')}; this page needs 784 inputs (28×28 pixels) and 10 outputs (${images
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
 * Evaluates on the first `count` test images of `dir` in chunks, posting `eval` progress and
 * letting requests run between chunks; `add(evaluation, shard, start, end)` evaluates one chunk
 * into the Rust `Evaluation`, which merges them. Resolves with the merged report.
 */
async function evaluateChunks(count, dir, add, chunk = EVAL_CHUNK) {
  const parts = await splitParts('test', count, dir);
  const ev = new api.Evaluation();
  try {
    for (const { shard: s, n } of parts) {
      for (let a = 0; a < n; a += chunk) {
        add(ev, s, a, Math.min(n, a + chunk));
        event('eval', { done: ev.samples, total: count });
        await yieldEvents();
      }
    }
    return ev.report();
  } finally {
    ev.free();
  }
}

/** The trainer on the first `count` test images of its data set. */
const evaluateTrainer = (count) => evaluateChunks(count, trainerDir, (ev, s, a, b) => ev.addTrainer(needTrainer(), s, a, b));

/** A loaded model on the first `count` test images of its data set. */
async function evaluateModel(name, count) {
  const ds = modelDataset(needModel(name).metadata());
  const r = await evaluateChunks(count, dataDir(ds.name), (ev, s, a, b) => ev.addModel(needModel(name), s, a, b));
  return { ...r, dataset: ds.name };
}

// ---------------------------------------------------------------- jobs

/**
 * Trains the trainer up to `epochs` completed epochs, in slices of about `sliceSeconds` (at
 * least ~25 per epoch, never across an epoch's end); posts `progress` after every slice and
 * calls `onEpoch(epoch, totals)` after each completed epoch (totals: Rust's `epoch_totals`).
 * `startEpoch`: the epochs the trainer has completed. Returns 'finished' or 'stopped'.
 */
async function trainLoop({ epochs, startEpoch, sliceSeconds = 0.25, onEpoch, tag = {} }) {
  let epoch = startEpoch;
  let last = null; // the previous slice's report
  let k = 1;
  while (epoch < epochs) {
    if (await checkpointJob()) return 'stopped';
    const n = last ? Math.max(1, Math.min(k, Math.floor(last.steps_per_epoch / 25), last.steps_left)) : 1;
    const s = trainer.trainSteps(n);
    epoch = s.epoch;
    // next slice: aim at sliceSeconds of work
    k = Math.max(1, Math.round(sliceSeconds / Math.max(s.seconds / Math.max(1, s.steps), 1e-4)));
    event('progress', { ...tag, stats: s, epoch: s.epoch + s.epoch_progress, threads: api.rayonThreads() });
    if (s.epoch_totals && onEpoch) await onEpoch(s.epoch, s.epoch_totals);
    last = s;
  }
  return 'finished';
}

/** Rust's validation of a training run (throws its message): configuration and budget. */
function checkRun(config, { trainSize, testSize, epochs }) {
  api.checkRun(config, { train_samples: trainSize, test_samples: testSize, epochs });
}

/** The data set of a Train-page run (`dataset`, else the configuration's, else mnist). */
const runDataset = (o) => o.dataset ?? o.config?.dataset ?? 'mnist';

/**
 * The Train page's run: data of the chosen data set, trainer (fresh or from a checkpoint),
 * epochs, evaluation, autosave data. The Trainer's `dataset` is the manifest's.
 */
async function trainRun(o) {
  const { config, trainSize, testSize, epochs, checkpoint = null, startEpoch = 0 } = o;
  const { dir, manifest } = await datasetManifest(runDataset(o));
  const ds = dataset(manifest.dataset);
  event('phase', { phase: 'download', dataset: ds.name, title: ds.title });
  const parts = await splitParts('train', trainSize, dir);
  await splitParts('test', testSize, dir); // download now (progress), used at each epoch end
  if (await checkpointJob()) return 'stopped';
  event('phase', { phase: 'setup' });
  const t = new api.Trainer({ ...config, dataset: manifest.dataset });
  try {
    for (const p of parts) t.addExamples(p.shard, 0, p.n);
    if (checkpoint) t.importCheckpoint(checkpoint);
  } catch (e) {
    t.free();
    throw e;
  }
  if (trainer) trainer.free();
  trainer = t;
  trainerDir = dir;
  event('phase', { phase: 'train', config: t.config() });
  return trainLoop({
    epochs,
    startEpoch,
    async onEpoch(epoch, train) {
      event('phase', { phase: 'evaluate', epoch });
      const ev = await evaluateTrainer(testSize);
      const ck = trainer.exportCheckpoint();
      event('epoch', { epoch, train, eval: ev, checkpoint: ck }, [ck.buffer]);
      event('phase', { phase: epoch < epochs ? 'train' : 'finishing', epoch });
    },
  });
}

/** The configuration of one τ-sweep run. */
const sweepConfig = (o, mode, tau) => ({ layers: [784, ...o.hidden, 10], tau_I: tau, mode, batch: o.batch ?? 100, lr: o.lr ?? 1e-3, seed: o.seed ?? 1, init_std: o.init_std ?? 0.3 });

/** Rust's validation of every run of a sweep, before the first one starts. */
function checkSweep(o) {
  for (const mode of o.modes) for (const tau of o.taus) checkRun(sweepConfig(o, mode, tau), o);
}

/** The τ page's sweep (MNIST): one fresh network per (mode, τ_I), trained and evaluated in turn. */
async function sweepRun(o) {
  const { taus, modes, hidden, trainSize, testSize, epochs, seed = 1, skip = [] } = o;
  event('phase', { phase: 'download' });
  const parts = await splitParts('train', trainSize);
  const test = await splitParts('test', testSize);
  const runs = [];
  for (const mode of modes) for (const tau of taus) runs.push({ mode, tau });
  let index = 0;
  for (const r of runs) {
    index++;
    if (skip.some((s) => s.mode === r.mode && s.tau === r.tau)) continue;
    if (await checkpointJob()) return 'stopped';
    const t = new api.Trainer(sweepConfig(o, r.mode, r.tau));
    for (const p of parts) t.addExamples(p.shard, 0, p.n);
    if (trainer) trainer.free();
    trainer = t;
    trainerDir = 'data/';
    const tag = { run: index, runs: runs.length, mode: r.mode, tau: r.tau };
    event('run-start', tag);
    const t0 = now();
    let train = null;
    const status = await trainLoop({
      epochs,
      startEpoch: 0,
      tag,
      onEpoch: async (_, totals) => {
        train = totals;
      },
    });
    if (status === 'stopped') return 'stopped';
    // the test subset in one call per shard: exact silent fraction and histogram per shard
    const ev = new api.Evaluation();
    let evalReport;
    try {
      for (const p of test) ev.addTrainer(t, p.shard, 0, p.n);
      evalReport = ev.report();
    } finally {
      ev.free();
    }
    event('run', { ...tag, hidden, epochs, train_samples: trainSize, test_samples: testSize, seed, train, eval: evalReport, wall_s: (now() - t0) / 1000 });
  }
  return 'finished';
}

// ---------------------------------------------------------------- requests (js/protocol.js)

serve(
  'worker.js',
  {
    datasets: () => datasets(),
    randomSeed: () => api.randomSeed(),
    /** The manifest of a data set's directory (default: MNIST's), with its directory. */
    async manifest({ dataset: name } = {}) {
      const { dir, manifest } = await datasetManifest(name);
      return { ...manifest, dir };
    },
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
    predictDrawing({ data, width, height, channels = 4, name, hidden = 0 }) {
      const t0 = now();
      const pixels = api.preprocess(data, width, height, channels);
      const preprocess_ms = now() - t0;
      const prediction = predictPixels(needModel(name), pixels, { hidden });
      return { pixels, prediction, preprocess_ms };
    },
    testImage: ({ index, dataset: name }) => testImage(index, name),
    /** The Train page's trainer on its first `count` test images. */
    evaluate: ({ count }) => evaluateTrainer(count),
    evaluateModel: ({ name, count = 10000 }) => evaluateModel(name, count),
    exportModel: ({ metadata } = {}) => (metadata ? needTrainer().exportModelWith(metadata) : needTrainer().exportModel()),
    startTraining(args) {
      checkRun({ ...args.config, dataset: runDataset(args) }, args);
      return startJob('train', trainRun, args);
    },
    startSweep(args) {
      checkSweep(args);
      return startJob('sweep', sweepRun, args);
    },
    /** The CSV of the τ page's runs (`run` events), in the columns of `multispike sweep`. */
    sweepCsv: ({ runs }) => api.sweepCsv(runs),
  },
  {
    // --- test and benchmark requests (engine.html: scripts/e2e.mjs, scripts/bench-web.mjs)
    newTrainer({ config }) {
      const t = new api.Trainer(config ?? undefined);
      if (trainer) trainer.free();
      trainer = t;
      trainerDir = dataDir(t.config().dataset);
      return t.config();
    },
    /** Adds a shard's bytes (fetched from `url`, sha256-checked by Rust) to the trainer. */
    async addShard({ url, bytes, sha256 }) {
      return needTrainer().addShard(bytes ?? (await fetchBytes(url)), sha256 ?? undefined);
    },
    trainSteps: ({ n }) => needTrainer().trainSteps(n),
    weightsDigest: () => needTrainer().weightsDigest(),
    // Throughput of a fresh paper-init network (784-400-10, tau_I 0.8, seed 1), like
    // `multispike bench`: inference over the first `n` MNIST test images, training in batches
    // of 100 over the first `n` training images, each repetition from the same weights.
    async bench({ n, reps = 3, config }) {
      const m = await getManifest('data/');
      const first = async (split) => {
        const s = await shard(m.shards.find((x) => x.split === split).file);
        return s.slice(0, Math.min(n, s.length));
      };
      const train = await first('train');
      const test = await first('test');
      const out = { inference: [], training: [], spikes: null };
      try {
        for (let r = 0; r < reps; r++) {
          const t = new api.Trainer(config ?? undefined);
          try {
            const e = t.evaluateShard(test);
            out.inference.push(e.samples_per_s);
            out.spikes = e.mean_spikes;
            const k = t.addExamples(train, 0, train.length);
            const s = t.trainSteps(Math.ceil(k / t.config().batch));
            out.training.push(s.samples_per_s);
          } finally {
            t.free();
          }
        }
      } finally {
        train.free();
        test.free();
      }
      return out;
    },
  },
);
