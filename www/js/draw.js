// Draw page: a pointer-events canvas (mouse, touch, pen), live classification while drawing,
// the 28×28 image the engine makes of the drawing (Rust `preprocess`), probabilities, the hidden
// spike raster and the membrane traces — all computed in the engine's Worker.
import { $, SHIPPED, app, decided, describeModel, escapeHtml, pct, rpc } from '../main.js';
import { PALETTE, lineChart } from './charts.js';
import { drawImage28 } from './image28.js';
import * as store from './store.js';

const canvas = $('#draw-canvas');
const STROKE = 0.075; // pen width, as a fraction of the canvas side
const INPUT = 280; // side of the image handed to the engine (strokes are re-rendered at this size)
const strokes = []; // [{ points: [[x, y] in 0..1] }]
let current = null; // the stroke being drawn
let activePointer = null;
let test = null; // { index, label, pixels } when an MNIST test image is loaded
let modelKey = null;
const modelInfo = new Map(); // key → { layers, tauI, metadata }
const timings = []; // { preprocess_ms, predict_ms, roundtrip_ms }
const pointerTypes = new Set(); // kinds of pointer that drew (mouse, touch, pen)

// ------------------------------------------------------------------ canvas and strokes

function size() {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const s = Math.max(100, Math.round(canvas.clientWidth * dpr));
  if (canvas.width !== s) {
    canvas.width = s;
    canvas.height = s;
    render(canvas.getContext('2d'), s);
  }
}

function strokePath(ctx, s, side) {
  const pts = s.points;
  ctx.beginPath();
  if (pts.length === 1) {
    ctx.arc(pts[0][0] * side, pts[0][1] * side, (STROKE * side) / 2, 0, 2 * Math.PI);
    ctx.fill();
    return;
  }
  ctx.moveTo(pts[0][0] * side, pts[0][1] * side);
  for (let i = 1; i < pts.length - 1; i++) {
    // quadratic segments through the midpoints: smooth strokes from sparse pointer samples
    const mx = (pts[i][0] + pts[i + 1][0]) / 2;
    const my = (pts[i][1] + pts[i + 1][1]) / 2;
    ctx.quadraticCurveTo(pts[i][0] * side, pts[i][1] * side, mx * side, my * side);
  }
  const l = pts[pts.length - 1];
  ctx.lineTo(l[0] * side, l[1] * side);
  ctx.stroke();
}

/** Draws the test image (if any) and every stroke on `ctx` (a square of `side` px, transparent). */
function render(ctx, side) {
  ctx.clearRect(0, 0, side, side);
  if (test) drawImage28(ctx, test.pixels, { scale: side / 28, ink: 'alpha', smooth: true });
  ctx.strokeStyle = ctx.fillStyle = '#111';
  ctx.lineWidth = STROKE * side;
  ctx.lineCap = ctx.lineJoin = 'round';
  for (const s of strokes) strokePath(ctx, s, side);
  if (current) strokePath(ctx, current, side);
}

function redraw() {
  render(canvas.getContext('2d'), canvas.width);
  $('#pad-hint').hidden = strokes.length > 0 || !!current || !!test;
  $('#undo').disabled = strokes.length === 0;
}

function point(e) {
  const r = canvas.getBoundingClientRect();
  return [Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), Math.min(1, Math.max(0, (e.clientY - r.top) / r.height))];
}

function setupPointer() {
  canvas.addEventListener('pointerdown', (e) => {
    if (activePointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    pointerTypes.add(e.pointerType);
    activePointer = e.pointerId;
    canvas.setPointerCapture(e.pointerId);
    current = { points: [point(e)] };
    redraw();
    schedule();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (e.pointerId !== activePointer || !current) return;
    e.preventDefault();
    const evs = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const c of evs.length ? evs : [e]) current.points.push(point(c));
    redraw();
    schedule();
  });
  const end = (e) => {
    if (e.pointerId !== activePointer) return;
    activePointer = null;
    if (current) strokes.push(current);
    current = null;
    redraw();
    schedule(0);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  // belt and braces for browsers without touch-action: the page must not scroll while drawing
  canvas.addEventListener('touchmove', (e) => e.preventDefault(), { passive: false });
  canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  $('#undo').onclick = undo;
  $('#sort-raster').onchange = () => charts(lastP);
  $('#clear').onclick = clear;
  $('#test-digit').onclick = () => showTest(Math.floor(Math.random() * 10000));
  window.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'z') {
      e.preventDefault();
      undo();
    } else if (e.key === 'Escape') clear();
  });
  new ResizeObserver(size).observe(canvas);
}

