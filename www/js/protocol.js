// The names of the messages between a page and its engine Worker (shapes: see worker-core.js).
// Shared by the workers (worker-core.js checks at start-up that a worker serves exactly the
// requests named here) and by the pages' client (js/rpc.js refuses any other request or event
// name before anything is posted). Adding a request means adding its name here and its handler
// in the worker.

/** Requests every engine Worker answers (worker-core.js): start-up and the running job. */
export const COMMON = ['init', 'info', 'pause', 'resume', 'stop'];

/** Events a worker posts (no id): `{ event, ... }`. */
export const EVENTS = [
  'download', // { file, loaded, total, done? }: a shard or model download
  'phase', // { phase, ... }: what a training run is doing (download, setup, train, evaluate, finishing)
  'eval', // { done, total }: evaluation progress
  'progress', // { stats, epoch, threads, ... }: after every slice of training steps
  'epoch', // { epoch, train, eval, checkpoint }: a training run finished an epoch
  'run-start', // { run, runs, mode, tau }: a τ-sweep run begins
  'run', // { run, mode, tau, train, eval, wall_s, ... }: a τ-sweep run finished
  'snapshot', // playground: decision map and accuracies
  'done', // { kind, status, error? }: the job ended
];

/** Per worker script: the requests its pages send, and those only for tests and benchmarks. */
export const PROTOCOLS = {
  // The image pages (Draw, Train, τ) and the engine check page.
  'worker.js': {
    requests: [
      'datasets',
      'randomSeed',
      'manifest',
      'loadModel',
      'modelInfo',
      'useModel',
      'modelBytes',
      'predict',
      'predictDrawing',
      'testImage',
      'evaluate',
      'evaluateModel',
      'exportModel',
      'startTraining',
      'startSweep',
      'sweepCsv',
    ],
    // Served only after `init` with `testing: true`, which engine.html sends: the requests of
    // scripts/e2e.mjs and scripts/bench-web.mjs that no app page needs.
    test: ['newTrainer', 'addShard', 'trainSteps', 'weightsDigest', 'bench'],
  },
  // The Yin-Yang playground.
  'playground-worker.js': {
    requests: ['datasets', 'randomSeed', 'create', 'config', 'points', 'snapshot', 'setSpeed', 'predict', 'trainSteps', 'start', 'exportModel', 'weightsDigest'],
    test: [],
  },
};

/** The protocol of a worker script (its file name), or an error naming the known ones. */
export function protocolOf(script) {
  const name = String(script).split('/').pop().split('?')[0];
  const p = PROTOCOLS[name];
  if (!p) throw new Error(`no protocol for worker ${name} (known: ${Object.keys(PROTOCOLS).join(', ')})`);
  return { name, ...p };
}
