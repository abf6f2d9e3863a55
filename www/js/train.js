// Train page: a training run in the engine's Worker (data download, slices of Adam steps,
// evaluation after every epoch), live charts, pause / resume / stop, autosave to IndexedDB after
// every epoch (a reload offers to resume), model download / upload, hand-over to the Draw page.
// The data set (MNIST or Fashion-MNIST) is picked from the engine's data-set table; the worker
// reads its shards from its own directory, and its class names label the per-class accuracy.
import { $, app, applyLimits, describeModel, download, escapeHtml, on, pct, rpc } from '../main.js';
import { lineChart } from './charts.js';
import * as store from './store.js';

const form = $('#train-form');
let run = null; // { config, opts: { trainSize, testSize, epochs }, history, epochDone, running, paused, finished }
let current = null; // { kind: 'trainer' | 'file', info, label, test: { accuracy, samples } }
let rate = 0; // smoothed samples/s
let lastEvalSeconds = null;
let engineInfo = null; // the worker's init info: build, threads, max_model_bytes
let drawPending = false;
const evals = []; // evaluation results (for the tests)
let table = []; // the engine's image data sets: { name, title, classes, credit, … }

/** The table row of a data set (absent = MNIST, as in files that predate the key). */
const datasetRow = (name) => table.find((d) => d.name === (name ?? 'mnist')) ?? { name: name ?? 'mnist', title: name ?? 'MNIST', classes: null };

// ------------------------------------------------------------------ form

/** The form's values, unchecked: the worker's Rust validation (checkRun) refuses bad ones. */
function readForm() {
  const f = new FormData(form);
  const num = (k) => Number(f.get(k));
  const hidden = String(f.get('hidden'))
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (!hidden.length) throw new Error('hidden layers: give sizes separated by commas, e.g. 400 or 200,100');
  const opts = { trainSize: num('train'), testSize: num('test'), epochs: num('epochs') };
  const config = {
    dataset: f.get('dataset'),
    layers: [784, ...hidden, 10],
    tau_I: num('tau'),
    mode: f.get('mode'),
    batch: num('batch'),
    lr: num('lr'),
    lambda: num('lambda'),
    sigma: num('sigma'),
    seed: num('seed'),
    init_std: num('init_std'),
  };
  return { config, opts };
}

function fillForm(config, opts) {
  const set = (k, v) => (form.elements[k].value = v);
  set('dataset', config.dataset ?? 'mnist');
  showDataHint();
  set('hidden', config.layers.slice(1, -1).join(','));
  set('tau', config.tau_I ?? config.tau_i);
  set('mode', config.mode);
  set('batch', config.batch);
  set('lr', config.lr);
  set('lambda', config.lambda);
  set('sigma', config.sigma);
  set('seed', config.seed);
  set('init_std', config.init_std);
  set('epochs', opts.epochs);
  set('train', opts.trainSize);
  set('test', opts.testSize);
}

function setRunning(running, paused = false) {
  if (run) {
    run.running = running;
    run.paused = paused;
  }
  $('#start').disabled = running;
  $('#pause').disabled = !running;
  $('#pause').textContent = paused ? 'Resume' : 'Pause';
  $('#stop').disabled = !running;
  for (const el of form.querySelectorAll('input, select')) el.disabled = running;
  const busy = running && !paused;
  $('#evaluate').disabled = busy || !current;
  $('#download').disabled = busy || !current;
  const digits = !current || currentDataset() === 'mnist';
  $('#use-draw').disabled = busy || !current || !digits;
  $('#use-draw').title = digits ? 'Open the Draw page with this model' : `The Draw page reads handwritten digits: this model was trained on ${datasetRow(currentDataset()).title}`;
}

/** The data set of the current model (trained here: the run's; a file: its metadata's). */
function currentDataset() {
  if (!current) return null;
  if (current.kind === 'file') return current.info.dataset?.name ?? current.info.metadata.dataset ?? 'mnist';
  return run?.config.dataset ?? 'mnist';
}

/** What the hint under the data-set picker says: the manifest's sizes and the data's credit. */
async function showDataHint() {
  const name = form.elements.dataset.value;
  const d = datasetRow(name);
  try {
    const m = await rpc('manifest', { dataset: name });
    if (form.elements.dataset.value !== name) return;
    const count = (split) => m.shards.filter((x) => x.split === split).reduce((n, x) => n + x.count, 0);
    const bytes = m.shards.reduce((n, x) => n + x.bytes, 0);
    const per10k = (bytes / (count('train') + count('test'))) * 1e4;
    $('#data-hint').textContent = `${count('train').toLocaleString('en')} training and ${count('test').toLocaleString('en')} test images (${(per10k / 1e6).toFixed(1)} MB per 10,000, downloaded once per page from ${m.dir}). ${d.credit ?? ''}`;
  } catch (e) {
    $('#data-hint').innerHTML = `<span class="error-text">${escapeHtml(e.message)}</span>`;
  }
}

