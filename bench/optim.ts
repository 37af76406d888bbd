// Adam over 10M parameters: ms per step and GB/s moved, against the memory bandwidth (STREAM
// triad) measured in the same run, and against TensorFlow.js's Adam on the same sizes.
// `npm run bench:optim -- [--n=10000000] [--rounds=15] [--no-tfjs]`; results also go to
// bench/results/optim.json.
//
// The triad and the Adam steps are sampled in alternation, round by round, so that other load on
// the machine hits both alike; each sample is one call (several ms). Reported: the median and
// the best sample of each, and Adam's GB/s as a fraction of the triad's, median to median.
import os from 'node:os';
import { info, setIsa, parameter, tensor, optimizers, type Isa } from '../lib';
import { binding } from '../lib/native';
import { time, withSettings, printTable, writeResults, countOption, random, median, type Row } from './common';

const N = countOption('n', 10_000_000);
const ROUNDS = countOption('rounds', 15);
const withTfjs = !process.argv.includes('--no-tfjs');
// Bytes an Adam step must move per parameter: θ read+write, g read, m read+write, v read+write.
const ADAM_BYTES = 7 * 4;
const TRIAD_BYTES = 3 * 4; // STREAM's count: b, c read, a written (write-allocate not counted)

const streamTriad = binding<(a: Float32Array, b: Float32Array, c: Float32Array, s: number, all: boolean) => void>('streamTriad');

interface Case {
  name: string;
  bytes: number; // per call
  isa?: Isa;
  run: () => void;
  samples: number[];
}

/** One sample per case per round, after two warm-up calls each. */
function sampleInterleaved(cases: Case[]): void {
  const call = (c: Case) => { if (c.isa) setIsa(c.isa); c.run(); };
  for (const c of cases) { call(c); call(c); }
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      const start = process.hrtime.bigint();
      call(c);
      c.samples.push(Number(process.hrtime.bigint() - start) * 1e-9);
    }
  }
}

interface Triad {
  n: number;
  run: (allThreads: boolean) => void;
}

/** Arrays of 4N floats (480 MB for N = 10M): beyond any cache. */
function makeTriad(): Triad {
  const n = 4 * N;
  const a = random(n), b = random(n), c = random(n);
  return { n, run: (allThreads) => streamTriad(a, b, c, 3, allThreads) };
}

function triadCase(triad: Triad, allThreads: boolean): Case {
  return { name: `STREAM triad, ${(3 * triad.n * 4) / 1e6} MB`, bytes: TRIAD_BYTES * triad.n, run: () => triad.run(allThreads), samples: [] };
}

/** Adam steps over n parameters; the cases share one optimizer and toggle its NaN/Inf check. */
function adamCases(n: number, isas: Isa[], checks: boolean[]): Case[] {
  const p = parameter(tensor(random(n)));
  p.grad.data.set(random(n, 1e-2));
  const opt = new optimizers.Adam([p], { lr: 1e-3 });
  return isas.flatMap((isa) => checks.map((check) => ({
    name: `convkit Adam ${n / 1e6}M ${isa}${check ? ' + NaN/Inf check' : ', fused step'}`, bytes: ADAM_BYTES * n, isa,
    run: () => { opt.checkFinite = check; opt.step(); }, samples: [],
  })));
}

async function tfjsAdam(backend: 'cpu' | 'wasm'): Promise<number | string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend(backend))) return 'backend did not start';
    await tf.ready();
  } catch (e) {
    return `unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
  const v = tf.variable(tf.tensor1d(random(N)));
  const g = tf.tensor1d(random(N, 1e-2));
  const opt = tf.train.adam(1e-3);
  const step = () => { opt.applyGradients([{ name: v.name, tensor: g }]); v.dataSync(); };
  const seconds = time(step, { warmup: 1, runs: 5, minSampleSeconds: 0 }).median;
  opt.dispose();
  v.dispose();
  g.dispose();
  return seconds;
}

async function main(): Promise<void> {
  const { supportedIsas, bestIsa, numThreads, isa: startIsa } = info();
  const load = () => os.loadavg()[0].toFixed(1);
  console.log(`Adam over ${N / 1e6}M parameters, ${ROUNDS} interleaved rounds; ${numThreads} threads, best ISA ${bestIsa}; ` +
    `load average ${load()} (other processes share the cores and the memory bus)\n`);
  const triad = makeTriad();
  const main = adamCases(N, supportedIsas, [false, true]);
  // 4N parameters (800 MB): the same kernel where no cache can hold a useful part of the data.
  const large = adamCases(4 * N, [bestIsa], [false]);
  const groups: { threads: number; cases: Case[] }[] = [
    { threads: numThreads, cases: [triadCase(triad, true), ...main, ...large] },
    { threads: 1, cases: [triadCase(triad, false), main.find((c) => c.isa === bestIsa && !c.name.includes('check'))!, ...large] },
  ];
  const rows: Row[] = [];
  for (const { threads, cases } of groups) {
    withSettings({ threads }, () => sampleInterleaved(cases));
    setIsa(startIsa);
    const triad = cases[0].bytes / median(cases[0].samples) / 1e9;
    for (const c of cases) {
      const gbs = c.bytes / median(c.samples) / 1e9;
      rows.push({ case: c.name, threads, 'ms (median)': median(c.samples) * 1e3, 'ms (best)': Math.min(...c.samples) * 1e3,
        'GB/s (median)': gbs, 'GB/s (best)': c.bytes / Math.min(...c.samples) / 1e9, '% of triad': (100 * gbs) / triad });
    }
  }
  const tfjs: Record<string, number | string> = {};
  if (withTfjs) {
    for (const backend of ['cpu', 'wasm'] as const) {
      const r = await tfjsAdam(backend);
      tfjs[backend] = r;
      if (typeof r === 'number') {
        const gbs = (ADAM_BYTES * N) / r / 1e9;
        rows.push({ case: `TensorFlow.js 4.22 Adam, ${backend} backend`, threads: backend === 'cpu' ? 1 : '?', 'ms (median)': r * 1e3,
          'ms (best)': '', 'GB/s (median)': gbs, 'GB/s (best)': '', '% of triad': '' });
      } else {
        console.log(`TensorFlow.js ${backend}: ${r}`);
      }
    }
  }
  printTable(rows, 1);
  const file = writeResults('optim', { n: N, rounds: ROUNDS, bytesPerParam: ADAM_BYTES, loadAverage: os.loadavg(), rows, tfjs });
  console.log(`\nwritten ${file}`);
}

void main();
