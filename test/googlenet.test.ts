import test from 'ava';
import { GlobalAvgPool2D, Dense, Tensor, input, model, type Model } from '../lib';
import { SoftmaxCrossEntropy } from '../lib/losses';
import { GoogLeNetLoss, googlenet, mainLogits, miniInception } from '../lib/models/googlenet';
import { inceptionModule } from '../lib/models/inception';
import { checkModelGradients } from './helpers/gradcheck';
import { forEachIsa } from './helpers/isa';
import { randomArray, rng } from './helpers/random';

// Table 1 of Szegedy et al. 2014, typed in again here (not imported) so that the model is checked
// against the paper: output size, then #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
const PAPER: [string, [number, number, number], number[]][] = [
  ['3a', [256, 28, 28], [64, 96, 128, 16, 32, 32]],
  ['3b', [480, 28, 28], [128, 128, 192, 32, 96, 64]],
  ['4a', [512, 14, 14], [192, 96, 208, 16, 48, 64]],
  ['4b', [512, 14, 14], [160, 112, 224, 24, 64, 64]],
  ['4c', [512, 14, 14], [128, 128, 256, 24, 64, 64]],
  ['4d', [528, 14, 14], [112, 144, 288, 32, 64, 64]],
  ['4e', [832, 14, 14], [256, 160, 320, 32, 128, 128]],
  ['5a', [832, 7, 7], [256, 160, 320, 32, 128, 128]],
  ['5b', [1024, 7, 7], [384, 192, 384, 48, 128, 128]],
];

/** Weights and biases of a k x k convolution from cin to cout channels. */
const conv = (cin: number, cout: number, k: number) => cin * cout * k * k + cout;
const dense = (inputs: number, units: number) => inputs * units + units;

function paperParamCount(numClasses: number, aux: boolean): number {
  let total = conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3);
  let cin = 192;
  for (const [id, [cout], [f1, r3, f3, r5, f5, pp]] of PAPER) {
    total += conv(cin, f1, 1) + conv(cin, r3, 1) + conv(r3, f3, 3) + conv(cin, r5, 1) + conv(r5, f5, 5) + conv(cin, pp, 1);
    cin = cout;
    // Auxiliary heads on 4a and 4d: 1x1 conv 128 on the 4x4 pooled map, FC 1024, linear.
    if (aux && (id === '4a' || id === '4d')) total += conv(cout, 128, 1) + dense(128 * 4 * 4, 1024) + dense(1024, numClasses);
  }
  return total + dense(1024, numClasses);
}

test('GoogLeNet: output shapes of every stage as in the paper table', (t) => {
  const g = googlenet();
  const stages: [string, number[]][] = [
    ['conv1_relu', [64, 112, 112]],
    ['pool1', [64, 56, 56]],
    ['conv2_relu', [192, 56, 56]],
    ['pool2', [192, 28, 28]],
    ['pool3', [480, 14, 14]],
    ['pool4', [832, 7, 7]],
    ['avgpool', [1024]],
    ['classifier', [1000]],
    ...PAPER.map(([id, shape]): [string, number[]] => [`inception_${id}_output`, shape]),
  ];
  for (const [name, shape] of stages) t.deepEqual([...g.getLayer(name).outputShape!], shape, name);
  t.deepEqual([...g.outputShape], [1000]);
});

test('GoogLeNet: parameter count equals the count from the paper table (~6.8M)', (t) => {
  const g = googlenet();
  const expected = paperParamCount(1000, false);
  t.is(g.countParams(), expected);
  // The paper rounds to ~6.8M and leaves biases out; ours includes them.
  t.true(Math.abs(expected - 6.8e6) / 6.8e6 < 0.05, `${expected}`);
  t.is(googlenet({ numClasses: 10 }).countParams(), paperParamCount(10, false));
  const withAux = googlenet({ auxClassifiers: true, numClasses: 10 });
  t.is(withAux.countParams(), paperParamCount(10, true));
  t.deepEqual([...withAux.outputShape], [30]);
  t.deepEqual([...withAux.getLayer('aux1_pool').outputShape!], [512, 4, 4]);
  t.deepEqual([...withAux.getLayer('aux2_pool').outputShape!], [528, 4, 4]);
  // BatchNorm variant: no conv biases, 4 BatchNorm weights per channel.
  const bn = googlenet({ batchNorm: true });
  const convLayers = g.layers.filter((l) => l.className === 'Conv2D');
  const channels = convLayers.reduce((n, l) => n + l.outputShape![0], 0);
  t.is(bn.countParams(), expected - channels + 4 * channels);
});

