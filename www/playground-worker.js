// The engine Worker of the Yin-Yang playground (playground.html): one `YinYang` model, trained
// live in slices of mini-batch steps; between slices it answers the page's requests (the spike
// raster of a point under the pointer, pause, stop) and, every few slices, computes what the page
// paints: the decision map over the unit square and the accuracy on the training examples and
// the test split. Start-up (st vs mt package, thread pool) and the request/event protocol are
// those of every engine Worker: see worker-core.js.
//
// Requests (besides init, info, pause, resume, stop): datasets, randomSeed, create { config },
// config, points { test }, snapshot { resolution }, predict { x, y, points }, trainSteps { n },
// setSpeed { epochsPerSecond }, start { resolution, sliceSeconds, mapSeconds, maxEpochs },
// exportModel, weightsDigest.
// Events of a `start` job: progress { stats, epoch, steps, threads } after each slice, snapshot
// { map, eval, epoch, steps, ms } every so often, done { kind: 'play', status }.

import { api, checkpointJob, event, now, serve, startJob, stopJob } from './worker-core.js';

let yy = null; // the YinYang model
let steps = 0; // mini-batch steps of this model
let epoch = 0; // fractional epochs of this model
let speed = Infinity; // epochs per second of a `start` job (Infinity: as fast as it goes)

function need() {
  if (!yy) throw new Error('no playground network yet: create one first');
  return yy;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Fractional epochs of a step report. */
const epochOf = (s) => s.epoch + s.epoch_progress;

/** The decision map and the accuracy of the current network, with the time they took. */
function snapshot(resolution = 64) {
  const m = need();
  const t0 = now();
  const map = m.decisionMap(resolution);
  const t1 = now();
  const ev = m.evaluate();
  return { map, eval: ev, steps, epoch, map_ms: t1 - t0, eval_ms: now() - t1, ms: now() - t0 };
}

/**
 * Trains until stopped (or `maxEpochs`) at `speed` epochs per second: slices of at most about
 * `sliceSeconds`, a `progress` event after each, a `snapshot` event at most every `mapSeconds`
 * (and at most ~40 % of the time).
 */
async function playRun({ resolution = 64, sliceSeconds = 0.08, mapSeconds = 0.35, maxEpochs = Infinity } = {}) {
  const m = need();
  const cfg = m.config();
  const perEpoch = Math.ceil(cfg.train_size / cfg.batch);
  let k = 1; // steps per slice at full speed
  let last = now(); // time of the last snapshot
  let gap = mapSeconds * 1000;
  let credit = 0; // steps due at the current speed
  let tick = now();
  let fresh = 0; // steps since the last snapshot
  for (;;) {
    if (await checkpointJob()) return 'stopped';
    if (m !== yy) return 'stopped';
    let n = k;
    if (Number.isFinite(speed)) {
      // paced: steps come due at speed × perEpoch per second; a pause does not pile them up
      credit = Math.min(k, credit + ((now() - tick) / 1000) * speed * perEpoch);
      tick = now();
      if (credit < 1) {
        await sleep(Math.min(100, Math.max(8, ((1 - credit) * 1000) / (speed * perEpoch))));
        continue;
      }
      n = Math.floor(credit);
      credit -= n;
    } else tick = now();
    const s = m.trainSteps(n);
    steps += s.steps;
    fresh += s.steps;
    epoch = epochOf(s);
    const per = s.seconds / Math.max(1, s.steps);
    if (n === k) k = Math.max(1, Math.round(sliceSeconds / Math.max(per, 1e-5)));
    event('progress', { stats: s, epoch, steps, threads: api.rayonThreads() });
    const done = epoch >= maxEpochs;
    if (done || (fresh > 0 && now() - last >= gap)) {
      const snap = snapshot(resolution);
      event('snapshot', snap);
      last = now();
      fresh = 0;
      gap = Math.max(mapSeconds * 1000, 1.5 * snap.ms);
    }
    if (done) return 'finished';
  }
}

serve('playground-worker.js', {
  datasets: () => api.datasets(),
  randomSeed: () => api.randomSeed(),
  /** A fresh network (stops a running job first); throws Rust's message on a bad setting. */
  async create({ config }) {
    await stopJob();
    const m = new api.YinYang(config ?? undefined);
    if (yy) yy.free();
    yy = m;
    steps = 0;
    epoch = 0;
    return { config: m.config(), digest: m.weightsDigest() };
  },
  config: () => need().config(),
  points: ({ test = false }) => need().points(!!test),
  snapshot: ({ resolution }) => snapshot(resolution),
  /** Epochs per second of training (a number; Infinity or 0: as fast as it goes). */
  setSpeed({ epochsPerSecond }) {
    speed = epochsPerSecond > 0 ? epochsPerSecond : Infinity;
    return speed;
  },
  predict({ x, y, points = 151 }) {
    const t0 = now();
    const p = need().predict(x, y, points);
    p.x = x;
    p.y = y;
    p.predict_ms = now() - t0;
    return p;
  },
  trainSteps({ n = 1 }) {
    const s = need().trainSteps(n);
    steps += s.steps;
    epoch = epochOf(s);
    return { stats: s, epoch, steps };
  },
  start: (args) => startJob('play', playRun, args),
  exportModel: () => need().exportModel(),
  weightsDigest: () => need().weightsDigest(),
});
