// `npm run bench [-- --quick] [-- --only <workload-id-prefix>]`: convkit against TensorFlow.js
// (cpu, wasm; tfjs-node when installed) and PyTorch (when python3 can import torch), same
// networks, weights and inputs, in one run. Each workload is first checked (every system's
// outputs against convkit's), then timed with the systems interleaved run by run; ratios are
// taken per run (peer's time / convkit's time: > 1 means convkit is faster). Results go to the
// terminal and to bench/results/<date>-<cpu>.{json,md,png}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { info, getNumThreads, setNumThreads } from '../lib';
import { binding } from '../lib/native';
import { measurePeak, median } from './common';
import { WORKLOADS, type NamedArray, type Workload } from './workloads';
import { convkit } from './systems/convkit';
import { tfjsSystem, tfjsNodeStatus } from './systems/tfjs';
import { findTorch, torchSystem } from './systems/torch';
import { TimeLimit, Unsupported, type Instance, type System } from './systems/system';
import { drawRatioChart } from './chart';

interface Settings {
  quick: boolean;
  runs: number;
  minSample: number; // seconds per sample (calls are repeated until a sample lasts this long)
  caseBudget: number; // a system whose runs would take longer than this is timed once
  maxCall: number; // a call estimated longer than this is not run at all
}

export type Status = 'ok' | 'unsupported' | 'check failed' | 'failed' | 'skipped';

export interface Cell {
  status: Status;
  reason?: string;
  note?: string;
  samples: number[]; // seconds per call, in run order
  runs: number;
  singleRun?: string; // why it was timed once
  reused?: string; // figures taken from another thread setting
  median?: number; // in the workload's unit
  min?: number;
  max?: number;
  ratio?: { median: number; min: number; max: number }; // convkit speed / this system's
  checkError?: number;
  extra?: Record<string, number>; // % of peak, GB/s, % of bandwidth
}

export interface Row {
  id: string;
  title: string;
  unit: string;
  threads: number;
  cells: Record<string, Cell>;
}

// A pause before each sample: a system's idle threads may spin after its last call (PyTorch's
// libgomp workers spin about 10 ms here), and must not take a core from the next system's
// sample. Without it, convkit's 2-thread sgemm 1024 after PyTorch's measured 406-426 GFLOP/s
// against 454 with PyTorch's threads made passive.
const SETTLE_MS = 50;
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS));

/** Seconds per call -> the workload's unit (img/s, GFLOP/s, or ms per step). */
function value(w: Workload, seconds: number): number {
  if (w.unit === 'img/s') return w.batch / seconds;
  if (w.unit === 'GFLOP/s') return w.flops / seconds / 1e9;
  return seconds * 1e3;
}

/**
 * How far `got` is from convkit's outputs: max|a - b| / max|b| for forward outputs (train steps and
 * Adam compare the change of the weights); ‖a - b‖₂ / ‖b‖₂ for input gradients, since a
 * pre-activation within rounding of zero legitimately flips a ReLU between two systems and moves
 * a few gradient elements by a whole term.
 */
function compare(w: Workload, arrays: NamedArray[], got: NamedArray[], ref: NamedArray[]): number {
  let worst = 0;
  for (const r of ref) {
    const g = got.find((a) => a.name === r.name);
    if (!g || g.data.length !== r.data.length) throw new Error(`output '${r.name}' missing or of another size (${g?.shape} vs ${r.shape})`);
    const before = w.kind === 'train-step' || w.kind === 'adam' ? arrays.find((a) => a.name === r.name) : undefined;
    const norm = r.name === 'dx' ? 2 : Infinity;
    let diff = 0, scale = 0;
    for (let i = 0; i < r.data.length; i++) {
      const d = Math.abs(g.data[i] - r.data[i]), s = Math.abs(r.data[i] - (before ? before.data[i] : 0));
      diff = norm === 2 ? diff + d * d : Math.max(diff, d);
      scale = norm === 2 ? scale + s * s : Math.max(scale, s);
    }
    if (!Number.isFinite(diff)) return Infinity;
    worst = Math.max(worst, norm === 2 ? Math.sqrt(diff / Math.max(scale, 1e-60)) : diff / Math.max(scale, 1e-30));
  }
  return worst;
}

const family = (id: string) => id.replace(/-b\d+$/, '');

