// Yin-Yang playground: a small spiking network trained live on the Yin-Yang data set in the
// page's own engine Worker (playground-worker.js, chosen by <html data-worker>). The worker trains
// in slices and sends, every few slices, the decision map (class and confidence per cell) and the
// accuracy; this thread only paints: the map with the data points, loss and accuracy charts, and
// the spike raster and output traces of the point under the pointer.
// The settings go to Rust unchecked: `new YinYang(config)` validates them and its error message
// is what the page shows. The settings of the current network are kept in the URL (#…), so a
// link or a reload reproduces the run (same seed, same weights).
import { $, app, download, escapeHtml, on, pct, rpc } from '../main.js';
import { lineChart, rasterChart } from './charts.js';

const form = $('#play-form');
const mapCanvas = $('#map');
const RESOLUTION = 64; // map cells per side
const TRACE_POINTS = 151; // grid times of the output traces
const COLORS = ['#2563c9', '#e8710a', '#2e9e44']; // yin, yang, dot
const RGB = COLORS.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
const DARK = ['#163f8a', '#a94c00', '#1d6b2d']; // point fill
const TIE = [150, 160, 172];

let names = ['yin', 'yang', 'dot']; // replaced by the engine's class names
let cfg = null; // effective config of the current network
let running = false;
let paused = false;
let epoch = 0;
let steps = 0;
let rate = 0; // smoothed samples/s
let lastStats = null;
let lastEval = null;
let lastMap = null;
let mapVersion = 0;
let pts = { train: null, test: null };
let history = { points: [], evals: [] };
let dirty = false; // the form differs from the current network's settings
let lastPrediction = null;
let rasterTicks = 0;
const mapTimes = []; // ms of the worker's snapshots (map + evaluation)

const classChip = (k) => (k === null || k === undefined ? '–' : `<span class="chip c${k}">${escapeHtml(names[k])}</span>`);

// ------------------------------------------------------------------ settings

/** The form's settings as a config object, unchecked (Rust validates; empty fields become NaN). */
function readForm() {
  const f = new FormData(form);
  const num = (k) => {
    const v = String(f.get(k) ?? '').trim();
    return v === '' ? NaN : Number(v);
  };
  return {
    hidden: String(f.get('hidden') ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number),
    tau_I: num('tau'),
    mode: f.get('mode'),
    lr: num('lr'),
    batch: num('batch'),
    train_size: num('train_size'),
    seed: num('seed'),
  };
}

function fillForm(c) {
  const set = (k, v) => (form.elements[k].value = v);
  set('hidden', c.hidden.join(', '));
  set('tau', c.tau_i);
  set('mode', c.mode);
  set('lr', c.lr);
  set('batch', c.batch);
  set('train_size', c.train_size);
  set('seed', c.seed);
}

/** The settings of the URL's #fragment (hidden=60,60&tau_I=0.8&…), or null without any. */
function hashConfig() {
  const h = new URLSearchParams(location.hash.slice(1));
  const c = {};
  for (const [k, v] of h) {
    if (k === 'speed') continue;
    if (k === 'hidden' || k === 'init_mean' || k === 'init_std') c[k] = v.split(',').filter(Boolean).map(Number);
    else if (k === 'mode') c[k] = v;
    else c[k] = Number(v);
  }
  return Object.keys(c).length ? c : null;
}

function writeHash(c) {
  const h = new URLSearchParams();
  h.set('hidden', c.hidden.join(','));
  h.set('tau_I', String(c.tau_i));
  h.set('mode', c.mode);
  h.set('lr', String(c.lr));
  h.set('batch', String(c.batch));
  h.set('train_size', String(c.train_size));
  h.set('seed', String(c.seed));
  window.history.replaceState(null, '', `#${h.toString()}`);
}

function showEffective(c) {
  const list = (v) => (Array.isArray(v) ? v.join(', ') : String(v));
  $('#effective').textContent =
    `5-${c.hidden.join('-')}-3 · τ_I ${c.tau_i} · ${c.mode}-spike · lr ${c.lr} · batch ${c.batch} · λ ${c.lambda} · σ ${c.sigma} · ` +
    `seed ${c.seed} · at most ${c.max_spikes} spikes per neuron · init mean ${list(c.init_mean)}, std ${list(c.init_std)} · ${c.train_size} training points`;
}

