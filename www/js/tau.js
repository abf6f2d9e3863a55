// τ experiments page: one fresh network per (mode, τ_I), trained and evaluated in turn in the
// engine's Worker; test accuracy and spikes per neuron vs τ_I (log axis), spike-count
// histograms, a results table and a CSV in the column layout of `multispike sweep`.
// Results persist in IndexedDB; a sweep with the same budget skips the runs it already has.
import { $, app, applyLimits, download, on, pct, rpc } from '../main.js';
import { barChart, lineChart } from './charts.js';
import * as store from './store.js';

const form = $('#tau-form');
const COLORS = { multi: '#2053c9', single: '#d9480f' };
const HIST_COLORS = ['#2053c9', '#2ca02c', '#d9480f', '#9467bd', '#8c564b'];
let saved = { budget: null, rows: [] }; // rows: the worker's `run` events
let running = false;
let plan = null; // { runs, done }
let reference = null; // www/tau-study.json: the paper's values and this project's CLI sweeps

/** Reference series for a chart: the paper's points and limits, and the CLI studies (dashed). */
function referenceSeries(modes, value) {
  if (!reference || !$('#tau-reference').checked) return { series: [], hlines: [], taus: [] };
  const series = [];
  const taus = [];
  reference.studies.forEach((st, k) => {
    for (const m of modes) {
      const pts = st.rows.filter((r) => r.mode === m).map((r) => [r.tau, r[value]]);
      if (!pts.length) continue;
      taus.push(...pts.map((q) => q[0]));
      const tag = k === 0 ? 'CLI, 100 ep.' : 'CLI, 10 ep.';
      series.push({ label: `${tag} ${m}`, color: COLORS[m], dash: k === 0 ? [6, 4] : [2, 3], alpha: k === 0 ? 0.8 : 0.45, width: 1.6, dots: true, dotSize: 2.5, points: pts });
    }
  });
  const hlines = [];
  for (const m of modes) {
    const lim = reference.paper.limits[m];
    if (lim && lim[value] !== undefined) hlines.push({ y: lim[value], color: COLORS[m], dash: [1, 3], label: `paper, τ_I → ∞, ${m}` });
    if (value === 'accuracy') {
      const pt = reference.paper.points.filter((q) => q.mode === m).map((q) => [q.tau, q.accuracy]);
      if (pt.length) series.push({ label: `paper ${m}`, color: '#222', line: false, dots: true, dotSize: 4.5, points: pt });
    }
  }
  return { series, hlines, taus };
}

/** The form's values, unchecked: the worker's Rust validation refuses bad ones before a run starts. */
function readForm() {
  const f = new FormData(form);
  const taus = [...new Set(String(f.get('taus')).split(/[\s,;]+/).filter(Boolean).map(Number))].sort((a, b) => a - b);
  if (!taus.length) throw new Error('τ_I values: give numbers separated by commas');
  const modes = ['multi', 'single'].filter((m) => f.get(m));
  if (!modes.length) throw new Error('choose at least one mode');
  const hidden = String(f.get('hidden')).split(/[\s,]+/).filter(Boolean).map(Number);
  if (!hidden.length) throw new Error('hidden layers: give sizes separated by commas, e.g. 100');
  const budget = {
    hidden,
    epochs: Number(f.get('epochs')),
    trainSize: Number(f.get('train')),
    testSize: Number(f.get('test')),
    lr: Number(f.get('lr')),
    seed: Number(f.get('seed')),
    batch: 100,
    init_std: 0.3,
  };
  return { taus, modes, budget };
}

const sameBudget = (a, b) => !!a && !!b && JSON.stringify(a) === JSON.stringify(b);

