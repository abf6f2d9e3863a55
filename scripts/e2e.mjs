// End-to-end tests of the web app in headless Chromium (playwright-core, Debian chromium), served
// by scripts/serve.py:
//  - with COOP/COEP headers: cross-origin isolated, the threaded build with > 1 threads; the home
//    page shows the shipped models' accuracy from their metadata; the Draw page classifies digits
//    drawn with the mouse and with touch, shows a non-empty 28×28 preview, "?" for an empty canvas,
//    predicts MNIST test images; the Train page trains (rising accuracy, test accuracy above a
//    floor), downloads a model that loads back, rejects a corrupt upload keeping its model, hands
//    the model to the Draw page, and resumes after a reload; it trains on Fashion-MNIST too (class
//    names, data set in the model file and the autosave; the Draw page refuses such a model); the
//    τ page runs a small sweep and exports its CSV; the Yin-Yang playground learns live (test
//    accuracy above 70 %, decision map redrawn and changing, a clicked point's raster, Rust's
//    message for a refused setting, reproducible seeds); the engine rejects a corrupt model
//    without a panic and trains to the same weights on 1 and 2 threads and in the
//    single-threaded build;
//  - without headers: coi-serviceworker isolates the page (threads after one reload); with the
//    service worker blocked, the single-threaded fallback shows its notice and everything works,
//    the playground included (to the same weights as the threaded build).
// Screenshots of every page (1280 px and 375 px wide) go to target/e2e/, or with --screenshots to
// docs/screenshots/ (the README's pictures); page performance numbers to target/e2e/perf.json.
// Prints "N passed, M failed" last; exit code 1 on any failure.
//   node scripts/e2e.mjs [--screenshots] [--only substring]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Starts scripts/serve.py on a free port; resolves with { url, stop }. */
export function serve(extra = []) {
  const p = spawn('python3', [`${ROOT}scripts/serve.py`, '--port', '0', '--quiet', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: p.stdout });
    rl.once('line', (url) => resolve({ url: url.trim(), stop: () => p.kill() }));
    p.once('exit', (code) => reject(new Error(`serve.py exited with ${code}`)));
  });
}

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Opens `url` in a fresh context and waits until the page is ready (following the one reload
 * coi-serviceworker may make); returns { page, ready, errors, warnings, context }.
 */
export async function open(browser, url, timeout = 60_000, options = {}) {
  const { viewport = { width: 1280, height: 900 }, serviceWorkers = 'allow', hasTouch = false, isMobile = false, deviceScaleFactor = 1 } = options;
  const context = await browser.newContext({ viewport, serviceWorkers, hasTouch, isMobile, deviceScaleFactor, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  const warnings = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
    if (m.type() === 'warning') warnings.push(m.text());
  });
  page.closeAll = () => context.close();
  await page.goto(url);
  let ready;
  // coi-serviceworker reloads the first document once; while that reload is in flight, each
  // evaluate in the old document fails at once (and waitForLoadState('load') returns at once, the
  // old document having loaded), so retry on a time budget with a pause, not on a count.
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      ready = await page.evaluate(async (t) => {
        // After coi-serviceworker's reload the new document may not have run its module yet.
        const t0 = performance.now();
        while (!window.multispike) {
          if (performance.now() - t0 > t) throw new Error('timeout: window.multispike never appeared');
          await new Promise((r) => setTimeout(r, 20));
        }
        return Promise.race([window.multispike.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), t))]);
      }, timeout);
      break;
    } catch (e) {
      // the service worker's one reload destroys the first document
      if (Date.now() < deadline && /context was destroyed|navigation/i.test(e.message)) {
        await sleep(100);
        await page.waitForLoadState('load');
        continue;
      }
      throw e;
    }
  }
  return { page, ready, errors, warnings, context };
}

const rpc = (page, type, args = {}) => page.evaluate(([t, a]) => window.multispike.rpc(t, a), [type, args]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

// ---------------------------------------------------------------- drawing

/** Digit shapes as strokes of points in [0, 1]² of the drawing canvas. */
function arc(cx, cy, rx, ry, a0, a1, n = 24) {
  return Array.from({ length: n + 1 }, (_, k) => {
    const a = ((a0 + ((a1 - a0) * k) / n) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });
}
export const DIGITS = {
  0: [arc(0.5, 0.5, 0.2, 0.32, -90, 275, 40)],
  1: [[[0.53, 0.16], [0.51, 0.5], [0.49, 0.85]]],
  2: [[...arc(0.49, 0.36, 0.19, 0.17, 200, 390, 18), [0.3, 0.82], [0.72, 0.82]]],
  3: [[...arc(0.48, 0.33, 0.18, 0.15, 200, 450, 18), ...arc(0.48, 0.65, 0.2, 0.18, -90, 160, 18)]],
  4: [[[0.56, 0.15], [0.27, 0.6], [0.76, 0.6]], [[0.6, 0.36], [0.6, 0.88]]],
  7: [[[0.28, 0.2], [0.73, 0.2], [0.46, 0.86]]],
};

/** Draws strokes on #draw-canvas with the mouse. */
async function drawMouse(page, strokes) {
  const b = await page.locator('#draw-canvas').boundingBox();
  for (const s of strokes) {
    await page.mouse.move(b.x + s[0][0] * b.width, b.y + s[0][1] * b.height);
    await page.mouse.down();
    for (const [x, y] of densify(s)) await page.mouse.move(b.x + x * b.width, b.y + y * b.height);
    await page.mouse.up();
  }
}

/** Draws strokes with touch events (Chromium turns them into pointer events of type "touch"). */
async function drawTouch(page, strokes) {
  const cdp = await page.context().newCDPSession(page);
  const b = await page.locator('#draw-canvas').boundingBox();
  for (const s of strokes) {
    const pts = densify(s).map(([x, y]) => ({ x: b.x + x * b.width, y: b.y + y * b.height }));
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [pts[0]] });
    for (const p of pts.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [p] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  await cdp.detach();
}

/** Points every ~2 % of the side along a polyline (what a moving pointer reports). */
function densify(s) {
  const out = [s[0]];
  for (let i = 1; i < s.length; i++) {
    const [x0, y0] = s[i - 1];
    const [x1, y1] = s[i];
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 0.02));
    for (let k = 1; k <= n; k++) out.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
  }
  return out;
}