function setDirty(d) {
  dirty = d;
  $('#reset').classList.toggle('primary', d);
  $('#form-hint').classList.toggle('attention', d);
}

// ------------------------------------------------------------------ map

let pointsLayer = null; // { key, canvas }

function mapSide() {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const css = Math.max(100, mapCanvas.clientWidth);
  return { css, dpr, px: Math.round(css * dpr) };
}

/** The data points as a layer of their own (redrawn when the size or the choice changes). */
function pointLayer(px, dpr) {
  const which = $('#show-points').value;
  const p = which === 'none' ? null : pts[which];
  const key = `${which}:${px}:${p?.x.length ?? 0}:${cfg?.train_size}`;
  if (pointsLayer?.key === key) return pointsLayer.canvas;
  const c = document.createElement('canvas');
  c.width = c.height = px;
  const ctx = c.getContext('2d');
  if (p) {
    // 5,000 training points: small, so that the regions stay visible
    const r = (which === 'test' ? 2.6 : 1.6) * dpr;
    ctx.lineWidth = (which === 'test' ? 0.9 : 0.6) * dpr;
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    for (let k = 0; k < 3; k++) {
      ctx.fillStyle = DARK[k];
      ctx.beginPath();
      for (let i = 0; i < p.x.length; i++) {
        if (p.label[i] !== k) continue;
        const x = p.x[i] * px;
        const y = (1 - p.y[i]) * px;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fill();
      ctx.stroke();
    }
  }
  pointsLayer = { key, canvas: c };
  return c;
}

let paintPending = false;
function paintMap() {
  if (paintPending) return;
  paintPending = true;
  requestAnimationFrame(() => {
    paintPending = false;
    const { px, dpr } = mapSide();
    if (mapCanvas.width !== px) mapCanvas.width = mapCanvas.height = px;
    const ctx = mapCanvas.getContext('2d');
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, px, px);
    if (lastMap) {
      const n = lastMap.resolution;
      const off = document.createElement('canvas');
      off.width = off.height = n;
      const o = off.getContext('2d');
      const img = o.createImageData(n, n);
      for (let i = 0; i < n * n; i++) {
        const k = lastMap.class[i];
        const rgb = k === 255 ? TIE : RGB[k];
        // opacity from the winner's softmax probability: 1/3 (no preference) … 1 (sure)
        const q = Math.min(1, Math.max(0, (lastMap.confidence[i] - 1 / 3) * 1.5));
        const a = k === 255 ? 0.25 : 0.1 + 0.75 * q;
        img.data[4 * i] = rgb[0];
        img.data[4 * i + 1] = rgb[1];
        img.data[4 * i + 2] = rgb[2];
        img.data[4 * i + 3] = Math.round(255 * a);
      }
      o.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(off, 0, 0, px, px);
    }
    // outside the big circle the data set has no classes: dimmed
    ctx.beginPath();
    ctx.rect(0, 0, px, px);
    ctx.arc(px / 2, px / 2, px / 2, 0, 2 * Math.PI, true);
    ctx.fillStyle = 'rgba(244, 246, 248, 0.72)';
    ctx.fill('evenodd');
    ctx.beginPath();
    ctx.arc(px / 2, px / 2, px / 2 - 0.75 * dpr, 0, 2 * Math.PI);
    ctx.strokeStyle = '#7b8593';
    ctx.lineWidth = 1.5 * dpr;
    ctx.stroke();
    ctx.drawImage(pointLayer(px, dpr), 0, 0);
    // the pinned point (crosshair) and the point under the pointer (ring)
    const ring = (t, cross) => {
      const x = t.x * px;
      const y = (1 - t.y) * px;
      ctx.beginPath();
      ctx.arc(x, y, 7 * dpr, 0, 2 * Math.PI);
      if (cross) {
        for (const [dx, dy] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
          ctx.moveTo(x + 4 * dx * dpr, y + 4 * dy * dpr);
          ctx.lineTo(x + 12 * dx * dpr, y + 12 * dy * dpr);
        }
      }
      ctx.lineWidth = 3.2 * dpr;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
      ctx.lineWidth = 1.6 * dpr;
      ctx.strokeStyle = '#111';
      ctx.stroke();
    };
    if (pinned) ring(pinned, true);
    if (hover) ring(hover, false);
  });
}

