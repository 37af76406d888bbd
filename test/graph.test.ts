import test from 'ava';
import { Tensor } from '../lib';
import { AvgPool2D, BatchNorm2D, Concat, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sigmoid, Tanh } from '../lib/layers';
import { Model, model } from '../lib/model';
import { sequential } from '../lib/sequential';
import { concat, input } from '../lib/functional';
import { manualSeed } from '../lib/random';
import { SoftmaxCrossEntropy } from '../lib/losses';
import { SGD } from '../lib/optimizers';
import { accuracy } from '../lib/metrics';
import { checkModelGradients } from './helpers/gradcheck';
import { forEachIsa } from './helpers/isa';
import { randomArray, rng } from './helpers/random';

function batch(shape: number[], seed: number): Tensor {
  return new Tensor(randomArray(shape.reduce((a, b) => a * b, 1), rng(seed)), shape);
}

/** Every parameter and the input gradient of `m` under softmax cross-entropy, against finite differences. */
const lenet5 = (seed = 1) =>
  sequential(
    [
      new Conv2D({ filters: 6, kernelSize: 5 }),
      new Tanh(),
      new AvgPool2D({ poolSize: 2 }),
      new Conv2D({ filters: 16, kernelSize: 5 }),
      new Tanh(),
      new AvgPool2D({ poolSize: 2 }),
      new Flatten(),
      new Dense({ units: 120 }),
      new Tanh(),
      new Dense({ units: 84 }),
      new Tanh(),
      new Dense({ units: 10 }),
    ],
    { inputShape: [1, 32, 32], name: 'lenet5', seed },
  );

test('LeNet-5 (6-16-120-84-10, 5x5 kernels, 32x32 input) has 61,706 parameters', (t) => {
  const m = lenet5();
  t.is(m.countParams(), 61706);
  t.deepEqual(m.outputShape, [10]);
  const text = m.summary({ print: false });
  t.regex(text, /Model: "lenet5"/);
  t.regex(text, /conv2d.* \(Conv2D\)\s+\(None, 6, 28, 28\)\s+156\n/);
  t.regex(text, /\(Dense\)\s+\(None, 120\)\s+48,120\n/);
  t.regex(text, /Total params: 61,706\nTrainable params: 61,706\nNon-trainable params: 0/);
  m.layers[0].trainable = false;
  t.regex(m.summary({ print: false }), /Trainable params: 61,550\nNon-trainable params: 156/);
  t.deepEqual(m.forward(batch([3, 1, 32, 32], 1)).shape, [3, 10]);
});

forEachIsa('whole-model gradients of a small conv net match finite differences', (t) => {
  const m = sequential(
    [new Conv2D({ filters: 3, kernelSize: 3, padding: 1 }), new ReLU(), new MaxPool2D({ poolSize: 2 }), new Flatten(), new Dense({ units: 4 })],
    { inputShape: [2, 6, 6], seed: 3 },
  );
  // A small eps: ReLU and max-pool kinks must not fall within ±eps of the evaluated points.
  checkModelGradients(t, m, batch([2, 2, 6, 6], 4), Int32Array.from([1, 3]), { eps: 1e-3 });
});

forEachIsa('two-branch DAG with Concat and shared tensors: gradients are summed and match finite differences', (t) => {
  const x = input([2, 5, 5]);
  const a = new Sigmoid().apply(new Conv2D({ filters: 2, kernelSize: 1 }).apply(x)); // smooth: no kinks within eps
  const b = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same' }).apply(x); // x feeds two layers
  const c = new Tanh().apply(a); // a feeds Tanh and Concat
  const joined = concat([a, b, c]);
  const y = new Dense({ units: 3 }).apply(new Flatten().apply(new Conv2D({ filters: 2, kernelSize: 3 }).apply(joined)));
  const m = model({ inputs: x, outputs: y, seed: 5 });
  t.deepEqual(m.layers.find((l) => l instanceof Concat)!.outputShape, [7, 5, 5]);
  checkModelGradients(t, m, batch([2, 2, 5, 5], 6), Int32Array.from([0, 2]));
});

test('an Inception module is a few lines; summary shows the connections', (t) => {
  const x = input([192, 28, 28], { name: 'image' });
  const conv = (filters: number, kernelSize: number, name: string) => new Conv2D({ filters, kernelSize, padding: 'same', name });
  const b1 = conv(64, 1, 'b1').apply(x);
  const b2 = conv(128, 3, 'b2').apply(conv(96, 1, 'b2_reduce').apply(x));
  const b3 = conv(32, 5, 'b3').apply(conv(16, 1, 'b3_reduce').apply(x));
  const b4 = conv(32, 1, 'b4').apply(new MaxPool2D({ poolSize: 3, strides: 1, padding: 1 }).apply(x));
  const m = model({ inputs: x, outputs: concat([b1, b2, b3, b4], { name: 'inception' }), name: 'inception3a', seed: 1 });
  t.deepEqual(m.outputShape, [256, 28, 28]);
  t.is(m.countParams(), 192 * 64 + 64 + (192 * 96 + 96) + (96 * 128 * 9 + 128) + (192 * 16 + 16) + (16 * 32 * 25 + 32) + (192 * 32 + 32));
  const text = m.summary({ print: false });
  t.regex(text, /Connected to/);
  t.regex(text, /inception \(Concat\)\s+\(None, 256, 28, 28\)\s+0\s+b1, b2, b3, b4/);
  t.deepEqual(m.forward(batch([1, 192, 28, 28], 2)).shape, [1, 256, 28, 28]);
});

