// A/B of this checkout against another build of convkit, in one process: both addons loaded and
// each case timed alternately, sample by sample, so that the machine's drift (a shared VM moves by
// more than the changes measured) hits both alike.
//   npm run bench:ab -- --against=../base [--threads=1] [--isa=avx512] [--filter=sgemm]
//     [--pairs=21] [--shapes=128x2048x1024,...] [--neighbor=16]
// ../base is another checkout with its addon built (`git worktree add ../base <rev>`, then
// `npm install` in it); --shapes adds sgemm cases M x N x K. ratio = the other build's time / this
// one's, the median of the per-pair ratios (> 1: this one is faster). On 2 threads each build's
// idle pool spins for 200 µs after its calls, so the pair shares that. --neighbor=MiB runs a
// worker thread meanwhile that copies between two arrays of MiB each, the way another tenant's
// memory traffic takes L3 and memory bandwidth from the kernels.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { elapsed, printTable, option, countOption, random, size, median, type Row } from './common';

type Lib = typeof import('../lib');
type Ops = typeof import('../lib/ops');
type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array) => void;

interface Build {
  lib: Lib;
  ops: Ops;
  sgemm: Sgemm;
}

function load(root: string): Build {
  const lib = require(path.join(root, 'lib')) as Lib;
  const ops = require(path.join(root, 'lib', 'ops')) as Ops;
  const native = require(path.join(root, 'lib', 'native')) as typeof import('../lib/native');
  return { lib, ops, sgemm: native.binding<Sgemm>('sgemm') };
}

/** A case: given a build, allocates its inputs and returns the call to time. */
type Case = [name: string, setup: (b: Build) => () => void];

function sgemmCase(M: number, N: number, K: number): Case {
  return [`sgemm ${M}x${N}x${K}`, (b) => {
    const A = random(M * K), B = random(K * N), C = new Float32Array(M * N);
    return () => b.sgemm(false, false, M, N, K, 1, A, B, 0, C);
  }];
}

/** bwd without dx for a first layer, as bench/conv.ts and LeNet-5's training time it. */
function convCase(name: string, x: number[], w: number[], padding: number, pass: 'fwd' | 'bwd', needDx: boolean): Case {
  return [`${name} ${pass}${pass === 'bwd' && !needDx ? ' (no dx)' : ''}`, ({ lib, ops }) => {
    const xs = lib.tensor(random(size(x)), x), ws = lib.tensor(random(size(w)), w), b = lib.zeros([w[0]]);
    const y = ops.conv2dOutputShape(x, w, { padding });
    if (pass === 'fwd') {
      const out = lib.zeros(y);
      return () => ops.conv2d(xs, ws, b, { padding, out });
    }
    const dy = lib.tensor(random(size(y)), y);
    const grads = { dx: needDx ? lib.zeros(x) : undefined, dw: lib.zeros(w), db: lib.zeros([w[0]]), needDx };
    return () => ops.conv2dBackward(xs, ws, dy, { padding, ...grads });
  }];
}

const convs: [string, number[], number[], number, boolean][] = [
  ['3x3 64→64 56x56 b8', [8, 64, 56, 56], [64, 64, 3, 3], 1, true],
  ['inception3a 1x1 192→64', [32, 192, 28, 28], [64, 192, 1, 1], 0, true],
  ['inception3a 3x3 96→128', [32, 96, 28, 28], [128, 96, 3, 3], 1, true],
  ['lenet conv1 b32', [32, 1, 28, 28], [6, 1, 5, 5], 2, false],
  ['lenet conv2 b32', [32, 6, 14, 14], [16, 6, 5, 5], 0, true],
];

const shapes = (option('shapes')?.split(',') ?? []).map((s) => {
  const dims = s.split('x').map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new Error(`--shapes takes M x N x K of positive integers, like 128x2048x1024; got ${s}`);
  }
  return dims;
});
const cases: Case[] = [
  ...[256, 1024, 2048].map((n) => sgemmCase(n, n, n)),
  ...shapes.map(([M, N, K]) => sgemmCase(M, N, K)),
  ...convs.flatMap(([name, x, w, pad, needDx]) => [convCase(name, x, w, pad, 'fwd', needDx),
    convCase(name, x, w, pad, 'bwd', needDx)]),
];

function startNeighbor(mib: number): Worker {
  // TypedArray.set copies at memcpy speed; a JavaScript loop would stream a third as fast.
  const code = `const n = ${mib} * 262144, a = new Float32Array(n).fill(1), b = new Float32Array(n);
    for (;;) b.set(a), a.set(b);`;
  return new Worker(code, { eval: true });
}

function main(): void {
  const against = option('against');
  if (!against) throw new Error('--against=<path of another convkit checkout with its addon built> is required');
  const builds = [load(path.resolve(__dirname, '..')), load(path.resolve(against))];
  const threads = Number(option('threads') ?? builds[0].lib.getNumThreads());
  for (const { lib } of builds) {
    lib.setNumThreads(threads);
    const isa = option('isa');
    if (isa) lib.setIsa(isa as Parameters<Lib['setIsa']>[0]);
  }
  const pairs = countOption('pairs', 21), filter = option('filter');
  const neighborMib = option('neighbor') === undefined ? undefined : countOption('neighbor', 16);
  const neighbor = neighborMib === undefined ? null : startNeighbor(neighborMib);
  const rows: Row[] = [];
  for (const [name, setup] of cases.filter(([name]) => !filter || name.includes(filter))) {
    const [fa, fb] = builds.map(setup);
    let reps = 1;
    while (elapsed(fa, reps) < 0.005) reps *= 2;  // samples of at least 5 ms
    for (let i = 0; i < 3; i++) elapsed(fa, reps), elapsed(fb, reps);
    const ta: number[] = [], tb: number[] = [];
    for (let i = 0; i < pairs; i++) ta.push(elapsed(fa, reps) / reps), tb.push(elapsed(fb, reps) / reps);
    rows.push({ case: name, 'this ms': median(ta) * 1e3, 'other ms': median(tb) * 1e3,
      ratio: median(ta.map((t, i) => tb[i] / t)) });
  }
  const beside = neighbor ? `, beside a ${neighborMib} MiB memory stream` : '';
  console.log(`threads ${threads}, ${pairs} pairs, against ${path.resolve(against)}${beside}`);
  printTable(rows, 3);
  void neighbor?.terminate();
}

main();
