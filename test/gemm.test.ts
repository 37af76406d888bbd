// sgemm against a float64 triple loop: random shapes (odd, prime, around the block and tile
// edges), all transposes, alpha/beta, leading dimensions, under every ISA.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { binding } from '../lib/native';
import { root } from './helpers/child';
import { forEachIsa } from './helpers/isa';
import { rng, randomArray, maxRelError } from './helpers/random';

type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array, lda?: number, ldb?: number, ldc?: number) => void;
const sgemm = binding<Sgemm>('sgemm');

interface Case { M: number; N: number; K: number; ta: boolean; tb: boolean; alpha: number; beta: number;
  lda?: number; ldb?: number; ldc?: number }

// C = alpha op(A) op(B) + beta C in float64, beta = 0 ignoring C.
function reference(c: Case, A: Float32Array, B: Float32Array, C: Float32Array, lda: number, ldb: number, ldc: number) {
  const { M, N, K, ta, tb, alpha, beta } = c;
  const out = new Float64Array(C);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += A[ta ? k * lda + i : i * lda + k] * B[tb ? j * ldb + k : k * ldb + j];
    out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]);
  }
  return out;
}

function check(t: { true(v: boolean, m?: string): void }, c: Case, seed: number) {
  const r = rng(seed);
  const lda = c.lda ?? (c.ta ? c.M : c.K), ldb = c.ldb ?? (c.tb ? c.K : c.N), ldc = c.ldc ?? c.N;
  const A = randomArray((c.ta ? c.K : c.M) * lda, r), B = randomArray((c.tb ? c.N : c.K) * ldb, r);
  const C = c.beta === 0 ? new Float32Array(c.M * ldc).fill(NaN) : randomArray(c.M * ldc, r);
  const expected = reference(c, A, B, C, lda, ldb, ldc);
  sgemm(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, B, c.beta, C, c.lda, c.ldb, c.ldc);
  // Padding columns of C (j >= N) must be untouched: NaN stays NaN, so compare rows only.
  const got: number[] = [], want: number[] = [];
  for (let i = 0; i < c.M; i++) for (let j = 0; j < c.N; j++) {
    got.push(C[i * ldc + j]);
    want.push(expected[i * ldc + j]);
  }
  const e = maxRelError(got, want, 1e-5 * Math.sqrt(c.K), 1e-4);
  t.true(e <= 1, `${JSON.stringify(c)}: error ${e}`);
  if (ldc > c.N) {
    let untouched = true;
    for (let i = 0; i < c.M; i++) for (let j = c.N; j < ldc; j++) untouched &&= Object.is(C[i * ldc + j], expected[i * ldc + j]) || (Number.isNaN(C[i * ldc + j]) && Number.isNaN(expected[i * ldc + j]));
    t.true(untouched, `${JSON.stringify(c)}: wrote past column N`);
  }
}

const transposes = [[false, false], [false, true], [true, false], [true, true]] as const;

// Tile sizes are MR x NR = 4x8 (generic), 6x16 (avx2), 14x32 (avx512); K blocks of at most
// KC = 256, 512, 512 (1024 on avx512 when M >= 2 MC); MC = 128, 144, 140; sizes around them
// hit full, partial and single-row/column tiles and K blocks.
const edgeSizes = [1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 29, 31, 32, 33, 47, 97];
const kSizes = [1, 2, 7, 25, 255, 256, 257, 300, 511, 512, 513];

forEachIsa('sgemm matches float64 on tile-edge shapes, all transposes', (t) => {
  let seed = 1;
  for (const M of edgeSizes) for (const [ta, tb] of transposes) {
    const N = edgeSizes[(M * 7 + (ta ? 3 : 0) + (tb ? 5 : 0)) % edgeSizes.length];
    const K = kSizes[(M + N) % kSizes.length];
    check(t, { M, N, K, ta, tb, alpha: 1, beta: 0 }, seed++);
  }
});

forEachIsa('sgemm matches float64 on random shapes up to 300 and block edges', (t) => {
  const r = rng(42);
  const pick = (n: number) => 1 + Math.floor(r() * n);
  const blockEdges = [127, 128, 129, 139, 140, 141, 143, 144, 145, 280, 281];
  let seed = 100;
  for (let i = 0; i < 12; i++) {
    const [ta, tb] = transposes[i % 4];
    const M = i < 6 ? pick(300) : blockEdges[i % blockEdges.length];
    check(t, { M, N: pick(300), K: pick(300), ta, tb, alpha: 1, beta: 0 }, seed++);
  }
  for (const [M, N, K] of [[251, 257, 263], [2, 300, 1], [300, 2, 3], [1, 1, 300], [61, 1, 77], [1, 97, 5]]) {
    check(t, { M, N, K, ta: false, tb: false, alpha: 1, beta: 0 }, seed++);
  }
});

// Large enough to be split over threads: by rows with shared B blocks (513x257, 129x300),
// by columns (6x2500, 30x700); 3x4100 crosses the NC block, K = 1100 three KC blocks, or two
// of the deeper blocks with 290 or 300 rows (B packed by the threads in row ranges when not
// transposed, in column ranges when transposed).
forEachIsa('sgemm on large shapes crosses every block and thread split', (t) => {
  check(t, { M: 513, N: 257, K: 300, ta: false, tb: false, alpha: 1, beta: 0 }, 7);
  check(t, { M: 150, N: 70, K: 1100, ta: true, tb: false, alpha: 1, beta: 0.5 }, 12);
  check(t, { M: 300, N: 45, K: 1100, ta: false, tb: true, alpha: 1, beta: 0.5 }, 13);
  check(t, { M: 290, N: 64, K: 1100, ta: false, tb: false, alpha: 1, beta: -1 }, 14);
  check(t, { M: 129, N: 300, K: 513, ta: true, tb: true, alpha: 0.5, beta: 2 }, 8);
  check(t, { M: 3, N: 4100, K: 20, ta: false, tb: true, alpha: 1, beta: 0 }, 9);
  check(t, { M: 6, N: 2500, K: 150, ta: false, tb: false, alpha: 1, beta: 0 }, 10);
  check(t, { M: 30, N: 700, K: 257, ta: true, tb: false, alpha: 1, beta: -1 }, 11);
});

