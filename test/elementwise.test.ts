import test from 'ava';
import { ops, tensor, Tensor, info, setIsa, type Shape } from '../lib';
import { binding } from '../lib/native';
import { forEachIsa, isas } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);
const randomTensor = (shape: Shape, seed: number, scale = 1) => tensor(randomArray(size(shape), rng(seed), scale), shape);

// Shapes [N, C, ...] with odd sizes and batch 1; [N, F] for dense layers.
const SHAPES: Shape[] = [[1, 3], [5, 17], [1, 6, 28, 28], [3, 5, 7, 9], [2, 4, 1, 1], [2, 3, 5], [3, 300]];

function channelOf(shape: Shape, i: number): number {
  const S = size(shape.slice(2));
  return Math.floor(i / S) % shape[1];
}

forEachIsa('biasAdd adds b per channel, in place or into out', (t) => {
  for (const [i, shape] of SHAPES.entries()) {
    const x = randomTensor(shape, 10 + i);
    const b = randomTensor([shape[1]], 20 + i);
    const expected = Array.from(x.data, (v, j) => v + b.data[channelOf(shape, j)]);
    const out = ops.biasAdd(x, b, new Tensor(new Float32Array(x.size), shape));
    t.true(maxRelError(out.data, expected, 1e-7, 1e-6) <= 1, `${shape}`);
    t.is(ops.biasAdd(x, b), x);
    t.deepEqual(x.data, out.data);
  }
});

forEachIsa('biasGrad accumulates sums over N, H, W and matches finite differences', (t) => {
  for (const [i, shape] of SHAPES.entries()) {
    const C = shape[1];
    const dy = randomTensor(shape, 30 + i);
    const sums = new Float64Array(C);
    dy.data.forEach((v, j) => { sums[channelOf(shape, j)] += v; });
    const db = randomTensor([C], 40 + i);
    const before = Array.from(db.data);
    t.is(ops.biasGrad(dy, db), db);
    t.true(maxRelError(db.data, before.map((v, c) => v + sums[c]), 1e-5, 1e-5) <= 1, `${shape}`);
    t.true(maxRelError(ops.biasGrad(dy).data, sums, 1e-5, 1e-5) <= 1);
    // L(b) = sum dy * (x + b[c]) in float64, differentiated numerically in b.
    const x = randomTensor(shape, 50 + i);
    const L = (bias: number[]) => x.data.reduce((a, v, j) => a + dy.data[j] * (v + bias[channelOf(shape, j)]), 0);
    const fd = Array.from({ length: C }, (_, c) => {
      const plus = new Array(C).fill(0), minus = new Array(C).fill(0);
      plus[c] = 1e-3;
      minus[c] = -1e-3;
      return (L(plus) - L(minus)) / 2e-3;
    });
    t.true(maxRelError(ops.biasGrad(dy).data, fd, 1e-4, 1e-4) <= 1);
  }
});

test('biasGrad has the same bits under every ISA (rows around the 32 partial sums and their tails)', (t) => {
  const before = info().isa;
  try {
    for (const [i, S] of [1, 31, 32, 33, 47, 48, 63, 100, 784].entries()) {
      const dy = randomTensor([2, 3, S], 60 + i);
      const bits = isas.map((isa) => {
        setIsa(isa);
        return Array.from(new Uint32Array(ops.biasGrad(dy).data.buffer));
      });
      for (const [k, isa] of isas.entries()) t.deepEqual(bits[k], bits[0], `row ${S}: ${isa} against ${isas[0]}`);
    }
  } finally {
    setIsa(before);
  }
});

test('bias ops check shapes', (t) => {
  const x = tensor(new Float32Array(24), [2, 3, 4]);
  t.throws(() => ops.biasAdd(x, tensor(new Float32Array(4))), {
    instanceOf: RangeError, message: 'biasAdd: b has shape [4], expected [3] (the channels of x)',
  });
  t.throws(() => ops.biasGrad(x, tensor(new Float32Array(2))), {
    instanceOf: RangeError, message: 'biasGrad: db has shape [2], expected [3] (the channels of dy)',
  });
  t.throws(() => ops.biasAdd(tensor(new Float32Array(3)), tensor(new Float32Array(3))), {
    instanceOf: RangeError, message: 'biasAdd: x has shape [3], expected [N, C, ...]',
  });
});