class Runner {
  /** Seconds per image of each system on each workload family, to foresee hopeless calls. */
  private perImage = new Map<string, number>();
  /** Figures of single-threaded systems measured once per workload, shown in every column. */
  private singleThreadCells = new Map<string, Cell>();

  constructor(private systems: System[], private s: Settings) {}

  async measure(w: Workload, arrays: NamedArray[], threads: number): Promise<Row> {
    const row: Row = { id: w.id, title: w.title, unit: w.unit, threads, cells: {} };
    const live: { system: System; inst: Instance; reps: number; single: boolean }[] = [];
    let reference: NamedArray[] | null = null;
    for (const system of this.systems) {
      const key = `${system.name}/${w.id}`;
      const earlier = this.singleThreadCells.get(key);
      if (system.singleThreaded && earlier) {
        row.cells[system.name] = { ...earlier, samples: [...earlier.samples], reused: `${system.name} is single-threaded: figures of the 1-thread pass` };
        continue;
      }
      const cell: Cell = { status: 'ok', samples: [], runs: 0 };
      row.cells[system.name] = cell;
      const estimate = (this.perImage.get(`${system.name}/${family(w.id)}`) ?? 0) * w.batch;
      if (estimate > this.s.maxCall) {
        Object.assign(cell, { status: 'skipped', reason: `>= ${estimate.toFixed(0)} s per call (from a smaller batch), over the ${this.s.maxCall} s limit` });
        continue;
      }
      let inst: Instance | null = null;
      try {
        inst = await system.setup(w, arrays, threads);
        cell.note = inst.note;
        const start = process.hrtime.bigint();
        const out = await inst.check();
        const first = Number(process.hrtime.bigint() - start) * 1e-9;
        if (reference === null) {
          if (system !== convkit) throw new Error('convkit did not run: nothing to check against');
          reference = out;
        } else {
          cell.checkError = compare(w, arrays, out, reference);
          if (!(cell.checkError <= w.tolerance)) {
            Object.assign(cell, { status: 'check failed', reason: `outputs differ from convkit's: ${cell.checkError.toExponential(1)} > ${w.tolerance}` });
            await inst.dispose();
            continue;
          }
        }
        this.perImage.set(`${system.name}/${family(w.id)}`, first / w.batch);
        if (first * (this.s.runs + 1) > this.s.caseBudget) {
          // Too slow for repeated runs: one timed call (or the check's call, when even that is long).
          cell.singleRun = first > this.s.caseBudget ? `one call (the check's, warm-up included: ${first.toFixed(1)} s)` : 'one timed call';
          cell.samples.push(first > this.s.caseBudget ? first : await inst.sample(1));
          await inst.dispose();
          continue;
        }
        const t = await inst.sample(1);
        const reps = Math.max(1, Math.ceil(this.s.minSample / Math.max(t, 1e-6)));
        live.push({ system, inst, reps, single: false });
      } catch (e) {
        const status = e instanceof Unsupported ? 'unsupported' : e instanceof TimeLimit ? 'skipped' : 'failed';
        Object.assign(cell, { status, reason: (e as Error).message.split('\n')[0].slice(0, 200) });
        // A stopped call sets a lower bound for larger batches of the same network.
        if (e instanceof TimeLimit) this.perImage.set(`${system.name}/${family(w.id)}`, this.s.maxCall / w.batch);
        if (inst) await inst.dispose().catch(() => {});
        if (system === convkit) break; // nothing to check the others against
      }
    }
    for (let run = 0; run < this.s.runs; run++) {
      for (const l of live) {
        await settle();
        row.cells[l.system.name].samples.push(await l.inst.sample(l.reps));
      }
    }
    for (const l of live) await l.inst.dispose();
    this.summarize(w, row);
    for (const system of this.systems) {
      const cell = row.cells[system.name];
      if (system.singleThreaded && !cell.reused) this.singleThreadCells.set(`${system.name}/${w.id}`, cell);
    }
    return row;
  }