/** Waits until the prediction of the current drawing has settled; returns #prediction's text. */
async function settledPrediction(page) {
  await page.evaluate(() => window.multispike.predictNow());
  return (await page.textContent('#prediction')).trim();
}

const previewInk = (page) =>
  page.evaluate(() => {
    const d = document.querySelector('#preview').getContext('2d').getImageData(0, 0, 28, 28).data;
    let n = 0;
    for (let i = 0; i < 784; i++) n += d[4 * i] > 0;
    return n;
  });

// ---------------------------------------------------------------- Yin-Yang playground

/**
 * The playground's live run as a user makes it: Train, wait until the test accuracy passes 70 %,
 * check that the decision map was redrawn and changed, pause, click the map on a dot and check the
 * point's raster and traces. Returns numbers for perf.json.
 */
async function playgroundRun(page, assert, { budget = 30_000 } = {}) {
  const st = () => page.evaluate(() => window.multispike.state());
  const before = await page.evaluate(() => window.multispike.mapClasses());
  assert(before && before.length === 64 * 64, `initial map: ${before?.length} cells`);
  const v0 = (await st()).mapVersion;
  await page.evaluate(() => (window.multispike.longTasks.length = 0));
  const t0 = Date.now();
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#phase').textContent === 'training');
  await page.waitForFunction(() => (window.multispike.state().eval?.test.accuracy ?? 0) > 0.7, null, { timeout: budget });
  const ms = Date.now() - t0;
  const s1 = await st();
  const mid = await page.evaluate(() => window.multispike.mapClasses());
  // a few more snapshots while it trains on
  await page.waitForFunction((v) => window.multispike.state().mapVersion >= v + 2, s1.mapVersion, { timeout: 15_000 });
  const later = await page.evaluate(() => window.multispike.mapClasses());
  const s2 = await st();
  const changed = (a, b) => a.reduce((n, c, i) => n + (c !== b[i]), 0);
  assert(s2.mapVersion - v0 >= 3, `the map was redrawn ${s2.mapVersion - v0} times`);
  assert(changed(before, mid) > 200, `the map hardly changed while learning: ${changed(before, mid)} of 4096 cells`);
  assert(changed(mid, later) > 0 || changed(before, later) > 200, 'the map did not change between two snapshots');
  assert(s2.epoch > s1.epoch && s2.steps > s1.steps, `no progress: ${s1.steps} → ${s2.steps} steps`);
  assert(s2.history.evals.length >= 3 && s2.history.points.length >= 10, `chart points: ${s2.history.evals.length} evaluations, ${s2.history.points.length} slices`);
  const lt = await page.evaluate(() => window.multispike.longTasks);
  // pause: the steps stop
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#phase').textContent === 'paused');
  const p0 = (await st()).steps;
  await sleep(400);
  assert((await st()).steps === p0, 'training went on while paused');
  // click the left dot (0.25, 0.5): its raster and traces
  const b = await page.locator('#map').boundingBox();
  await page.mouse.click(b.x + 0.25 * b.width, b.y + 0.5 * b.height);
  await page.waitForFunction(() => {
    const p = window.multispike.prediction();
    return p && Math.abs(p.x - 0.25) < 0.01 && Math.abs(p.y - 0.5) < 0.01;
  });
  // One read of the prediction, its number on the page and the raster: a snapshot of a slice
  // that was in flight at the pause may still redraw the point between separate reads.
  const { p, shown, ticks } = await page.evaluate(() => ({
    p: window.multispike.prediction(),
    shown: Number(document.querySelector('#insp-n-spikes').textContent),
    ticks: window.multispike.state().rasterTicks,
  }));
  assert(p.truth === 2, `true class of (0.25, 0.5): ${p.truth}`);
  assert(p.n_spikes > 0 && shown === p.n_spikes, `n_spikes ${p.n_spikes}, shown ${shown}`);
  assert(ticks === p.n_spikes + 5, `raster ticks ${ticks} for ${p.n_spikes} hidden + 5 input spikes`);
  assert(p.v_trace.length === 3 * p.grid.length, `traces ${p.v_trace.length}`);
  assert(/dot/.test(await page.textContent('#insp-verdict')), 'the verdict names no class');
  return { ms, epochs: s1.epoch, test_accuracy: s1.eval.test.accuracy, long_task_total_ms: lt.reduce((m, t) => m + t.ms, 0), long_tasks: lt.length };
}

// ---------------------------------------------------------------- tests

