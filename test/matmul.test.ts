// ops.matmul, ops.linear and ops.linearBackward against float64 loops and central finite
// differences, under every ISA; shape errors.
import test from 'ava';
import { ops, tensor, zeros, full, type Tensor } from '../lib';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

const random = (shape: number[], r: () => number) => tensor(randomArray(shape.reduce((a, b) => a * b, 1), r), shape);

// y[n, o] = Σ_i x[n, i] w[o, i] + b[o], in float64.
function linearRef(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, N: number, I: number, O: number) {
  const y = new Float64Array(N * O);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < I; i++) s += x[n * I + i] * w[o * I + i];
    y[n * O + o] = s;
  }
  return y;
}

forEachIsa('matmul matches float64 for all transposes, alpha, beta and out', (t) => {
  const r = rng(1);
  for (const [M, N, K] of [[1, 1, 1], [7, 33, 19], [64, 10, 300], [3, 129, 1]]) {
    for (const ta of [false, true]) for (const tb of [false, true]) {
      const a = random(ta ? [K, M] : [M, K], r), b = random(tb ? [N, K] : [K, N], r);
      const c0 = random([M, N], r);
      const expected = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ta ? k * M + i : i * K + k] * b.data[tb ? j * K + k : k * N + j];
        expected[i * N + j] = 0.5 * s - 2 * c0.data[i * N + j];
      }
      const out = c0.clone();
      const c = ops.matmul(a, b, { transposeA: ta, transposeB: tb, alpha: 0.5, beta: -2, out });
      t.is(c, out);
      t.deepEqual(c.shape, [M, N]);
      t.true(maxRelError(c.data, expected) <= 1, `${M}x${N}x${K} ${ta} ${tb}`);
      const fresh = ops.matmul(a, b, { transposeA: ta, transposeB: tb, out: full([M, N], NaN) });
      t.true(fresh.data.every((v) => Number.isFinite(v)), 'beta = 0 ignores NaN in out');
    }
  }
});

test('matmul with an empty inner dimension gives beta C', (t) => {
  t.deepEqual([...ops.matmul(zeros([2, 0]), zeros([0, 3])).data], [0, 0, 0, 0, 0, 0]);
  const out = full([1, 2], 4);
  ops.matmul(zeros([1, 0]), zeros([0, 2]), { beta: 0.5, out });
  t.deepEqual([...out.data], [2, 2]);
});

forEachIsa('linear matches float64, with and without bias and out', (t) => {
  const r = rng(2);
  for (const [N, I, O] of [[1, 1, 1], [64, 400, 120], [5, 17, 33], [2, 3, 1]]) {
    const x = random([N, I], r), w = random([O, I], r), b = random([O], r);
    const y = ops.linear(x, w, b);
    t.deepEqual(y.shape, [N, O]);
    t.true(maxRelError(y.data, linearRef(x.data, w.data, b.data, N, I, O)) <= 1);
    const out = full([N, O], NaN);
    t.is(ops.linear(x, w, null, out), out);
    t.true(maxRelError(out.data, linearRef(x.data, w.data, null, N, I, O)) <= 1);
  }
});

forEachIsa('linearBackward matches float64: dx overwritten, dw and db accumulated', (t) => {
  const r = rng(3);
  for (const [N, I, O] of [[1, 1, 1], [64, 400, 120], [7, 13, 29]]) {
    const x = random([N, I], r), w = random([O, I], r), dy = random([N, O], r);
    const dw0 = random([O, I], r), db0 = random([O], r);
    const dw = dw0.clone(), db = db0.clone(), dx = full([N, I], NaN);
    const grads = ops.linearBackward(x, w, dy, { dx, dw, db });
    t.is(grads.dx, dx);
    t.is(grads.dw, dw);
    t.is(grads.db, db);
    const dxRef = new Float64Array(N * I), dwRef = Float64Array.from(dw0.data), dbRef = Float64Array.from(db0.data);
    for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
      const g = dy.data[n * O + o];
      dbRef[o] += g;
      for (let i = 0; i < I; i++) {
        dxRef[n * I + i] += g * w.data[o * I + i];
        dwRef[o * I + i] += g * x.data[n * I + i];
      }
    }
    t.true(maxRelError(dx.data, dxRef, 1e-5 * Math.sqrt(O)) <= 1, 'dx');
    t.true(maxRelError(dw.data, dwRef, 1e-5 * Math.sqrt(N)) <= 1, 'dw');
    t.true(maxRelError(db.data, dbRef, 1e-5 * Math.sqrt(N)) <= 1, 'db');
    const noDx = ops.linearBackward(x, w, dy, { dw: zeros([O, I]), needDx: false });
    t.is(noDx.dx, null);
    t.is(noDx.db, null);
  }
});