function undo() {
  if (!strokes.length) return;
  strokes.pop();
  redraw();
  schedule(0);
}

function clear() {
  strokes.length = 0;
  current = null;
  test = null;
  $('#source-line').textContent = 'Mouse, finger or pen. The prediction follows as you draw.';
  redraw();
  schedule(0);
}

async function showTest(index) {
  $('#source-line').textContent = 'loading the MNIST test set…';
  const t = await rpc('testImage', { index });
  strokes.length = 0;
  current = null;
  test = t;
  $('#source-line').innerHTML = `MNIST test image #${t.index}, labelled <b>${t.label}</b>. Draw on it to change it.`;
  redraw();
  await predictNow();
  return t;
}

// ------------------------------------------------------------------ prediction

let timer = 0;
let inflight = null;
let dirty = false;

/** Live classification: at most one request in flight, at most one every ~50 ms while drawing. */
function schedule(delay = 50) {
  if (delay === 0) {
    clearTimeout(timer);
    timer = 0;
    predictNow();
  } else if (!timer) {
    timer = setTimeout(() => {
      timer = 0;
      predictNow();
    }, delay);
  }
}

async function predictNow() {
  if (inflight) {
    dirty = true;
    return inflight;
  }
  inflight = (async () => {
    do {
      dirty = false;
      await predictOnce();
    } while (dirty);
  })();
  try {
    await inflight;
  } finally {
    inflight = null;
  }
}

async function predictOnce() {
  const empty = strokes.length === 0 && !current;
  if (empty && !test) {
    show(null, null);
    return;
  }
  const t0 = performance.now();
  let r;
  if (empty) {
    const prediction = await rpc('predict', { pixels: test.pixels, hidden: 3 });
    r = { pixels: test.pixels, prediction, preprocess_ms: 0 };
  } else {
    const off = document.createElement('canvas');
    off.width = off.height = INPUT;
    const ctx = off.getContext('2d', { willReadFrequently: true });
    render(ctx, INPUT);
    const data = ctx.getImageData(0, 0, INPUT, INPUT).data;
    r = await rpc('predictDrawing', { data, width: INPUT, height: INPUT, channels: 4, hidden: 3 }, [data.buffer]);
  }
  const roundtrip_ms = performance.now() - t0;
  timings.push({ preprocess_ms: r.preprocess_ms, predict_ms: r.prediction.predict_ms, roundtrip_ms });
  show(r.pixels, r.prediction, roundtrip_ms, r.preprocess_ms);
}

const bars = [];
function setupBars() {
  const el = $('#bars');
  for (let k = 0; k < 10; k++) {
    const row = document.createElement('div');
    row.className = 'bar';
    row.innerHTML = `<span>${k}</span><div class="track"><div class="fill" style="width:0"></div></div><span>–</span>`;
    el.append(row);
    bars.push(row);
  }
}

function show(pixels, p, roundtrip, preprocess) {
  drawImage28($('#preview'), pixels);
  const pred = $('#prediction');
  const ok = p && decided(p) && pixels && pixels.some((v) => v > 0);
  pred.textContent = ok ? String(p.class) : '?';
  pred.className = ok ? '' : 'undecided';
  $('#mini-digit').textContent = pred.textContent;
  $('#mini-conf').textContent = ok ? `(${pct(p.probabilities[p.class], 1)})` : p ? '(undecided)' : '';
  if (!p) {
    $('#confidence').textContent = 'Draw a digit to see what the network says.';
  } else if (!ok) {
    $('#confidence').innerHTML = '<b>Undecided</b>: the largest output potential is shared by several classes (a tie), so there is no answer.';
  } else {
    $('#confidence').innerHTML = `<b>${pct(p.probabilities[p.class], 1)}</b> sure it is a <b>${p.class}</b>`;
  }
  bars.forEach((row, k) => {
    const q = p ? p.probabilities[k] : 0;
    row.className = 'bar' + (ok && k === p.class ? ' best' : '');
    row.querySelector('.fill').style.width = `${(100 * q).toFixed(1)}%`;
    row.lastElementChild.textContent = p ? pct(q, 1) : '–';
  });
  if (!p) {
    $('#spike-line').innerHTML = '&nbsp;';
    $('#timing').innerHTML = '&nbsp;';
  } else {
    const nHidden = p.layers.slice(1, -1).reduce((a, b) => a + b, 0);
    const fired = new Set(p.spike_neuron.map((n, i) => `${p.spike_layer[i]}:${n}`)).size;
    $('#spike-line').innerHTML = `<b>${p.n_spikes}</b> hidden spikes; ${fired} of ${nHidden} hidden neurons fired
      (${(p.n_spikes / Math.max(1, fired)).toFixed(2)} spikes per active neuron)`;
    const pre = preprocess > 0 ? `preprocess ${preprocess.toFixed(2)} ms, ` : '';
    $('#timing').textContent = `engine: ${pre}network + traces ${p.predict_ms.toFixed(2)} ms · round trip ${roundtrip.toFixed(1)} ms`;
  }
  charts(p);
}