// In a child process (the pool is process-wide): every thread count gives the same bits,
// since each element of C is one FMA chain whatever the split.
test('sgemm gives the same bits with 1, 2 and 3 threads, under every ISA', (t) => {
  const code = `
    const { setNumThreads, setIsa, info } = require('./lib');
    const sgemm = require('./lib/native').binding('sgemm');
    const shapes = [[513, 257, 300], [300, 64, 1100], [6, 2500, 150], [30, 700, 257], [64, 120, 400], [97, 131, 75]];
    const out = {};
    for (const isa of info().supportedIsas) {
      setIsa(isa);
      for (const [M, N, K] of shapes) {
        const A = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), B = Float32Array.from({ length: K * N }, (_, i) => Math.cos(i));
        const runs = [1, 2, 3].map((n) => { setNumThreads(n); const C = new Float32Array(M * N); sgemm(false, n === 2, M, N, K, 1, A, n === 2 ? transpose(B, K, N) : B, 0, C); return C; });
        out[isa + ' ' + M + 'x' + N + 'x' + K] = runs.every((C) => C.every((v, i) => Object.is(v, runs[0][i])));
      }
    }
    function transpose(B, K, N) { const T = new Float32Array(K * N); for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) T[j * K + k] = B[k * N + j]; return T; }
    console.log(JSON.stringify(out));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  t.is(run.status, 0, run.stderr);
  const results = JSON.parse(run.stdout) as Record<string, boolean>;
  t.true(Object.keys(results).length >= 5);
  for (const [name, same] of Object.entries(results)) t.true(same, name);
});

forEachIsa('sgemm alpha and beta; beta = 0 ignores NaN in C', (t) => {
  let seed = 200;
  for (const [alpha, beta] of [[1, 1], [0.5, -2], [-1.5, 0], [2, 0.25], [0, 0.5], [0, 0]]) {
    for (const [ta, tb] of transposes) {
      check(t, { M: 33, N: 45, K: 301, ta, tb, alpha, beta }, seed++);
      check(t, { M: 7, N: 3, K: 1, ta, tb, alpha, beta }, seed++);
    }
  }
});

forEachIsa('sgemm with leading dimensions larger than the rows', (t) => {
  let seed = 300;
  for (const [ta, tb] of transposes) {
    const M = 19, N = 37, K = 29;
    check(t, { M, N, K, ta, tb, alpha: 1.5, beta: 0.5, lda: (ta ? M : K) + 3, ldb: (tb ? K : N) + 5, ldc: N + 7 }, seed++);
    check(t, { M, N, K, ta, tb, alpha: 1, beta: 0, lda: (ta ? M : K) + 16, ldb: (tb ? K : N) + 1, ldc: N + 32 }, seed++);
  }
});

forEachIsa('sgemm gives the same bits for a tile wherever it lies', (t) => {
  // Each element is one FMA chain in k order: a sub-problem reproduces the full problem's bits.
  const r = rng(5);
  const M = 50, N = 70, K = 300;
  const A = randomArray(M * K, r), B = randomArray(K * N, r);
  const C = new Float32Array(M * N);
  sgemm(false, false, M, N, K, 1, A, B, 0, C);
  const sub = new Float32Array(M * N).fill(NaN);
  sgemm(false, false, M - 3, N - 5, K, 1, A.subarray(3 * K), B.subarray(5), 0, sub.subarray(3 * N + 5), K, N, N);
  let same = true;
  for (let i = 3; i < M; i++) for (let j = 5; j < N; j++) same &&= Object.is(sub[i * N + j], C[i * N + j]);
  t.true(same);
});

test('sgemm checks leading dimensions and buffer sizes', (t) => {
  const A = new Float32Array(12), B = new Float32Array(12), C = new Float32Array(8);
  t.notThrows(() => sgemm(false, false, 2, 2, 3, 1, A, B, 0, C, 6, 2, 4));
  t.throws(() => sgemm(false, false, 2, 2, 3, 1, A, B, 0, C, 2), {
    instanceOf: RangeError, message: /'lda' = 2 is outside \[3,/,
  });
  t.throws(() => sgemm(false, false, 3, 2, 3, 1, A, B, 0, C, 6), {
    instanceOf: RangeError, message: "sgemm: 'A' has 12 elements, a 3 x 3 matrix with 'lda' = 6 needs 15",
  });
  t.throws(() => sgemm(false, false, 2, 2, 3, 1, A.subarray(0, 6), B.subarray(0, 6), 0, C, undefined, undefined, 7), {
    instanceOf: RangeError, message: /'C' has 8 elements, a 2 x 2 matrix with 'ldc' = 7 needs 9/,
  });
  t.throws(() => sgemm(true, false, 2, 2, 3, 1, A.subarray(0, 5), B.subarray(0, 6), 0, C.subarray(0, 4)), {
    instanceOf: RangeError, message: /'A' has 5 elements, expected M\*K = 6/,
  });
});
