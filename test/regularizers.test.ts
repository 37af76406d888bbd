// Penalty terms: the reported loss, and the gradient the optimizers fuse into their step against
// central finite differences of that loss.
import test from 'ava';
import { parameter, tensor, zeros, optimizers, regularizers, regularizationLoss, type Parameter } from '../lib';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

/** Weights away from 0, where |w| is differentiable at the finite-difference step. */
function weights(n: number, seed: number): Float32Array {
  const random = rng(seed);
  return randomArray(n, random, 1).map((w) => (w >= 0 ? w + 0.05 : w - 0.05));
}

/** The penalty gradient the fused kernel applies: one SGD step with lr = 1 and a zero data gradient. */
function fusedPenaltyGrad(p: Parameter): Float64Array {
  const before = p.value.data.slice();
  new optimizers.SGD([p], { lr: 1 }).step();
  const grad = Float64Array.from(before, (w, i) => w - p.value.data[i]);
  p.value.data.set(before);
  return grad;
}

const cases: [string, regularizers.Regularizer][] = [
  ['L1', regularizers.l1(0.03)],
  ['L2', regularizers.l2(0.05)],
  ['ElasticNet', regularizers.elasticNet(0.02, 0.07)],
];

for (const [name, reg] of cases) {
  forEachIsa(`${name}: the fused gradient matches finite differences of the reported loss`, (t) => {
    for (const n of [1, 17, 100]) {
      const p = parameter(tensor(weights(n, n)), 'w');
      reg.applyTo(p);
      const fused = fusedPenaltyGrad(p);
      const numeric = new Float64Array(n);
      const h = 1e-2;
      for (let i = 0; i < n; i++) {
        const w = p.value.data[i];
        p.value.data[i] = w + h;
        const plus = regularizationLoss([p]), wPlus = p.value.data[i];
        p.value.data[i] = w - h;
        const minus = regularizationLoss([p]), wMinus = p.value.data[i];
        p.value.data[i] = w;
        numeric[i] = (plus - minus) / (wPlus - wMinus);
      }
      const err = maxRelError(fused, numeric, 1e-6, 1e-4);
      t.true(err <= 1, `n=${n}: error ${err}`);
    }
  });
}

test('the reported loss is l1 Σ|w| + l2 Σw², summed over the parameters that have a penalty', (t) => {
  const a = parameter(tensor(weights(1000, 1)), 'a'), b = parameter(tensor(weights(33, 2)), 'b');
  const c = parameter(tensor(weights(10, 3)), 'c');
  regularizers.elasticNet(0.01, 0.02).applyTo(a);
  regularizers.l2(0.5).applyTo(b);
  let expected = 0;
  for (const w of a.value.data) expected += 0.01 * Math.abs(w) + 0.02 * w * w;
  for (const w of b.value.data) expected += 0.5 * w * w;
  t.true(Math.abs(regularizationLoss([a, b, c]) - expected) <= 1e-12 * Math.abs(expected));
  t.is(regularizers.l1(0.1).loss(tensor([1, -2, 0])), 0.1 * 3);
  t.is(regularizationLoss([c]), 0);
});

test('factories have Keras defaults and check their coefficients', (t) => {
  t.deepEqual(regularizers.l1().penalty, { l1: 0.01, l2: 0 });
  t.deepEqual(regularizers.l2().penalty, { l1: 0, l2: 0.01 });
  t.deepEqual(regularizers.elasticNet().penalty, { l1: 0.01, l2: 0.01 });
  t.deepEqual(regularizers.l1l2(0, 0.3).penalty, { l1: 0, l2: 0.3 });
  t.true(new regularizers.L2(0.2) instanceof regularizers.Regularizer);
  t.throws(() => regularizers.l2(-1), { instanceOf: RangeError, message: 'L2: l2 must be a finite number >= 0, got -1' });
  t.throws(() => regularizers.elasticNet(0.1, NaN), { instanceOf: RangeError, message: /ElasticNet: l2/ });
});

test('a model-wide regularizer skips biases unless told otherwise', (t) => {
  const kernel = parameter(zeros([4, 3, 3, 3]), 'conv.weight');
  const dense = parameter(zeros([10, 4]), 'dense.weight');
  const bias = parameter(zeros([4]), 'conv.bias');
  regularizers.applyRegularizer([kernel, dense, bias], regularizers.l2(1e-4));
  t.deepEqual(kernel.penalty, { l1: 0, l2: 1e-4 });
  t.deepEqual(dense.penalty, { l1: 0, l2: 1e-4 });
  t.is(bias.penalty, null);
  regularizers.applyRegularizer([bias], regularizers.l1(0.1), () => true);
  t.deepEqual(bias.penalty, { l1: 0.1, l2: 0 });
});

test('a model-wide regularizer adds to a layer\'s own penalty, does not stack when applied again, and null removes it', (t) => {
  const kernel = parameter(zeros([4, 3]), 'dense.weight');
  regularizers.l1(0.5).applyTo(kernel); // the layer's kernelRegularizer
  regularizers.applyRegularizer([kernel], regularizers.l2(0.25));
  t.deepEqual(kernel.penalty, { l1: 0.5, l2: 0.25 });
  regularizers.applyRegularizer([kernel], { l1: 0, l2: 0.125 });
  t.deepEqual(kernel.penalty, { l1: 0.5, l2: 0.125 });
  regularizers.applyRegularizer([kernel], null);
  t.deepEqual(kernel.penalty, { l1: 0.5, l2: 0 });
});

forEachIsa('the penalty is fused into every optimizer: same as adding its gradient to g', (t) => {
  const makers = [
    (p: Parameter[]) => new optimizers.Momentum(p, { lr: 0.01 }),
    (p: Parameter[]) => new optimizers.Adagrad(p),
    (p: Parameter[]) => new optimizers.RMSprop(p),
    (p: Parameter[]) => new optimizers.Adadelta(p),
    (p: Parameter[]) => new optimizers.Adam(p),
  ];
  for (const make of makers) {
    const random = rng(11);
    const fused = parameter(tensor(weights(50, 4)));
    const manual = parameter(tensor(weights(50, 4)));
    fused.penalty = { l1: 0.02, l2: 0.03 };
    const o1 = make([fused]), o2 = make([manual]);
    for (let s = 0; s < 10; s++) {
      const g = randomArray(50, random);
      fused.grad.data.set(g);
      manual.grad.data.set(g.map((gi, i) => gi + 0.02 * Math.sign(manual.value.data[i]) + 0.06 * manual.value.data[i]));
      o1.step();
      o2.step();
    }
    t.true(maxRelError(fused.value.data, manual.value.data, 1e-6, 1e-4) <= 1, o1.name);
  }
});
