// Each fused optimizer kernel against a plain float64 TypeScript implementation of its formula,
// over many steps on random tensors, on every ISA; convergence on quadratics; state save/restore.
import test from 'ava';
import { parameter, tensor, zeros, optimizers, type Parameter } from '../lib';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';
import { optimStep } from '../lib/optimizers/native';

type Options = Record<string, unknown>;

/** Plain float64 state and formulas, exactly as the docs state them. */
interface Reference {
  theta: Float64Array;
  s1: Float64Array;
  s2: Float64Array;
  t: number;
}

interface Case {
  name: string;
  make: (params: Parameter[], options: Options) => optimizers.Optimizer<optimizers.GroupOptions>;
  options: Options;
  /** One update of r with effective gradient g (penalty and clipping included, decoupled decay not). */
  update: (r: Reference, g: Float64Array, o: Options) => void;
  /** Coupled weight decay adds wd·θ to g; AdamW decays θ instead. */
  decoupled?: boolean;
}

const cases: Case[] = [
  {
    name: 'SGD', make: (p, o) => new optimizers.SGD(p, o), options: { lr: 0.05, weightDecay: 0.001 },
    update: (r, g, o) => { for (let i = 0; i < g.length; i++) r.theta[i] -= (o.lr as number) * g[i]; },
  },
  {
    name: 'Momentum', make: (p, o) => new optimizers.Momentum(p, o), options: { lr: 0.05, momentum: 0.8 },
    update: (r, g, o) => {
      for (let i = 0; i < g.length; i++) {
        r.s1[i] = (o.momentum as number) * r.s1[i] + (o.lr as number) * g[i];
        r.theta[i] -= r.s1[i];
      }
    },
  },
  {
    // θ holds the look-ahead point φ = θ_course − γ v (see the quadratic test for the course form).
    name: 'Nesterov', make: (p, o) => new optimizers.SGD(p, { ...o, nesterov: true }), options: { lr: 0.05, momentum: 0.7 },
    update: (r, g, o) => {
      const gamma = o.momentum as number, lr = o.lr as number;
      for (let i = 0; i < g.length; i++) {
        r.s1[i] = gamma * r.s1[i] + lr * g[i];
        r.theta[i] -= gamma * r.s1[i] + lr * g[i];
      }
    },
  },
  {
    name: 'Adagrad', make: (p, o) => new optimizers.Adagrad(p, o),
    options: { lr: 0.05, eps: 1e-8, initialAccumulatorValue: 0.1, lrDecay: 0.01, weightDecay: 0.002 },
    update: (r, g, o) => {
      const lr = (o.lr as number) / (1 + (r.t - 1) * (o.lrDecay as number));
      for (let i = 0; i < g.length; i++) {
        r.s1[i] += g[i] * g[i];
        r.theta[i] -= (lr * g[i]) / Math.sqrt(r.s1[i] + (o.eps as number));
      }
    },
  },
  {
    name: 'RMSprop', make: (p, o) => new optimizers.RMSprop(p, o), options: { lr: 0.01, alpha: 0.9, eps: 1e-6 },
    update: (r, g, o) => {
      const gamma = o.alpha as number;
      for (let i = 0; i < g.length; i++) {
        r.s1[i] = gamma * r.s1[i] + (1 - gamma) * g[i] * g[i];
        r.theta[i] -= ((o.lr as number) * g[i]) / Math.sqrt(r.s1[i] + (o.eps as number));
      }
    },
  },
  {
    name: 'Adadelta', make: (p, o) => new optimizers.Adadelta(p, o), options: { lr: 0.5, rho: 0.85, eps: 1e-5 },
    update: (r, g, o) => {
      const gamma = o.rho as number, eps = o.eps as number;
      for (let i = 0; i < g.length; i++) {
        r.s1[i] = gamma * r.s1[i] + (1 - gamma) * g[i] * g[i];
        const delta = -(Math.sqrt(r.s2[i] + eps) / Math.sqrt(r.s1[i] + eps)) * g[i];
        r.s2[i] = gamma * r.s2[i] + (1 - gamma) * delta * delta;
        r.theta[i] += (o.lr as number) * delta;
      }
    },
  },
  {
    name: 'Adam', make: (p, o) => new optimizers.Adam(p, o), options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.01 },
    update: adamUpdate,
  },
  {
    name: 'AdamW', make: (p, o) => new optimizers.AdamW(p, o), options: { lr: 0.01, betas: [0.85, 0.99], eps: 1e-7, weightDecay: 0.1 },
    update: adamUpdate, decoupled: true,
  },
];