test('shape errors at build time name the layer and both shapes', (t) => {
  const err = t.throws(() => sequential([new Conv2D({ filters: 4, kernelSize: 3 }), new Dense({ units: 2, name: 'head' })], { inputShape: [1, 8, 8] }));
  t.regex(err!.message, /Dense 'head': expects input \[features\], got \[4, 6, 6\]/);
  const x = input([3, 8, 8]);
  const a = new Conv2D({ filters: 2, kernelSize: 3 }).apply(x);
  t.regex(t.throws(() => concat([x, a], { name: 'join' }))!.message, /Concat 'join': input 1 has shape \[2, 6, 6\] but input 0 has \[3, 8, 8\]/);
  const m = sequential([new Flatten(), new Dense({ units: 2 })], { inputShape: [3, 4] });
  t.regex(t.throws(() => m.forward(batch([2, 4, 3], 1)))!.message, /input must be \[N, 3, 4\].*got \[2, 4, 3\]/);
  t.regex(t.throws(() => m.backward(batch([2, 2], 1)))!.message, /backward\(\) called before forward\(\)/);
  m.forward(batch([2, 3, 4], 1));
  t.regex(t.throws(() => m.backward(batch([3, 2], 1)))!.message, /expects dy \[2, 2\].*got \[3, 2\]/);
});

