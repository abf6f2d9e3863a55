// Training throughput of a single-threaded WebAssembly package (www/pkg-st layout) in Node's V8,
// for paired before/after runs of a wasm change without a browser: run the two packages
// alternately (A B A B …) and compare the median of the per-pair ratios. Same workload as the
// training half of `bench` in www/worker.js: a fresh paper-init 784-400-10 (τ_I 0.8, seed 1),
// Adam steps in batches of 100 over the first N images of the first training shard.
// Prints {"samples_per_s": …, "digest": …} (the digest of the trained weights: a change meant
// to keep every bit must print the same one).
//   node scripts/bench-wasm-node.mjs [--pkg www/pkg-st] [--data www/data] [--samples 5000]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const pkg = arg('pkg', 'www/pkg-st');
const data = arg('data', 'www/data');
const n = Number(arg('samples', '5000'));
const api = await import(pathToFileURL(`${pkg}/multispike.js`).href);
api.initSync({ module: readFileSync(`${pkg}/multispike_bg.wasm`) });
const manifest = JSON.parse(readFileSync(`${data}/manifest.json`, 'utf8'));
const file = manifest.shards.find((s) => s.split === 'train').file;
const shard = new api.Shard(readFileSync(`${data}/${file}`), undefined, undefined);
const part = shard.slice(0, Math.min(n, shard.length));
const t = new api.Trainer(undefined);
const k = t.addExamples(part, 0, part.length);
const s = t.trainSteps(Math.ceil(k / t.config().batch));
console.log(JSON.stringify({ samples_per_s: Math.round(s.samples_per_s), digest: t.weightsDigest() }));