function adamUpdate(r: Reference, g: Float64Array, o: Options): void {
  const [b1, b2] = o.betas as [number, number];
  const lr = o.lr as number, eps = o.eps as number;
  for (let i = 0; i < g.length; i++) {
    r.s1[i] = b1 * r.s1[i] + (1 - b1) * g[i];
    r.s2[i] = b2 * r.s2[i] + (1 - b2) * g[i] * g[i];
    const mHat = r.s1[i] / (1 - b1 ** r.t), vHat = r.s2[i] / (1 - b2 ** r.t);
    r.theta[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
  }
}

function newReference(theta: Float32Array, c: Case): Reference {
  const init = c.name === 'Adagrad' ? (c.options.initialAccumulatorValue as number) : 0;
  return { theta: Float64Array.from(theta), s1: new Float64Array(theta.length).fill(init), s2: new Float64Array(theta.length), t: 0 };
}

/** The reference step: clipping (global scale, then by value), penalty, weight decay, the rule. */
function referenceStep(c: Case, refs: Reference[], grads: Float32Array[], penalties: ({ l1: number; l2: number } | null)[],
  clip: { norm?: number; value?: number }): void {
  let scale = 1;
  if (clip.norm !== undefined) {
    const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, x) => a + x * x, 0), 0));
    if (norm > clip.norm) scale = clip.norm / (norm + 1e-6);
  }
  const wd = (c.options.weightDecay as number | undefined) ?? 0;
  refs.forEach((r, k) => {
    r.t += 1;
    const { l1 = 0, l2 = 0 } = penalties[k] ?? {};
    const g = new Float64Array(r.theta.length);
    for (let i = 0; i < g.length; i++) {
      let gi = scale * grads[k][i];
      if (clip.value !== undefined) gi = Math.min(Math.max(gi, -clip.value), clip.value);
      g[i] = gi + l1 * Math.sign(r.theta[i]) + 2 * l2 * r.theta[i] + (c.decoupled ? 0 : wd * r.theta[i]);
      if (c.decoupled) r.theta[i] *= 1 - (c.options.lr as number) * wd;
    }
    c.update(r, g, c.options);
  });
}

const sizes = [1, 7, 16, 17, 33, 70003];

for (const c of cases) {
  forEachIsa(`${c.name}: the fused kernel follows the formula over 30 steps (penalty, clipping, sizes ${sizes.join(',')})`, (t) => {
    for (const [variant, clip] of [['clipValue', { value: 0.9 }], ['clipNorm', { norm: 3 }]] as const) {
      for (const n of sizes) {
        const random = rng(n * 31 + c.name.length);
        const weights = parameter(tensor(randomArray(n, random, 1)), 'w');
        const bias = parameter(tensor(randomArray(5, random, 1)), 'b');
        const frozen = parameter(tensor(randomArray(3, random, 1)), 'frozen');
        frozen.trainable = false;
        const frozenBefore = frozen.value.data.slice();
        weights.penalty = { l1: 0.01, l2: 0.02 };
        const params = [weights, bias];
        const opt = c.make([weights, bias, frozen], { ...c.options, clipValue: 'value' in clip ? clip.value : null,
          clipNorm: 'norm' in clip ? clip.norm : null });
        const refs = params.map((p) => newReference(p.value.data, c));
        for (let step = 0; step < 30; step++) {
          for (const p of [...params, frozen]) p.grad.data.set(randomArray(p.size, random, 2));
          opt.step();
          referenceStep(c, refs, params.map((p) => p.grad.data), params.map((p) => p.penalty), clip);
        }
        params.forEach((p, k) => {
          const err = maxRelError(p.value.data, refs[k].theta, 2e-5, 2e-4);
          t.true(err <= 1, `${variant} n=${n} ${p.name}: error ${err}`);
        });
        t.deepEqual(frozen.value.data, frozenBefore);
      }
    }
  });
}