test('graph errors: stray inputs, reused layers, duplicate names, no layers', (t) => {
  const x = input([4]);
  const other = input([4]);
  const dense = new Dense({ units: 2, name: 'once' });
  dense.apply(x);
  t.regex(t.throws(() => dense.apply(x))!.message, /already used in a graph/);
  const joined = new Concat().apply([new Dense({ units: 2 }).apply(x), new Dense({ units: 2 }).apply(other)]);
  t.regex(t.throws(() => model({ inputs: x, outputs: joined }))!.message, /depends on input '.*', which is not the model's input/);
  const y = new Dense({ units: 1, name: 'dup' }).apply(new Dense({ units: 1, name: 'dup' }).apply(x));
  t.regex(t.throws(() => model({ inputs: x, outputs: y }))!.message, /two layers .* 'dup'/);
  t.regex(t.throws(() => model({ inputs: x, outputs: x }))!.message, /no layers/);
});

test('a seed makes construction deterministic; manualSeed does it globally', (t) => {
  const weights = (m: Model) => m.getWeights().map((w) => [...w.data]);
  t.deepEqual(weights(lenet5(7)), weights(lenet5(7)));
  t.notDeepEqual(weights(lenet5(7)), weights(lenet5(8)));
  const unseeded = () => sequential([new Dense({ units: 3 }), new Dropout({ rate: 0.5 }), new Dense({ units: 2 })], { inputShape: [5] });
  manualSeed(42);
  const a = unseeded();
  manualSeed(42);
  const b = unseeded();
  t.deepEqual(weights(a), weights(b));
  t.deepEqual(a.toConfig().layers[1].config.seed, b.toConfig().layers[1].config.seed);
});

test('buffers are reused per batch size; batch sizes are independent', (t) => {
  const m = sequential([new Conv2D({ filters: 2, kernelSize: 3 }), new ReLU(), new Flatten(), new Dense({ units: 3 })], { inputShape: [1, 5, 5], seed: 2 });
  const x5 = batch([5, 1, 5, 5], 3);
  const y5 = m.forward(x5);
  t.is(m.forward(x5), y5, 'same buffer for the same batch size');
  const x3 = new Tensor(x5.data.slice(0, 3 * 25), [3, 1, 5, 5]);
  const y3 = m.forward(x3).clone();
  t.deepEqual([...y3.data], [...y5.data.subarray(0, 9)]);
  t.is(m.forward(x5), y5, 'the batch-5 buffers survive a batch-3 call');
  const dy = batch([5, 3], 4);
  const dx = m.backward(dy, { inputGrad: true });
  m.forward(x5);
  t.is(m.backward(dy, { inputGrad: true }), dx, 'backward reuses its buffers too');
});

test('dropout masks follow the seed of the call; each Dropout layer draws its own', (t) => {
  const m = sequential([new Dropout({ rate: 0.5 }), new Flatten(), new Dropout({ rate: 0.5 })], { inputShape: [1, 40], seed: 1 });
  const ones = new Tensor(new Float32Array(2 * 40).fill(1), [2, 1, 40]);
  const first = m.forward(ones, { training: true, seed: 7 }).clone();
  t.deepEqual(m.forward(ones, { training: true, seed: 7 }).data, first.data);
  t.notDeepEqual(m.forward(ones, { training: true, seed: 8 }).data, first.data);
  t.true(first.data.some((v) => v === 4), 'kept by both layers: 1 / 0.5 / 0.5');
  t.true(first.data.some((v) => v === 0));
  t.is(m.forward(ones).data, ones.data, 'inference is the identity (no copy)');
  const copy = Model.fromConfig(m.toConfig());
  t.deepEqual(copy.forward(ones, { training: true, seed: 7 }).data, first.data, 'the dropout seeds are part of the config');
});

test('toConfig / fromConfig rebuilds the topology; with the weights it predicts the same', (t) => {
  const x = input([2, 6, 6]);
  const a = new BatchNorm2D().apply(new Conv2D({ filters: 3, kernelSize: 3, padding: 1 }).apply(x));
  const b = new MaxPool2D({ poolSize: 2 }).apply(new Concat().apply([a, x]));
  const m = model({ inputs: x, outputs: new Dense({ units: 4 }).apply(new Flatten().apply(b)), name: 'net', seed: 1 });
  const data = batch([2, 2, 6, 6], 1);
  m.forward(data, { training: true }); // moves the running statistics away from their defaults
  const config = JSON.parse(JSON.stringify(m.toConfig()));
  const copy = Model.fromConfig(config);
  t.deepEqual(copy.toConfig(), m.toConfig());
  copy.setWeights(m.getWeights());
  t.deepEqual([...copy.forward(data).data], [...m.forward(data).data]);
  t.deepEqual(copy.parameters().map((p) => p.name), m.parameters().map((p) => p.name));
  t.throws(() => Model.fromConfig({ ...config, layers: [{ className: 'Nope', config: {}, inbound: [config.input.name] }] }), { message: /unknown layer class 'Nope'/ });
  t.throws(() => Model.fromConfig({ ...config, layers: [{ ...config.layers[0], inbound: ['ghost'] }] }), { message: /reads 'ghost'/ });
  t.throws(() => Model.fromConfig({ ...config, version: 99 }), { message: /version 99/ });
});

test('a frozen layer keeps its weights bit-identical through an optimizer step', (t) => {
  const m = sequential([new Conv2D({ filters: 2, kernelSize: 3, name: 'frozen' }), new ReLU(), new Flatten(), new Dense({ units: 3 })], { inputShape: [1, 5, 5], seed: 4 });
  m.getLayer('frozen').trainable = false;
  const before = m.getWeights();
  const optimizer = new SGD(m.parameters(), { lr: 0.5 });
  const loss = new SoftmaxCrossEntropy();
  m.zeroGrad();
  m.backward(loss.compute(m.forward(batch([4, 1, 5, 5], 5), { training: true }), Int32Array.from([0, 1, 2, 0])).grad);
  optimizer.step();
  const after = m.getWeights();
  t.deepEqual(after[0].data, before[0].data);
  t.deepEqual(after[1].data, before[1].data);
  t.notDeepEqual(after[2].data, before[2].data, 'the trainable Dense moved');
  t.true(m.parameters().filter((p) => p.name.startsWith('frozen/')).every((p) => !p.trainable));
});

test('a small conv net learns a separable task with SGD', (t) => {
  // Class 1 images are bright in the left half, class 0 in the right half.
  const N = 16;
  const x = new Tensor(new Float32Array(N * 64), [N, 1, 8, 8]);
  const labels = Int32Array.from({ length: N }, (_, n) => n % 2);
  const noise = rng(3);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < 64; i++) x.data[n * 64 + i] = ((i % 8 < 4) === (labels[n] === 1) ? 1 : 0) + 0.3 * (noise() - 0.5);
  }
  const m = sequential([new Conv2D({ filters: 4, kernelSize: 3, padding: 1 }), new ReLU(), new MaxPool2D({ poolSize: 2 }), new Flatten(), new Dense({ units: 2 })], { inputShape: [1, 8, 8], seed: 2 });
  const loss = new SoftmaxCrossEntropy();
  const optimizer = new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
  const first = loss.compute(m.forward(x), labels).loss;
  for (let step = 0; step < 30; step++) {
    m.zeroGrad();
    m.backward(loss.compute(m.forward(x, { training: true }), labels).grad);
    optimizer.step();
  }
  const last = loss.compute(m.forward(x), labels).loss;
  t.true(last < first / 4, `loss ${first} -> ${last}`);
  t.is(accuracy(m.forward(x), labels), 1);
});