/** Per-class test accuracy as bars labelled with the data set's class names. */
function showPerClass(acc, datasetName, samples) {
  const el = $('#per-class');
  if (!acc?.length) return;
  const d = datasetRow(datasetName);
  const names = d.classes ?? acc.map((_, k) => String(k));
  // the label column fits the longest class name ("T-shirt/top"; a digit is one character)
  el.style.setProperty('--label', `${(Math.max(...names.map((n) => n.length)) * 0.6 + 0.8).toFixed(1)}em`);
  const best = Math.max(...acc);
  const worst = Math.min(...acc);
  el.innerHTML = acc
    .map((a, k) => {
      const cls = a === worst ? ' worst' : a === best ? ' best' : '';
      return `<div class="bar${cls}"><span title="${escapeHtml(names[k])}">${escapeHtml(names[k])}</span><div class="track"><div class="fill" style="width:${(100 * a).toFixed(1)}%"></div></div><span>${pct(a, 1)}</span></div>`;
    })
    .join('');
  $('#per-class-note').textContent = `(${d.title}, ${Number(samples ?? 0).toLocaleString('en')} test images)`;
}

function log(html) {
  const d = document.createElement('div');
  d.className = 'log-line';
  d.innerHTML = `<span class="num">${new Date().toLocaleTimeString()}</span> ${html}`;
  $('#log').prepend(d);
}

// ------------------------------------------------------------------ charts and stats

function redraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const h = run?.history ?? { points: [], test: [] };
    const maxX = Math.max(1, run?.opts.epochs ?? 1);
    const x = { min: 0, max: maxX, label: 'epoch' };
    lineChart($('#loss-chart'), {
      height: 210,
      x,
      y: { label: 'loss', min: 0 },
      series: [{ label: 'training loss', color: '#2053c9', points: h.points.map((p) => [p.epoch, p.loss]) }],
      empty: 'start a run',
    });
    lineChart($('#acc-chart'), {
      height: 210,
      x,
      y: { min: 0, max: 1, label: 'accuracy', format: (v) => `${Math.round(v * 100)} %` },
      series: [
        { label: 'training (per slice)', color: '#2053c9', points: h.points.map((p) => [p.epoch, p.accuracy]) },
        { label: 'test (per epoch)', color: '#d9480f', points: h.test.map((p) => [p.epoch, p.accuracy]), dots: true, width: 2.5, dotSize: 4.5 },
      ],
      empty: 'start a run',
    });
  });
}

function fmtTime(s) {
  if (!Number.isFinite(s) || s < 0) return '–';
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function showStats(e) {
  const s = e.stats;
  const { epochs, trainSize, testSize } = run.opts;
  $('#s-epoch').textContent = `${Math.min(e.epoch, epochs).toFixed(2)} / ${epochs}`;
  $('#epoch-bar').value = Math.min(1, e.epoch / epochs);
  $('#s-rate').textContent = Math.round(rate).toLocaleString('en');
  $('#s-threads').textContent = String(e.threads);
  $('#s-loss').textContent = s.loss.toFixed(3);
  $('#s-acc').textContent = pct(s.accuracy, 1);
  $('#s-spikes').textContent = s.mean_spikes.toFixed(2);
  const evalsLeft = epochs - Math.floor(e.epoch);
  const evalSec = lastEvalSeconds ?? testSize / Math.max(1, rate * 3);
  $('#s-eta').textContent = fmtTime(((epochs - e.epoch) * trainSize) / Math.max(1, rate) + evalsLeft * evalSec);
}

function setPhase(text) {
  $('#phase').textContent = text;
}

// ------------------------------------------------------------------ model panel

function showModel() {
  if (!current) {
    $('#model-status').textContent = 'No model yet: train one, or open a .safetensors file.';
    return;
  }
  const t = current.test ? `test accuracy <b>${pct(current.test.accuracy)}</b> on ${current.test.samples.toLocaleString('en')} images` : 'not evaluated yet';
  $('#model-status').innerHTML = `<span class="ok-text">${escapeHtml(current.label)}</span>: ${escapeHtml(current.describe)} · ${t}`;
  $('#model-status').classList.remove('muted');
}

async function modelBytes() {
  if (current.kind === 'file') return rpc('modelBytes', { name: 'file' });
  const { config, opts } = run;
  const md = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    train_samples: String(opts.trainSize),
    command: `multispike web app (train.html): dataset ${config.dataset ?? 'mnist'}, layers ${config.layers.join('-')}, tau_I ${config.tau_I}, mode ${config.mode}, epochs ${run.epochDone}, train ${opts.trainSize}, batch ${config.batch}, lr ${config.lr}, lambda ${config.lambda}, sigma ${config.sigma}, init_std ${config.init_std}, seed ${config.seed}`,
  };
  if (current.test) {
    md.test_accuracy = String(current.test.accuracy);
    md.test_samples = String(current.test.samples);
  }
  return rpc('exportModel', { metadata: md });
}