async function main() {
  const args = process.argv.slice(2);
  const shots = args.includes('--screenshots');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
  mkdirSync(`${ROOT}target/e2e`, { recursive: true });
  if (shots) mkdirSync(`${ROOT}docs/screenshots`, { recursive: true });
  const perf = {};
  const results = [];
  const t00 = Date.now();
  const test = async (name, fn) => {
    if (only && !name.includes(only)) return;
    const t0 = Date.now();
    try {
      await fn();
      results.push([name, true]);
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      results.push([name, false]);
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
    }
  };
  const assert = (cond, msg) => {
    if (!cond) throw new Error(msg);
  };
  const shot = async (page, name) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    // let pending chart redraws and painting settle before the capture
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await sleep(300);
    if (shots) await page.screenshot({ path: `${ROOT}docs/screenshots/${name}.png`, fullPage: true });
    else await page.screenshot({ path: `${ROOT}target/e2e/${name}.png`, fullPage: true });
  };
  const noErrors = (errors) => assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  const MOBILE = { viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

  const iso = await serve();
  const plain = await serve(['--no-isolation']);
  const browser = await launch();
  try {
    await test('home (COOP/COEP): isolated, threaded, shipped models from their metadata', async () => {
      const { page, ready, errors } = await open(browser, iso.url);
      const { info, models } = ready;
      assert(info.crossOriginIsolated === true, `crossOriginIsolated ${info.crossOriginIsolated}`);
      assert(info.build === 'mt' && info.threads > 1, `build ${info.build} threads ${info.threads}`);
      assert(info.simd === true, 'SIMD build expected');
      const mode = await page.textContent('#engine-mode');
      assert(new RegExp(`^${info.threads} threads$`).test(mode), `#engine-mode says "${mode}"`);
      const table = await page.textContent('#models-table');
      for (const m of models) {
        assert(!m.error, `model ${m.url}: ${m.error}`);
        const acc = `${(100 * Number(m.metadata.test_accuracy)).toFixed(2)} %`;
        assert(table.includes(acc), `the table lacks ${acc} (${m.url})`);
      }
      await shot(page, 'home-desktop');
      noErrors(errors);
      await page.closeAll();
    });

    await test('engine check page (engine.html, used by scripts/bench-web.mjs): threaded, predicts a test digit', async () => {
      const { page, ready, errors } = await open(browser, `${iso.url}engine.html`);
      assert(ready.info.build === 'mt' && ready.info.threads > 1, JSON.stringify(ready.info));
      assert(ready.testPrediction.class === ready.testLabel, `test digit ${ready.testLabel} predicted as ${ready.testPrediction.class}`);
      noErrors(errors);
      await page.closeAll();
    });

    await test('draw (mouse): digits, 28×28 preview, "?" when empty, undo and clear, timings', async () => {
      const { page, ready, errors } = await open(browser, `${iso.url}draw.html`);
      perf.first_prediction_ms_isolated = ready.firstPredictionMs;
      assert((await page.textContent('#prediction')).trim() === '?', 'an empty canvas must show "?"');
      assert(/threads/.test(await page.textContent('#engine-mode')), 'engine mode');
      const got = {};
      for (const d of Object.keys(DIGITS)) {
        await page.click('#clear');
        await drawMouse(page, DIGITS[d]);
        got[d] = await settledPrediction(page);
        assert((await previewInk(page)) > 20, `the 28×28 preview of a drawn ${d} is empty`);
      }
      console.log(`     drawn with the mouse → predicted: ${JSON.stringify(got)}`);
      // the shapes the shipped multi-spike model reads right (checked by eye: recognisable digits)
      for (const d of ['0', '1', '2', '3', '4', '7']) assert(got[d] === d, `a drawn ${d} was read as ${got[d]}`);
      const n = await page.evaluate(() => window.multispike.strokes());
      await page.click('#undo');
      assert((await page.evaluate(() => window.multispike.strokes())) === n - 1, 'undo removes one stroke');
      await page.click('#clear');
      assert((await settledPrediction(page)) === '?', 'a cleared canvas shows "?"');
      assert((await previewInk(page)) === 0, 'a cleared canvas has an empty preview');
      // inference time of drawn digits (in the Worker: preprocess; network + traces)
      const t = await page.evaluate(() => window.multispike.timings);
      const drawn = t.filter((x) => x.preprocess_ms > 0);
      perf.draw_predict_ms_median = median(drawn.map((x) => x.predict_ms));
      perf.draw_preprocess_ms_median = median(drawn.map((x) => x.preprocess_ms));
      perf.draw_roundtrip_ms_median = median(drawn.map((x) => x.roundtrip_ms));
      perf.draw_predictions = drawn.length;
      assert(perf.draw_predict_ms_median < 5, `inference ${perf.draw_predict_ms_median} ms`);
      await drawMouse(page, DIGITS[7]);
      await settledPrediction(page);
      await shot(page, 'draw-desktop');
      noErrors(errors);
      await page.closeAll();
    });

    await test('draw (touch, 375 px): strokes by touch, no page scroll, MNIST test images, model picker', async () => {
      const { page, errors } = await open(browser, `${iso.url}draw.html`, 60_000, MOBILE);
      await page.locator('#draw-canvas').scrollIntoViewIfNeeded();
      const y0 = await page.evaluate(() => window.scrollY);
      const got = {};
      for (const d of ['1', '7', '0']) {
        await page.click('#clear');
        await drawTouch(page, DIGITS[d]);
        got[d] = await settledPrediction(page);
        assert((await previewInk(page)) > 20, `the 28×28 preview of a touch-drawn ${d} is empty`);
      }
      console.log(`     drawn by touch → predicted: ${JSON.stringify(got)}`);
      assert((await page.evaluate(() => window.multispike.pointerTypes())).includes('touch'), 'no touch pointer events');
      assert((await page.evaluate(() => window.scrollY)) === y0, 'the page scrolled while drawing');
      for (const d of ['1', '7', '0']) assert(got[d] === d, `a touch-drawn ${d} was read as ${got[d]}`);
      await shot(page, 'draw-mobile');
      // MNIST test images (exact pixels) with both shipped models
      for (const model of ['multi', 'single']) {
        await page.selectOption('#model-select', model);
        await page.waitForFunction((m) => new URL(location.href).searchParams.get('model') === m, model);
        let right = 0;
        for (const k of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
          const t = await page.evaluate((i) => window.multispike.showTest(i), k);
          right += (await page.textContent('#prediction')).trim() === String(t.label);
        }
        assert(right >= 9, `${model}: ${right} of 10 test images right`);
        const line = await page.textContent('#model-line');
        assert(/test accuracy \d+\.\d\d %/.test(line), `model line: ${line}`);
      }
      noErrors(errors);
      await page.closeAll();
    });

    let downloaded = null;
    await test('train: 2,000 images × 1 epoch: rising accuracy, test accuracy floor, download + load back, corrupt upload kept out, long tasks', async () => {
      const { page, ready, errors } = await open(browser, `${iso.url}train.html`);
      assert(ready.autosave === null, 'a fresh browser has no autosave');
      await page.fill('input[name=train]', '2000');
      await page.fill('input[name=epochs]', '1');
      await page.fill('input[name=test]', '10000');
      await page.evaluate(() => (window.multispike.longTasks.length = 0));
      await page.click('#start');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 120_000 });
      const run = await page.evaluate(() => window.multispike.run());
      const pts = run.history.points;
      assert(pts.length >= 5, `only ${pts.length} chart points`);
      const k = Math.ceil(pts.length / 4);
      const first = pts.slice(0, k).reduce((s, p) => s + p.accuracy, 0) / k;
      const last = pts.slice(-k).reduce((s, p) => s + p.accuracy, 0) / k;
      assert(last > first + 0.15, `training accuracy did not rise: ${first.toFixed(3)} → ${last.toFixed(3)}`);
      const test = run.history.test;
      assert(test.length === 1, `test points ${test.length}`);
      // measured: 0.7393 on the 10,000 test images (deterministic: seed 1, any thread count)
      assert(test[0].accuracy > 0.6, `test accuracy ${test[0].accuracy}`);
      perf.short_run_test_accuracy = test[0].accuracy;
      const lt = await page.evaluate(() => window.multispike.longTasks);
      perf.short_run_long_tasks = lt.length;
      // download, then load the file back
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      downloaded = await dl.path();
      const name = dl.suggestedFilename();
      assert(/^multispike-784-400-10-multi-tau0\.8-e1\.safetensors$/.test(name), `file name ${name}`);
      await page.setInputFiles('#model-file', { name, mimeType: 'application/octet-stream', buffer: readFileSync(downloaded) });
      await page.waitForFunction(() => /\.safetensors/.test(document.querySelector('#model-status').textContent));
      const status = await page.textContent('#model-status');
      assert(status.includes(`${(100 * test[0].accuracy).toFixed(2)} %`), `the loaded file lost its test accuracy: ${status}`);
      // a corrupt upload: clear error, the loaded model stays and still evaluates
      await page.setInputFiles('#model-file', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a safetensors file at all') });
      await page.waitForFunction(() => document.querySelector('#model-error').textContent.length > 0);
      const err = await page.textContent('#model-error');
      assert(/broken\.safetensors/.test(err) && /model file/i.test(err) && /current model is kept/.test(err), `error: ${err}`);
      assert((await page.textContent('#model-status')) === status, 'the current model changed after a corrupt upload');
      const truncated = readFileSync(downloaded).subarray(0, 5000);
      await page.setInputFiles('#model-file', { name: 'truncated.safetensors', mimeType: 'application/octet-stream', buffer: truncated });
      await page.waitForFunction(() => /truncated/.test(document.querySelector('#model-error').textContent));
      const ev = await page.evaluate(async () => {
        document.querySelector('#evaluate').click();
        await new Promise((r) => setTimeout(r, 50));
        while (document.querySelector('#evaluate').disabled) await new Promise((r) => setTimeout(r, 50));
        return window.multispike.evals.at(-1);
      });
      assert(Math.abs(ev.accuracy - test[0].accuracy) < 1e-9, `the reloaded model evaluates to ${ev.accuracy}, trained ${test[0].accuracy}`);
      await shot(page, 'train-desktop');
      // hand the model to the Draw page
      await Promise.all([page.waitForURL(/draw\.html\?model=own/), page.click('#use-draw')]);
      await page.waitForFunction(() => window.multispike?.ready);
      await page.evaluate(() => window.multispike.ready);
      assert((await page.inputValue('#model-select')) === 'own', 'the Draw page did not pick the trained model');
      await drawMouse(page, DIGITS[1]);
      assert(/^[0-9?]$/.test(await settledPrediction(page)), 'prediction with the trained model');
      noErrors(errors);
      await page.closeAll();
    });

    await test('train: in-page throughput (10,000 images, 1 epoch) and main-thread long tasks', async () => {
      const { page, ready, errors } = await open(browser, `${iso.url}train.html`);
      await page.fill('input[name=train]', '10000');
      await page.fill('input[name=epochs]', '1');
      await page.fill('input[name=test]', '2000');
      await page.click('#start');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'training', null, { timeout: 60_000 });
      await page.evaluate(() => (window.multispike.longTasks.length = 0));
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 180_000 });
      const r = await page.evaluate(() => ({ run: window.multispike.run(), lt: window.multispike.longTasks }));
      const pts = r.run.history.points.slice(1); // the first slice includes warm-up
      perf.train_samples_per_s_median = median(pts.map((p) => p.samples_per_s)); // engine time of each slice
      // what the page achieves end to end (slices, messages, charts): samples over wall time
      perf.train_page_samples_per_s = pts.slice(1).reduce((n, p) => n + p.samples, 0) / ((pts.at(-1).t - pts[0].t) / 1000);
      perf.train_threads = ready.info.threads;
      perf.train_long_tasks = r.lt.length;
      perf.train_long_task_max_ms = r.lt.reduce((m, t) => Math.max(m, t.ms), 0);
      perf.train_test_accuracy_10k_1epoch = r.run.history.test[0].accuracy;
      perf.train_long_task_total_ms = r.lt.reduce((m, t) => m + t.ms, 0);
      // The target is no task over 50 ms; on a machine whose cores are busy with other processes
      // the UI thread is sometimes descheduled (and the worker stalls with it), which the Long
      // Tasks API counts too. What must never happen is a UI blocked for a sizeable share of the run.
      assert(perf.train_long_task_total_ms < 1000, `long tasks on the UI thread: ${JSON.stringify(r.lt)}`);
      noErrors(errors);
      await page.closeAll();
    });

    await test('train: a reload offers to resume, and resuming continues the run', async () => {
      const { page, context, errors } = await open(browser, `${iso.url}train.html`);
      await page.fill('input[name=train]', '2000');
      await page.fill('input[name=epochs]', '3');
      await page.fill('input[name=test]', '1000');
      await page.click('#start');
      // pause right after the first epoch's autosave, then reload
      await page.waitForFunction(() => /autosaved/.test(document.querySelector('#log').textContent), null, { timeout: 60_000 });
      await page.click('#pause');
      const before = await page.evaluate(() => window.multispike.run());
      await page.reload();
      const ready = await page.evaluate(() => window.multispike.ready);
      assert(ready.autosave && ready.autosave.epochDone >= 1 && ready.autosave.epochs === 3, `autosave ${JSON.stringify(ready.autosave)}`);
      assert(await page.isVisible('#resume-banner'), 'no resume banner');
      await page.click('#resume-run');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 120_000 });
      const after = await page.evaluate(() => window.multispike.run());
      assert(after.history.test.map((t) => t.epoch).join(',') === '1,2,3', `test points at epochs ${after.history.test.map((t) => t.epoch)}`);
      assert(after.history.points.length > before.history.points.length, 'the charts did not keep the points from before the reload');
      assert(Math.abs(after.history.test[0].accuracy - before.history.test[0].accuracy) < 1e-12, 'epoch 1 changed');
      assert(after.history.test[2].accuracy > after.history.test[0].accuracy, `no progress after resuming: ${after.history.test.map((t) => t.accuracy)}`);
      noErrors(errors);
      await context.close();
    });

    await test('train (Fashion-MNIST): picker, short run, Fashion class names, dataset in the model and autosave; Draw page refuses it', async () => {
      const { page, errors } = await open(browser, `${iso.url}train.html`);
      const options = await page.$$eval('select[name=dataset] option', (o) => o.map((x) => `${x.value}:${x.textContent}`));
      assert(options.join() === 'mnist:MNIST,fashion-mnist:Fashion-MNIST', `data sets ${options}`);
      await page.selectOption('select[name=dataset]', 'fashion-mnist');
      await page.waitForFunction(() => /data\/fashion-mnist\//.test(document.querySelector('#data-hint').textContent));
      await page.fill('input[name=train]', '1000');
      await page.fill('input[name=epochs]', '1');
      await page.fill('input[name=test]', '1000');
      // a random seed (crypto.getRandomValues in the engine), recorded in the model below
      await page.click('#random-seed');
      await page.waitForFunction(() => document.querySelector('input[name=seed]').value !== '1');
      const seed = await page.inputValue('input[name=seed]');
      assert(/^\d+$/.test(seed) && Number(seed) <= 2 ** 53 - 1, `random seed ${seed}`);
      await page.click('#start');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 120_000 });
      const run = await page.evaluate(() => window.multispike.run());
      // measured: 0.533 with seed 1 (other seeds alike); chance is 0.1
      assert(run.history.test[0].accuracy > 0.3, `Fashion-MNIST test accuracy ${run.history.test[0].accuracy}`);
      const labels = await page.$$eval('#per-class .bar span:first-child', (s) => s.map((x) => x.textContent));
      assert(labels.length === 10 && labels[0] === 'T-shirt/top' && labels[9] === 'Ankle boot', `class labels ${labels}`);
      assert(/Fashion-MNIST/.test(await page.textContent('#model-status')), 'the model line does not name the data set');
      assert(await page.isDisabled('#use-draw'), 'a Fashion-MNIST model can be handed to the Draw page');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const name = dl.suggestedFilename();
      assert(/^multispike-fashion-mnist-784-400-10-multi-tau0\.8-e1\.safetensors$/.test(name), `file name ${name}`);
      const b64 = readFileSync(await dl.path()).toString('base64');
      const info = await page.evaluate((b) => window.multispike.rpc('modelInfo', { bytes: Uint8Array.from(atob(b), (c) => c.charCodeAt(0)) }), b64);
      assert(info.metadata.dataset === 'fashion-mnist' && info.dataset.title === 'Fashion-MNIST', `metadata ${JSON.stringify(info.metadata)}`);
      assert(info.metadata.seed === seed, `the model records seed ${info.metadata.seed}, the page drew ${seed}`);
      // the autosave keeps the data set: a reload restores a Fashion-MNIST run
      await page.reload();
      await page.evaluate(() => window.multispike.ready);
      assert(/Fashion-MNIST/.test(await page.textContent('#resume-banner')), 'the resume banner does not name the data set');
      await page.click('#resume-run');
      assert((await page.inputValue('select[name=dataset]')) === 'fashion-mnist', 'the restored run lost its data set');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 60_000 });
      // the Draw page: a Fashion-MNIST model handed over is refused with a note, MNIST runs instead
      await page.evaluate(async (b) => {
        const store = await import('./js/store.js');
        const bytes = Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
        const info = await window.multispike.rpc('modelInfo', { bytes });
        await store.put(store.OWN_MODEL, { bytes, info, savedAt: Date.now(), source: 'e2e' });
      }, b64);
      await page.goto(`${iso.url}draw.html?model=own`);
      await page.waitForFunction(() => window.multispike?.ready);
      await page.evaluate(() => window.multispike.ready);
      assert((await page.inputValue('#model-select')) === 'multi', 'the Draw page runs the Fashion-MNIST model');
      const line = await page.textContent('#model-line');
      assert(/^test accuracy .*MNIST · 784-400-10/.test(line) && /trained on Fashion-MNIST/.test(line), `model line: ${line}`);
      assert(await page.$eval('#model-select option[value=own]', (o) => o.disabled), 'the Fashion-MNIST model is selectable on the Draw page');
      noErrors(errors);
      await page.closeAll();
    });

    await test('τ experiments: small sweep, plots, table, CSV in the columns of multispike sweep', async () => {
      const { page, errors } = await open(browser, `${iso.url}tau.html`);
      // the page's defaults: τ_I 0.1 … 6.4 (7 values) × 2 modes, 784-100-10, 10,000 images, 1 epoch
      const taus = (await page.inputValue('input[name=taus]')).split(',').length;
      // the reference study (www/tau-study.json): the paper's Table I points and the CLI sweeps
      const ref = await page.evaluate(() => window.multispike.reference());
      assert(ref?.paper.points.length === 2 && ref.studies.length >= 1 && ref.studies.every((s) => s.rows.length > 0), `tau-study.json ${JSON.stringify(ref)?.slice(0, 200)}`);
      await page.check('#tau-zoom');
      await page.uncheck('#tau-zoom');
      await page.click('#tau-start');
      await page.waitForFunction(() => /^Done/.test(document.querySelector('#tau-status').textContent), null, { timeout: 180_000 });
      const rows = await page.$$eval('#tau-table tbody tr', (t) => t.length);
      assert(rows === 2 * taus, `table rows ${rows}`);
      const csv = await page.evaluate(() => window.multispike.csv());
      const lines = csv.trim().split('\n');
      assert(lines[0].startsWith('tau_I,mode,seed,epochs,train_samples,test_samples,test_accuracy,test_loss,train_accuracy,mean_spikes,silent_fraction') && lines[0].endsWith(',hist_20'), `header ${lines[0]}`);
      assert(lines.length === 2 * taus + 1, `csv lines ${lines.length}`);
      const r = await page.evaluate(() => window.multispike.results().rows);
      const multi = r.filter((x) => x.mode === 'multi').sort((a, b) => a.tau - b.tau);
      const single = r.filter((x) => x.mode === 'single');
      assert(single.every((x) => x.eval.spike_hist.slice(2).every((h) => h === 0)), 'a single-spike neuron fired twice');
      assert(multi.some((x) => x.eval.spike_hist.slice(2).some((h) => h > 0)), 'no multi-spike neuron fired twice');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#tau-csv')]);
      assert(readFileSync(await dl.path(), 'utf8') === csv, 'the downloaded CSV differs');
      await shot(page, 'tau-desktop');
      noErrors(errors);
      await page.closeAll();
    });

    let playDigest = null;
    await test('playground (COOP/COEP, threads): learns live (test accuracy > 70 %), map redrawn, raster of a clicked point, Rust validates, reproducible', async () => {
      const { page, ready, errors } = await open(browser, `${iso.url}playground.html`);
      assert(ready.info.build === 'mt' && ready.info.threads > 1, JSON.stringify(ready.info));
      assert(new RegExp(`^${ready.info.threads} threads$`).test(await page.textContent('#engine-mode')), 'engine badge');
      // the form shows the engine's defaults, and the URL records them
      assert((await page.inputValue('input[name=hidden]')) === '120' && (await page.inputValue('input[name=tau]')) === '0.8', 'form defaults');
      assert(/hidden=120&tau_I=0\.8&mode=multi/.test(await page.evaluate(() => location.hash)), 'URL settings');
      const r = await playgroundRun(page, assert);
      perf.playground_ms_to_70pct_isolated = r.ms;
      perf.playground_long_task_total_ms = r.long_task_total_ms;
      console.log(`     test accuracy ${(100 * r.test_accuracy).toFixed(1)} % after ${r.epochs.toFixed(2)} epochs, ${(r.ms / 1000).toFixed(1)} s; long tasks ${r.long_tasks} (${r.long_task_total_ms.toFixed(0)} ms)`);
      assert(r.long_task_total_ms < 1000, `long tasks on the UI thread: ${r.long_task_total_ms} ms`);
      // on at full speed to a well-trained network for the screenshot (measured: > 92 % in ~2 s)
      await page.selectOption('#speed', '0');
      await page.click('#play');
      await page.waitForFunction(() => (window.multispike.state().eval?.test.accuracy ?? 0) > 0.92, null, { timeout: 40_000 });
      await page.click('#play');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'paused');
      const map = await page.locator('#map').boundingBox();
      await page.mouse.click(map.x + 0.3 * map.width, map.y + 0.3 * map.height);
      await page.mouse.move(map.x + 0.3 * map.width, map.y + 0.3 * map.height);
      await page.waitForFunction(() => Math.abs(window.multispike.prediction().x - 0.3) < 0.01);
      await shot(page, 'playground');
      // settings go to Rust unchecked: its message is shown, the network is kept
      const cfg = (await page.evaluate(() => window.multispike.state())).config;
      await page.fill('input[name=hidden]', '0');
      await page.click('#reset');
      await page.waitForFunction(() => document.querySelector('#form-error').textContent.length > 0);
      const err = await page.textContent('#form-error');
      assert(/hidden layer sizes must be in 1\.\.=1000, got 0/.test(err), `error: ${err}`);
      assert(JSON.stringify((await page.evaluate(() => window.multispike.state())).config) === JSON.stringify(cfg), 'a refused setting replaced the network');
      // the random seed is shown, kept in the URL, and the same seed gives the same weights
      await page.fill('input[name=hidden]', '40');
      await page.click('#random-seed');
      await page.waitForFunction(() => window.multispike.state().config.hidden[0] === 40);
      const seed = (await page.evaluate(() => window.multispike.state())).config.seed;
      assert(String(seed) === (await page.inputValue('input[name=seed]')), `seed ${seed}, the form says ${await page.inputValue('input[name=seed]')}`);
      assert((await page.evaluate(() => location.hash)).includes(`seed=${seed}`), 'the seed is not in the URL');
      const digest = async () => {
        await page.evaluate(() => window.multispike.reset({ hidden: [40], seed: 12345 }));
        await rpc(page, 'trainSteps', { n: 40 });
        return rpc(page, 'weightsDigest');
      };
      playDigest = await digest();
      assert((await digest()) === playDigest, 'the same settings and seed trained to different weights');
      noErrors(errors);
      await page.closeAll();
    });

    await test('engine: corrupt model rejected without a panic (message and kind), previous model kept', async () => {
      const { page, errors } = await open(browser, `${iso.url}draw.html`);
      const digit = (await rpc(page, 'testImage', { index: 0 })).pixels;
      const before = await rpc(page, 'predict', { pixels: digit });
      const msg = await page.evaluate(() =>
        window.multispike.rpc('loadModel', { name: 'multi', bytes: new TextEncoder().encode('not a safetensors file') }).then(
          () => 'accepted',
          (e) => `${e.kind}: ${e.message}`,
        ),
      );
      // the engine's message, and its stable kind carried through the Worker
      assert(/^model-file\/[a-z-]+: .*model file/.test(msg), `error: ${msg}`);
      const after = await rpc(page, 'predict', { pixels: digit });
      assert(JSON.stringify(after.v_out) === JSON.stringify(before.v_out), 'the previous model changed');
      assert(!errors.some((e) => /panicked|unreachable/.test(e)), `panic: ${errors.join('; ')}`);
      await page.closeAll();
    });

    await test('engine: 1 and 2 threads (and the single-threaded build) train to the same weights', async () => {
      // test requests (newTrainer, addShard, trainSteps, weightsDigest): engine.html only
      const digest = async (url) => {
        const { page } = await open(browser, url);
        const manifest = JSON.parse(readFileSync(`${ROOT}www/data/manifest.json`, 'utf8'));
        const s = manifest.shards.find((x) => x.split === 'train');
        await rpc(page, 'newTrainer', { config: { layers: [784, 400, 10], tau_I: 0.8, batch: 100, seed: 7 } });
        await rpc(page, 'addShard', { url: `data/${s.file}`, sha256: s.sha256 });
        const stats = await rpc(page, 'trainSteps', { n: 3 });
        const d = await rpc(page, 'weightsDigest');
        await page.closeAll();
        return { digest: d, stats };
      };
      const one = await digest(`${iso.url}engine.html?threads=1`);
      const two = await digest(`${iso.url}engine.html?threads=2`);
      const st = await digest(`${iso.url}engine.html?build=st`);
      assert(one.stats.samples === 300 && one.stats.non_finite === 0, JSON.stringify(one.stats));
      assert(one.digest === two.digest, `1 thread ${one.digest} != 2 threads ${two.digest}`);
      assert(st.digest === two.digest, `st ${st.digest} != mt ${two.digest}`);
    });

    await test('no COOP/COEP headers: coi-serviceworker isolates the page (threads after one reload)', async () => {
      const t0 = Date.now();
      const { page, ready, errors } = await open(browser, `${plain.url}draw.html`);
      perf.coi_ready_ms = Date.now() - t0;
      assert(ready.info.crossOriginIsolated === true && ready.info.build === 'mt' && ready.info.threads > 1, JSON.stringify(ready.info));
      assert(ready.info.isolation.via === 'service worker', `isolated via ${ready.info.isolation.via}`);
      await drawMouse(page, DIGITS[7]);
      assert((await settledPrediction(page)) === '7', 'a drawn 7');
      noErrors(errors);
      await page.closeAll();
    });

    await test('no COOP/COEP, service worker blocked: single-thread fallback with notice; everything works', async () => {
      const t0 = Date.now();
      const { page, ready, errors, warnings } = await open(browser, `${plain.url}draw.html`, 60_000, { serviceWorkers: 'block' });
      perf.first_prediction_ms_single_thread = ready.firstPredictionMs;
      perf.fallback_ready_ms = Date.now() - t0;
      const { info } = ready;
      assert(info.crossOriginIsolated === false && info.build === 'st' && info.threads === 1, JSON.stringify(info));
      assert((await page.textContent('#engine-mode')) === 'single-thread', 'engine mode text');
      assert(await page.isVisible('#notice'), 'no visible notice');
      assert(/Single-thread mode/.test(await page.textContent('#notice')), 'notice text');
      assert(warnings.some((w) => /single-threaded fallback/.test(w)), `no console warning: ${warnings.join('; ')}`);
      await drawMouse(page, DIGITS[1]);
      assert((await settledPrediction(page)) === '1', 'a drawn 1 (single-threaded)');
      // the Train page works too
      await page.goto(`${plain.url}train.html`);
      await page.evaluate(() => window.multispike.ready);
      await page.fill('input[name=train]', '1000');
      await page.fill('input[name=epochs]', '1');
      await page.fill('input[name=test]', '1000');
      await page.click('#start');
      await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 120_000 });
      const run = await page.evaluate(() => window.multispike.run());
      assert(run.history.test[0].accuracy > 0.3, `single-threaded run: test accuracy ${run.history.test[0].accuracy}`);
      // Playwright's blocking makes navigator.serviceWorker.register resolve to undefined, which
      // coi-serviceworker does not expect (a real browser without service workers has none)
      const real = errors.filter((e) => !/reading 'addEventListener'/.test(e));
      noErrors(real);
      await page.closeAll();
    });

    await test('playground, no COOP/COEP, service worker blocked: single-threaded, learns live, raster, same weights as threaded', async () => {
      const { page, ready, errors } = await open(browser, `${plain.url}playground.html`, 60_000, { serviceWorkers: 'block' });
      assert(ready.info.build === 'st' && ready.info.threads === 1 && !ready.info.crossOriginIsolated, JSON.stringify(ready.info));
      assert((await page.textContent('#engine-mode')) === 'single-thread' && (await page.isVisible('#notice')), 'fallback badge and notice');
      const r = await playgroundRun(page, assert);
      perf.playground_ms_to_70pct_single_thread = r.ms;
      console.log(`     test accuracy ${(100 * r.test_accuracy).toFixed(1)} % after ${r.epochs.toFixed(2)} epochs, ${(r.ms / 1000).toFixed(1)} s (single thread)`);
      if (playDigest) {
        await page.evaluate(() => window.multispike.reset({ hidden: [40], seed: 12345 }));
        await rpc(page, 'trainSteps', { n: 40 });
        assert((await rpc(page, 'weightsDigest')) === playDigest, 'single-threaded and threaded runs differ');
      }
      // see the fallback test above: Playwright's blocked service worker trips coi-serviceworker
      noErrors(errors.filter((e) => !/reading 'addEventListener'/.test(e)));
      await page.closeAll();
    });

    {
      await test('375 px wide (home, train, playground, τ): no horizontal overflow; screenshots', async () => {
        for (const [path, name, act] of [
          ['', 'home-mobile', null],
          ['train.html', 'train-mobile', async (page) => {
            await page.fill('input[name=train]', '3000');
            await page.fill('input[name=epochs]', '2');
            await page.fill('input[name=test]', '2000');
            await page.click('#start');
            await page.waitForFunction(() => document.querySelector('#phase').textContent === 'finished', null, { timeout: 120_000 });
          }],
          ['playground.html', 'playground-mobile', async (page) => {
            await page.click('#play');
            await page.waitForFunction(() => (window.multispike.state().eval?.test.accuracy ?? 0) > 0.8, null, { timeout: 60_000 });
            await page.click('#play');
            // a tap inspects a point on touch screens
            const map = page.locator('#map');
            await map.scrollIntoViewIfNeeded();
            const b = await map.boundingBox();
            await map.tap({ position: { x: 0.72 * b.width, y: 0.3 * b.height } });
            await page.waitForFunction(() => window.multispike.prediction()?.n_spikes > 0);
          }],
          ['tau.html', 'tau-mobile', async (page) => {
            await page.fill('input[name=taus]', '0.2, 0.4, 0.8, 1.6, 3.2, 6.4');
            await page.click('#tau-start');
            await page.waitForFunction(() => /^Done/.test(document.querySelector('#tau-status').textContent), null, { timeout: 180_000 });
          }],
        ]) {
          const { page, errors } = await open(browser, `${iso.url}${path}`, 60_000, MOBILE);
          if (act) await act(page);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert(overflow <= 0, `${name}: the page is ${overflow} px wider than the screen`);
          await shot(page, name);
          noErrors(errors);
          await page.closeAll();
        }
      });
    }
  } finally {
    await browser.close();
    iso.stop();
    plain.stop();
  }
  perf.e2e_seconds = (Date.now() - t00) / 1000;
  writeFileSync(`${ROOT}target/e2e/perf.json`, JSON.stringify(perf, null, 2));
  console.log(`page performance: ${JSON.stringify(perf)}`);
  const failed = results.filter((r) => !r[1]).length;
  console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
