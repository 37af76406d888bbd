// Adam over 10M parameters: median ms per step and GB/s moved, against the memory bandwidth
// (STREAM triad) measured in the same run, and against TensorFlow.js's Adam on the same sizes.
// `npm run bench:optim -- [--n=10000000] [--no-tfjs]`; results also go to bench/results/optim.json.
import { info, parameter, tensor, optimizers, type Isa } from '../lib';
import { binding } from '../lib/native';
import { time, withSettings, printTable, writeResults, type Row } from './common';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}`))?.split('=')[1];
const N = Number(arg('n') ?? 10_000_000);
const withTfjs = !process.argv.includes('--no-tfjs');
// Bytes an Adam step must move per parameter: θ read+write, g read, m read+write, v read+write.
const ADAM_BYTES = 7 * 4;
const TRIAD_BYTES = 3 * 4; // STREAM's count: b, c read, a written (write-allocate not counted)

const streamTriad = binding<(a: Float32Array, b: Float32Array, c: Float32Array, s: number, all: boolean) => void>('streamTriad');

function random(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * scale;
  return a;
}

/** STREAM triad GB/s over arrays well beyond the last-level cache, on 1 thread and on all. */
function bandwidth(): { oneThread: number; allThreads: number } {
  const n = Math.max(N * 2, 20_000_000);
  const a = new Float32Array(n), b = random(n), c = random(n);
  const gbs = (all: boolean) => (TRIAD_BYTES * n) / time(() => streamTriad(a, b, c, 3, all), { runs: 9 }).median / 1e9;
  return { oneThread: gbs(false), allThreads: gbs(true) };
}

function convkitAdam(isa: Isa, threads: number, checkFinite: boolean): number {
  return withSettings({ isa, threads }, () => {
    const p = parameter(tensor(random(N)));
    p.grad.data.set(random(N, 1e-2));
    const opt = new optimizers.Adam([p], { lr: 1e-3, checkFinite });
    return time(() => opt.step(), { runs: 9 }).median;
  });
}

async function tfjsAdam(backend: 'cpu' | 'wasm'): Promise<number | string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tf = require('@tensorflow/tfjs') as typeof import('@tensorflow/tfjs');
  try {
    if (backend === 'wasm') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-wasm');
    }
    if (!(await tf.setBackend(backend))) return 'backend did not start';
    await tf.ready();
  } catch (e) {
    return `unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
  const v = tf.variable(tf.tensor1d(random(N)));
  const g = tf.tensor1d(random(N, 1e-2));
  const opt = tf.train.adam(1e-3);
  const step = () => opt.applyGradients([{ name: v.name, tensor: g }]);
  const seconds = time(() => { step(); v.dataSync(); }, { warmup: 1, runs: 5, minSampleSeconds: 0 }).median;
  opt.dispose();
  v.dispose();
  g.dispose();
  return seconds;
}

async function main(): Promise<void> {
  const { supportedIsas, bestIsa, numThreads } = info();
  console.log(`Adam over ${N / 1e6}M parameters; ${numThreads} threads, best ISA ${bestIsa}`);
  const bw = withSettings({ threads: numThreads }, bandwidth);
  console.log(`STREAM triad: ${bw.oneThread.toFixed(1)} GB/s on 1 thread, ${bw.allThreads.toFixed(1)} GB/s on ${numThreads}\n`);

  const rows: Row[] = [];
  const add = (name: string, threads: number, seconds: number) => {
    const gbs = (ADAM_BYTES * N) / seconds / 1e9;
    const ref = threads === 1 ? bw.oneThread : bw.allThreads;
    rows.push({ implementation: name, threads, 'ms/step': seconds * 1e3, 'GB/s': gbs, '% of triad': (100 * gbs) / ref });
  };
  for (const isa of [...supportedIsas].reverse()) {
    add(`convkit ${isa}, fused step only`, numThreads, convkitAdam(isa, numThreads, false));
    add(`convkit ${isa}, with NaN/Inf check`, numThreads, convkitAdam(isa, numThreads, true));
  }
  add(`convkit ${bestIsa}, fused step only`, 1, convkitAdam(bestIsa, 1, false));
  const tfjs: Record<string, number | string> = {};
  if (withTfjs) {
    for (const backend of ['cpu', 'wasm'] as const) {
      const r = await tfjsAdam(backend);
      tfjs[backend] = r;
      if (typeof r === 'number') add(`TensorFlow.js 4.22 ${backend}`, backend === 'cpu' ? 1 : numThreads, r);
      else console.log(`TensorFlow.js ${backend}: ${r}`);
    }
  }
  printTable(rows, 1);
  const file = writeResults('optim', { n: N, bytesPerParam: ADAM_BYTES, triadGBs: bw, rows, tfjs });
  console.log(`\nwritten ${file}`);
}

void main();