// C(θ) = ½ Σ a_i (θ_i − c_i)²: every optimizer reaches the minimum c.
const a = Float64Array.from([0.5, 1, 2, 3, 1.5, 0.8, 2.5]);
const center = Float64Array.from([1, -2, 0.5, 3, -1, 0, 2]);
function quadraticGrad(p: Parameter): void {
  for (let i = 0; i < p.size; i++) p.grad.data[i] = a[i] * (p.value.data[i] - center[i]);
}

const quadraticCases: [string, (p: Parameter[]) => optimizers.Optimizer<optimizers.GroupOptions>, number][] = [
  ['SGD', (p) => new optimizers.SGD(p, { lr: 0.1 }), 300],
  ['Momentum', (p) => new optimizers.Momentum(p, { lr: 0.05 }), 300],
  ['Nesterov', (p) => new optimizers.Nesterov(p, { lr: 0.05 }), 300],
  ['Adagrad', (p) => new optimizers.Adagrad(p, { lr: 0.5 }), 1000],
  ['RMSprop', (p) => new optimizers.RMSprop(p, { lr: 0.01 }), 1500],
  ['Adadelta', (p) => new optimizers.Adadelta(p, { eps: 1e-4 }), 3000],
  ['Adam', (p) => new optimizers.Adam(p, { lr: 0.05 }), 1500],
  ['AdamW', (p) => new optimizers.AdamW(p, { lr: 0.05, weightDecay: 0 }), 1500],
];
for (const [name, make, steps] of quadraticCases) {
  forEachIsa(`${name} finds the minimum of a quadratic`, (t) => {
    const p = parameter(zeros([a.length]));
    const opt = make([p]);
    for (let s = 0; s < steps; s++) {
      quadraticGrad(p);
      opt.step();
    }
    const err = maxRelError(p.value.data, center, 2e-2, 0);
    t.true(err <= 1, `θ = ${Array.from(p.value.data).map((x) => x.toFixed(4))}`);
  });
}

forEachIsa('SGD on a quadratic follows θ_t − c = (1 − α a)^t (θ_0 − c)', (t) => {
  const p = parameter(zeros([a.length]));
  const opt = new optimizers.SGD([p], { lr: 0.1 });
  for (let s = 0; s < 20; s++) {
    quadraticGrad(p);
    opt.step();
  }
  const expected = center.map((c, i) => c + (1 - 0.1 * a[i]) ** 20 * (0 - c));
  t.true(maxRelError(p.value.data, expected, 1e-6, 1e-5) <= 1);
});

forEachIsa('Nesterov follows the look-ahead definition v ← γv + α∇C(θ − γv), θ ← θ − v', (t) => {
  const gamma = 0.9, lr = 0.05;
  const p = parameter(zeros([a.length]));
  const opt = new optimizers.Nesterov([p], { lr, momentum: gamma });
  const theta = new Float64Array(a.length), v = new Float64Array(a.length);
  for (let s = 0; s < 60; s++) {
    quadraticGrad(p); // at the stored point φ = θ − γ v
    opt.step();
    for (let i = 0; i < a.length; i++) {
      const lookAhead = theta[i] - gamma * v[i];
      v[i] = gamma * v[i] + lr * a[i] * (lookAhead - center[i]);
      theta[i] -= v[i];
    }
    const phi = theta.map((x, i) => x - gamma * v[i]);
    const err = maxRelError(p.value.data, phi, 1e-5, 1e-4);
    if (err > 1) return t.fail(`step ${s}: error ${err}`);
  }
  t.pass();
});

function snapshot(params: Parameter[]): Float32Array[] {
  return params.map((p) => p.value.data.slice());
}
function bitIdentical(x: Float32Array[], y: Float32Array[]): boolean {
  return x.every((a, k) => a.length === y[k].length && a.every((v, i) => Object.is(v, y[k][i])));
}