  private summarize(w: Workload, row: Row): void {
    const base = row.cells.convkit.samples;
    for (const [name, cell] of Object.entries(row.cells)) {
      if (cell.samples.length === 0) continue;
      cell.runs = cell.samples.length;
      const values = cell.samples.map((t) => value(w, t));
      Object.assign(cell, { median: median(values), min: Math.min(...values), max: Math.max(...values) });
      if (name !== 'convkit' && base.length > 0) {
        // Run by run when both ran every run; against convkit's median otherwise.
        const ratios = cell.samples.length === base.length && !cell.reused
          ? cell.samples.map((t, i) => t / base[i])
          : cell.samples.map((t) => t / median(base));
        cell.ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
      }
    }
  }
}

/** % of the FMA peak (sgemm) and GB/s and % of the triad bandwidth (Adam), against the run's best probes. */
function addMachineFractions(w: Workload, row: Row): void {
  for (const cell of Object.values(row.cells)) {
    if (cell.samples.length === 0) continue;
    const secs = median(cell.samples), threads = cell.reused ? 1 : row.threads;
    if (w.kind === 'matmul') cell.extra = { pctPeak: (100 * w.flops / secs / 1e9) / peakOf(threads) };
    if (w.kind === 'adam') {
      const gbs = w.bytes / secs / 1e9;
      cell.extra = { GBps: gbs, pctBandwidth: (100 * gbs) / bandwidthOf(threads) };
    }
  }
}

// ---- machine facts ----

const machine = {
  peak: new Map<number, number>(),
  bandwidth: new Map<number, number>(),
};
/** Best FMA peak and triad bandwidth seen so far at each thread setting. */
function probeMachine(threadSettings: number[]): void {
  for (const t of threadSettings) {
    setNumThreads(t);
    // FMA throughput scales with cores: a t-thread probe slowed by other processes is replaced
    // by t times the single-core one (t <= physical cores).
    const probe = measurePeak();
    const peak = t === 1 ? probe.oneThread : Math.max(probe.allThreads, Math.min(t, info().physicalCores) * probe.oneThread);
    machine.peak.set(t, Math.max(peak, machine.peak.get(t) ?? 0));
    machine.bandwidth.set(t, Math.max(measureBandwidth(t > 1), machine.bandwidth.get(t) ?? 0));
  }
}

const machineLine = (threadSettings: number[]) =>
  `${threadSettings.map((t) => `${fmt(peakOf(t))} GFLOP/s at ${t} thread${t > 1 ? 's' : ''}`).join(', ')}; ` +
  `stream triad ${threadSettings.map((t) => `${fmt(bandwidthOf(t))} GB/s`).join(', ')}`;

const peakOf = (threads: number) => machine.peak.get(threads) ?? NaN;
const bandwidthOf = (threads: number) => machine.bandwidth.get(threads) ?? NaN;

const streamTriad = binding<(a: Float32Array, b: Float32Array, c: Float32Array, s: number, all: boolean) => void>('streamTriad');

/** STREAM triad a = b + s c over 3 x 64 MB: GB/s counting 12 bytes per element, best of 5. */
function measureBandwidth(all: boolean): number {
  const n = 16 << 20;
  const a = new Float32Array(n), b = new Float32Array(n).fill(1), c = new Float32Array(n).fill(2);
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const start = process.hrtime.bigint();
    streamTriad(a, b, c, 3, all);
    if (i > 0) best = Math.min(best, Number(process.hrtime.bigint() - start) * 1e-9);
  }
  return (12 * n) / best / 1e9;
}