test('add, scale and fill', (t) => {
  const a = randomTensor([3, 7], 1), b = randomTensor([3, 7], 2);
  t.true(maxRelError(ops.add(a, b).data, Array.from(a.data, (v, i) => v + b.data[i])) <= 1);
  t.true(maxRelError(ops.scale(a, -2.5).data, Array.from(a.data, (v) => -2.5 * v)) <= 1);
  t.deepEqual(Array.from(ops.scale(tensor([Infinity, 1]), 2).data), [Infinity, 2]);
  const out = ops.add(a, b, a);
  t.is(out, a);
  t.true(ops.fill(a, 3).data.every((v) => v === 3));
  t.throws(() => ops.add(a, tensor(new Float32Array(21))), {
    instanceOf: RangeError, message: 'add: b has shape [21], expected [3, 7] (the shape of a)',
  });
});

// Reference concat by index arithmetic: element (o, j, i) of the result along `axis`.
function concat64(parts: Tensor[], axis: number): number[] {
  const outer = size(parts[0].shape.slice(0, axis)), inner = size(parts[0].shape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const w = p.shape[axis] * inner;
      for (let j = 0; j < w; j++) out.push(p.data[o * w + j]);
    }
  }
  return out;
}

test('concat along channels (Inception branches) and other axes; split inverts it', (t) => {
  const cases: [Shape, number[], number][] = [
    [[1, 0, 7, 7], [3, 5, 1, 7], 1], [[2, 0, 3, 3], [1, 2], 1], [[0, 3, 2], [2, 1, 4], 0],
    [[2, 3, 0], [5, 1, 2], 2], [[2, 3, 0], [5, 4], -1], [[4, 0], [64, 32, 33], 1],
  ];
  for (const [i, [template, sizes, axis]] of cases.entries()) {
    const ax = axis < 0 ? axis + template.length : axis;
    const parts = sizes.map((s, j) => randomTensor(template.map((d, k) => (k === ax ? s : d)), 100 * i + j));
    const y = ops.concat(parts, axis);
    const total = sizes.reduce((a, b) => a + b, 0);
    t.deepEqual(y.shape, template.map((d, k) => (k === ax ? total : d)));
    t.deepEqual(Array.from(y.data), concat64(parts, ax));
    const pieces = ops.split(y, sizes, axis);
    pieces.forEach((p, j) => t.deepEqual(p, parts[j]));
  }
  // Channel concat is the default axis, a zero-width part is allowed.
  const a = randomTensor([2, 3, 4, 5], 7), b = randomTensor([2, 0, 4, 5], 8), c = randomTensor([2, 1, 4, 5], 9);
  t.deepEqual(Array.from(ops.concat([a, b, c]).data), concat64([a, b, c], 1));
});

test('split is the backward pass of concat: dL/dpart = split(dy)', (t) => {
  const parts = [randomTensor([2, 3, 4, 4], 1), randomTensor([2, 5, 4, 4], 2)];
  const dy = randomTensor([2, 8, 4, 4], 3);
  const grads = ops.split(dy, [3, 5]);
  // L = sum dy * concat(parts) is linear: dL/dpart_i[e] = L(e-th unit part) - L(0).
  for (const [i, p] of parts.entries()) {
    const g = new Float64Array(p.size);
    for (let e = 0; e < p.size; e++) {
      const unit = parts.map((q) => new Tensor(new Float32Array(q.size), q.shape));
      unit[i].data[e] = 1;
      g[e] = ops.concat(unit).data.reduce((a, v, j) => a + v * dy.data[j], 0);
    }
    t.true(maxRelError(grads[i].data, g) <= 1);
  }
});

test('concat and split write preallocated outputs and check shapes', (t) => {
  const a = randomTensor([2, 3, 4], 1), b = randomTensor([2, 2, 4], 2);
  const out = new Tensor(new Float32Array(40), [2, 5, 4]);
  t.is(ops.concat([a, b], 1, out), out);
  const outs = [new Tensor(new Float32Array(24), [2, 3, 4]), new Tensor(new Float32Array(16), [2, 2, 4])];
  const pieces = ops.split(out, [3, 2], 1, outs);
  t.is(pieces[0], outs[0]);
  t.deepEqual(pieces[1].data, b.data);
  t.throws(() => ops.concat([a, randomTensor([2, 2, 5], 3)]), {
    instanceOf: RangeError,
    message: 'concat: tensors[1] has shape [2, 2, 5], which does not match tensors[0] [2, 3, 4] on every axis but 1',
  });
  t.throws(() => ops.concat([a, b], 1, new Tensor(new Float32Array(40), [2, 4, 5])), {
    instanceOf: RangeError, message: 'concat: out has shape [2, 4, 5], expected [2, 5, 4] (the concatenated shape)',
  });
  t.throws(() => ops.concat([a, b], 3), { instanceOf: RangeError, message: 'concat: axis 3 is outside [-3, 2] for rank 3' });
  t.throws(() => ops.concat([]), { instanceOf: RangeError });
  t.throws(() => ops.split(out, [3, 3]), {
    instanceOf: RangeError, message: 'split: sizes [3, 3] sum to 6, expected t.shape[1] = 5 (t [2, 5, 4])',
  });
  // The native copy refuses an output that shares memory with an input.
  const shared = new Float32Array(64);
  const part = new Tensor(shared.subarray(0, 24), [2, 3, 4]);
  t.throws(() => ops.concat([part, b], 1, new Tensor(shared.subarray(10, 50), [2, 5, 4])), {
    instanceOf: RangeError, message: /shares memory/,
  });
});

