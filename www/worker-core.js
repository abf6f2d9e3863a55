// What every engine Worker shares (worker.js for the MNIST pages, playground-worker.js for the
// Yin-Yang playground; one Worker per page and model, the UI thread never computes):
//  - engine start-up: the package is chosen at `init` — pkg-mt (threads: rayon on Web Workers)
//    when the page is cross-origin isolated, else pkg-st (one thread); `initThreadPool` runs
//    before any other call into the engine, once;
//  - the message protocol. Requests:  { id, type, ...args }  →  { id, ok: true, result, ms }  or
//    { id, ok: false, error }  (`ms`: time the handler took in the worker). Long jobs answer their
//    start request at once and then post events { event, ... } (no id) until { event: 'done' };
//    `pause`, `resume` and `stop` requests steer them between slices of work. The names of the
//    requests and events are those of js/protocol.js; `serve` checks that a worker's handlers are
//    exactly its protocol's, and answers the protocol's test requests only after `init` with
//    `testing: true` (engine.html: the end-to-end tests and the benchmark).
// No engine fact lives in a worker: parsing, validation, evaluation, statistics and file formats
// are Rust's (src/wasm.rs); a worker downloads, schedules slices of work and posts events.

import { COMMON, EVENTS, protocolOf } from './js/protocol.js';

/** The imported package (null before `init`). */
export let api = null;
let info = null;
let job = null; // { kind, paused, stopped, wake }
let testing = false; // whether the protocol's test requests are answered

export const now = () => performance.now();
const isolated = () => self.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';

const eventNames = new Set(EVENTS);

/** Posts an event (no id) to the page; `name` must be one of js/protocol.js. */
export function event(name, data = {}, transfer = []) {
  if (!eventNames.has(name)) throw new Error(`unknown event ${name}: name it in js/protocol.js`);
  self.postMessage({ event: name, ...data }, transfer);
}

/**
 * Loads the package (threaded when isolated, unless `build` says otherwise); resolves with its
 * info. `testing`: also answer the protocol's test requests (engine.html).
 */
export async function init({ build = 'auto', threads = 0, testing: test = false } = {}) {
  testing ||= test === true;
  if (api) return info;
  const wantMt = build === 'mt' || (build === 'auto' && isolated());
  if (wantMt && !isolated()) {
    throw new Error('the threaded build needs a cross-origin isolated page (COOP/COEP headers)');
  }
  const t0 = now();
  const pkg = await import(wantMt ? './pkg-mt/multispike.js' : './pkg-st/multispike.js');
  await pkg.default();
  if (wantMt) {
    const n = threads > 0 ? threads : Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
    await pkg.initThreadPool(n); // before any other engine call
  } else if (build === 'auto') {
    console.warn('multispike: the page is not cross-origin isolated; the engine runs single-threaded');
  }
  api = pkg;
  info = {
    ...api.buildInfo(), // version, threaded (the package's feature), simd, max_model_bytes, limits
    build: wantMt ? 'mt' : 'st',
    crossOriginIsolated: self.crossOriginIsolated === true,
    threads: api.rayonThreads(),
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
    init_ms: now() - t0,
  };
  return info;
}

// ---------------------------------------------------------------- jobs

/** Lets queued messages (pause, stop, predictions …) run: resolves on the next macrotask. */
export function yieldEvents() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });
}

/** Between two slices of a job: lets requests run, waits while paused; true when the job must stop. */
export async function checkpointJob() {
  await yieldEvents();
  while (job && job.paused && !job.stopped) {
    await new Promise((resolve) => (job.wake = resolve));
  }
  return !job || job.stopped;
}

/** Starts `fn(args)` as the one job; posts `done` { kind, status } when it ends. */
export function startJob(kind, fn, args) {
  if (job) throw new Error(`a ${job.kind} job is running: stop it first`);
  job = { kind, paused: false, stopped: false, wake: null, finished: null };
  const mine = job;
  mine.finished = (async () => {
    try {
      const status = await fn(args);
      event('done', { kind, status });
    } catch (e) {
      event('done', { kind, status: 'error', error: String(e?.message ?? e), error_kind: e?.kind ?? null });
    } finally {
      if (job === mine) job = null;
    }
  })();
  return { started: kind };
}

/** The running job's kind, or null. */
export const jobKind = () => job?.kind ?? null;

/** Stops the running job (if any); resolves once it has ended. */
export async function stopJob() {
  const j = job;
  if (!j) return;
  j.stopped = true;
  j.paused = false;
  j.wake?.();
  await j.finished;
}

const jobHandlers = {
  pause() {
    if (job) job.paused = true;
    return !!job;
  },
  resume() {
    if (job) {
      job.paused = false;
      job.wake?.();
    }
    return !!job;
  },
  stop() {
    if (job) {
      job.stopped = true;
      job.paused = false;
      job.wake?.();
    }
    return !!job;
  },
};

// ---------------------------------------------------------------- requests

/**
 * Answers the page's requests with `handlers` (type → function of the request's arguments,
 * may be async), plus `init`, `info`, `pause`, `resume` and `stop`, and after `init` with
 * `testing` also `testHandlers`. The handlers must be exactly the requests and test requests
 * js/protocol.js names for `script`. A Uint8Array result is transferred.
 */
export function serve(script, handlers, testHandlers = {}) {
  const p = protocolOf(script);
  const same = (have, want, what) => {
    const a = [...have].sort().join(', ');
    const b = [...want].sort().join(', ');
    if (a !== b) throw new Error(`${p.name}: the ${what} handled (${a}) are not those of js/protocol.js (${b})`);
  };
  same(Object.keys(handlers), p.requests, 'requests');
  same(Object.keys(testHandlers), p.test, 'test requests');
  const all = { init, info: () => info, ...jobHandlers, ...handlers };
  same(Object.keys(all), [...COMMON, ...p.requests], 'requests');
  self.onmessage = async (ev) => {
    const { id, type, ...args } = ev.data;
    const t0 = now();
    try {
      const h = all[type] ?? (testing ? testHandlers[type] : undefined);
      if (!h) throw new Error(testHandlers[type] ? `${type} is a test request: init with testing first (engine.html)` : `unknown request ${type}`);
      if (type !== 'init' && !api) throw new Error('the engine is not initialised: send init first');
      const result = await h(args);
      const transfer = result instanceof Uint8Array ? [result.buffer] : [];
      self.postMessage({ id, ok: true, result, ms: now() - t0 }, transfer);
    } catch (e) {
      // `kind`: the engine's stable error kind (e.g. 'model-file/too-large'), null for others
      self.postMessage({ id, ok: false, error: String(e?.message ?? e), kind: e?.kind ?? null });
    }
  };
}
