// Convolution and pooling benchmarks: median time, GFLOP/s and % of the measured FMA peak, at 1
// thread and all threads. `npm run bench:conv -- [--isa=avx2] [--threads=1] [--filter=inception]
// [--runs=5] [--repeat=8]` (--repeat as in bench:kernels); results also go to bench/results/conv.json.
import os from 'node:os';
import { info, getNumThreads, tensor, zeros, type Isa } from '../lib';
import { conv2d, conv2dBackward, conv2dOutputShape, maxPool2d, type Conv2dOptions } from '../lib/ops';
import { time, gflops, measurePeak, withSettings, printTable, runPasses, option, countOption, random, size, type Row } from './common';

interface Case {
  name: string;
  total?: string; // cases with the same label are also summed into one row per pass
  flops: number; // per call; 0 for memory-bound kernels (then elements per second are shown)
  elements: number;
  setup: () => () => void;
}

/** Forward (y = conv(x, w) + b) or backward (dx, dw, db; dx skipped for a first layer) of one conv. */
function convCase(name: string, x: number[], w: number[], opts: Conv2dOptions, pass: 'fwd' | 'bwd',
  needDx = true): Case {
  const y = conv2dOutputShape(x, w, opts);
  const macs = size(y) * size(w.slice(1));  // per output: C/groups*KH*KW multiply-adds
  const flops = 2 * macs * (pass === 'fwd' ? 1 : needDx ? 2 : 1);
  return {
    name: `${name} ${pass}${pass === 'bwd' && !needDx ? ' (no dx)' : ''}`,
    flops,
    elements: size(y),
    setup: () => {
      const xs = tensor(random(size(x)), x), ws = tensor(random(size(w)), w), b = tensor(random(w[0]), [w[0]]);
      if (pass === 'fwd') {
        const out = zeros(y);
        return () => conv2d(xs, ws, b, { ...opts, out });
      }
      const dy = tensor(random(size(y)), y);
      const g = { dx: needDx ? zeros(x) : undefined, dw: zeros(w), db: zeros([w[0]]), needDx };
      return () => conv2dBackward(xs, ws, dy, { ...opts, ...g });
    },
  };
}

function both(name: string, x: number[], w: number[], opts: Conv2dOptions, needDx = true, total?: string): Case[] {
  return [convCase(name, x, w, opts, 'fwd'), convCase(name, x, w, opts, 'bwd', needDx)].map((c) => ({ ...c, total }));
}

// GoogLeNet inception(3a) at batch 32: input 192x28x28.
const B = 32;
const I = 'inception3a convs';
const inception: Case[] = [
  ...both('inception3a 1x1 192→64', [B, 192, 28, 28], [64, 192, 1, 1], {}, true, I),
  ...both('inception3a 1x1 192→96', [B, 192, 28, 28], [96, 192, 1, 1], {}, true, I),
  ...both('inception3a 3x3 96→128', [B, 96, 28, 28], [128, 96, 3, 3], { padding: 1 }, true, I),
  ...both('inception3a 1x1 192→16', [B, 192, 28, 28], [16, 192, 1, 1], {}, true, I),
  ...both('inception3a 5x5 16→32', [B, 16, 28, 28], [32, 16, 5, 5], { padding: 2 }, true, I),
  ...both('inception3a 1x1 192→32 (pool proj)', [B, 192, 28, 28], [32, 192, 1, 1], {}, true, I),
];

const cases: Case[] = [
  convCase('3x3 64→64 56x56 b8', [8, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }, 'fwd'),
  ...[32, 64].flatMap((n) => [
    ...both(`lenet conv1 1→6 5x5 28x28 pad 2 b${n}`, [n, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }, false, `lenet convs b${n}`),
    ...both(`lenet conv2 6→16 5x5 14x14 b${n}`, [n, 6, 14, 14], [16, 6, 5, 5], {}, true, `lenet convs b${n}`),
  ]),
  ...inception,
  {
    name: 'inception3a maxpool 3x3/1 192x28x28 b32',
    flops: 0,
    elements: B * 192 * 28 * 28,
    setup: () => {
      const x = tensor(random(B * 192 * 28 * 28), [B, 192, 28, 28]);
      const out = zeros([B, 192, 28, 28]), indices = new Int32Array(out.size);
      return () => maxPool2d(x, { kernelSize: 3, stride: 1, padding: 1, out, indices });
    },
  },
  {
    name: 'lenet maxpool 2x2/2 6x28x28 b64',
    flops: 0,
    elements: 64 * 6 * 14 * 14,
    setup: () => {
      const x = tensor(random(64 * 6 * 28 * 28), [64, 6, 28, 28]);
      const out = zeros([64, 6, 14, 14]), indices = new Int32Array(out.size);
      return () => maxPool2d(x, { kernelSize: 2, out, indices });
    },
  },
];