function cpuModel(): string {
  const text = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const field = (k: string) => text.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm'))?.[1].trim();
  const name = field('model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const fam = field('cpu family'), model = field('model');
  return fam && model ? `${name} (family ${fam}, model ${model})` : name;
}

// ---- output ----

const fmt = (v: number | undefined) => v === undefined || !Number.isFinite(v) ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(2);

/** Table cells name the missing kernel; the JSON keeps the whole message. */
const shortReason = (reason: string) => reason.match(/Kernel '(\w+)' not registered/)?.[1].replace(/^/, 'no ').concat(' kernel')
  ?? reason.replace(/^one call did not finish in (\d+) s.*/, '> $1 s per call').replace(/ \(from a smaller batch\), over the \d+ s limit/, ' (est.)');

function cellText(cell: Cell | undefined, withRange: boolean): string {
  if (!cell) return '';
  if (cell.status !== 'ok') return `${cell.status}${cell.reason ? `: ${shortReason(cell.reason)}` : ''}`;
  const range = withRange && cell.runs > 1 ? ` (${fmt(cell.min)}-${fmt(cell.max)})` : '';
  const flags = `${cell.singleRun ? ' [1 run]' : ''}${cell.reused ? ' [1 thr]' : ''}`;
  const extra = cell.extra?.pctPeak !== undefined ? ` ${cell.extra.pctPeak.toFixed(0)}%pk`
    : cell.extra?.GBps !== undefined ? ` ${cell.extra.GBps.toFixed(1)}GB/s ${cell.extra.pctBandwidth.toFixed(0)}%bw` : '';
  return `${fmt(cell.median)}${range}${extra}${flags}`;
}

const ratioText = (cell: Cell | undefined) => cell?.ratio ? `${fmt(cell.ratio.median)}x` : cell && cell.status !== 'ok' ? cell.status : '-';

function tableRows(rows: Row[], names: string[], withRange: boolean): string[][] {
  const peers = names.filter((n) => n !== 'convkit');
  const header = ['workload', 'thr', 'unit', ...names, ...peers.map((p) => `vs ${p}`)];
  return [header, ...rows.map((r) => [r.title, String(r.threads), r.unit, ...names.map((n) => cellText(r.cells[n], withRange)), ...peers.map((p) => ratioText(r.cells[p]))])];
}

function printText(rows: string[][]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ').trimEnd();
  console.log(line(rows[0]));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows.slice(1)) console.log(line(r));
}