function fileName(info) {
  const md = info.metadata;
  const ds = md.dataset && md.dataset !== 'mnist' ? `${md.dataset}-` : '';
  return `multispike-${ds}${md.layers.replaceAll(',', '-')}-${md.mode}-tau${md.tau_I}-e${md.epochs ?? 0}.safetensors`;
}

async function evaluate() {
  const count = run?.opts.testSize ?? Number(form.elements.test.value);
  $('#evaluate').disabled = true;
  setPhase(`evaluating on ${count.toLocaleString('en')} ${datasetRow(currentDataset()).title} test images…`);
  try {
    const r = current.kind === 'file' ? await rpc('evaluateModel', { name: 'file', count }) : await rpc('evaluate', { count });
    evals.push(r);
    current.test = { accuracy: r.accuracy, samples: r.samples };
    $('#s-test').textContent = pct(r.accuracy);
    showPerClass(r.per_class_accuracy, currentDataset(), r.samples);
    showModel();
    log(`evaluated: test accuracy ${pct(r.accuracy)} on ${r.samples} images (${r.undecided} undecided), ${r.mean_spikes.toFixed(2)} spikes per hidden neuron, ${Math.round(r.samples_per_s)} images/s`);
    setPhase(run?.running ? (run.paused ? 'paused' : 'training') : run?.finished ? 'finished' : run ? 'stopped' : 'idle');
    return r;
  } catch (e) {
    $('#model-error').textContent = e.message;
    throw e;
  } finally {
    setRunning(!!run?.running, !!run?.paused);
  }
}

async function loadFile(file) {
  $('#model-error').textContent = '';
  const keep = current ? ' The current model is kept.' : '';
  const max = engineInfo?.max_model_bytes ?? Infinity;
  if (file.size > max) {
    // Refused before reading: a huge file never becomes one huge allocation.
    $('#model-error').textContent = `Could not open ${file.name}: model file: ${file.name} is ${file.size} bytes; a model file may be at most ${max} bytes.${keep}`;
    log(`<span class="error-text">rejected ${escapeHtml(file.name)}</span>`);
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const info = await rpc('loadModel', { name: 'file', bytes });
    const md = info.metadata;
    current = {
      kind: 'file',
      info,
      label: file.name,
      describe: describeModel(info),
      test: md.test_accuracy ? { accuracy: Number(md.test_accuracy), samples: Number(md.test_samples ?? 0) } : null,
    };
    showModel();
    log(`opened ${escapeHtml(file.name)} (${describeModel(info)})`);
  } catch (e) {
    $('#model-error').textContent = `Could not open ${file.name}: ${e.message}.${keep}`;
    log(`<span class="error-text">rejected ${escapeHtml(file.name)}</span>`);
  }
  setRunning(!!run?.running, !!run?.paused);
}

// ------------------------------------------------------------------ runs

async function start(config, opts, resume = null) {
  $('#form-error').textContent = '';
  $('#start').disabled = true;
  // Rust validates the run before it starts (its message is shown): a refused run changes nothing
  await rpc('startTraining', {
    dataset: config.dataset ?? 'mnist',
    config,
    trainSize: opts.trainSize,
    testSize: opts.testSize,
    epochs: opts.epochs,
    checkpoint: resume?.checkpoint ?? null,
    startEpoch: resume?.epochDone ?? 0,
  });
  run = {
    config,
    opts,
    history: resume?.history ?? { points: [], test: [] },
    epochDone: resume?.epochDone ?? 0,
    running: true,
    paused: false,
    finished: false,
  };
  rate = 0;
  lastEvalSeconds = null;
  setRunning(true);
  redraw();
  log(resume ? `resuming after epoch ${resume.epochDone}` : `started: ${escapeHtml(datasetRow(config.dataset).title)}, ${config.layers.join('-')}, ${config.mode}-spike, τ_I ${config.tau_I}, ${opts.trainSize} images × ${opts.epochs} epochs`);
}