for (const c of cases) {
  test(`${c.name}: stateDict / loadStateDict continue bit-identically`, (t) => {
    const random = rng(99);
    const make = () => [parameter(tensor(randomArray(40, rng(5), 1))), parameter(tensor(randomArray(9, rng(6), 1)))];
    const params = make();
    params[0].penalty = { l1: 0.001, l2: 0.01 };
    const opt = c.make([{ params: [params[0]] }, { params: [params[1]], lr: 0.002 }] as never, c.options);
    const grads = Array.from({ length: 20 }, () => params.map((p) => randomArray(p.size, random, 1)));
    const run = (o: optimizers.Optimizer<optimizers.GroupOptions>, ps: Parameter[], from: number, to: number) => {
      for (let s = from; s < to; s++) {
        ps.forEach((p, k) => p.grad.data.set(grads[s][k]));
        o.step();
      }
    };
    run(opt, params, 0, 8);
    const saved = structuredClone(opt.stateDict());
    const values = snapshot(params);
    run(opt, params, 8, 20);
    const expected = snapshot(params);

    const fresh = make();
    fresh.forEach((p, k) => { p.value.data.set(values[k]); p.penalty = params[k].penalty; });
    const restored = c.make([{ params: [fresh[0]] }, { params: [fresh[1]] }] as never, c.options);
    restored.loadStateDict(saved);
    t.is(restored.paramGroups[1].lr, 0.002);
    run(restored, fresh, 8, 20);
    t.true(bitIdentical(snapshot(fresh), expected));
  });
}

test('loadStateDict rejects a dict for other parameters', (t) => {
  const opt = new optimizers.Adam([parameter(zeros([4]))]);
  opt.step();
  const other = new optimizers.Adam([parameter(zeros([5]))]);
  t.throws(() => other.loadStateDict(opt.stateDict()), { instanceOf: RangeError, message: /does not match its 5 elements/ });
  const two = new optimizers.Adam([parameter(zeros([4])), parameter(zeros([4]))]);
  t.throws(() => two.loadStateDict(opt.stateDict()), { instanceOf: RangeError, message: /1 parameters, this optimizer 1 and 2/ });
});

test('bad hyper-parameters and gradients are clear errors', (t) => {
  const p = parameter(zeros([3]), 'conv1.weight');
  t.throws(() => new optimizers.SGD([p], { lr: -1 }), { instanceOf: RangeError, message: 'SGD: lr must be a finite number >= 0, got -1' });
  t.throws(() => new optimizers.Adam([p], { eps: -1e-8 }), { instanceOf: RangeError, message: /Adam: eps must be/ });
  t.throws(() => new optimizers.Adam([p], { betas: [0.9, 1] }), { instanceOf: RangeError, message: 'Adam: betas[1] must be in [0, 1), got 1' });
  t.throws(() => new optimizers.AdamW([p], { betas: [-0.1, 0.9] }), { instanceOf: RangeError, message: /AdamW: betas\[0\]/ });
  t.throws(() => new optimizers.RMSprop([p], { alpha: 1.5 }), { instanceOf: RangeError, message: /alpha must be in \[0, 1\)/ });
  t.throws(() => new optimizers.Adadelta([p], { rho: NaN }), { instanceOf: RangeError, message: /rho/ });
  t.throws(() => new optimizers.SGD([p], { nesterov: true }), { instanceOf: RangeError, message: /Nesterov momentum needs momentum > 0/ });
  t.throws(() => new optimizers.Adam([]), { instanceOf: TypeError, message: /non-empty array/ });
  t.throws(() => new optimizers.Adam([p, p]), { instanceOf: RangeError, message: /appears twice/ });
  t.throws(() => new optimizers.Adam([zeros([3])] as never), { instanceOf: TypeError, message: /not a Parameter/ });
  const opt = new optimizers.Adam([p]);
  t.throws(() => { opt.lr = -0.1; }, { instanceOf: RangeError, message: /lr must be/ });
  opt.paramGroups[0].betas = [0.9, 1.2];
  t.throws(() => opt.step(), { instanceOf: RangeError, message: /betas\[1\]/ });
  opt.paramGroups[0].betas = [0.9, 0.999];
  Object.assign(p, { grad: zeros([4]) });
  t.throws(() => opt.step(), { instanceOf: RangeError, message: "Adam: gradient of 'conv1.weight' has shape [4], the parameter [3]" });
});

