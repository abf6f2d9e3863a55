// End-to-end tests of the served page in headless Chromium (playwright-core, Debian chromium):
//  - with COOP/COEP: crossOriginIsolated, the threaded build with > 1 threads, a test digit and
//    a drawn digit predicted, a corrupt model rejected while the previous one keeps working,
//    identical weights after training steps on 1 and 2 threads (and in the single-threaded build);
//  - without them (--no-isolation): the single-threaded fallback works.
// Screenshots go to target/e2e/. Prints "N passed, M failed" last; exit code 1 on any failure.
//   node scripts/e2e.mjs
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const ROOT = new URL('..', import.meta.url).pathname;
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

/** Opens the page at `url` and waits until it is ready; returns { page, ready, errors }. */
export async function open(browser, url, timeout = 60_000) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  const ready = await page.evaluate(
    (t) => Promise.race([window.multispike.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), t))]),
    timeout,
  );
  return { page, ready, errors };
}

const rpc = (page, type, args = {}) => page.evaluate(([t, a]) => window.multispike.rpc(t, a), [type, args]);

async function digestAfterTraining(browser, url) {
  const { page } = await open(browser, url);
  const manifest = JSON.parse(readFileSync(`${ROOT}www/data/manifest.json`, 'utf8'));
  const s = manifest.shards.find((x) => x.file === 'train-00.mshd.gz');
  await rpc(page, 'newTrainer', { config: { layers: [784, 400, 10], tau_I: 0.8, batch: 100, seed: 7 } });
  await rpc(page, 'addShard', { url: `data/${s.file}`, sha256: s.sha256 });
  const stats = await rpc(page, 'trainSteps', { n: 3 });
  const digest = await rpc(page, 'weightsDigest');
  await page.close();
  return { digest, stats };
}

async function main() {
  mkdirSync(`${ROOT}target/e2e`, { recursive: true });
  const results = [];
  const test = async (name, fn) => {
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

  const iso = await serve();
  const plain = await serve(['--no-isolation']);
  const browser = await launch();
  try {
    await test('isolated page: threaded build, threads > 1, prediction, drawing', async () => {
      const { page, ready, errors } = await open(browser, iso.url);
      const { info, testPrediction: p, testLabel } = ready;
      assert(info.crossOriginIsolated === true, `crossOriginIsolated ${info.crossOriginIsolated}`);
      assert(info.build === 'mt' && info.threads > 1, `build ${info.build} threads ${info.threads}`);
      assert(info.simd === true, 'SIMD build expected');
      assert(p.probabilities.length === 10 && p.n_spikes > 0, 'prediction record');
      assert(p.class === testLabel, `test digit ${testLabel} predicted as ${p.class}`);
      // draw a "1": a vertical stroke on the canvas
      const box = await page.locator('#pad').boundingBox();
      await page.mouse.move(box.x + box.width * 0.52, box.y + box.height * 0.15);
      await page.mouse.down();
      for (let k = 1; k <= 12; k++) {
        await page.mouse.move(box.x + box.width * (0.52 - k * 0.004), box.y + box.height * (0.15 + k * 0.058));
      }
      await page.mouse.up();
      await page.waitForFunction(() => document.querySelectorAll('#drawn .bar').length === 10, null, { timeout: 10_000 });
      const drawnClass = await page.evaluate(() => [...document.querySelectorAll('#drawn .bar')].findIndex((b) => b.classList.contains('top')));
      assert(drawnClass === 1, `a drawn 1 predicted as ${drawnClass}`);
      await page.screenshot({ path: `${ROOT}target/e2e/isolated.png`, fullPage: true });
      assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
      await page.close();
    });

    await test('corrupt model: clear error, previous model kept, no panic', async () => {
      const { page, errors } = await open(browser, iso.url);
      const before = await page.evaluate(() => window.multispike.ready.then((r) => r.testPrediction.v_out));
      const msg = await page.evaluate(() =>
        window.multispike.rpc('loadModel', { bytes: new TextEncoder().encode('not a safetensors file') }).then(
          () => 'accepted',
          (e) => e.message,
        ),
      );
      assert(/model file/.test(msg), `error message: ${msg}`);
      const digit = await page.evaluate(async () => {
        const r = await fetch('data/test-00.mshd.gz');
        const raw = new Uint8Array(await new Response(r.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
        return Array.from(raw.slice(16 + 10000, 16 + 10000 + 784));
      });
      const after = await rpc(page, 'predict', { pixels: digit });
      assert(JSON.stringify(after.v_out) === JSON.stringify(before), 'the previous model changed');
      assert(!errors.some((e) => /panicked|unreachable/.test(e)), `panic: ${errors.join('; ')}`);
      await page.close();
    });

    await test('training: 1 and 2 threads (and the single-threaded build) give the same weights', async () => {
      const one = await digestAfterTraining(browser, `${iso.url}?threads=1`);
      const two = await digestAfterTraining(browser, `${iso.url}?threads=2`);
      const st = await digestAfterTraining(browser, `${iso.url}?build=st`);
      assert(one.stats.samples === 300 && one.stats.non_finite === 0, JSON.stringify(one.stats));
      assert(one.digest === two.digest, `1 thread ${one.digest} != 2 threads ${two.digest}`);
      assert(st.digest === two.digest, `st ${st.digest} != mt ${two.digest}`);
      assert(Number.isFinite(two.stats.loss) && two.stats.loss > 0, `loss ${two.stats.loss}`);
    });

    await test('no COOP/COEP: single-threaded fallback works', async () => {
      const { page, ready, errors } = await open(browser, plain.url);
      const { info, testPrediction: p, testLabel } = ready;
      assert(info.crossOriginIsolated === false, `crossOriginIsolated ${info.crossOriginIsolated}`);
      assert(info.build === 'st' && info.threads === 1, `build ${info.build} threads ${info.threads}`);
      assert(p.class === testLabel, `test digit ${testLabel} predicted as ${p.class}`);
      await page.screenshot({ path: `${ROOT}target/e2e/not-isolated.png`, fullPage: true });
      assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
      await page.close();
    });
  } finally {
    await browser.close();
    iso.stop();
    plain.stop();
  }
  const failed = results.filter((r) => !r[1]).length;
  console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
