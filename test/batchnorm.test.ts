import test from 'ava';
import { ops, tensor, Tensor, type Shape } from '../lib';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);
const randomTensor = (shape: Shape, seed: number, scale = 1, offset = 0) =>
  tensor(randomArray(size(shape), rng(seed), scale).map((v) => v + offset), shape);

// Odd sizes, batch 1, and [N, C] (BatchNorm1d-style).
const SHAPES: Shape[] = [[2, 3, 5, 7], [1, 4, 3, 3], [5, 6], [3, 2, 1, 9]];
const EPS = 1e-5;

interface Reference { y: number[]; mean: number[]; varBiased: number[]; varUnbiased: number[] }

// Batch normalisation in float64 with batch statistics (training) or the given ones.
function batchNorm64(x: ArrayLike<number>, shape: Shape, gamma: ArrayLike<number>, beta: ArrayLike<number>,
  stats?: { mean: ArrayLike<number>; variance: ArrayLike<number> }): Reference {
  const [N, C] = shape, S = size(shape.slice(2)), M = N * S;
  const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
  const y = new Array<number>(x.length), mean: number[] = [], varBiased: number[] = [], varUnbiased: number[] = [];
  for (let c = 0; c < C; c++) {
    let m = 0, v = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) m += x[at(n, c, s)] / M;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) v += (x[at(n, c, s)] - m) ** 2 / M;
    mean.push(m);
    varBiased.push(v);
    varUnbiased.push((v * M) / (M - 1));
    const useMean = stats ? stats.mean[c] : m, useVar = stats ? stats.variance[c] : v;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) {
      y[at(n, c, s)] = (gamma[c] * (x[at(n, c, s)] - useMean)) / Math.sqrt(useVar + EPS) + beta[c];
    }
  }
  return { y, mean, varBiased, varUnbiased };
}

function setup(shape: Shape, seed: number, offset = 0) {
  const C = shape[1];
  return {
    x: randomTensor(shape, seed, 2, offset), gamma: randomTensor([C], seed + 1, 1, 1), beta: randomTensor([C], seed + 2),
    runningMean: randomTensor([C], seed + 3), runningVar: randomTensor([C], seed + 4, 0.5, 1),
  };
}

forEachIsa('training forward normalises with batch statistics and updates running statistics', (t) => {
  for (const [i, shape] of SHAPES.entries()) {
    for (const offset of [0, 1e3]) {
      const { x, gamma, beta, runningMean, runningVar } = setup(shape, 10 * i, offset);
      const rm0 = Array.from(runningMean.data), rv0 = Array.from(runningVar.data);
      const ref = batchNorm64(x.data, shape, gamma.data, beta.data);
      const { y, saveMean, saveInvStd } = ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training: true, momentum: 0.2 });
      t.true(maxRelError(y.data, ref.y, 1e-4, 1e-4) <= 1, `${shape} offset ${offset}`);
      t.true(maxRelError(saveMean.data, ref.mean, 1e-6, 1e-6) <= 1);
      t.true(maxRelError(saveInvStd.data, ref.varBiased.map((v) => 1 / Math.sqrt(v + EPS)), 1e-6, 1e-5) <= 1);
      t.true(maxRelError(runningMean.data, rm0.map((r, c) => 0.8 * r + 0.2 * ref.mean[c]), 1e-6, 1e-6) <= 1);
      t.true(maxRelError(runningVar.data, rv0.map((r, c) => 0.8 * r + 0.2 * ref.varUnbiased[c]), 1e-6, 1e-5) <= 1);
    }
  }
});

forEachIsa('inference forward uses the running statistics and leaves them alone', (t) => {
  for (const [i, shape] of SHAPES.entries()) {
    const { x, gamma, beta, runningMean, runningVar } = setup(shape, 100 + 10 * i);
    const rm0 = runningMean.data.slice(), rv0 = runningVar.data.slice();
    const out = new Tensor(new Float32Array(x.size), shape);
    const { y } = ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training: false, out });
    t.is(y, out);
    const ref = batchNorm64(x.data, shape, gamma.data, beta.data, { mean: rm0, variance: rv0 });
    t.true(maxRelError(y.data, ref.y, 1e-5, 1e-5) <= 1, `${shape}`);
    t.deepEqual(runningMean.data, rm0);
    t.deepEqual(runningVar.data, rv0);
  }
});

// Central differences of L = sum dy * batchNorm64(...) with respect to every entry of `v`.
function numericGrad(v: ArrayLike<number>, L: (w: number[]) => number, h = 1e-4): number[] {
  const base = Array.from(v);
  return base.map((_, i) => {
    const plus = base.slice(), minus = base.slice();
    plus[i] += h;
    minus[i] -= h;
    return (L(plus) - L(minus)) / (2 * h);
  });
}