function render() {
  const rows = saved.rows;
  const byMode = (m) => rows.filter((r) => r.mode === m).sort((a, b) => a.tau - b.tau);
  const own = ['multi', 'single'].filter((m) => byMode(m).length);
  const modes = own.length ? own : ['multi', 'single'];
  const refAcc = referenceSeries(modes, 'accuracy');
  const refSpikes = referenceSeries(modes, 'mean_spikes');
  const taus = [...new Set(rows.map((r) => r.tau).concat(refAcc.taus))].sort((a, b) => a - b);
  const lo = taus.length ? taus[0] / 1.35 : 0.1;
  const hi = taus.length ? taus[taus.length - 1] * 1.35 : 10;
  const x = { min: lo, max: hi, log: true, label: 'τ_I (log scale)', ticks: taus.length ? taus : undefined };
  lineChart($('#acc-tau'), {
    height: 290,
    x,
    y: { label: 'test accuracy', min: $('#tau-zoom').checked ? 0.9 : 0, max: $('#tau-zoom').checked ? 1 : undefined, format: (v) => `${(100 * v).toFixed($('#tau-zoom').checked ? 1 : 0)} %` },
    series: own
      .map((m) => ({ label: `your ${m}-spike`, color: COLORS[m], dots: true, points: byMode(m).map((r) => [r.tau, r.eval.accuracy]) }))
      .concat(refAcc.series),
    hlines: refAcc.hlines,
    empty: 'run a sweep',
  });
  lineChart($('#spikes-tau'), {
    height: 290,
    x,
    y: { label: 'spikes / neuron', min: 0 },
    series: own
      .map((m) => ({ label: `your ${m}-spike`, color: COLORS[m], dots: true, points: byMode(m).map((r) => [r.tau, r.eval.mean_spikes]) }))
      .concat(refSpikes.series),
    hlines: [{ y: 1, label: 'single-spike limit', color: '#7f7f7f' }].concat(refSpikes.hlines),
    empty: 'run a sweep',
  });
  // histograms of three τ_I (smallest, 0.8 or the middle one, largest), as in the paper's Fig. 3
  const hm = $('#hist-mode').value;
  const ht = byMode(hm).map((r) => r.tau);
  let pick = ht;
  if (ht.length > 3) {
    const mid = ht.includes(0.8) ? 0.8 : ht[Math.floor(ht.length / 2)];
    pick = [...new Set([ht[0], mid, ht[ht.length - 1]])];
  }
  const groups = pick.map((t, i) => {
    const r = byMode(hm).find((q) => q.tau === t);
    const total = r.eval.spike_hist.reduce((a, b) => a + b, 0) || 1;
    return { label: `τ_I ${t}`, color: HIST_COLORS[i % HIST_COLORS.length], values: r.eval.spike_hist.map((h) => h / total) };
  });
  const bins = groups[0]?.values.length ?? 21;
  barChart($('#hist-chart'), {
    height: 240,
    categories: Array.from({ length: bins }, (_, k) => (k === bins - 1 ? `${k}+` : String(k))),
    groups: groups.length ? groups : [{ label: '', color: '#ccc', values: [] }],
    legend: groups.length > 0,
    xLabel: 'spikes of one neuron for one image',
    y: { label: 'fraction', format: (v) => (v === 0 ? '0' : v.toFixed(2)) },
  });
  // table
  const body = $('#tau-table tbody');
  body.innerHTML = rows.length
    ? rows
        .slice()
        .sort((a, b) => a.mode.localeCompare(b.mode) || a.tau - b.tau)
        .map(
          (r) => `<tr><td>${r.tau}</td><td>${r.mode}-spike</td><td><b>${pct(r.eval.accuracy)}</b></td><td>${r.eval.mean_spikes.toFixed(3)}</td><td>${pct(r.eval.undecided / r.eval.samples, 1)}</td>
            <td>${pct(r.eval.silent_fraction, 1)}</td><td>${pct(r.train?.accuracy, 1)}</td><td>${r.wall_s.toFixed(1)} s</td></tr>`,
        )
        .join('')
    : '<tr><td colspan="8" class="muted">none yet</td></tr>';
  $('#tau-csv').disabled = !rows.length;
  $('#tau-clear').disabled = !rows.length || running;
}

/** The CSV of the results, made by Rust in the columns of `multispike sweep` (src/app/sweep.rs). */
const csv = () => rpc('sweepCsv', { runs: saved.rows });

function setRunning(r) {
  running = r;
  $('#tau-start').disabled = r;
  $('#tau-stop').disabled = !r;
  for (const el of form.querySelectorAll('input')) el.disabled = r;
  render();
}

async function persist() {
  try {
    await store.put(store.TAU_RESULTS, saved);
  } catch (e) {
    console.warn(`multispike: IndexedDB: ${e.message}`);
  }
}