test('GoogLeNet: a forward pass on one 224x224 image gives finite logits', (t) => {
  const g = googlenet({ numClasses: 10, seed: 3 });
  const x = new Tensor(randomArray(3 * 224 * 224, rng(1)), [1, 3, 224, 224]);
  const y = g.forward(x);
  t.deepEqual([...y.shape], [1, 10]);
  t.true(y.data.every(Number.isFinite));
});

test('GoogLeNetLoss: main + 0.3 · auxiliary cross-entropies, gradient by finite differences', (t) => {
  const K = 4;
  const N = 3;
  const y = new Tensor(randomArray(N * 3 * K, rng(2), 2), [N, 3 * K]);
  const labels = Int32Array.from([1, 3, 0]);
  const loss = new GoogLeNetLoss({ numClasses: K });
  const ce = new SoftmaxCrossEntropy();
  const head = (h: number) => new Tensor(Float32Array.from({ length: N * K }, (_, i) => y.data[Math.floor(i / K) * 3 * K + h * K + (i % K)]), [N, K]);
  const want = ce.compute(head(0), labels).loss + 0.3 * (ce.compute(head(1), labels).loss + ce.compute(head(2), labels).loss);
  t.true(Math.abs(loss.compute(y, labels).loss - want) < 1e-5);
  t.deepEqual([...mainLogits(y, K).data], [...head(0).data]);
  const grad = loss.compute(y, labels).grad.clone();
  const eps = 1e-2;
  for (let i = 0; i < y.size; i++) {
    const v = y.data[i];
    y.data[i] = v + eps;
    const plus = loss.compute(y, labels).loss;
    y.data[i] = v - eps;
    const minus = loss.compute(y, labels).loss;
    y.data[i] = v;
    t.true(Math.abs((plus - minus) / (2 * eps) - grad.data[i]) < 1e-3, `element ${i}`);
  }
});

function inceptionNet(batchNorm: boolean): { m: Model; channels: number } {
  const x = input([3, 5, 5]);
  const block = inceptionModule({ filters1x1: 2, reduce3x3: 2, filters3x3: 3, reduce5x5: 2, filters5x5: 2, poolProj: 2, name: `inc${batchNorm ? 'bn' : ''}`, batchNorm });
  const y = new Dense({ units: 3 }).apply(new GlobalAvgPool2D().apply(block.apply(x)));
  return { m: model({ inputs: x, outputs: y, seed: 5 }), channels: block.channels };
}

for (const batchNorm of [false, true]) {
  forEachIsa(`Inception module${batchNorm ? ' with BatchNorm' : ''}: gradients of every weight and the input by finite differences`, (t) => {
    const { m, channels } = inceptionNet(batchNorm);
    t.is(channels, 9);
    t.deepEqual([...m.getLayer(`inc${batchNorm ? 'bn' : ''}_output`).outputShape!], [9, 5, 5]);
    const x = new Tensor(randomArray(2 * 3 * 25, rng(9)), [2, 3, 5, 5]);
    checkModelGradients(t, m, x, Int32Array.from([0, 2]), { eps: 1e-3, atol: 1e-4, rtol: 3e-2 });
  });
}

test('miniInception: 32x32 inputs, one training step changes the weights and gives finite gradients', (t) => {
  const m = miniInception({ seed: 1 });
  t.deepEqual([...m.inputShape], [3, 32, 32]);
  t.deepEqual([...m.outputShape], [10]);
  t.true(m.countParams() > 1e5 && m.countParams() < 1e6);
  const x = new Tensor(randomArray(2 * 3 * 32 * 32, rng(4)), [2, 3, 32, 32]);
  const r = new SoftmaxCrossEntropy().compute(m.forward(x, { training: true }), Int32Array.from([1, 7]));
  t.true(Number.isFinite(r.loss));
  m.zeroGrad();
  m.backward(r.grad);
  t.true(m.parameters().every((p) => p.grad.data.every(Number.isFinite)));
  t.true(m.parameters().some((p) => p.grad.data.some((v) => v !== 0)));
});