function showMapLine() {
  if (!lastMap) return;
  const cells = lastMap.class.length;
  const share = lastMap.counts.map((c, k) => `${escapeHtml(names[k])} ${Math.round((100 * c) / cells)} %`).join(' · ');
  const ties = cells - lastMap.counts.reduce((a, b) => a + b, 0);
  const ms = mapTimes.length ? ` · map and accuracy in ${Math.round(mapTimes.at(-1))} ms` : '';
  $('#map-line').innerHTML =
    `${lastMap.resolution}×${lastMap.resolution} cells: ${share}${ties ? ` · ${ties} tied` : ''} · ` +
    `${lastMap.mean_spikes.toFixed(1)} hidden spikes per point${ms}`;
}

// ------------------------------------------------------------------ stats and charts

let chartsPending = false;
function redrawCharts() {
  if (chartsPending) return;
  chartsPending = true;
  requestAnimationFrame(() => {
    chartsPending = false;
    const h = history;
    const x = { min: 0, max: Math.max(1, epoch), label: 'epoch' };
    lineChart($('#loss-chart'), {
      height: 170,
      x,
      y: { min: 0, label: 'loss' },
      series: [
        { label: 'training (per slice)', color: '#9db0cf', width: 1.4, points: h.points.map((p) => [p.epoch, p.loss]) },
        { label: 'test set', color: '#d9480f', width: 2.2, points: h.evals.map((p) => [p.epoch, p.test.loss]) },
      ],
      empty: 'press Train',
    });
    lineChart($('#acc-chart'), {
      height: 170,
      x,
      y: { min: 0, max: 1, label: 'accuracy', format: (v) => `${Math.round(v * 100)} %` },
      series: [
        { label: 'training set', color: '#2053c9', width: 2, points: h.evals.map((p) => [p.epoch, p.train.accuracy]) },
        { label: 'test set', color: '#d9480f', width: 2.2, points: h.evals.map((p) => [p.epoch, p.test.accuracy]) },
      ],
      hlines: [{ y: 1 / 3, label: 'chance', color: '#9aa5b3' }],
      empty: 'press Train',
    });
  });
}

function showStats() {
  $('#s-epoch').textContent = epoch.toFixed(2);
  $('#s-rate').textContent = rate ? Math.round(rate).toLocaleString('en') : '–';
  $('#s-loss').textContent = lastStats ? lastStats.loss.toFixed(3) : '–';
  $('#s-spikes').textContent = lastStats ? lastStats.mean_spikes.toFixed(2) : lastEval ? lastEval.test.mean_spikes.toFixed(2) : '–';
  $('#s-test').textContent = lastEval ? pct(lastEval.test.accuracy, 1) : '–';
  $('#s-train').textContent = lastEval ? pct(lastEval.train.accuracy, 1) : '–';
}

function setPhase() {
  $('#phase').textContent = running ? (paused ? 'paused' : 'training') : steps ? 'stopped' : 'ready';
  $('#play').textContent = running && !paused ? '❚❚ Pause' : '▶ Train';
  $('#play').setAttribute('aria-pressed', String(running && !paused));
  $('#step').disabled = running && !paused;
}

/** Keeps the charts' point lists short: every other point once they pass 2,400. */
function thin(list) {
  if (list.length <= 2400) return;
  const keep = list.filter((_, i) => i % 2 === 0 || i === list.length - 1);
  list.length = 0;
  list.push(...keep);
}

function onProgress(e) {
  const s = e.stats;
  epoch = e.epoch;
  steps = e.steps;
  lastStats = s;
  if (s.samples_per_s > 0) rate = rate ? 0.8 * rate + 0.2 * s.samples_per_s : s.samples_per_s;
  history.points.push({ epoch: e.epoch, loss: s.loss, accuracy: s.accuracy });
  thin(history.points);
  showStats();
  redrawCharts();
}

