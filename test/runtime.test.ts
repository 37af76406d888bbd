import test from 'ava';
import { Worker } from 'node:worker_threads';
import { info, setIsa, type Isa } from '../lib';
import { binding, packageRoot } from '../lib/native';
import { runFixture } from './helpers/child';
import { isas } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array) => void;
const sgemm = binding<Sgemm>('sgemm');

function naiveMatmul(A: Float32Array, B: Float32Array, M: number, N: number, K: number): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
    C[i * N + j] = s;
  }
  return C;
}

test('info reports the ISA, threads and versions', (t) => {
  const i = info();
  t.true(['generic', 'avx2', 'avx512'].includes(i.isa));
  t.true(i.supportedIsas.includes('generic'));
  t.true(i.supportedIsas.includes(i.bestIsa));
  t.true(i.numThreads >= 1);
  t.true(i.physicalCores >= 1);
  t.is(i.napiVersion, 8);
  t.regex(i.version, /^\d+\.\d+\.\d+/);
  t.is(i.node, process.versions.node);
  t.true(i.addon.endsWith('.node'));
});

test('setIsa forces each supported ISA for this thread and rejects others', (t) => {
  const before = info().isa;
  for (const isa of isas) {
    setIsa(isa);
    t.is(info().isa, isa);
  }
  setIsa(before);
  t.throws(() => setIsa('sse9' as Isa), { instanceOf: RangeError, message: /'sse9' is not an ISA/ });
  for (const isa of (['avx2', 'avx512'] as Isa[]).filter((i) => !isas.includes(i))) {
    t.throws(() => setIsa(isa), { instanceOf: RangeError, message: /not supported/ });
  }
});

test('CONVKIT_ISA forces the ISA at load; a bad value is a clear error', (t) => {
  for (const isa of isas) {
    const run = runFixture('print-info.ts', { CONVKIT_ISA: isa });
    t.is(run.status, 0, run.stderr);
    t.is(JSON.parse(run.stdout).isa, isa);
  }
  const bad = runFixture('print-info.ts', { CONVKIT_ISA: 'avx9000' });
  t.not(bad.status, 0);
  t.regex(bad.stderr, /CONVKIT_ISA='avx9000': use generic, avx2 or avx512/);
  const missing = (['avx2', 'avx512'] as Isa[]).find((i) => !isas.includes(i));
  if (missing) {
    const run = runFixture('print-info.ts', { CONVKIT_ISA: missing });
    t.regex(run.stderr, /not supported by this CPU/);
  }
});

test('CONVKIT_NUM_THREADS sets the pool size; a bad value is a clear error', (t) => {
  const run = runFixture('print-info.ts', { CONVKIT_NUM_THREADS: '3' });
  t.is(run.status, 0, run.stderr);
  t.is(JSON.parse(run.stdout).numThreads, 3);
  const bad = runFixture('print-info.ts', { CONVKIT_NUM_THREADS: 'many' });
  t.not(bad.status, 0);
  t.regex(bad.stderr, /CONVKIT_NUM_THREADS='many'/);
});

test('results are bit-identical for a given thread count', (t) => {
  const run = runFixture('threads.ts');
  t.is(run.status, 0, run.stderr);
  const results = JSON.parse(run.stdout) as { threads: number; actual: number; repeatable: boolean; error: number }[];
  t.is(results.length, 3);
  for (const r of results) {
    t.is(r.actual, r.threads);
    t.true(r.repeatable, `threads=${r.threads}`);
    t.true(r.error <= 1, `threads=${r.threads}: error ${r.error}`);
  }
});

test('the binding checks types and sizes and names the argument', (t) => {
  const A = new Float32Array(6), B = new Float32Array(6), C = new Float32Array(4);
  t.notThrows(() => sgemm(false, false, 2, 2, 3, 1, A, B, 0, C));
  t.throws(() => sgemm(false, false, 2, 2, 3, 1, A, B, 0, new Float32Array(3)), {
    instanceOf: RangeError, message: "sgemm: 'C' has 3 elements, expected M*N = 4",
  });
  t.throws(() => sgemm(false, false, 2, 2, 4, 1, A, B, 0, C), { instanceOf: RangeError, message: /'A' has 6 elements/ });
  t.throws(() => sgemm(false, false, 2, 2, 3, 1, new Float64Array(6) as unknown as Float32Array, B, 0, C), {
    instanceOf: TypeError, message: "sgemm: 'A' must be a Float32Array",
  });
  t.throws(() => sgemm(false, false, 0, 2, 3, 1, A, B, 0, C), { instanceOf: RangeError, message: /'M' = 0 is outside/ });
  t.throws(() => sgemm(false, false, 2.5, 2, 3, 1, A, B, 0, C), { instanceOf: TypeError, message: /'M' must be an integer/ });
  t.throws(() => sgemm(false, false, 2, 2, 3, NaN, A, B, 0, C), { instanceOf: RangeError, message: /'alpha' must be finite/ });
  t.throws(() => (sgemm as unknown as (...a: unknown[]) => void)(false, false, 2), { instanceOf: TypeError, message: /10 arguments expected, got 3/ });
  // Sizes whose product overflows 32 bits are caught, not wrapped around.
  t.throws(() => sgemm(false, false, 2 ** 30, 2 ** 30, 3, 1, A, B, 0, C), { instanceOf: RangeError });
});

test('the addon loads in worker threads and runs concurrently with the main thread', async (t) => {
  const M = 64, N = 80, K = 48;
  const r = rng(3);
  const A = randomArray(M * K, r), B = randomArray(K * N, r);
  const expected = naiveMatmul(A, B, M, N, K);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require('node-gyp-build')(workerData.root);
    const { A, B, M, N, K } = workerData;
    let C;
    for (let i = 0; i < 200; i++) { C = new Float32Array(M * N); addon.sgemm(false, false, M, N, K, 1, A, B, 0, C); }
    parentPort.postMessage({ C, isa: addon.info().isa });`;
  const workers = [0, 1, 2].map(() => new Promise<{ C: Float32Array; isa: string }>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { root: packageRoot, A, B, M, N, K } });
    w.once('message', resolve);
    w.once('error', reject);
  }));
  for (let i = 0; i < 200; i++) {
    const C = new Float32Array(M * N);
    sgemm(false, false, M, N, K, 1, A, B, 0, C);
    t.true(maxRelError(C, expected) <= 1);
  }
  for (const { C } of await Promise.all(workers)) t.true(maxRelError(C, expected) <= 1);
});

test('thousands of small jobs on an oversubscribed pool all complete with the same bits', (t) => {
  const run = runFixture('pool-stress.ts');
  t.is(run.status, 0, run.stderr);
  t.deepEqual(JSON.parse(run.stdout), { differing: 0 });
});
