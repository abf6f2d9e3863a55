// Engine check page (engine.html), independent of the app's pages (none of main.js: no header,
// no coi-serviceworker, no isolation handling): starts its own instance of the engine worker
// (worker.js, the same one the app's pages use) through the shared client (js/rpc.js), reports
// which build runs (threads, isolation), loads the model, predicts a test digit and whatever is
// drawn on the canvas. scripts/e2e.mjs and scripts/bench-web.mjs use it (window.multispike.rpc,
// window.multispike.ready → { info, model, testPrediction, testLabel }); it starts the worker with
// `testing`, so their test and benchmark requests (js/protocol.js) are answered here only.
// URL parameters: build=auto|st|mt (default auto), threads=N (threaded build; default: cores, ≤ 8),
// model=<url> (default: the shipped model, else the development model made by scripts/setup.sh).
import { drawImage28 } from './js/image28.js';
import { connect } from './js/rpc.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

const { rpc } = connect(new URL('./worker.js', import.meta.url), (message) => setStatus(`worker error: ${message}`, true));

function setStatus(text, bad = false) {
  const s = $('status');
  s.textContent = text;
  s.className = bad ? 'bad' : '';
}

const MODELS = ['models/mnist-784-400-10-multi.safetensors', 'models/dev-784-400-10-multi.safetensors'];

async function loadFirstModel() {
  const list = params.get('model') ? [params.get('model')] : MODELS;
  let last;
  for (const url of list) {
    try {
      const m = await rpc('loadModel', { url });
      return { url, ...m };
    } catch (e) {
      last = e;
    }
  }
  throw last ?? new Error('no model');
}

/** Test image `k` of MNIST's test split (the worker reads the shard its manifest lists). */
async function testDigit(k = 0) {
  const { label, pixels } = await rpc('testImage', { index: k });
  return { label, pixels };
}

const drawDigit = (canvas, pixels) => drawImage28(canvas, pixels, { ink: 'dark' });

function showPrediction(p, where) {
  const el = $(where);
  el.innerHTML = '';
  p.probabilities.forEach((q, k) => {
    const row = document.createElement('div');
    row.className = 'bar' + (k === p.class ? ' top' : ''); // class: null when the largest outputs tie
    row.innerHTML = `<span>${k}</span><i style="width:${(100 * q).toFixed(1)}%"></i><b>${(100 * q).toFixed(1)} %</b>`;
    el.append(row);
  });
  const note = document.createElement('p');
  note.textContent = `${p.class === null ? 'undecided' : `class ${p.class}`}, ${p.n_spikes} hidden spikes`;
  el.append(note);
}

function setupCanvas() {
  const c = $('pad');
  const ctx = c.getContext('2d');
  ctx.lineWidth = 18;
  ctx.lineCap = ctx.lineJoin = 'round';
  let drawing = false;
  let timer = 0;
  const pos = (e) => {
    const r = c.getBoundingClientRect();
    return [((e.clientX - r.left) * c.width) / r.width, ((e.clientY - r.top) * c.height) / r.height];
  };
  const predict = async () => {
    const d = ctx.getImageData(0, 0, c.width, c.height);
    try {
      const { pixels, prediction } = await rpc('predictDrawing', { data: d.data, width: c.width, height: c.height, channels: 4 });
      drawDigit($('preview'), pixels);
      showPrediction(prediction, 'drawn');
    } catch (e) {
      $('drawn').textContent = e.message;
    }
  };
  c.addEventListener('pointerdown', (e) => {
    drawing = true;
    c.setPointerCapture(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...pos(e));
  });
  c.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...pos(e));
    ctx.stroke();
    clearTimeout(timer);
    timer = setTimeout(predict, 60);
  });
  const end = () => {
    if (drawing) predict();
    drawing = false;
  };
  c.addEventListener('pointerup', end);
  c.addEventListener('pointercancel', end);
  $('clear').onclick = () => {
    ctx.clearRect(0, 0, c.width, c.height);
    $('drawn').innerHTML = '';
    drawDigit($('preview'), new Uint8Array(784));
  };
}

async function main() {
  const info = await rpc('init', { build: params.get('build') ?? 'auto', threads: Number(params.get('threads') ?? 0), testing: true });
  $('build').textContent = info.build === 'mt' ? 'threaded (pkg-mt)' : 'single-threaded (pkg-st)';
  $('coi').textContent = String(info.crossOriginIsolated);
  $('threads').textContent = `${info.threads} (of ${info.hardwareConcurrency} cores)`;
  $('simd').textContent = info.simd ? 'yes' : 'no';
  setStatus('engine ready; loading the model…');
  const m = await loadFirstModel();
  $('model').textContent = `${m.layers.join('-')}, τ_I ${m.tauI}, ${m.metadata.mode} (${m.url})`;
  const d = await testDigit(0);
  drawDigit($('digit'), d.pixels);
  const p = await rpc('predict', { pixels: d.pixels });
  showPrediction(p, 'test');
  $('label').textContent = `label ${d.label}`;
  setupCanvas();
  setStatus('ready');
  return { info, model: m, testPrediction: p, testLabel: d.label };
}

// For the end-to-end tests and the benchmark (scripts/e2e.mjs, scripts/bench-web.mjs).
window.multispike = { rpc, ready: main() };
window.multispike.ready.catch((e) => setStatus(`error: ${e.message}`, true));