function onSnapshot(e) {
  lastMap = e.map;
  lastEval = e.eval;
  mapVersion++;
  mapTimes.push(e.ms);
  if (e.epoch !== null && e.epoch !== undefined) epoch = e.epoch;
  history.evals.push({ epoch, train: { accuracy: e.eval.train.accuracy, loss: e.eval.train.loss }, test: { accuracy: e.eval.test.accuracy, loss: e.eval.test.loss } });
  thin(history.evals);
  showStats();
  showMapLine();
  paintMap();
  redrawCharts();
  inspect(); // the pinned or hovered point under the new weights
}

// ------------------------------------------------------------------ one point

let pinned = null; // { x, y } clicked
let hover = null; // { x, y } under the mouse
let inflight = false;
let again = false;
let lastAsk = 0;

const target = () => hover ?? pinned;

function mapPoint(e) {
  const r = mapCanvas.getBoundingClientRect();
  const cl = (v) => Math.min(1, Math.max(0, v));
  return { x: cl((e.clientX - r.left) / r.width), y: cl(1 - (e.clientY - r.top) / r.height) };
}

/** Predicts the inspected point: at most one request in flight, at most one per ~40 ms. */
async function inspect() {
  if (!target()) return;
  if (inflight) {
    again = true;
    return;
  }
  inflight = true;
  try {
    do {
      again = false;
      const wait = 40 - (performance.now() - lastAsk);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = target();
      if (!p) break;
      lastAsk = performance.now();
      showPoint(await rpc('predict', { x: p.x, y: p.y, points: TRACE_POINTS }));
    } while (again);
  } catch (err) {
    $('#insp-verdict').innerHTML = `<span class="error-text">${escapeHtml(err.message)}</span>`;
  } finally {
    inflight = false;
  }
}

function showPoint(p) {
  lastPrediction = p;
  const t = target();
  const how = t && t === pinned && !hover ? 'pinned' : 'under the pointer';
  $('#insp-where').innerHTML = `(x, y) = (${p.x.toFixed(3)}, ${p.y.toFixed(3)}) · ${how}`;
  const truth = p.truth === null || p.truth === undefined ? null : p.truth;
  const says = p.class ?? null; // null: the largest outputs tie
  const verdict =
    says === null ? '<b>undecided</b> (the largest outputs tie)' : `${classChip(says)} <b>${pct(p.probabilities[says], 1)}</b>`;
  const mark = truth === null || says === null ? '' : says === truth ? ' <span class="ok-text">✓ right</span>' : ' <span class="error-text">✗ wrong</span>';
  $('#insp-verdict').innerHTML =
    `network: ${verdict}${mark}<br><span class="small">true class: ${truth === null ? 'none (outside the circle)' : classChip(truth)}</span>`;
  const bars = $('#insp-bars');
  if (bars.children.length !== p.probabilities.length) {
    bars.innerHTML = p.probabilities
      .map((_, k) => `<div class="bar wide"><span>${escapeHtml(names[k])}</span><div class="track"><div class="fill" style="background:${COLORS[k]}"></div></div><span>–</span></div>`)
      .join('');
  }
  [...bars.children].forEach((row, k) => {
    row.classList.toggle('best', k === says);
    row.querySelector('.fill').style.width = `${(100 * p.probabilities[k]).toFixed(1)}%`;
    row.lastElementChild.textContent = pct(p.probabilities[k], 1);
  });
  const hidden = p.layers.slice(1, -1);
  const nHidden = hidden.reduce((a, b) => a + b, 0);
  const fired = new Set(p.spike_neuron.map((n, i) => `${p.spike_layer[i]}:${n}`)).size;
  $('#insp-spikes').innerHTML =
    `<b id="insp-n-spikes">${p.n_spikes}</b> hidden spikes; ${fired} of ${nHidden} hidden neurons fired` +
    (fired ? ` (${(p.n_spikes / fired).toFixed(2)} spikes per active neuron)` : '');
  const times = inputTimes(p);
  $('#insp-inputs').textContent = `input spikes at t = ${INPUT_LABELS.map((l, i) => `${times[i].toFixed(3)} (${l})`).join(', ')}`;
  drawPoint(p);
}