function listen() {
  on('download', (e) => {
    $('#tau-detail').textContent = `downloading ${e.file}: ${(e.loaded / 1e6).toFixed(1)} of ${(e.total / 1e6).toFixed(1)} MB`;
  });
  on('run-start', (e) => {
    $('#tau-status').innerHTML = `Run ${e.run} of ${e.runs}: <b>${e.mode}-spike, τ<sub>I</sub> ${e.tau}</b>`;
  });
  on('progress', (e) => {
    if (!plan || e.run === undefined) return;
    const frac = (plan.done + e.epoch / plan.budget.epochs) / plan.todo;
    $('#tau-bar').value = Math.min(1, frac);
    $('#tau-detail').textContent = `epoch ${e.epoch.toFixed(2)} of ${plan.budget.epochs} · training accuracy ${pct(e.stats.accuracy, 1)} · ${Math.round(e.stats.samples_per_s).toLocaleString('en')} samples/s on ${e.threads} thread${e.threads > 1 ? 's' : ''}`;
  });
  on('run', async (e) => {
    saved.rows = saved.rows.filter((r) => !(r.mode === e.mode && r.tau === e.tau));
    saved.rows.push(e);
    plan.done++;
    $('#tau-bar').value = plan.done / plan.todo;
    render();
    await persist();
  });
  on('done', (e) => {
    if (e.kind !== 'sweep') return;
    setRunning(false);
    $('#tau-status').textContent =
      e.status === 'finished' ? `Done: ${saved.rows.length} runs.` : e.status === 'stopped' ? 'Stopped.' : 'Stopped by an error.';
    if (e.status === 'error') $('#tau-error').textContent = e.error;
    $('#tau-detail').textContent = '';
  });
}

async function start() {
  $('#tau-error').textContent = '';
  const { taus, modes, budget } = readForm();
  const kept = sameBudget(saved.budget, budget) ? saved.rows : [];
  const skip = kept.filter((r) => taus.includes(r.tau) && modes.includes(r.mode)).map((r) => ({ mode: r.mode, tau: r.tau }));
  const todo = taus.length * modes.length - skip.length;
  if (todo === 0) {
    plan = { budget, todo: 1, done: 0 };
    render();
    $('#tau-status').textContent = 'Every run of this sweep is already done (clear the results to run it again).';
    return;
  }
  $('#tau-start').disabled = true;
  // Rust validates every run before the first starts (its message is shown): a refused sweep changes nothing
  await rpc('startSweep', {
    taus,
    modes,
    hidden: budget.hidden,
    trainSize: budget.trainSize,
    testSize: budget.testSize,
    epochs: budget.epochs,
    batch: budget.batch,
    lr: budget.lr,
    seed: budget.seed,
    init_std: budget.init_std,
    skip,
  });
  if (!sameBudget(saved.budget, budget)) saved = { budget, rows: [] };
  plan = { budget, todo, done: 0 };
  setRunning(true);
  $('#tau-status').textContent = `Starting ${todo} run${todo > 1 ? 's' : ''}…`;
  $('#tau-bar').value = 0;
}

app(async (info) => {
  applyLimits(form, info.limits, { epochs: 'epochs', train: 'train_samples', test: 'test_samples', lr: 'lr', seed: 'seed' });
  listen();
  try {
    const r = await fetch('tau-study.json');
    if (r.ok) reference = await r.json();
  } catch (e) {
    console.warn(`multispike: tau-study.json: ${e.message}`);
  }
  $('#tau-reference').onchange = render;
  $('#tau-zoom').onchange = render;
  try {
    saved = (await store.get(store.TAU_RESULTS)) ?? saved;
  } catch (e) {
    console.warn(`multispike: IndexedDB: ${e.message}`);
  }
  if (saved.budget) {
    const b = saved.budget;
    form.elements.hidden.value = b.hidden.join(',');
    form.elements.epochs.value = b.epochs;
    form.elements.train.value = b.trainSize;
    form.elements.test.value = b.testSize;
    form.elements.lr.value = b.lr;
    form.elements.seed.value = b.seed;
    if (saved.rows.length) $('#tau-status').textContent = `${saved.rows.length} runs from an earlier visit.`;
  }
  render();
  form.onsubmit = (e) => {
    e.preventDefault();
    start().catch((err) => {
      $('#tau-error').textContent = err.message;
      setRunning(false);
    });
  };
  $('#tau-stop').onclick = () => rpc('stop');
  $('#tau-csv').onclick = async () => {
    const b = saved.budget;
    download(new TextEncoder().encode(await csv()), `tau-sweep-784-${b.hidden.join('-')}-10-e${b.epochs}-n${b.trainSize}.csv`, 'text/csv');
  };
  $('#tau-clear').onclick = async () => {
    saved = { budget: saved.budget, rows: [] };
    await persist();
    $('#tau-status').textContent = 'Results cleared.';
    render();
  };
  $('#hist-mode').onchange = render;
  Object.assign(window.multispike, { results: () => saved, csv, reference: () => reference });
  return { rows: saved.rows.length };
});
