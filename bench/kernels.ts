// Kernel benchmarks: median time, GFLOP/s and the fraction of the measured FMA peak (the
// best probe at the start, and a probe run right before the case), per ISA, at 1 thread and
// all threads. `npm run bench:kernels -- [--isa=avx2] [--threads=1]
// [--filter=sgemm] [--runs=7] [--repeat=8]`; --repeat runs it all that many times and ends with
// each case's median and range over the passes. Results also go to bench/results/kernels.json.
import { info, getNumThreads, type Isa } from '../lib';
import { binding } from '../lib/native';
import { time, gflops, measurePeak, withSettings, printTable, runPasses, option, countOption, random, type Peak,
  type Row } from './common';

/** A benchmark case: `setup` allocates inputs once and returns the call to time. */
export interface Case {
  name: string;
  flops: number; // per call
  setup: () => () => void;
}

type Sgemm = (ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
  B: Float32Array, beta: number, C: Float32Array) => void;
const sgemm = binding<Sgemm>('sgemm');

function sgemmCase(name: string, M: number, N: number, K: number, ta = false, tb = false): Case {
  return {
    name: `sgemm ${name}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`,
    flops: 2 * M * N * K,
    setup: () => {
      const A = random(M * K), B = random(K * N), C = new Float32Array(M * N);
      return () => sgemm(ta, tb, M, N, K, 1, A, B, 0, C);
    },
  };
}

const square = (n: number) => sgemmCase(`${n}`, n, n, n);

// The cases, in print order. Other kernel families (conv, pool) add theirs here.
export const cases: Case[] = [
  ...[64, 128, 256, 512, 1024, 2048].map(square),
  // LeNet-5 as GEMMs: conv as im2col (M = out channels, N = output pixels, K = C*KH*KW),
  // per image and batched over 64 images, and its backward (dw = dy colᵀ, dcol = wᵀ dy);
  // dense layers at batch 64 (y = x wᵀ, dw = dyᵀ x).
  sgemmCase('conv1 6x784x25', 6, 784, 25),
  sgemmCase('conv2 16x100x150', 16, 100, 150),
  sgemmCase('conv1 batch64 6x50176x25', 6, 50176, 25),
  sgemmCase('conv2 batch64 16x6400x150', 16, 6400, 150),
  sgemmCase('conv1 dw 6x25x784', 6, 25, 784, false, true),
  sgemmCase('conv2 dw 16x150x100', 16, 150, 100, false, true),
  sgemmCase('conv2 dcol 150x100x16', 150, 100, 16, true, false),
  sgemmCase('fc1 64x120x400', 64, 120, 400, false, true),
  sgemmCase('fc1 dw 120x400x64', 120, 400, 64, true, false),
  sgemmCase('fc2 64x84x120', 64, 84, 120, false, true),
];

/** One pass: the probe, then every case at each thread count; returns its rows and peaks. */
function pass(isas: Isa[], threadCounts: number[], selected: Case[], runs: number) {
  const allThreads = getNumThreads();
  const rows: Row[] = [];
  const peaks: Record<string, unknown> = {};
  for (const isa of isas) {
    const peak = withSettings({ isa, threads: allThreads }, () => measurePeak());
    peaks[isa] = peak;
    console.log(`# ${isa}: FMA peak ${peak.oneThread.toFixed(1)} GFLOP/s on 1 thread, ${peak.allThreads.toFixed(1)} on ${peak.threads}`);
    for (const threads of threadCounts) {
      withSettings({ isa, threads }, () => {
        const pick = (p: Peak) => (threads === 1 ? p.oneThread : p.allThreads);
        const peakHere = threads === 1 ? peak.oneThread : peak.allThreads * (threads / peak.threads);
        for (const c of selected) {
          // A probe next to each case: on a shared machine it sees the same competition.
          const now = pick(measurePeak(0.02, 3));
          const t = time(c.setup(), { runs });
          const g = gflops(c.flops, t.median);
          const row = { case: c.name, isa, threads, 'median ms': t.median * 1e3, 'min ms': t.min * 1e3,
            'GFLOP/s': g, '% peak': (100 * g) / peakHere, '% peak now': (100 * g) / now };
          rows.push(row);
          console.log(`${c.name}  ${isa}  ${threads}t  ${(t.median * 1e3).toFixed(4)} ms  ${g.toFixed(1)} GFLOP/s  ` +
            `${row['% peak'].toFixed(1)}% of peak, ${row['% peak now'].toFixed(1)}% of the probe next to it`);
        }
      });
    }
  }
  console.log();
  printTable(rows.map((r) => ({ ...r, 'median ms': (r['median ms'] as number).toFixed(4), 'min ms': (r['min ms'] as number).toFixed(4) })));
  return { rows, peaks };
}

function main(): void {
  const isas = (option('isa')?.split(',') ?? info().supportedIsas.filter((i) => i !== 'generic')) as Isa[];
  const threadCounts = option('threads')?.split(',').map(Number) ?? [...new Set([1, getNumThreads()])];
  const filter = option('filter');
  const runs = countOption('runs', 7);
  const selected = cases.filter((c) => !filter || c.name.includes(filter));
  runPasses('kernels', () => pass(isas, threadCounts, selected, runs), ['median ms', 'GFLOP/s', '% peak', '% peak now']);
}

if (require.main === module) main();