forEachIsa('backward (training and inference) matches central finite differences; dgamma and dbeta accumulate', (t) => {
  for (const [i, shape] of SHAPES.entries()) {
    for (const training of [true, false]) {
      const { x, gamma, beta, runningMean, runningVar } = setup(shape, 200 + 10 * i);
      const stats = training ? undefined : { mean: runningMean.data.slice(), variance: runningVar.data.slice() };
      const { saveMean, saveInvStd } = ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training });
      const dy = randomTensor(shape, 300 + i);
      const C = shape[1];
      const dgamma0 = randomTensor([C], 400 + i), dbeta0 = randomTensor([C], 500 + i);
      const dgamma = dgamma0.clone(), dbeta = dbeta0.clone();
      const { dx } = ops.batchNorm2dBackward(x, dy, gamma, saveMean, saveInvStd, { training, dgamma, dbeta });
      const loss = (xv: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) =>
        batchNorm64(xv, shape, g, b, stats).y.reduce((a, yi, j) => a + dy.data[j] * yi, 0);
      const what = `${shape} training=${training}`;
      t.true(maxRelError(dx!.data, numericGrad(x.data, (v) => loss(v, gamma.data, beta.data)), 1e-3, 1e-3) <= 1, `dx ${what}`);
      const fdGamma = numericGrad(gamma.data, (g) => loss(x.data, g, beta.data)).map((g, c) => g + dgamma0.data[c]);
      const fdBeta = numericGrad(beta.data, (b) => loss(x.data, gamma.data, b)).map((g, c) => g + dbeta0.data[c]);
      t.true(maxRelError(dgamma.data, fdGamma, 1e-3, 1e-3) <= 1, `dgamma ${what}`);
      t.true(maxRelError(dbeta.data, fdBeta, 1e-3, 1e-3) <= 1, `dbeta ${what}`);
    }
  }
});

test('needDx: false skips dx; new dgamma/dbeta start at zero', (t) => {
  const shape = [2, 3, 4, 4];
  const { x, gamma, beta, runningMean, runningVar } = setup(shape, 600);
  const { saveMean, saveInvStd } = ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training: true });
  const dy = randomTensor(shape, 601);
  const full = ops.batchNorm2dBackward(x, dy, gamma, saveMean, saveInvStd, { training: true });
  const skipped = ops.batchNorm2dBackward(x, dy, gamma, saveMean, saveInvStd, { training: true, needDx: false });
  t.is(skipped.dx, null);
  t.deepEqual(skipped.dgamma.data, full.dgamma.data);
  t.deepEqual(skipped.dbeta.data, full.dbeta.data);
});

test('bad shapes and values are clear errors', (t) => {
  const { x, gamma, beta, runningMean, runningVar } = setup([2, 3, 4, 4], 700);
  t.throws(() => ops.batchNorm2d(x, tensor(new Float32Array(4)), beta, runningMean, runningVar, { training: true }), {
    instanceOf: RangeError, message: 'batchNorm2d: gamma has shape [4], expected [3] (the channels of x)',
  });
  t.throws(() => ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training: true, momentum: 1.5 }), {
    instanceOf: RangeError, message: 'batchNorm2d: momentum must be in [0, 1], got 1.5',
  });
  t.throws(() => ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training: true, eps: 0 }), {
    instanceOf: RangeError, message: /eps must be a positive number/,
  });
  const single = randomTensor([1, 3, 1, 1], 701);
  t.throws(() => ops.batchNorm2d(single, gamma, beta, runningMean, runningVar, { training: true }), {
    instanceOf: RangeError, message: 'batchNorm2d: training needs more than one value per channel, x has shape [1, 3, 1, 1]',
  });
  t.notThrows(() => ops.batchNorm2d(single, gamma, beta, runningMean, runningVar, { training: false }));
  t.throws(() => ops.batchNorm2dBackward(x, randomTensor([2, 3, 4], 702), gamma, gamma, gamma, { training: true }), {
    instanceOf: RangeError, message: 'batchNorm2dBackward: dy has shape [2, 3, 4], expected [2, 3, 4, 4] (the shape of x)',
  });
});

test('training and inference outputs agree with the TensorFlow.js CPU backend', async (t) => {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const shape = [3, 5, 4, 6];
  const { x, gamma, beta, runningMean, runningVar } = setup(shape, 900);
  const rm0 = runningMean.data.slice(), rv0 = runningVar.data.slice();
  // TensorFlow.js normalises over the last axis: run it on x transposed to NHWC.
  const nhwc = tf.transpose(tf.tensor4d(x.data, shape as [number, number, number, number]), [0, 2, 3, 1]);
  const toNchw = (y: InstanceType<typeof tf.Tensor>) => tf.transpose(y, [0, 3, 1, 2]).dataSync();
  const moments = tf.moments(nhwc, [0, 1, 2]);
  const trained = ops.batchNorm2d(x, gamma, beta, runningMean, runningVar, { training: true });
  const tfTrained = toNchw(tf.batchNorm(nhwc, moments.mean, moments.variance, beta.data, gamma.data, EPS));
  t.true(maxRelError(trained.y.data, tfTrained, 1e-4, 1e-4) <= 1);
  const inferred = ops.batchNorm2d(x, gamma, beta, tensor(rm0), tensor(rv0), { training: false });
  const tfInferred = toNchw(tf.batchNorm(nhwc, rm0, rv0, beta.data, gamma.data, EPS));
  t.true(maxRelError(inferred.y.data, tfInferred, 1e-5, 1e-5) <= 1);
});
