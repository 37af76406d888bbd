// Gradient clipping by global norm and by value, standalone and fused into the optimizer step;
// the deterministic native reduction behind the norm.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { parameter, tensor, zeros, optimizers, clipGradNorm, clipGradValue, type Parameter } from '../lib';
import { sumAbsSq } from '../lib/optimizers/native';
import { root } from './helpers/child';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

function withGrads(sizes: number[], seed: number, scale: number): Parameter[] {
  const random = rng(seed);
  return sizes.map((n) => {
    const p = parameter(zeros([n]));
    p.grad.data.set(randomArray(n, random, scale));
    return p;
  });
}

function norm64(params: Parameter[]): number {
  let s = 0;
  for (const p of params) for (const g of p.grad.data) s += g * g;
  return Math.sqrt(s);
}

forEachIsa('sumAbsSq matches float64 sums on odd sizes', (t) => {
  for (const n of [0, 1, 3, 8, 15, 16, 17, 31, 1000, 8193, 100003]) {
    const x = randomArray(n, rng(n), 3);
    let abs = 0, sq = 0;
    for (const v of x) { abs += Math.abs(v); sq += v * v; }
    const [a, s] = sumAbsSq(x);
    t.true(Math.abs(a - abs) <= 1e-12 * (1 + abs) && Math.abs(s - sq) <= 1e-12 * (1 + sq), `n=${n}`);
  }
  t.true(Number.isNaN(sumAbsSq(Float32Array.from([1, NaN, 2]))[1]));
  t.is(sumAbsSq(Float32Array.from([1, -Infinity]))[1], Infinity);
});

forEachIsa('clipGradNorm scales to maxNorm and returns the norm before clipping', (t) => {
  const params = withGrads([1, 17, 70001], 1, 1);
  const before = params.map((p) => p.grad.data.slice());
  const norm = clipGradNorm(params, 5);
  const expectedNorm = Math.sqrt(before.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
  t.true(Math.abs(norm - expectedNorm) <= 1e-9 * expectedNorm);
  t.true(Math.abs(norm64(params) - 5) <= 1e-4 * 5);
  params.forEach((p, k) => t.true(maxRelError(p.grad.data, before[k].map((g) => (g * 5) / (norm + 1e-6))) <= 1));
  const small = withGrads([10], 2, 0.01);
  const copy = small[0].grad.data.slice();
  clipGradNorm(small, 5);
  t.deepEqual(small[0].grad.data, copy);
});

test('clipGradNorm leaves non-finite gradients for the optimizer to report', (t) => {
  const params = withGrads([4], 3, 1);
  params[0].grad.data[2] = NaN;
  const copy = params[0].grad.data.slice();
  t.true(Number.isNaN(clipGradNorm(params, 1)));
  t.deepEqual(params[0].grad.data, copy);
  t.throws(() => clipGradNorm(params, -1), { instanceOf: RangeError, message: /maxNorm must be/ });
});

forEachIsa('clipGradValue clamps each element', (t) => {
  const params = withGrads([33, 70001], 4, 3);
  const before = params.map((p) => p.grad.data.slice());
  clipGradValue(params, 0.5);
  params.forEach((p, k) => t.deepEqual(p.grad.data, before[k].map((g) => Math.min(Math.max(g, -0.5), 0.5))));
  t.throws(() => clipGradValue(params, NaN), { instanceOf: RangeError, message: /clipValue must be/ });
});

forEachIsa('the fused clipNorm option equals clipGradNorm then a plain step, and leaves grads alone', (t) => {
  const a = withGrads([100, 7], 5, 2), b = withGrads([100, 7], 5, 2);
  const start = randomArray(100, rng(9));
  [a, b].forEach((ps) => ps[0].value.data.set(start));
  const fused = new optimizers.Adam(a, { clipNorm: 1 });
  const plain = new optimizers.Adam(b);
  const grads = a.map((p) => p.grad.data.slice());
  const report = fused.step();
  t.true(Math.abs((report.gradNorm ?? 0) - norm64(b)) <= 1e-6 * norm64(b));
  clipGradNorm(b, 1);
  plain.step();
  a.forEach((p, k) => t.true(maxRelError(p.value.data, b[k].value.data, 1e-7, 1e-5) <= 1));
  a.forEach((p, k) => t.deepEqual(p.grad.data, grads[k]));
});

test('the norm reduction and the fused steps give the same bits for 1, 2 and 3 threads', (t) => {
  const code = `
    const ck = require('./lib');
    const { sumAbsSq } = require('./lib/optimizers/native');
    const out = [];
    for (const threads of [1, 2, 3]) {
      ck.setNumThreads(threads);
      let s = 12345;
      const x = Float32Array.from({ length: 300001 }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5);
      const p = ck.parameter(ck.tensor(x.slice()));
      p.grad.data.set(x.map((v) => v * 0.1));
      const opt = new ck.optimizers.Adam([p], { clipNorm: 1 });
      for (let i = 0; i < 3; i++) opt.step();
      const hash = require('node:crypto').createHash('sha256').update(p.value.data).digest('hex');
      out.push({ sq: sumAbsSq(x), theta: hash });
    }
    console.log(JSON.stringify(out));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  t.is(run.status, 0, run.stderr);
  const [one, two, three] = JSON.parse(run.stdout) as unknown[];
  t.deepEqual(two, one);
  t.deepEqual(three, one);
});

test('optimizer clip options are checked', (t) => {
  const p = parameter(tensor([1, 2]));
  t.throws(() => new optimizers.SGD([p], { clipNorm: -1 }), { instanceOf: RangeError, message: /SGD: clipNorm/ });
  t.throws(() => new optimizers.SGD([p], { clipValue: Infinity }), { instanceOf: RangeError, message: /SGD: clipValue/ });
});