forEachIsa('a NaN or Inf gradient is reported by name and never half-updates the weights', (t) => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    const random = rng(3);
    const w1 = parameter(tensor(randomArray(70000, random)), 'dense1.weight');
    const w2 = parameter(tensor(randomArray(70000, random)), 'dense2.weight');
    const opt = new optimizers.Adam([w1, w2], { lr: 0.1 });
    w1.grad.data.fill(0.5);
    w2.grad.data.fill(0.5);
    opt.step();
    const before = snapshot([w1, w2]);
    const state = opt.stateDict();
    w2.grad.data[69999] = bad;
    const error = t.throws(() => opt.step(), { instanceOf: optimizers.NonFiniteGradientError, message: /dense2\.weight/ });
    t.deepEqual(error?.params, ['dense2.weight']);
    t.true(bitIdentical(snapshot([w1, w2]), before));
    t.deepEqual(opt.stateDict(), state);

    opt.skipNonFinite = true;
    const report = opt.step();
    t.deepEqual(report.nonFinite, ['dense2.weight']);
    t.true(report.skipped);
    t.true(bitIdentical(snapshot([w1, w2]), before));
    t.deepEqual(opt.stateDict(), state);
    w2.grad.data[69999] = 0.5;
    t.false(opt.step().skipped);
    t.false(bitIdentical(snapshot([w1, w2]), before));
  }
});

test('checkFinite: false skips the check (NaN spreads, as in PyTorch)', (t) => {
  const p = parameter(zeros([4]));
  const opt = new optimizers.SGD([p], { lr: 0.1, checkFinite: false });
  p.grad.data[1] = NaN;
  t.deepEqual(opt.step(), { skipped: false, nonFinite: [], gradNorm: null });
  t.true(Number.isNaN(p.value.data[1]));
  t.is(p.value.data[0], 0);
});

test('lr is settable for all groups; groups keep their own options', (t) => {
  const a1 = parameter(zeros([2])), a2 = parameter(zeros([2]));
  const opt = new optimizers.SGD([{ params: [a1] }, { params: [a2], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
  t.is(opt.paramGroups[0].lr, 0.1);
  t.is(opt.paramGroups[1].momentum, 0.9);
  a1.grad.data.fill(1);
  a2.grad.data.fill(1);
  opt.step();
  t.is(a1.value.data[0], Math.fround(-0.1));
  t.is(a2.value.data[0], Math.fround(-0.5));
  opt.lr = 0.25;
  t.deepEqual(opt.paramGroups.map((g) => g.lr), [0.25, 0.25]);
  opt.zeroGrad();
  t.deepEqual(Array.from(a2.grad.data), [0, 0]);
});

test('the native step checks its kind, sizes, hyper-parameters and aliasing', (t) => {
  const hyper = new Float32Array(11);
  const theta = new Float32Array(8), grad = new Float32Array(8), m = new Float32Array(8), v = new Float32Array(8);
  t.notThrows(() => optimStep('adam', hyper, theta, grad, m, v));
  t.throws(() => optimStep('lion' as never, hyper, theta, grad, m, v), { instanceOf: RangeError, message: "optimStep: unknown optimizer kind 'lion'" });
  t.throws(() => optimStep('adam', hyper, theta, new Float32Array(7), m, v), { instanceOf: RangeError, message: /'grad' has 7 elements, expected theta.length = 8/ });
  t.throws(() => optimStep('adam', hyper, theta, grad, m, null), { instanceOf: TypeError, message: /'state2' must be a Float32Array/ });
  t.throws(() => optimStep('adam', new Float32Array(10), theta, grad, m, v), { instanceOf: RangeError, message: /'hyper' has 10 elements/ });
  t.throws(() => optimStep('adam', Float32Array.from({ length: 11 }, (_, i) => (i === 6 ? NaN : 0)), theta, grad, m, v),
    { instanceOf: RangeError, message: /hyper-parameter 6 is not finite/ });
  t.throws(() => optimStep('adam', hyper, theta, grad, theta.subarray(4), v), { instanceOf: RangeError });
  const big = new Float32Array(16);
  t.throws(() => optimStep('momentum', hyper, big.subarray(0, 8), big.subarray(7, 15), m, null), {
    instanceOf: RangeError, message: "optimStep: 'theta' and 'grad' share memory" });
  t.notThrows(() => optimStep('sgd', hyper, big.subarray(0, 8), big.subarray(8, 16), null, null));
});
