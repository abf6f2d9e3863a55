// Module worker of engine.html (the engine check page used by the end-to-end tests and the
// benchmark): hosts the engine (WebAssembly) off the page's main thread.
//
// It picks the package at start: pkg-mt (threads: rayon on Web Workers) when the page is
// cross-origin isolated, else pkg-st (one thread). `initThreadPool` runs before any other call
// into the engine, once. The page talks to it with request/response messages:
//   { id, type, ...args }  →  { id, ok: true, result }  or  { id, ok: false, error }
// A failed `loadModel` keeps the previous model: the new Model replaces it only once it parsed.

let api = null; // the imported package
let info = null;
let model = null; // multispike Model
let trainer = null; // multispike Trainer

const isolated = () => self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';

async function init({ build = 'auto', threads = 0 } = {}) {
  if (api) return info;
  const wantMt = build === 'mt' || (build === 'auto' && isolated());
  if (wantMt && !isolated()) {
    throw new Error('the threaded build needs a cross-origin isolated page (COOP/COEP headers)');
  }
  api = await import(wantMt ? './pkg-mt/multispike.js' : './pkg-st/multispike.js');
  await api.default();
  if (wantMt) {
    const n = threads > 0 ? threads : Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
    await api.initThreadPool(n); // before any other engine call
  } else if (build === 'auto') {
    console.warn('multispike: the page is not cross-origin isolated; running single-threaded');
  }
  info = {
    ...api.buildInfo(), // version, threaded (the package's feature), simd
    build: wantMt ? 'mt' : 'st',
    crossOriginIsolated: self.crossOriginIsolated === true,
    threads: api.rayonThreads(),
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
  };
  return info;
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function loadModel(bytes) {
  const m = new api.Model(bytes); // throws on a bad file; the old model stays
  if (model) model.free();
  model = m;
  return { layers: Array.from(m.layers), tauI: m.tauI, metadata: m.metadata() };
}

function needModel() {
  if (!model) throw new Error('no model loaded');
  return model;
}

function needTrainer() {
  if (!trainer) throw new Error('no trainer: send newTrainer first');
  return trainer;
}

const handlers = {
  init,
  info: () => info,
  async loadModel({ url, bytes }) {
    return loadModel(bytes ?? (await fetchBytes(url)));
  },
  predict: ({ pixels }) => needModel().predict(pixels),
  preprocess: ({ data, width, height, channels = 4 }) => api.preprocess(data, width, height, channels),
  predictDrawing({ data, width, height, channels = 4 }) {
    const pixels = api.preprocess(data, width, height, channels);
    return { pixels, prediction: needModel().predict(pixels) };
  },
  newTrainer({ config }) {
    const t = new api.Trainer(config ?? undefined);
    if (trainer) trainer.free();
    trainer = t;
    return t.config();
  },
  async addShard({ url, bytes, sha256 }) {
    return needTrainer().addShard(bytes ?? (await fetchBytes(url)), sha256 ?? undefined);
  },
  async setTestShard({ url, bytes, sha256 }) {
    return needTrainer().setTestShard(bytes ?? (await fetchBytes(url)), sha256 ?? undefined);
  },
  trainSteps: ({ n }) => needTrainer().trainSteps(n),
  evaluate: ({ bytes }) => needTrainer().evaluate(bytes ?? undefined),
  exportModel: () => needTrainer().exportModel(),
  weightsDigest: () => needTrainer().weightsDigest(),
  // Throughput of a fresh paper-init network (784-400-10, tau_I 0.8, seed 1), like
  // `multispike bench`: inference over the test images of `test`, training in batches of 100
  // over the images of `train` (both raw shards), each repetition from the same weights.
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
};

self.onmessage = async (ev) => {
  const { id, type, ...args } = ev.data;
  try {
    const h = handlers[type];
    if (!h) throw new Error(`unknown request ${type}`);
    if (type !== 'init' && !api) throw new Error('the engine is not initialised: send init first');
    const result = await h(args);
    self.postMessage({ id, ok: true, result });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
