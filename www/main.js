// Shared by every app page: adds the page's header, nav and footer (js/chrome.js, from the page
// list js/pages.js), starts the page's one engine Worker (worker.js, or the script named by the
// `data-worker` attribute of <html>, e.g. playground-worker.js) with the client of js/rpc.js,
// decides the build (threads when the page is cross-origin isolated, through real COOP/COEP
// headers or coi-serviceworker; else single-threaded with a visible notice and a console
// warning), shows the engine mode in the header, and exposes `window.multispike = { rpc, on,
// ready, … }` for the page scripts, the end-to-end tests and the benchmark.
// URL parameters: build=auto|st|mt (default auto), threads=N (threaded build; default: cores, ≤ 8),
// nocoi (do not use the service worker).
import { renderChrome } from './js/chrome.js';
import { connect } from './js/rpc.js';

export const params = new URLSearchParams(location.search);
export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

renderChrome();

// One Worker per page and model: the page's <html data-worker="…"> names it (a script next to
// this file; default worker.js, the engine of the image pages).
const WORKER = document.documentElement.dataset.worker || 'worker.js';
if (!/^[\w-]+\.js$/.test(WORKER)) throw new Error(`data-worker must name a script next to main.js, got ${WORKER}`);
/** `rpc(type, args, transfer)`: one request to the worker; `on(event, f)`: its events ('*' for all). */
export const { rpc, on } = connect(new URL(`./${WORKER}`, import.meta.url), (message) =>
  notice(`The engine worker failed: ${message}.`, 'error'),
);

/** Shows a notice under the header (kind: info | warn | error). */
export function notice(html, kind = 'warn') {
  const n = $('#notice');
  if (!n) return;
  n.className = `notice ${kind}`;
  n.innerHTML = html;
  n.hidden = false;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Settles the page's cross-origin isolation. Already isolated (headers, or the service worker
 * controls the page): 'headers' / 'service-worker'. Otherwise coi-serviceworker (loaded first by
 * every page) registers and reloads the page once; this waits for that reload, and resolves
 * with the reason the page stays single-threaded when it cannot happen.
 */
async function isolation() {
  const sw = navigator.serviceWorker;
  if (self.crossOriginIsolated) return { isolated: true, via: sw?.controller ? 'service worker' : 'headers' };
  if (params.has('nocoi')) return { isolated: false, why: 'the service worker is turned off (?nocoi)' };
  if (!window.isSecureContext) return { isolated: false, why: 'the page is not a secure context (https or localhost)' };
  if (!sw) return { isolated: false, why: 'service workers are not available (private mode?)' };
  if (sw.controller) return { isolated: false, why: 'the service worker runs but the browser did not isolate the page' };
  try {
    // the same registration coi-serviceworker makes (idempotent), to learn whether it works
    const reg = await sw.register(new URL('coi-serviceworker.js', location.href).href);
    if (!reg) throw new Error('registration refused');
  } catch (e) {
    return { isolated: false, why: `the service worker could not be installed (${e.message})` };
  }
  // coi-serviceworker reloads the page once its worker is active
  for (let t = 0; t < 80; t++) {
    if (window.__coiReloading) await new Promise(() => {});
    await sleep(50);
  }
  return { isolated: false, why: 'the service worker did not take over the page' };
}

function showMode(info, iso) {
  const el = $('#engine-mode');
  const simd = info.simd ? 'SIMD' : 'no SIMD';
  if (info.build === 'mt') {
    el.textContent = `${info.threads} threads`;
    el.title = `threaded WebAssembly build (${simd}), ${info.threads} threads of ${info.hardwareConcurrency} cores; cross-origin isolated through ${iso.via}`;
    el.className = 'badge ok';
  } else {
    el.textContent = 'single-thread';
    el.title = `single-threaded WebAssembly build (${simd})`;
    el.className = 'badge warn';
  }
  for (const e of document.querySelectorAll('[data-engine]')) {
    const k = e.dataset.engine;
    if (k === 'summary') {
      e.textContent =
        info.build === 'mt'
          ? `threaded WebAssembly (${simd}), ${info.threads} threads of ${info.hardwareConcurrency} cores, cross-origin isolated through ${iso.via}`
          : `single-threaded WebAssembly (${simd}); threads need cross-origin isolation${iso.why ? `: ${iso.why}` : ''}`;
    } else if (k === 'threads') e.textContent = String(info.threads);
  }
}