forEachIsa('linearBackward matches central finite differences of L = Σ g ⊙ linear(x, w, b)', (t) => {
  const r = rng(4);
  const N = 3, I = 5, O = 4, eps = 1e-3;
  const x = random([N, I], r), w = random([O, I], r), b = random([O], r), g = random([N, O], r);
  const loss = (xd: ArrayLike<number>, wd: ArrayLike<number>, bd: ArrayLike<number>) =>
    linearRef(xd, wd, bd, N, I, O).reduce((s, y, k) => s + y * g.data[k], 0);
  const numeric = (which: Tensor) => Array.from(which.data, (_, k) => {
    const at = (delta: number) => {
      const p = Float64Array.from(which.data);
      p[k] += delta;
      return loss(which === x ? p : x.data, which === w ? p : w.data, which === b ? p : b.data);
    };
    return (at(eps) - at(-eps)) / (2 * eps);
  });
  const { dx, dw, db } = ops.linearBackward(x, w, g, { dw: zeros([O, I]), db: zeros([O]) });
  t.true(maxRelError(dx!.data, numeric(x), 1e-4, 1e-3) <= 1, 'dx');
  t.true(maxRelError(dw.data, numeric(w), 1e-4, 1e-3) <= 1, 'dw');
  t.true(maxRelError(db!.data, numeric(b), 1e-4, 1e-3) <= 1, 'db');
});

test('shape errors name the argument and both shapes', (t) => {
  const x = zeros([2, 3]), w = zeros([4, 3]);
  t.throws(() => ops.matmul(zeros([2, 3]), zeros([4, 5])), {
    instanceOf: RangeError, message: 'matmul: inner dimensions differ: a [2, 3] times b [4, 5]',
  });
  t.throws(() => ops.matmul(zeros([2, 3]), zeros([4, 5]), { transposeB: true }), {
    instanceOf: RangeError, message: 'matmul: inner dimensions differ: a [2, 3] times bᵀ [5, 4]',
  });
  t.throws(() => ops.matmul(zeros([2, 3, 1]), w), { instanceOf: RangeError, message: 'matmul: a must be 2-D, got shape [2, 3, 1]' });
  t.throws(() => ops.matmul(x, w, { transposeB: true, out: zeros([4, 2]) }), {
    instanceOf: RangeError, message: 'matmul: out has shape [4, 2], expected [2, 4] (a [2, 3], b [4, 3])',
  });
  t.throws(() => ops.linear(x, zeros([4, 2]), null), {
    instanceOf: RangeError, message: 'linear: w [4, 2] must be [out, in] with in = 3 of x [2, 3]',
  });
  t.throws(() => ops.linear(x, w, zeros([3])), { instanceOf: RangeError, message: 'linear: b has shape [3], expected [4] (w [4, 3])' });
  t.throws(() => ops.linear(x, w, null, zeros([2, 3])), {
    instanceOf: RangeError, message: 'linear: out has shape [2, 3], expected [2, 4] (x [2, 3], w [4, 3])',
  });
  t.throws(() => ops.linearBackward(x, w, zeros([2, 3]), { dw: zeros([4, 3]) }), {
    instanceOf: RangeError, message: 'linearBackward: dy has shape [2, 3], expected [2, 4] (x [2, 3], w [4, 3])',
  });
  t.throws(() => ops.linearBackward(x, w, zeros([2, 4]), { dw: zeros([3, 4]) }), {
    instanceOf: RangeError, message: 'linearBackward: dw has shape [3, 4], expected [4, 3] (w [4, 3])',
  });
  t.throws(() => ops.linearBackward(x, w, zeros([2, 4]), { dw: zeros([4, 3]), db: zeros([3]) }), {
    instanceOf: RangeError, message: 'linearBackward: db has shape [3], expected [4] (w [4, 3])',
  });
  t.throws(() => ops.linearBackward(x, w, zeros([2, 4]), { dw: zeros([4, 3]), dx: zeros([3, 2]) }), {
    instanceOf: RangeError, message: 'linearBackward: dx has shape [3, 2], expected [2, 3] (x [2, 3])',
  });
  t.throws(() => ops.matmul([1, 2] as unknown as Tensor, w), { instanceOf: TypeError, message: 'matmul: a must be a Tensor' });
});
