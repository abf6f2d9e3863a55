// Throughput of 784-400-10 (multi-spike, tau_I 0.8, fresh paper-init network, seed 1) natively
// (`multispike bench`, 1 and 2 threads) and in headless Chromium from the page's module Worker:
// wasm-st (single-threaded package) and wasm-mt (threaded package, 2 threads). Same workload
// everywhere: inference = forward pass of the first N test images; training = Adam steps in
// batches of 100 over the first N training images, each repetition from the same initial weights.
// Prints one table (medians over the repetitions) and the ratios of this run. On x86-64 the row
// native-128 is the native binary on its baseline SSE2 kernels (MULTISPIKE_NO_AVX2=1, 1 thread):
// 128-bit vectors like WebAssembly SIMD, so wasm-st / native-128 is the browser against the native
// engine at the same vector width.
//   node scripts/bench-web.mjs [--samples 5000] [--reps 5]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { launch, open, serve } from './e2e.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('samples', 5000);
const REPS = arg('reps', 5);
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function native(threads = '1,2', env = {}) {
  const out = execFileSync(`${ROOT}target/release/multispike`, ['bench', '--samples', String(N), '--reps', String(REPS), '--threads', threads], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  const rows = {};
  for (const line of out.split('\n')) {
    const m = line.match(/^(inference|training)\s+(\d+)\s+(\d+)/);
    if (m) (rows[m[2]] ??= {})[m[1]] = Number(m[3]);
  }
  const spikes = out.match(/([\d.]+) hidden spikes per neuron/)?.[1];
  return { rows, spikes };
}

async function browserRun(browser, url) {
  const { page, ready } = await open(browser, url, 120_000);
  // the worker reads the first N examples of the first MNIST training and test shards itself
  const res = await page.evaluate(([n, reps]) => window.multispike.rpc('bench', { n, reps }), [N, REPS]);
  await page.close();
  return { info: ready.info, inference: median(res.inference), training: median(res.training), spikes: res.spikes };
}

async function main() {
  const nat = native();
  // x86-64 only: the same binary on its baseline (SSE2) kernels, whose 128-bit vectors are as wide
  // as WebAssembly SIMD's: how far the browser is from what that vector width allows natively.
  const x64 = process.arch === 'x64';
  const nat128 = x64 ? native('1', { MULTISPIKE_NO_AVX2: '1' }) : null;
  const srv = await serve();
  const browser = await launch();
  let st, mt, mt1;
  try {
    st = await browserRun(browser, `${srv.url}engine.html?build=st`);
    mt = await browserRun(browser, `${srv.url}engine.html?build=mt&threads=2`);
    // the threaded build on one thread: what the build itself costs, apart from the scaling
    mt1 = await browserRun(browser, `${srv.url}engine.html?build=mt&threads=1`);
  } finally {
    await browser.close();
    srv.stop();
  }
  if (mt.info.threads !== 2 || mt.info.build !== 'mt') throw new Error(`wasm-mt ran with ${JSON.stringify(mt.info)}`);
  if (mt1.info.threads !== 1 || mt1.info.build !== 'mt') throw new Error(`wasm-mt (1 thread) ran with ${JSON.stringify(mt1.info)}`);
  const rows = [
    ['native', 1, nat.rows[1].inference, nat.rows[1].training],
    ['native', 2, nat.rows[2].inference, nat.rows[2].training],
    ...(nat128 ? [['native-128', 1, nat128.rows[1].inference, nat128.rows[1].training]] : []),
    ['wasm-st', 1, st.inference, st.training],
    ['wasm-mt', 1, mt1.inference, mt1.training],
    ['wasm-mt', 2, mt.inference, mt.training],
  ];
  const ref = nat.rows[2];
  console.log(`784-400-10 multi, tau_I 0.8, fresh paper-init network (seed 1); ${N} images, median of ${REPS} runs;`);
  console.log(`${cpus().length} CPUs (${cpus()[0]?.model?.trim() ?? 'unknown'}); browser: headless Chromium, from a module Worker`);
  console.log(`hidden spikes per neuron per test image: native ${nat.spikes}, wasm ${st.spikes.toFixed(3)}`);
  console.log('');
  console.log('| build      | threads | inference samples/s | training samples/s | vs native 2 threads (inf / train) |');
  console.log('|------------|--------:|--------------------:|-------------------:|-----------------------------------|');
  for (const [b, t, inf, tr] of rows) {
    const rel = `${(inf / ref.inference).toFixed(2)}x / ${(tr / ref.training).toFixed(2)}x`;
    console.log(`| ${b.padEnd(10)} | ${String(t).padStart(7)} | ${Math.round(inf).toString().padStart(19)} | ${Math.round(tr).toString().padStart(18)} | ${rel.padEnd(33)} |`);
  }
  const r = (a, b) => (a / b).toFixed(2);
  console.log('');
  console.log(`training: wasm-st / native 1 thread ${r(st.training, nat.rows[1].training)}; wasm-mt / native 2 threads ${r(mt.training, ref.training)}; wasm-mt 2 / 1 thread ${r(mt.training, mt1.training)}; native 2 / 1 thread ${r(ref.training, nat.rows[1].training)}`);
  if (nat128) {
    console.log(`128-bit vectors: native-128 / native 1 thread ${r(nat128.rows[1].training, nat.rows[1].training)} (training), ${r(nat128.rows[1].inference, nat.rows[1].inference)} (inference); wasm-st / native-128 ${r(st.training, nat128.rows[1].training)} (training), ${r(st.inference, nat128.rows[1].inference)} (inference)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