/** Starts the engine; resolves with the worker's info (build, threads, simd, …) and the isolation. */
async function startEngine() {
  const iso = await isolation();
  const build = params.get('build') ?? 'auto';
  const info = await rpc('init', { build, threads: Number(params.get('threads') ?? 0) });
  if (!iso.isolated && build === 'auto') {
    console.warn(`multispike: single-threaded fallback: ${iso.why}`);
    notice(
      `<strong>Single-thread mode.</strong> This page is not cross-origin isolated (${iso.why}), so the engine
       runs on one thread: everything works, training is slower. Hosts that send COOP/COEP headers
       (<code>_headers</code>) get threads.`,
      'warn',
    );
  }
  showMode(info, iso);
  return { ...info, isolation: iso };
}

const engine = startEngine();

/**
 * Runs the page: `pageInit(info)` after the engine started; `window.multispike.ready` resolves
 * with `{ info, ...pageInit's result }`.
 */
export function app(pageInit) {
  const ready = engine.then(async (info) => ({ info, ...((await pageInit(info)) ?? {}) }));
  window.multispike = { rpc, on, ready, longTasks: [] };
  ready.catch((e) => {
    console.error(e);
    notice(`<strong>Error:</strong> ${escapeHtml(e.message)}`, 'error');
    const m = $('#engine-mode');
    if (m && m.textContent === 'starting…') m.textContent = 'failed';
  });
  // Long tasks on this (UI) thread: recorded for the performance numbers of the README.
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.multispike.longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no Long Tasks API */
  }
  return ready;
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** A model's metadata as a short human line. */
export function describeModel(m) {
  const md = m.metadata ?? {};
  const parts = [];
  if (m.dataset?.title) parts.push(m.dataset.title);
  parts.push(md.layers ? md.layers.replaceAll(',', '-') : m.layers.join('-'));
  parts.push(`τ_I ${md.tau_I ?? m.tauI}`);
  parts.push(`${md.mode ?? '?'}-spike`);
  if (md.epochs) parts.push(`${md.epochs} epoch${md.epochs === '1' ? '' : 's'}`);
  if (md.seed) parts.push(`seed ${md.seed}`);
  return parts.join(' · ');
}

export const pct = (x, d = 2) => (Number.isFinite(x) ? `${(100 * x).toFixed(d)} %` : '–');

/** Whether a prediction has a decision: Rust's `class` is null when the largest outputs tie. */
export const decided = (p) => p?.class !== null && p?.class !== undefined;

/**
 * Puts the engine's bounds (`info.limits`: the constants Rust validates with) on number inputs:
 * `names` maps an input's name to its limit. The form must be `novalidate`: the page never checks
 * a range, Rust's validation message is what it shows.
 */
export function applyLimits(form, limits, names) {
  for (const [input, key] of Object.entries(names)) {
    const el = form.elements[input];
    const b = limits?.[key];
    if (!el || !b) continue;
    el.min = String(b.min);
    el.max = String(b.max);
  }
}

/** Saves bytes as a file download. */
export function download(bytes, name, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The shipped MNIST models (the Draw page's picker). */
export const SHIPPED = [
  { key: 'multi', url: 'models/mnist-784-400-10-multi.safetensors', label: 'Multi-spike (shipped)' },
  { key: 'single', url: 'models/mnist-784-400-10-single.safetensors', label: 'Single-spike (shipped)' },
];
/** Shipped models of the other data sets (listed on the home page). */
export const SHIPPED_OTHER = [{ key: 'fashion-multi', url: 'models/fashion-mnist-784-400-10-multi.safetensors', label: 'Fashion-MNIST multi-spike (shipped)' }];