const markdown = (rows: string[][]) => [rows[0], rows[0].map(() => '---'), ...rows.slice(1)].map((r) => `| ${r.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');

// ---- main ----

function parseArgs(argv: string[]): { quick: boolean; only: string | null } {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--only');
  const only = i >= 0 ? argv[i + 1] ?? null : argv.find((a) => a.startsWith('--only='))?.slice(7) ?? null;
  return { quick, only };
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const settings: Settings = quick
    ? { quick, runs: 3, minSample: 0.05, caseBudget: 3, maxCall: 8 }
    : { quick, runs: 7, minSample: 0.15, caseBudget: 25, maxCall: 60 };
  const workloads = WORKLOADS.filter((w) => (only ? w.id.startsWith(only) : !quick || w.quick));
  if (workloads.length === 0) throw new Error(`no workload matches --only ${only}; ids: ${WORKLOADS.map((w) => w.id).join(', ')}`);

  const allThreads = getNumThreads();
  const threadSettings = allThreads > 1 ? [1, allThreads] : [1];
  const torch = findTorch();
  const systems: System[] = [convkit, tfjsSystem('cpu', settings.maxCall), tfjsSystem('wasm', settings.maxCall)];
  if (torch) systems.push(torchSystem(torch.python, torch.version));
  const notes: string[] = [];
  const tfjsNode = tfjsNodeStatus();
  if (tfjsNode) notes.push(tfjsNode);
  if (!torch) notes.push('pytorch: no python3 here can import torch, skipped');
  notes.push('convkit: lib/models networks (conv3x3 through the functional API), optimizers.SGD (momentum) and Adam with their defaults (NaN/Inf gradient check on)');
  notes.push('TensorFlow.js: the same networks in tf ops (fused conv/matmul + bias + ReLU, as tf.layers uses), NHWC with inputs and weights converted once at setup; tf.train.momentum / adam; forward+backward = tf.grads of sum(y * dy)');
  if (torch) notes.push('PyTorch: nn modules built from the same spec by bench/torch_worker.py; torch.optim SGD (momentum) / Adam; forward in no_grad + eval');
  notes.push('TensorFlow.js cpu and wasm run single-threaded in Node: measured in the 1-thread pass, shown again in the all-threads rows ([1 thr])');
  if (quick) notes.push(`--quick: ${workloads.length} of ${WORKLOADS.length} workloads, ${settings.runs} runs of >= ${settings.minSample} s (the full bench: 7 runs of >= 0.15 s)`);

  const cpu = cpuModel();
  const loadAtStart = os.loadavg();
  console.log(`convkit bench on ${cpu}, ${os.cpus().length} logical CPUs, load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}`);
  probeMachine(threadSettings);
  setNumThreads(allThreads);
  console.log(`FP32 FMA peak (${info().isa}): ${machineLine(threadSettings)}`);

  const runner = new Runner(systems, settings);
  const rows: Row[] = [];
  const started = Date.now();
  for (const w of workloads) {
    const arrays = w.arrays();
    for (const t of threadSettings) {
      process.stdout.write(`  ${w.title}, ${t} thread${t > 1 ? 's' : ''} ...`);
      const tic = Date.now();
      rows.push(await runner.measure(w, arrays, t));
      process.stdout.write(` ${((Date.now() - tic) / 1000).toFixed(1)} s\n`);
    }
  }
  for (const s of systems) await s.close();
  probeMachine(threadSettings); // again: other processes can only make a probe read low
  for (const r of rows) addMachineFractions(workloads.find((w) => w.id === r.id)!, r);
  if (workloads.some((w) => w.kind === 'adam')) {
    notes.push('Adam GB/s count 28 bytes per parameter (θ, m, v read and written, g read); the triad counts 12 bytes per element as STREAM does (no write-allocate), so Adam can exceed 100%');
  }
  setNumThreads(allThreads);
  const load = os.loadavg()[0];
  if (load > 0.5 * os.cpus().length) {
    notes.push(`the machine was busy (load average ${load.toFixed(1)} on ${os.cpus().length} CPUs at the end): figures, at all threads most, are lower and noisier than on an idle machine`);
  }

  const systemLines = systems.map((s) => s.describe());
  for (const w of workloads) if (w.about) notes.push(w.about);
  for (const r of rows) for (const [n, c] of Object.entries(r.cells)) if (c.note) notes.push(`${n}: ${c.note}`);
  const uniqueNotes = [...new Set(notes)];
  const names = systems.map((s) => s.name);
  console.log('');
  console.log(`Medians of ${settings.runs} runs (min-max); img/s and GFLOP/s: higher is better, ms: lower; "vs X" = X's time / convkit's, median of per-run ratios (> 1: convkit faster)`);
  printText(tableRows(rows, names, true));
  console.log(`% of peak and of bandwidth against the best probes of the run: FP32 FMA peak (${info().isa}) ${machineLine(threadSettings)}`);
  console.log('');
  for (const line of [...systemLines, ...uniqueNotes]) console.log(`- ${line}`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);

  const date = new Date().toISOString().slice(0, 10);
  const slug = cpu.replace(/\(.*\)/, '').trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${date}-${slug}${quick ? '-quick' : ''}${only ? `-${only}` : ''}`);
  const i = info();
  const facts = {
    date: new Date().toISOString(), cpu, logicalCpus: os.cpus().length, isa: i.isa, bestIsa: i.bestIsa, threads: threadSettings,
    fmaPeakGflops: Object.fromEntries(machine.peak), triadGBps: Object.fromEntries(machine.bandwidth),
    loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg(), node: process.versions.node, convkit: i.version, compiler: i.compiler,
    systems: systemLines, command: `npm run bench${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
  };
  fs.writeFileSync(`${base}.json`, JSON.stringify({ machine: facts, settings, notes: uniqueNotes, rows }, null, 2) + '\n');
  const md = [`# convkit vs TensorFlow.js and PyTorch`, '',
    `${cpu}, ${os.cpus().length} logical CPUs, ${i.isa}; ${facts.date}; \`${facts.command}\`. ` +
    `FP32 FMA peak ${threadSettings.map((t) => fmt(peakOf(t))).join(' / ')} GFLOP/s, stream triad ${threadSettings.map((t) => fmt(bandwidthOf(t))).join(' / ')} GB/s (${threadSettings.join(' / ')} threads).`, '',
    `Medians of ${settings.runs} runs (min-max). img/s, GFLOP/s: higher is better; ms: lower. "vs X": X's time / convkit's time, the median of per-run ratios (> 1: convkit is faster). [1 run]: timed once (too slow to repeat); [1 thr]: single-threaded system, figures of the 1-thread pass.`, '',
    markdown(tableRows(rows, names, true)), '', ...[...systemLines, ...uniqueNotes].map((l) => `- ${l}`), ''].join('\n');
  fs.writeFileSync(`${base}.md`, md);
  drawRatioChart(`${base}.png`, rows, names.filter((n) => n !== 'convkit'), `convkit speed / peer speed (log scale) - ${cpu}`);
  console.log(`\nwrote ${base}.{json,md,png}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
