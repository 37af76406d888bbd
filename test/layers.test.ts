import test, { type ExecutionContext } from 'ava';
import { Tensor, type Shape } from '../lib';
import {
  AvgPool2D, BatchNorm2D, Concat, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D, Layer, MaxPool2D, ReLU, Sigmoid,
  Softmax, Tanh, layerFromConfig, layers,
} from '../lib/layers';
import { l2 } from '../lib/regularizers';
import { Random } from '../lib/random';
import { gradCheck } from './helpers/gradcheck';
import { randomArray, rng } from './helpers/random';

/** Distinct values at least `gap` apart and away from 0 (no ReLU or max-pool kink within eps). */
function separated(n: number, random: () => number, gap = 0.05): Float32Array {
  const a = Float32Array.from({ length: n }, (_, k) => (k - n / 2 + 0.5) * gap);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function batch(shape: Shape, random: () => number, kinked = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(kinked ? separated(n, random) : randomArray(n, random), shape);
}

/** Every input and parameter gradient of `layer` against central differences. */
function checkLayer(t: ExecutionContext, layer: Layer, shapes: Shape[], { training = true, kinked = false } = {}): void {
  const random = rng(11);
  const xs = shapes.map((s) => batch(s, random, kinked));
  layer.build(shapes.map((s) => s.slice(1)), new Random(5));
  // Random non-default parameters (e.g. BatchNorm's gamma = 1, beta = 0) make a stronger test.
  for (const p of layer.parameters()) p.value.data.set(randomArray(p.size, random, 0.5).map((v) => v + (p.name.endsWith('gamma') ? 1 : 0)));
  let dxs: (Tensor | null)[] = [];
  gradCheck(t, {
    forward: () => layer.forward(xs, { training, seed: 3 }),
    backward: (dy) => {
      layer.zeroGrad();
      dxs = layer.backward(dy);
    },
    checked: [
      ...xs.map((x, i) => ({ name: `${layer.name} dx${i}`, values: x.data, grad: () => dxs[i]!.data })),
      ...layer.parameters().map((p) => ({ name: p.name, values: p.value.data, grad: () => p.grad.data })),
    ],
  });
}

test('Conv2D backward matches finite differences (stride, padding, bias)', (t) => {
  checkLayer(t, new Conv2D({ filters: 3, kernelSize: 3, stride: 2, padding: 1 }), [[2, 4, 7, 6]]);
});

test('Conv2D backward matches finite differences (groups, dilation, no bias, same)', (t) => {
  checkLayer(t, new Conv2D({ filters: 4, kernelSize: [3, 2], dilation: 2, groups: 2, padding: 'same', useBias: false }), [[2, 4, 7, 7]]);
});

test('Dense backward matches finite differences', (t) => {
  checkLayer(t, new Dense({ units: 5 }), [[3, 7]]);
});

test('MaxPool2D backward matches finite differences', (t) => {
  checkLayer(t, new MaxPool2D({ poolSize: 2 }), [[2, 3, 6, 5]], { kinked: true });
  checkLayer(t, new MaxPool2D({ kernelSize: 3, stride: 2, padding: 1 }), [[1, 2, 7, 7]], { kinked: true });
});

test('AvgPool2D backward matches finite differences', (t) => {
  checkLayer(t, new AvgPool2D({ poolSize: 3, strides: 2, padding: 1 }), [[2, 3, 7, 6]]);
  checkLayer(t, new AvgPool2D({ poolSize: 3, strides: 2, padding: 1, countIncludePad: false }), [[2, 3, 7, 6]]);
});

test('GlobalAvgPool2D backward matches finite differences; output [C] or [C, 1, 1]', (t) => {
  const pool = new GlobalAvgPool2D();
  checkLayer(t, pool, [[2, 3, 4, 5]]);
  t.deepEqual(pool.outputShape, [3]);
  const keep = new GlobalAvgPool2D({ keepDims: true });
  checkLayer(t, keep, [[2, 3, 4, 5]]);
  t.deepEqual(keep.outputShape, [3, 1, 1]);
});

test('Flatten is a view and passes gradients through', (t) => {
  const flatten = new Flatten();
  const x = batch([2, 3, 2, 2], rng(1));
  const y = flatten.forward(x);
  t.deepEqual(y.shape, [2, 12]);
  t.is(y.data, x.data);
  checkLayer(t, new Flatten(), [[2, 3, 2, 2]]);
});

test('activation layers backward match finite differences', (t) => {
  checkLayer(t, new ReLU(), [[2, 3, 4, 4]], { kinked: true });
  checkLayer(t, new Sigmoid(), [[2, 3, 4, 4]]);
  checkLayer(t, new Tanh(), [[2, 3, 4, 4]]);
  checkLayer(t, new Softmax(), [[3, 6]]);
});

test('Dropout: training masks reproducibly and scales by 1/(1 - rate); inference is the identity', (t) => {
  checkLayer(t, new Dropout({ rate: 0.3, seed: 9 }), [[4, 50]]);
  const drop = new Dropout({ rate: 0.25, seed: 1 });
  const x = new Tensor(new Float32Array(4000).fill(1), [4, 1000]);
  t.is(drop.forward(x), x);
  const y = drop.forward(x, { training: true, seed: 5 }).clone();
  const kept = y.data.filter((v) => v !== 0);
  t.true(Math.abs(kept.length / 4000 - 0.75) < 0.03, `kept ${kept.length / 4000}`);
  t.true(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-6));
  t.deepEqual(drop.forward(x, { training: true, seed: 5 }).data, y.data);
  t.notDeepEqual(drop.forward(x, { training: true, seed: 6 }).data, y.data);
  // Without a per-call seed, successive calls draw different masks.
  t.notDeepEqual(drop.forward(x, { training: true }).clone().data, drop.forward(x, { training: true }).data);
});

