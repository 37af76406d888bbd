import test from 'ava';
import { ops, tensor, Tensor } from '../lib';
import { runFixture } from './helpers/child';
import { rng, randomArray, maxRelError } from './helpers/random';

const randomTensor = (n: number, seed: number) => tensor(randomArray(n, rng(seed), 3), [n]);

test('the kept fraction is 1 - rate within 5 standard deviations; y = x / (1 - rate) where kept', (t) => {
  const n = 200_001;
  const x = randomTensor(n, 1);
  for (const rate of [0.1, 0.5, 0.9]) {
    const { y, mask } = ops.dropout(x, rate, 42);
    const kept = mask.reduce((a, b) => a + b, 0) / n;
    const sigma = Math.sqrt((rate * (1 - rate)) / n);
    t.true(Math.abs(kept - (1 - rate)) < 5 * sigma, `rate ${rate}: kept ${kept}`);
    t.true(mask.every((m) => m === 0 || m === 1));
    const expected = Array.from(x.data, (v, i) => (mask[i] ? v / (1 - rate) : 0));
    t.true(maxRelError(y.data, expected, 1e-7, 1e-6) <= 1);
  }
});

test('the mask depends on the seed alone: same seed same mask, other seeds differ', (t) => {
  const x = randomTensor(10_007, 2);
  const a = ops.dropout(x, 0.5, 7).mask, b = ops.dropout(randomTensor(10_007, 3), 0.5, 7).mask;
  t.deepEqual(a, b);
  for (const seed of [8, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
    const c = ops.dropout(x, 0.5, seed).mask;
    // Independent masks at rate 0.5 differ in about half the places.
    const differ = c.reduce((s, m, i) => s + (m !== a[i] ? 1 : 0), 0) / c.length;
    t.true(Math.abs(differ - 0.5) < 0.03, `seed ${seed}: ${differ}`);
  }
  // A prefix of a longer tensor gets the same mask: element i depends on (seed, i) only.
  const longer = ops.dropout(randomTensor(20_000, 4), 0.5, 7).mask;
  t.deepEqual(longer.subarray(0, 10_007), a);
});

test('rate 0 is the identity; rates outside [0, 1) and bad seeds are errors', (t) => {
  const x = randomTensor(1_001, 5);
  const { y, mask } = ops.dropout(x, 0, 1);
  t.deepEqual(y.data, x.data);
  t.true(mask.every((m) => m === 1));
  for (const rate of [1, -0.1, NaN, 1.5]) {
    t.throws(() => ops.dropout(x, rate, 1), { instanceOf: RangeError, message: `dropout: rate must be in [0, 1), got ${rate}` });
  }
  t.throws(() => ops.dropoutBackward(x, mask, 1), { instanceOf: RangeError, message: /dropoutBackward: rate must be in \[0, 1\)/ });
  for (const seed of [-1, 0.5, 2 ** 53]) t.throws(() => ops.dropout(x, 0.5, seed), { instanceOf: RangeError, message: /seed must be an integer/ });
});

test('dropoutBackward matches the forward mask and central finite differences', (t) => {
  for (const n of [1, 7, 1_003]) {
    const rate = 0.4, seed = 99;
    const x = randomTensor(n, 10 + n), dy = randomTensor(n, 20 + n);
    const { mask } = ops.dropout(x, rate, seed);
    const dx = ops.dropoutBackward(dy, mask, rate);
    // L(x) = sum dy * dropout(x) with the same seed, differentiated numerically per element.
    const L = (v: Float32Array) => ops.dropout(tensor(v), rate, seed).y.data.reduce((a, yi, i) => a + dy.data[i] * yi, 0);
    const fd = Array.from(x.data, (v, i) => {
      const plus = x.data.slice(), minus = x.data.slice();
      plus[i] = v + 0.25;
      minus[i] = v - 0.25;
      return (L(plus) - L(minus)) / 0.5;
    });
    t.true(maxRelError(dx.data, fd, 1e-3, 1e-3) <= 1, `n=${n}`);
  }
});

test('dropout writes preallocated outputs and checks sizes', (t) => {
  const x = randomTensor(33, 6);
  const out = new Tensor(new Float32Array(33), [33]), mask = new Uint8Array(33);
  const r = ops.dropout(x, 0.2, 3, { out, mask });
  t.is(r.y, out);
  t.is(r.mask, mask);
  const dx = new Tensor(new Float32Array(33), [33]);
  t.is(ops.dropoutBackward(x, mask, 0.2, dx), dx);
  t.throws(() => ops.dropout(x, 0.2, 3, { mask: new Uint8Array(32) }), {
    instanceOf: RangeError, message: 'dropout: mask has 32 elements, expected 33 (the size of x)',
  });
  t.throws(() => ops.dropoutBackward(x, new Uint8Array(5), 0.2), { instanceOf: RangeError, message: /mask has 5 elements, expected 33/ });
  t.throws(() => ops.dropout(x, 0.2, 3, { out: tensor(new Float32Array(3)) }), {
    instanceOf: RangeError, message: 'dropout: out has shape [3], expected [33] (the shape of x)',
  });
});

test('the mask and outputs do not depend on the thread count', (t) => {
  const runs = ['1', '2'].map((threads) => {
    const run = runFixture('dropout-threads.ts', { CONVKIT_NUM_THREADS: threads });
    t.is(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { threads: number; kept: number; mask: string; y: string; dx: string };
  });
  t.deepEqual(runs.map((r) => r.threads), [1, 2]);
  const [one, two] = runs;
  t.deepEqual({ ...one, threads: 0 }, { ...two, threads: 0 });
  t.true(Math.abs(one.kept / 1_000_003 - 0.7) < 0.005);
});