let lastP = null;
function charts(p) {
  lastP = p;
  const tOut = p?.t_out ?? 1;
  const x = { min: 0, max: tOut, label: 'time t' };
  if (!p) {
    lineChart($('#trace-chart'), { height: 240, x, y: { min: -0.5, max: 1, label: 'V_o(t)' }, series: [], empty: 'no drawing yet' });
    lineChart($('#raster'), { height: 240, x, y: { min: 0, max: 400, label: 'neuron' }, series: [], empty: 'no drawing yet' });
    lineChart($('#hidden-chart'), { height: 200, x, y: { min: -0.5, max: 1.2, label: 'V_j(t)' }, series: [], hlines: [{ y: 1, label: 'threshold', color: '#b3261e' }], empty: 'no drawing yet' });
    return;
  }
  const G = p.grid.length;
  const nOut = p.layers[p.layers.length - 1];
  const ok = decided(p);
  const traces = [];
  for (let o = 0; o < nOut; o++) {
    traces.push({
      label: String(o),
      color: PALETTE[o % PALETTE.length],
      width: ok && o === p.class ? 3.2 : 1.4,
      alpha: ok && o !== p.class ? 0.75 : 1,
      points: p.grid.map((t, i) => [t, p.v_trace[o * G + i]]),
    });
  }
  if (ok) traces.push(traces.splice(p.class, 1)[0]); // predicted class on top
  lineChart($('#trace-chart'), {
    height: 240,
    x,
    y: { label: 'V_o(t)' },
    series: traces.sort((a, b) => a.width - b.width),
    legendSort: (a, b) => Number(a) - Number(b),
  });

  // raster of the first hidden layer (one row per neuron)
  const nH = p.layers[1];
  const first = new Map();
  for (let i = 0; i < p.spike_neuron.length; i++) {
    if (p.spike_layer[i] !== 0) continue;
    const n = p.spike_neuron[i];
    if (!first.has(n) || p.spike_time[i] < first.get(n)) first.set(n, p.spike_time[i]);
  }
  let row = (n) => n;
  if ($('#sort-raster').checked) {
    const order = [...first.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map((e) => e[0]);
    const pos = new Map(order.map((n, k) => [n, k]));
    row = (n) => pos.get(n);
  }
  const pts = [];
  for (let i = 0; i < p.spike_neuron.length; i++) {
    if (p.spike_layer[i] === 0) pts.push([p.spike_time[i], row(p.spike_neuron[i])]);
  }
  lineChart($('#raster'), {
    height: 240,
    x,
    y: $('#sort-raster').checked
      ? { min: -1, max: Math.max(2, first.size) + 1, label: 'active neuron (by 1st spike)' }
      : { min: -2, max: nH + 2, label: 'neuron', ticks: [0, Math.round(nH / 2), nH] },
    series: [{ label: `${pts.length} spikes of ${first.size} neurons`, color: '#d9480f', points: pts, line: false, dots: true, dotSize: 1.6 }],
    empty: 'no hidden spikes',
  });

  // V(t) of the most active hidden neurons
  const hs = (p.hidden_neurons ?? []).map((n, k) => ({
    label: `#${n} (${p.spike_neuron.filter((m, i) => m === n && p.spike_layer[i] === 0).length} spikes)`,
    color: PALETTE[(k + 3) % PALETTE.length],
    width: 1.6,
    points: p.grid.map((t, i) => [t, p.hidden_trace[k][i]]),
  }));
  lineChart($('#hidden-chart'), {
    height: 220,
    x,
    y: { label: 'V_j(t)', max: 1.18 },
    series: hs,
    hlines: [{ y: 1, label: 'threshold', color: '#b3261e' }],
    empty: 'no hidden neuron fired',
  });
}

// ------------------------------------------------------------------ models

/** The data set a model was trained on (metadata `dataset`; absent: mnist). */
const modelData = (info) => info?.dataset ?? { name: info?.metadata?.dataset ?? 'mnist', title: info?.metadata?.dataset ?? 'MNIST' };
const digitModel = (info) => modelData(info).name === 'mnist';

function modelLabel(key, info) {
  const base = key === 'own' ? 'Your model (Train page)' : SHIPPED.find((s) => s.key === key).label;
  if (info && !digitModel(info)) return `${base} · ${modelData(info).title}: not for digits`;
  const acc = info?.metadata?.test_accuracy;
  return acc ? `${base} · ${(100 * Number(acc)).toFixed(2)} %` : base;
}

function showModelLine() {
  const info = modelInfo.get(modelKey);
  if (!info) return;
  const md = info.metadata;
  const acc = md.test_accuracy
    ? `test accuracy <b>${(100 * Number(md.test_accuracy)).toFixed(2)} %</b>${md.test_samples ? ` on ${Number(md.test_samples).toLocaleString('en')} images` : ''}`
    : 'test accuracy not recorded';
  const when = md.date ? ` · trained ${escapeHtml(md.date.slice(0, 10))}` : '';
  $('#model-line').innerHTML = `${acc} · ${escapeHtml(describeModel(info))}${when}`;
}

async function selectModel(key) {
  const sel = $('#model-select');
  if (!modelInfo.has(key)) {
    let info;
    if (key === 'own') {
      const own = await store.get(store.OWN_MODEL);
      if (!own) throw new Error('no model from the Train page yet');
      // this page reads handwritten digits: a model of another data set is not loaded
      const meta = await rpc('modelInfo', { bytes: own.bytes });
      if (!digitModel(meta)) {
        throw new Error(`your model from the Train page was trained on ${modelData(meta).title}, not on MNIST digits; the Draw page runs MNIST models only`);
      }
      info = await rpc('loadModel', { name: 'own', bytes: own.bytes });
    } else {
      info = await rpc('loadModel', { name: key, url: SHIPPED.find((s) => s.key === key).url });
    }
    modelInfo.set(key, info);
    const opt = [...sel.options].find((o) => o.value === key);
    if (opt) opt.textContent = modelLabel(key, info);
  }
  await rpc('useModel', { name: key });
  modelKey = key;
  sel.value = key;
  showModelLine();
  const u = new URL(location.href);
  u.searchParams.set('model', key);
  history.replaceState(null, '', u);
}

async function setupModels() {
  const sel = $('#model-select');
  for (const s of SHIPPED) sel.add(new Option(modelLabel(s.key), s.key));
  let own = null;
  try {
    own = await store.get(store.OWN_MODEL);
  } catch (e) {
    console.warn(`multispike: IndexedDB: ${e.message}`);
  }
  const o = new Option(own ? modelLabel('own', own.info) : 'Your model (train one on the Train page)', 'own');
  o.disabled = !own || !digitModel(own.info);
  sel.add(o);
  sel.onchange = async () => {
    const prev = modelKey;
    try {
      $('#model-line').textContent = 'loading…';
      await selectModel(sel.value);
      await predictNow();
    } catch (e) {
      $('#model-line').innerHTML = `<span class="error-text">${escapeHtml(e.message)}</span>`;
      sel.value = prev;
    }
  };
  const want = new URLSearchParams(location.search).get('model');
  const first = want === 'own' && own ? 'own' : SHIPPED.some((s) => s.key === want) ? want : 'multi';
  try {
    await selectModel(first);
  } catch (e) {
    if (first === 'multi') throw e;
    await selectModel('multi');
    $('#model-line').insertAdjacentHTML('beforeend', `<div class="error-text">${escapeHtml(e.message)}</div>`);
  }
  // the other models' labels (accuracy from their metadata), in the background
  for (const s of SHIPPED) {
    if (!modelInfo.has(s.key)) {
      rpc('modelInfo', { url: s.url })
        .then((info) => {
          const opt = [...sel.options].find((x) => x.value === s.key);
          if (opt) opt.textContent = modelLabel(s.key, info);
        })
        .catch(() => {});
    }
  }
}

app(async () => {
  setupBars();
  setupPointer();
  size();
  redraw();
  charts(null);
  await setupModels();
  // warm-up: the first answer comes from a real forward pass of the loaded model
  const w0 = performance.now();
  await rpc('predict', { pixels: new Uint8Array(784), hidden: 3 });
  const warmup_ms = performance.now() - w0;
  const firstPredictionMs = performance.now(); // since navigation start
  performance.mark('first-prediction');
  if (strokes.length || test) await predictNow();
  Object.assign(window.multispike, { showTest, timings, pointerTypes: () => [...pointerTypes], predictNow, clear, undo, strokes: () => strokes.length });
  return { model: modelKey, firstPredictionMs, warmup_ms };
});