test('Concat backward splits the gradient; its output stacks the channels', (t) => {
  const concat = new Concat();
  checkLayer(t, concat, [[2, 2, 3, 3], [2, 1, 3, 3], [2, 3, 3, 3]]);
  t.deepEqual(concat.outputShape, [6, 3, 3]);
  const a = batch([1, 1, 1, 2], rng(2));
  const b = batch([1, 2, 1, 2], rng(3));
  const y = new Concat().forward([a, b]);
  t.deepEqual([...y.data], [...a.data, ...b.data]);
});

test('BatchNorm2D backward matches finite differences in training and inference', (t) => {
  checkLayer(t, new BatchNorm2D(), [[3, 2, 3, 3]]);
  checkLayer(t, new BatchNorm2D(), [[3, 2, 3, 3]], { training: false });
  checkLayer(t, new BatchNorm2D(), [[5, 4]]);
});

test('BatchNorm2D normalizes per channel in training and updates the running statistics', (t) => {
  const bn = new BatchNorm2D({ momentum: 0.5 });
  const x = batch([4, 2, 3, 3], rng(4));
  for (let i = 0; i < x.size; i++) x.data[i] = 3 + 2 * x.data[i];
  const y = bn.forward(x, { training: true });
  for (let c = 0; c < 2; c++) {
    const values = [0, 1, 2, 3].flatMap((n) => [...y.data.subarray((n * 2 + c) * 9, (n * 2 + c + 1) * 9)]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    t.true(Math.abs(mean) < 1e-5 && Math.abs(variance - 1) < 1e-3, `channel ${c}: mean ${mean}, var ${variance}`);
  }
  const [, , runningMean, runningVar] = bn.getWeights();
  t.true(Math.abs(runningMean.data[0] - 1.5) < 0.5, `running mean moved halfway to ~3: ${runningMean.data[0]}`);
  t.true(runningVar.data[0] > 1, `running var ${runningVar.data[0]}`);
  t.deepEqual(bn.namedWeights().map((w) => w.name), [`${bn.name}/gamma`, `${bn.name}/beta`, `${bn.name}/runningMean`, `${bn.name}/runningVar`]);
  t.is(bn.parameters().length, 2);
});

test('a frozen BatchNorm2D runs in inference mode and keeps its running statistics', (t) => {
  const bn = new BatchNorm2D({ momentum: 0.5 });
  const x = batch([4, 2, 3, 3], rng(4));
  for (let i = 0; i < x.size; i++) x.data[i] = 3 + 2 * x.data[i];
  bn.forward(x, { training: true }); // moves the running statistics away from (0, 1)
  bn.trainable = false;
  const before = bn.getWeights().map((w) => Array.from(w.data));
  const frozen = Array.from(bn.forward(x, { training: true }).data);
  t.deepEqual(bn.getWeights().map((w) => Array.from(w.data)), before);
  t.deepEqual(frozen, Array.from(bn.forward(x, { training: false }).data));
  bn.trainable = true;
  bn.forward(x, { training: true });
  t.notDeepEqual(bn.getWeights().map((w) => Array.from(w.data)), before);
});

test('gradients accumulate into param.grad across backward calls', (t) => {
  const dense = new Dense({ units: 3 });
  const x = batch([2, 4], rng(5));
  dense.forward(x);
  const dy = batch([2, 3], rng(6));
  dense.backward(dy);
  const once = dense.parameters().map((p) => p.grad.clone());
  dense.backward(dy);
  dense.parameters().forEach((p, i) => t.true(p.grad.data.every((g, j) => Math.abs(g - 2 * once[i].data[j]) < 1e-5)));
  dense.zeroGrad();
  t.true(dense.parameters().every((p) => p.grad.data.every((g) => g === 0)));
});

test('weights use PyTorch layouts: OIHW kernels, Dense [out, in]', (t) => {
  const conv = new Conv2D({ filters: 8, kernelSize: [3, 5], groups: 2 });
  conv.build([[4, 9, 9]]);
  t.deepEqual(conv.getWeights().map((w) => w.shape), [[8, 2, 3, 5], [8]]);
  const dense = new Dense({ units: 7, useBias: false });
  dense.build([[10]]);
  t.deepEqual(dense.getWeights().map((w) => w.shape), [[7, 10]]);
  // setWeights copies in and checks shapes.
  const w = new Tensor(Float32Array.from({ length: 70 }, (_, i) => i), [7, 10]);
  dense.setWeights([w]);
  const y = dense.forward(new Tensor(Float32Array.from({ length: 10 }, (_, i) => (i === 2 ? 1 : 0)), [1, 10]));
  t.deepEqual([...y.data], [2, 12, 22, 32, 42, 52, 62]);
  const err = t.throws(() => dense.setWeights([new Tensor(new Float32Array(70), [10, 7])]));
  t.regex(err!.message, /Dense '.*'.*\[7, 10\].*\[10, 7\]/);
});

test('kernelRegularizer sets the kernel penalty only; trainable = false freezes every parameter', (t) => {
  const conv = new Conv2D({ filters: 2, kernelSize: 1, kernelRegularizer: l2(0.01) });
  conv.build([[3, 4, 4]]);
  t.deepEqual(conv.parameters().map((p) => p.penalty), [{ l1: 0, l2: 0.01 }, null]);
  const dense = new Dense({ units: 2, kernelRegularizer: { l1: 0.5, l2: 0 }, trainable: false });
  dense.build([[3]]);
  t.deepEqual(dense.parameters().map((p) => p.penalty), [{ l1: 0.5, l2: 0 }, null]);
  t.true(dense.parameters().every((p) => !p.trainable));
  dense.trainable = true;
  t.true(dense.parameters().every((p) => p.trainable));
});

test('shape errors name the layer and both shapes', (t) => {
  const dense = new Dense({ units: 3, name: 'fc' });
  t.regex(t.throws(() => dense.build([[16, 5, 5]]))!.message, /Dense 'fc'.*\[16, 5, 5\].*Flatten/);
  const conv = new Conv2D({ filters: 3, kernelSize: 5, name: 'c5' });
  t.regex(t.throws(() => conv.build([[1, 3, 3]]))!.message, /Conv2D 'c5'.*\[3, 1, 5, 5\].*\[1, 3, 3\]/);
  const grouped = new Conv2D({ filters: 4, kernelSize: 1, groups: 2, name: 'g' });
  t.regex(t.throws(() => grouped.build([[3, 4, 4]]))!.message, /Conv2D 'g'.*channels 3.*groups \(2\)/);
  const cat = new Concat({ name: 'cat' });
  t.regex(t.throws(() => cat.build([[4, 8, 8], [2, 4, 4]]))!.message, /Concat 'cat'.*input 1.*\[2, 4, 4\].*\[4, 8, 8\]/);
  const pool = new MaxPool2D({ poolSize: 4, name: 'mp' });
  t.regex(t.throws(() => pool.build([[2, 3, 3]]))!.message, /MaxPool2D 'mp'.*\[2, 3, 3\]/);
  const built = new ReLU({ name: 'r' });
  built.forward(batch([1, 4], rng(1)));
  t.regex(t.throws(() => built.forward(batch([1, 5], rng(1))))!.message, /ReLU 'r'.*\[4\].*\[5\]/);
  t.regex(t.throws(() => built.backward(batch([2, 4], rng(1))))!.message, /ReLU 'r'.*\[1, 4\].*\[2, 4\]/);
});

test('bad options are rejected with the option named', (t) => {
  t.throws(() => new Conv2D({ filters: 0, kernelSize: 3 }), { message: /filters/ });
  t.throws(() => new Conv2D({ filters: 2, kernelSize: [3] }), { message: /kernelSize/ });
  t.throws(() => new Dense({ units: 2.5 }), { message: /units/ });
  t.throws(() => new Dropout({ rate: 1 }), { message: /rate/ });
  t.throws(() => new MaxPool2D({}), { message: /poolSize/ });
  t.throws(() => new Dense({ units: 2, kernelInitializer: 'nope' }), { message: /unknown initializer 'nope'/ });
  t.throws(() => new Dense({ units: 2, name: 'a/b' }), { message: /layer name/ });
});

test('every layer round-trips through toConfig and the registry', (t) => {
  const all: Layer[] = [
    layers.conv2d({ filters: 4, kernelSize: 3, stride: 2, padding: 'same', dilation: 1, groups: 2, kernelInitializer: 'heNormal', kernelRegularizer: l2(0.1) }),
    layers.maxPool2d({ poolSize: 2 }),
    layers.avgPool2d({ poolSize: 3, strides: 1, padding: 1, countIncludePad: false }),
    layers.globalAvgPool2d({ keepDims: true }),
    layers.dense({ units: 3, useBias: false, trainable: false }),
    layers.flatten(),
    layers.dropout({ rate: 0.5, seed: 4 }),
    layers.relu(),
    layers.sigmoid(),
    layers.tanh(),
    layers.softmax(),
    layers.concat({ axis: 2 }),
    layers.batchNorm2d({ momentum: 0.2, epsilon: 1e-3 }),
  ];
  for (const layer of all) {
    const config = JSON.parse(JSON.stringify(layer.toConfig()));
    const copy = layerFromConfig(config);
    t.is(copy.constructor, layer.constructor);
    t.deepEqual(copy.toConfig(), layer.toConfig());
  }
  t.throws(() => layerFromConfig({ className: 'Evil', config: {} }), { message: /unknown layer class 'Evil'/ });
  t.throws(() => layerFromConfig({ className: '__proto__', config: {} }), { message: /unknown layer class/ });
});
