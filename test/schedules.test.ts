// Learning-rate schedules against their closed forms and PyTorch's ReduceLROnPlateau rules.
import test from 'ava';
import { parameter, zeros, optimizers, schedules } from '../lib';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

function sgd(lrs: number[]) {
  return new optimizers.SGD(lrs.map((lr) => ({ params: [parameter(zeros([1]))], lr })));
}

test('StepLR: lr · gamma^⌊epoch / stepSize⌋ per group', (t) => {
  const opt = sgd([0.05, 1]);
  const s = new schedules.StepLR(opt, { stepSize: 3, gamma: 0.5 });
  for (let epoch = 1; epoch <= 10; epoch++) {
    s.step();
    const f = 0.5 ** Math.floor(epoch / 3);
    t.true(close(opt.paramGroups[0].lr, 0.05 * f) && close(opt.paramGroups[1].lr, f), `epoch ${epoch}`);
  }
  t.deepEqual(s.getLastLr(), opt.paramGroups.map((g) => g.lr));
  t.throws(() => new schedules.StepLR(opt, { stepSize: 0 }), { instanceOf: RangeError, message: /StepLR: stepSize must be a positive integer/ });
});

test('ExponentialLR: lr · gamma^epoch', (t) => {
  const opt = sgd([0.1]);
  const s = new schedules.ExponentialLR(opt, { gamma: 0.9 });
  for (let epoch = 1; epoch <= 5; epoch++) {
    s.step();
    t.true(close(opt.lr, 0.1 * 0.9 ** epoch));
  }
});

test('CosineAnnealingLR: etaMin + (lr − etaMin)(1 + cos(π epoch / tMax)) / 2, then back up', (t) => {
  const opt = sgd([0.1]);
  const s = new schedules.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.001 });
  const seen: number[] = [];
  for (let epoch = 1; epoch <= 20; epoch++) {
    s.step();
    seen.push(opt.lr);
    t.true(close(opt.lr, 0.001 + (0.099 * (1 + Math.cos((Math.PI * epoch) / 10))) / 2));
  }
  t.true(close(seen[9], 0.001));
  t.true(close(seen[19], 0.1));
  t.true(close(seen[4], 0.0505));
});

test('a scheduler\'s state restores its position', (t) => {
  const opt = sgd([0.1]);
  const s = new schedules.StepLR(opt, { stepSize: 2 });
  for (let i = 0; i < 3; i++) s.step();
  const saved = s.stateDict();
  const opt2 = sgd([0.1]);
  const s2 = new schedules.StepLR(opt2, { stepSize: 2 });
  s2.loadStateDict(saved);
  s.step();
  s2.step();
  t.is(opt2.lr, opt.lr);
});

test('ReduceLROnPlateau reduces after more than `patience` epochs without improvement', (t) => {
  const opt = sgd([1]);
  const s = new schedules.ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
  const lrs = [1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8].map((m) => { s.step(m); return opt.lr; });
  // 0.9 improves once; the 3rd bad epoch (> patience 2) halves lr, the count starts again.
  t.deepEqual(lrs, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
});

test('ReduceLROnPlateau state restores its counters', (t) => {
  const opt = sgd([1]);
  const s = new schedules.ReduceLROnPlateau(opt, { patience: 1 });
  s.step(1);
  s.step(2);
  const s2 = new schedules.ReduceLROnPlateau(opt, { patience: 1 });
  s2.loadStateDict(structuredClone(s.stateDict()));
  s2.step(2); // the second bad epoch in a row: > patience
  t.is(opt.lr, 0.1);
});

test('ReduceLROnPlateau: max mode, threshold, cooldown and minLr', (t) => {
  const opt = sgd([1, 0.1]);
  const s = new schedules.ReduceLROnPlateau(opt, { mode: 'max', patience: 0, factor: 0.1, cooldown: 1, minLr: [0.05, 0] });
  s.step(0.5);
  s.step(0.50001); // within the relative threshold 1e-4: not an improvement
  t.deepEqual(s.getLastLr(), [0.1, 0.010000000000000002]);
  s.step(0.4); // cooldown epoch: not counted
  t.deepEqual(s.getLastLr(), [0.1, 0.010000000000000002]);
  s.step(0.4);
  t.deepEqual(s.getLastLr(), [0.05, 0.0010000000000000002]);
  const abs = new schedules.ReduceLROnPlateau(sgd([1]), { thresholdMode: 'abs', threshold: 0.1, patience: 0 });
  abs.step(1);
  abs.step(0.95);
  t.is(abs.getLastLr()[0], 0.1);
});

test('ReduceLROnPlateau checks its options', (t) => {
  const opt = sgd([1]);
  t.throws(() => new schedules.ReduceLROnPlateau(opt, { factor: 1 }), { instanceOf: RangeError, message: /factor must be in \(0, 1\)/ });
  t.throws(() => new schedules.ReduceLROnPlateau(opt, { mode: 'up' as 'min' }), { instanceOf: RangeError, message: /mode/ });
  t.throws(() => new schedules.ReduceLROnPlateau(opt, { minLr: [0, 0] }), { instanceOf: RangeError, message: /2 values for 1/ });
  t.throws(() => new schedules.ReduceLROnPlateau(opt).step(NaN), { instanceOf: TypeError });
});

test('schedules drive any optimizer (Adam)', (t) => {
  const opt = new optimizers.Adam([parameter(zeros([2]))], { lr: 0.01 });
  const s = new schedules.ExponentialLR(opt, { gamma: 0.5 });
  s.step();
  t.is(opt.lr, 0.005);
});