const INPUT_LABELS = ['x', 'y', '1−x', '1−y', 'bias'];
/**
 * The five input spike times of a point, for the raster only (the network gets its inputs from
 * Rust): the engine's, when its prediction carries them (`input_times`), else the encoding its
 * data-set table describes (t = t_out (0.05 + 0.9 v) for v = x, y, 1 − x, 1 − y; the bias at 0).
 */
function inputTimes(p) {
  if (p.input_times?.length === 5) return Array.from(p.input_times);
  const t = (v) => p.t_out * (0.05 + 0.9 * v);
  return [t(p.x), t(p.y), t(1 - p.x), t(1 - p.y), 0];
}

function drawPoint(p) {
  const x = { min: 0, max: p.t_out, label: 'time t' };
  const hidden = p.layers.slice(1, -1);
  const sorted = $('#sort-raster').checked;
  const groups = [
    {
      label: 'inputs',
      rows: 5,
      color: '#4a5568',
      rowLabels: INPUT_LABELS,
      weight: Math.max(1, hidden.reduce((a, b) => a + b, 0) / 10),
      spikes: inputTimes(p).map((t, i) => [t, i]),
    },
  ];
  hidden.forEach((n, l) => {
    const first = new Map();
    const spikes = [];
    for (let i = 0; i < p.spike_neuron.length; i++) {
      if (p.spike_layer[i] !== l) continue;
      const j = p.spike_neuron[i];
      if (!first.has(j) || p.spike_time[i] < first.get(j)) first.set(j, p.spike_time[i]);
      spikes.push([p.spike_time[i], j]);
    }
    let row = (j) => j;
    if (sorted) {
      // active neurons by first spike, then the silent ones
      const order = [...first.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map((e) => e[0]);
      const pos = new Map(order.map((j, k) => [j, k]));
      row = (j) => pos.get(j);
    }
    groups.push({
      label: hidden.length > 1 ? `hidden ${l + 1} (${n})` : `hidden (${n})`,
      rows: n,
      color: '#d9480f',
      spikes: spikes.map(([t, j]) => [t, row(j)]),
    });
  });
  rasterTicks = rasterChart($('#raster'), { height: 270, x, groups, empty: 'no spikes' });
  const G = p.grid.length;
  const says = p.class ?? null;
  const series = p.probabilities.map((_, o) => ({
    label: names[o],
    color: COLORS[o],
    width: o === says ? 3.2 : 1.6,
    alpha: says !== null && o !== says ? 0.8 : 1,
    points: p.grid.map((t, i) => [t, p.v_trace[o * G + i]]),
  }));
  lineChart($('#trace-chart'), {
    height: 270,
    x,
    y: { label: 'V_o(t)' },
    series: [...series].sort((a, b) => a.width - b.width),
    legendSort: (a, b) => names.indexOf(a) - names.indexOf(b),
  });
}

function emptyInspector() {
  const x = { min: 0, max: 1, label: 'time t' };
  rasterChart($('#raster'), { height: 270, x, groups: [], empty: 'point at the map' });
  lineChart($('#trace-chart'), { height: 270, x, y: { min: -0.5, max: 1, label: 'V_o(t)' }, series: [], empty: 'point at the map' });
}

function setupPointer() {
  mapCanvas.addEventListener('pointermove', (e) => {
    if (e.pointerType === 'touch') return;
    hover = mapPoint(e);
    paintMap();
    inspect();
  });
  mapCanvas.addEventListener('pointerleave', () => {
    hover = null;
    paintMap();
    if (pinned) inspect();
  });
  mapCanvas.addEventListener('click', (e) => {
    pinned = mapPoint(e);
    if (hover) hover = pinned;
    paintMap();
    inspect();
  });
  new ResizeObserver(() => {
    pointsLayer = null;
    paintMap();
  }).observe(mapCanvas);
  $('#show-points').onchange = paintMap;
  $('#sort-raster').onchange = () => lastPrediction && drawPoint(lastPrediction);
}

// ------------------------------------------------------------------ runs

function perEpoch() {
  return Math.ceil(cfg.train_size / cfg.batch);
}

/** A fresh network with `config` (the form's settings unless given); false on a refused setting. */
async function reset(config = readForm()) {
  $('#form-error').textContent = '';
  let made;
  try {
    made = await rpc('create', { config });
  } catch (e) {
    // Rust's message, as it is; the worker keeps the previous network (stopped)
    $('#form-error').textContent = e.message;
    running = paused = false;
    setPhase();
    return false;
  }
  const trainSizeChanged = !cfg || cfg.train_size !== made.config.train_size;
  cfg = made.config;
  running = paused = false;
  epoch = steps = rate = 0;
  lastStats = lastEval = lastMap = null;
  history = { points: [], evals: [] };
  fillForm(cfg);
  setDirty(false);
  showEffective(cfg);
  writeHash(cfg);
  if (trainSizeChanged || !pts.train) pts.train = await rpc('points', { test: false });
  pts.test ??= await rpc('points', { test: true });
  pointsLayer = null;
  onSnapshot({ ...(await rpc('snapshot', { resolution: RESOLUTION })), epoch: 0 });
  setPhase();
  return true;
}

async function play() {
  if (!cfg) return;
  if (!running) {
    await rpc('setSpeed', { epochsPerSecond: Number($('#speed').value) });
    await rpc('start', { resolution: RESOLUTION });
    running = true;
    paused = false;
  } else if (paused) {
    await rpc('resume');
    paused = false;
  } else {
    await rpc('pause');
    paused = true;
  }
  setPhase();
}

async function stepOnce() {
  if (!cfg || (running && !paused)) return;
  const r = await rpc('trainSteps', { n: perEpoch() });
  onProgress(r);
  onSnapshot({ ...(await rpc('snapshot', { resolution: RESOLUTION })), epoch: r.epoch });
  setPhase();
}

function fileName() {
  return `yin-yang-5-${cfg.hidden.join('-')}-3-${cfg.mode}-tau${cfg.tau_i}-seed${cfg.seed}-e${Math.floor(epoch)}.safetensors`;
}

app(async (info) => {
  const table = await rpc('datasets');
  const yy = table.find((d) => d.name === 'yin-yang');
  if (yy) {
    names = yy.classes;
    $('#encoding').textContent = `(The engine: ${yy.encoding}.)`;
  }
  $('#map-legend').innerHTML =
    names.map((n, k) => `<span class="chip c${k}">${escapeHtml(n)}</span>`).join(' ') +
    ' <span class="muted">opacity: how sure the network is · dimmed: outside the circle, where the data set defines no class</span>';
  emptyInspector();
  setupPointer();
  on('progress', onProgress);
  on('snapshot', onSnapshot);
  on('done', (e) => {
    if (e.kind !== 'play') return;
    running = paused = false;
    if (e.status === 'error') $('#form-error').textContent = e.error;
    setPhase();
  });
  // a network setting changed (the speed, which has no name, applies at once)
  form.addEventListener('input', (e) => e.target.name && setDirty(true));
  form.onsubmit = (e) => e.preventDefault();
  $('#play').onclick = () => play().catch((e) => ($('#form-error').textContent = e.message));
  $('#step').onclick = () => stepOnce().catch((e) => ($('#form-error').textContent = e.message));
  $('#reset').onclick = () => reset();
  $('#random-seed').onclick = async () => {
    form.elements.seed.value = String(await rpc('randomSeed'));
    await reset();
  };
  $('#speed').onchange = () => rpc('setSpeed', { epochsPerSecond: Number($('#speed').value) });
  $('#export').onclick = async () => {
    const bytes = await rpc('exportModel');
    download(bytes, fileName());
  };
  // the URL's settings (a shared link, a reload), else the engine's defaults
  const fromHash = hashConfig();
  if (!(fromHash && (await reset(fromHash)))) {
    const err = $('#form-error').textContent;
    await reset({});
    if (err) $('#form-error').textContent = `The link's settings were refused: ${err}`;
  }
  for (const b of ['#play', '#step', '#reset', '#export']) $(b).disabled = false;
  setPhase();
  Object.assign(window.multispike, {
    state: () => ({ running, paused, epoch, steps, eval: lastEval, mapVersion, config: cfg, rasterTicks, history, mapTimes }),
    mapClasses: () => (lastMap ? Array.from(lastMap.class) : null),
    prediction: () => lastPrediction,
    reset,
    play,
  });
  return { config: cfg, threads: info.threads };
});
