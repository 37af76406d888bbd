import test from 'ava';
import { Tensor, tensor } from '../lib';
import { splitData } from '../lib/training';

function data(n: number, classes: number[]) {
  // Sample i has feature value i, so the rows of each set name the samples it got.
  const x = new Tensor(Float32Array.from({ length: n * 2 }, (_, j) => Math.floor(j / 2)), [n, 2]);
  const y = Int32Array.from({ length: n }, (_, i) => classes[i % classes.length]);
  return { x, y };
}

const ids = (x: Tensor) => Array.from({ length: x.shape[0] }, (_, i) => x.data[i * 2]);
const count = (y: Int32Array, c: number) => y.filter((v) => v === c).length;

test('splitData: sizes follow the fractions, every sample lands in exactly one set, rows stay aligned', (t) => {
  const { x, y } = data(1000, [0, 1, 2]);
  const s = splitData(x, y, { validation: 0.15, test: 0.1, seed: 3 });
  t.is(s.train.x.shape[0], 750);
  t.is(s.validation.x.shape[0], 150);
  t.is(s.test.x.shape[0], 100);
  const all = [...ids(s.train.x), ...ids(s.validation.x), ...ids(s.test.x)].sort((a, b) => a - b);
  t.deepEqual(all, Array.from({ length: 1000 }, (_, i) => i));
  for (const set of [s.train, s.validation, s.test]) {
    ids(set.x).forEach((id, i) => t.is((set.y as Int32Array)[i], y[id]));
    const order = ids(set.x);
    t.deepEqual(order, [...order].sort((a, b) => a - b), 'original order kept');
  }
});

test('splitData: stratified sets keep each class share within one sample', (t) => {
  // Unbalanced: classes 0, 1, 2 in proportions 6:3:1.
  const { x, y } = data(1000, [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]);
  const s = splitData(x, y, { train: 0.7, validation: 0.2, test: 0.1, seed: 11 });
  for (const [set, fraction] of [[s.train, 0.7], [s.validation, 0.2], [s.test, 0.1]] as const) {
    for (const [c, total] of [[0, 600], [1, 300], [2, 100]]) {
      t.true(Math.abs(count(set.y as Int32Array, c) - total * fraction) <= 1, `class ${c} in a ${fraction} set: ${count(set.y as Int32Array, c)}`);
    }
  }
});

test('splitData: unstratified splits of unbalanced data can miss a rare class; stratified ones never do', (t) => {
  const { x, y } = data(400, [...Array(19).fill(0), 1]); // 20 samples of class 1: 2 expected in a 10% test set
  let missed = 0;
  for (let seed = 0; seed < 40; seed++) {
    const plain = splitData(x, y, { test: 0.1, stratify: false, seed });
    if (count(plain.test.y as Int32Array, 1) === 0) missed++;
    const strat = splitData(x, y, { test: 0.1, seed });
    t.true(Math.abs(count(strat.test.y as Int32Array, 1) - 2) <= 1);
    t.true(count(strat.test.y as Int32Array, 1) > 0);
  }
  t.true(missed > 0, 'a plain random 40-sample test set misses a 5% class in some of 40 seeds');
});

test('splitData: the same seed gives the same split, another seed another one', (t) => {
  const { x, y } = data(300, [0, 1]);
  const a = splitData(x, y, { validation: 0.3, seed: 1 });
  const b = splitData(x, y, { validation: 0.3, seed: 1 });
  const c = splitData(x, y, { validation: 0.3, seed: 2 });
  t.deepEqual(ids(a.validation.x), ids(b.validation.x));
  t.notDeepEqual(ids(a.validation.x), ids(c.validation.x));
});

test('splitData: one-hot targets stratify by argmax; regression targets split unstratified', (t) => {
  const n = 100;
  const x = new Tensor(Float32Array.from({ length: n * 2 }, (_, j) => Math.floor(j / 2)), [n, 2]);
  const oneHot = tensor(Float32Array.from({ length: n * 2 }, (_, j) => ((j % 2) === (Math.floor(j / 2) % 10 === 0 ? 1 : 0) ? 1 : 0)), [n, 2]);
  const s = splitData(x, oneHot, { test: 0.2, seed: 4 });
  const positives = (yt: Tensor) => Array.from({ length: yt.shape[0] }, (_, i) => yt.data[i * 2 + 1]).filter((v) => v === 1).length;
  t.is(positives(s.test.y as Tensor), 2);
  const values = tensor(Float32Array.from({ length: n }, (_, i) => i * 0.5), [n, 1, 1]);
  const r = splitData(x, values, { test: 0.3, seed: 4 });
  t.is(r.test.x.shape[0], 30);
  ids(r.test.x).forEach((id, i) => t.is((r.test.y as Tensor).data[i], id * 0.5));
  t.throws(() => splitData(x, values, { test: 0.3, stratify: true }), { message: /stratify needs class labels/ });
});

test('splitData: bad fractions and mismatched data are errors', (t) => {
  const { x, y } = data(10, [0, 1]);
  t.throws(() => splitData(x, y, { validation: 0.6, test: 0.6 }), { message: /exceeds 1/ });
  t.throws(() => splitData(x, y, { test: -0.1 }), { message: /test fraction/ });
  t.throws(() => splitData(x, y.subarray(0, 9)), { message: /differ in sample count/ });
});