/**
 * Wall-clock timing, plus the process CPU time per call: on a machine shared with other jobs,
 * FLOPs per CPU-second (at 1 thread) shows what the kernel does when it has the core.
 */
function timeWithCpu(fn: () => void, runs: number): { timing: ReturnType<typeof time>; cpuSeconds: number } {
  let calls = 0;
  const start = process.cpuUsage();
  const timing = time(() => { calls++; fn(); }, { runs, warmup: 2, minSampleSeconds: 0.05 });
  const used = process.cpuUsage(start);
  return { timing, cpuSeconds: (used.user + used.system) * 1e-6 / calls };
}

/** One pass: the probe, then every case at each thread count, and the totals. */
function pass(isas: Isa[], threadCounts: number[], selected: Case[], runs: number): { rows: Row[] } {
  const rows: Row[] = [];
  for (const isa of isas) {
    const peak = withSettings({ isa }, () => measurePeak());
    console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
    console.log(`${isa}: FMA peak ${peak.oneThread.toFixed(1)} GFLOP/s (1 thread), `
      + `${peak.allThreads.toFixed(1)} GFLOP/s (${peak.threads} threads)`);
    for (const threads of threadCounts) {
      const peakHere = threads === 1 ? peak.oneThread : peak.allThreads;
      const totals = new Map<string, { flops: number; seconds: number }>();
      for (const c of selected) {
        const { timing: t, cpuSeconds } = withSettings({ isa, threads }, () => timeWithCpu(c.setup(), runs));
        const row: Row = { case: c.name, isa, threads, 'median ms': t.median * 1e3, 'min ms': t.min * 1e3,
          'max ms': t.max * 1e3 };
        if (c.flops > 0) {
          row['GFLOP/s'] = gflops(c.flops, t.median);
          row['% peak'] = (100 * gflops(c.flops, t.median)) / peakHere;
          row['GFLOP/cpu-s'] = gflops(c.flops, cpuSeconds);
        } else {
          row['GFLOP/s'] = `${(c.elements / t.median / 1e9).toFixed(2)} Gout/s`;
          row['% peak'] = '';
          row['GFLOP/cpu-s'] = `${(c.elements / cpuSeconds / 1e9).toFixed(2)} Gout/cpu-s`;
        }
        rows.push(row);
        if (c.total) {
          const key = `${c.total}, all ${c.name.split(' ').includes('fwd') ? 'fwd' : 'bwd'}`;
          const total = totals.get(key) ?? { flops: 0, seconds: 0 };
          total.flops += c.flops;
          total.seconds += t.median;
          totals.set(key, total);
        }
      }
      for (const [name, total] of totals) {
        const rate = gflops(total.flops, total.seconds);
        rows.push({ case: name, isa, threads, 'median ms': total.seconds * 1e3, 'min ms': '', 'max ms': '',
          'GFLOP/s': rate, '% peak': (100 * rate) / peakHere, 'GFLOP/cpu-s': '' });
      }
    }
  }
  printTable(rows);
  return { rows };
}

function main(): void {
  const isas = (option('isa')?.split(',') ?? [info().bestIsa]) as Isa[];
  const threadCounts = option('threads')?.split(',').map(Number) ?? [...new Set([1, getNumThreads()])];
  const filter = option('filter');
  const runs = countOption('runs', 5);
  const selected = cases.filter((c) => !filter || c.name.includes(filter));
  runPasses('conv', () => pass(isas, threadCounts, selected, runs), ['median ms', 'GFLOP/s', '% peak']);
}

main();