function listen() {
  on('download', (e) => {
    $('#download-box').hidden = false;
    const mb = (b) => (b / 1e6).toFixed(1);
    $('#download-text').textContent = `${e.file}: ${mb(e.loaded)} of ${mb(e.total)} MB`;
    $('#download-bar').value = e.total ? e.loaded / e.total : 0;
  });
  on('phase', (e) => {
    const text = {
      download: `downloading ${e.title ?? 'the data'}…`,
      setup: 'preparing the network…',
      train: 'training',
      evaluate: `evaluating epoch ${e.epoch} on the test set…`,
      finishing: 'finishing',
    }[e.phase];
    if (e.phase !== 'download') $('#download-box').hidden = true;
    setPhase(text ?? e.phase);
  });
  on('eval', (e) => setPhase(`evaluating: ${e.done.toLocaleString('en')} of ${e.total.toLocaleString('en')} test images`));
  on('progress', (e) => {
    if (!run) return;
    const s = e.stats;
    rate = rate ? 0.7 * rate + 0.3 * s.samples_per_s : s.samples_per_s;
    run.history.points.push({ epoch: e.epoch, loss: s.loss, accuracy: s.accuracy, samples_per_s: s.samples_per_s, samples: s.samples, t: performance.now() });
    showStats(e);
    if (run.paused) setPhase('paused');
    redraw();
  });
  on('epoch', async (e) => {
    if (!run) return;
    run.epochDone = e.epoch;
    lastEvalSeconds = e.eval.seconds;
    run.history.test.push({ epoch: e.epoch, accuracy: e.eval.accuracy, loss: e.eval.loss, mean_spikes: e.eval.mean_spikes });
    evals.push(e.eval);
    $('#s-test').textContent = pct(e.eval.accuracy);
    showPerClass(e.eval.per_class_accuracy, run.config.dataset, e.eval.samples);
    current = {
      kind: 'trainer',
      label: `trained here (epoch ${e.epoch})`,
      describe: `${datasetRow(run.config.dataset).title} · ${run.config.layers.join('-')} · τ_I ${run.config.tau_I} · ${run.config.mode}-spike · ${run.opts.trainSize.toLocaleString('en')} images`,
      test: { accuracy: e.eval.accuracy, samples: e.eval.samples },
    };
    showModel();
    setRunning(run.running, run.paused);
    redraw();
    log(`epoch ${e.epoch}: training accuracy ${pct(e.train?.accuracy)}, test accuracy <b>${pct(e.eval.accuracy)}</b> (${e.eval.samples} images), loss ${e.eval.loss.toFixed(3)}`);
    try {
      await store.put(store.AUTOSAVE, {
        config: run.config,
        opts: run.opts,
        history: run.history,
        epochDone: e.epoch,
        checkpoint: e.checkpoint,
        test: current.test,
        savedAt: Date.now(),
      });
      log('autosaved (IndexedDB)');
    } catch (err) {
      log(`<span class="error-text">autosave failed: ${escapeHtml(err.message)}</span>`);
    }
  });
  on('done', (e) => {
    if (e.kind !== 'train') return;
    if (run) run.finished = e.status === 'finished';
    setRunning(false);
    if (e.status === 'error') {
      $('#form-error').textContent = e.error;
      setPhase('stopped by an error');
      log(`<span class="error-text">${escapeHtml(e.error)}</span>`);
    } else {
      setPhase(e.status === 'finished' ? 'finished' : 'stopped');
      log(e.status === 'finished' ? 'finished' : 'stopped');
    }
    if (!current && run && e.status === 'stopped') {
      // stopped before the first epoch ended: the partly trained network is still usable
      current = { kind: 'trainer', label: 'trained here (stopped)', describe: `${datasetRow(run.config.dataset).title} · ${run.config.layers.join('-')} · τ_I ${run.config.tau_I} · ${run.config.mode}-spike`, test: null };
      showModel();
      setRunning(false);
    }
  });
}