test('every native binding checks lengths and ranges itself', (t) => {
  type Fn = (...args: unknown[]) => unknown;
  const native = (name: string) => binding<Fn>(name);
  const f = (n: number) => new Float32Array(n);
  const cases: [string, unknown[], RegExp][] = [
    ['activationForward', [0, f(4), f(3)], /activationForward: 'y' has 3 elements, expected x.length = 4/],
    ['activationForward', [4, f(4), f(4)], /'kind' = 4 is outside \[0, 3\]/],
    ['activationBackward', [1, f(4), f(4), f(5)], /'dx' has 5 elements, expected y.length = 4/],
    ['softmaxForward', [false, 2, 3, f(6), f(5)], /'y' has 5 elements, expected N\*K = 6/],
    ['softmaxBackward', [true, 2, 3, f(6), f(6), f(7)], /'dx' has 7 elements/],
    ['softmaxCrossEntropyLabels', [2, 3, f(6), new Int32Array(1), f(6)], /'labels' has 1 elements, expected N = 2/],
    ['softmaxCrossEntropyLabels', [2, 3, f(6), Int32Array.from([0, 3]), f(6)], /labels\[1\] = 3 is outside \[0, 3\)/],
    ['softmaxCrossEntropyTargets', [2, 3, f(6), f(5), f(6)], /'targets' has 5 elements/],
    ['binaryCrossEntropyLogits', [f(3), f(3), f(2)], /'grad' has 2 elements, expected logits.length = 3/],
    ['meanSquaredError', [f(0), f(0), f(0)], /'pred' is empty/],
    ['biasAdd', [2, 3, 4, f(24), f(2), f(24)], /'b' has 2 elements, expected C = 3/],
    ['biasGrad', [2, 3, 4, f(23), f(3)], /'dy' has 23 elements/],
    ['addScaled', [1, f(3), 1, f(4), f(3)], /'b' has 4 elements/],
    ['concatRows', [2, [f(4), f(6)], [2, 3], f(9)], /'whole' has 9 elements, expected outer\*sum\(widths\) = 10/],
    ['concatRows', [2, [f(4), f(5)], [2, 3], f(10)], /'parts\[1\]' has 5 elements/],
    ['concatRows', [2, [f(4)], [2, 3], f(10)], /same non-zero count/],
    ['splitRows', [2, f(10), [2, 3], [f(4), new Int32Array(6)]], /'parts\[1\]' must be a Float32Array/],
    ['dropoutForward', [1, 0, f(3), f(3), new Uint8Array(3)], /'rate' = 1.0+ must be in \[0, 1\)/],
    ['dropoutForward', [0.5, -1, f(3), f(3), new Uint8Array(3)], /'seed' = -1 is outside/],
    ['dropoutBackward', [0.5, f(3), new Uint8Array(2), f(3)], /'mask' has 2 elements/],
    ['batchNormForward', [true, 1, 2, 1, f(2), f(2), f(2), 1e-5, 0.1, f(2), f(2), f(2), f(2), f(2)], /more than one value per channel/],
    ['batchNormForward', [false, 2, 2, 1, f(4), f(2), f(3), 1e-5, 0.1, f(2), f(2), f(4), f(2), f(2)], /'beta' has 3 elements, expected C = 2/],
    ['batchNormBackward', [true, 2, 2, 1, f(4), f(4), f(2), f(2), f(2), f(3), f(2), f(2)], /'dx' has 3 elements/],
  ];
  for (const [name, args, message] of cases) {
    t.throws(() => native(name)(...args), { message }, name);
  }
});