async function offerResume() {
  let a = null;
  try {
    a = await store.get(store.AUTOSAVE);
  } catch (e) {
    log(`IndexedDB unavailable: ${escapeHtml(e.message)} (no autosave)`);
  }
  if (!a) return null;
  const b = $('#resume-banner');
  const finished = a.epochDone >= a.opts.epochs;
  const when = new Date(a.savedAt).toLocaleString();
  b.innerHTML = `<strong>${finished ? 'A finished run was saved' : 'An unfinished run was saved'}</strong> ${escapeHtml(when)}:
    ${escapeHtml(datasetRow(a.config.dataset).title)}, ${a.config.layers.join('-')}, ${a.config.mode}-spike, τ_I ${a.config.tau_I}, epoch ${a.epochDone} of ${a.opts.epochs},
    test accuracy ${pct(a.test?.accuracy)}.
    <span class="row" style="margin-top:.5rem"><button id="resume-run" class="primary">${finished ? 'Restore it' : 'Resume training'}</button>
    <button id="discard-run">Discard</button></span>`;
  b.hidden = false;
  $('#resume-run').onclick = async () => {
    b.hidden = true;
    fillForm(a.config, a.opts);
    await start(a.config, a.opts, a);
    current = {
      kind: 'trainer',
      label: `trained here (epoch ${a.epochDone})`,
      describe: `${datasetRow(a.config.dataset).title} · ${a.config.layers.join('-')} · τ_I ${a.config.tau_I} · ${a.config.mode}-spike · ${a.opts.trainSize.toLocaleString('en')} images`,
      test: a.test,
    };
    $('#s-test').textContent = pct(a.test?.accuracy);
    showModel();
  };
  $('#discard-run').onclick = async () => {
    b.hidden = true;
    await store.del(store.AUTOSAVE);
    log('autosave discarded');
  };
  return { epochDone: a.epochDone, epochs: a.opts.epochs };
}

app(async (info) => {
  engineInfo = info;
  applyLimits(form, info.limits, { tau: 'tau_I', init_std: 'init_std', epochs: 'epochs', train: 'train_samples', test: 'test_samples', batch: 'batch', lr: 'lr', lambda: 'lambda', sigma: 'sigma', seed: 'seed' });
  $('#s-threads').textContent = String(info.threads);
  table = (await rpc('datasets')).filter((d) => d.image_side);
  const sel = form.elements.dataset;
  sel.innerHTML = '';
  for (const d of table) sel.add(new Option(d.title, d.name));
  const want = new URLSearchParams(location.search).get('dataset');
  if (table.some((d) => d.name === want)) sel.value = want;
  sel.onchange = showDataHint;
  showDataHint();
  $('#random-seed').onclick = async () => {
    form.elements.seed.value = String(await rpc('randomSeed')); // recorded in the model's metadata
  };
  listen();
  redraw();
  form.onsubmit = async (e) => {
    e.preventDefault();
    try {
      const { config, opts } = readForm();
      $('#resume-banner').hidden = true;
      await start(config, opts);
    } catch (err) {
      $('#form-error').textContent = err.message;
      setRunning(false);
    }
  };
  $('#pause').onclick = async () => {
    if (!run?.running) return;
    if (run.paused) {
      await rpc('resume');
      setRunning(true, false);
      setPhase('training');
      log('resumed');
    } else {
      await rpc('pause');
      setRunning(true, true);
      setPhase('paused');
      log('paused');
    }
  };
  $('#stop').onclick = () => rpc('stop');
  $('#evaluate').onclick = () => evaluate().catch(() => {});
  $('#download').onclick = async () => {
    try {
      const bytes = await modelBytes();
      const info = await rpc('modelInfo', { bytes });
      download(bytes, fileName(info));
      log(`downloaded ${fileName(info)} (${(bytes.length / 1e6).toFixed(2)} MB)`);
    } catch (e) {
      $('#model-error').textContent = e.message;
    }
  };
  $('#model-file').onchange = async (e) => {
    const f = e.target.files[0];
    e.target.value = '';
    if (f) await loadFile(f);
  };
  $('#use-draw').onclick = async () => {
    try {
      const bytes = await modelBytes();
      const info = await rpc('modelInfo', { bytes });
      await store.put(store.OWN_MODEL, { bytes, info, savedAt: Date.now(), source: current.label });
      location.href = 'draw.html?model=own';
    } catch (e) {
      $('#model-error').textContent = e.message;
    }
  };
  const autosave = await offerResume();
  Object.assign(window.multispike, { evals, run: () => run, current: () => current });
  return { autosave };
});
