// Shared benchmark helpers: timing with warm-up and medians, GFLOP/s and % of the measured
// FMA peak, a plain-text table, and JSON results in bench/results/.
import fs from 'node:fs';
import path from 'node:path';
import { info, getNumThreads, setNumThreads, setIsa, type Isa } from '../lib';
import { binding } from '../lib/native';

export interface Timing {
  median: number; // seconds
  min: number;
  max: number;
  runs: number;
}

export interface TimeOptions {
  warmup?: number; // untimed calls first (default 2)
  runs?: number; // timed samples (default 7, at least 5 is sensible)
  minSampleSeconds?: number; // a sample repeats fn until it takes this long (default 0.02)
}

/** Times fn: warm-up calls, then `runs` samples of enough calls to last minSampleSeconds each; seconds per call. */
export function time(fn: () => void, opts: TimeOptions = {}): Timing {
  const { warmup = 2, runs = 7, minSampleSeconds = 0.02 } = opts;
  for (let i = 0; i < warmup; i++) fn();
  let reps = 1;
  for (;;) {
    const t = elapsed(fn, reps);
    if (t >= minSampleSeconds || reps >= 1 << 20) break;
    reps = Math.min(1 << 20, Math.ceil((reps * minSampleSeconds * 1.2) / Math.max(t, 1e-7)));
  }
  const samples = Array.from({ length: runs }, () => elapsed(fn, reps) / reps).sort((a, b) => a - b);
  return { median: median(samples), min: samples[0], max: samples[runs - 1], runs };
}

/** Seconds that `reps` calls of fn take. */
export function elapsed(fn: () => void, reps: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - start) * 1e-9;
}

export const gflops = (flops: number, seconds: number): number => flops / seconds / 1e9;

/** The value of a `--name=value` command-line option. */
export function option(name: string): string | undefined {
  return process.argv.slice(2).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** A `--name=N` option that must be a positive integer (`fallback` when absent); else a clear error. */
export function countOption(name: string, fallback: number, example = fallback): number {
  const text = option(name);
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`--${name} takes a positive integer, like ${example}; got ${text}`);
  return Number(text);
}

/** n floats uniform in [-scale, scale). */
export function random(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * scale;
  return a;
}

export const size = (shape: number[]): number => shape.reduce((a, d) => a * d, 1);

/** The middle sample, or the mean of the two middle ones for an even count. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Runs a kernel bench's pass `--repeat=N` times (1 by default) and writes bench/results/<name>.json. With several
 * passes it ends with each case's median and range over them of the numeric columns named.
 */
export function runPasses<P extends { rows: Row[] }>(name: string, pass: () => P, columns: string[]): void {
  const repeat = countOption('repeat', 1, 8);
  const passes: P[] = [];
  for (let i = 1; i <= repeat; i++) {
    if (repeat > 1) console.log(`\n## pass ${i} of ${repeat}`);
    passes.push(pass());
  }
  if (repeat === 1) {
    console.log(`\nwrote ${writeResults(name, passes[0])}`);
    return;
  }
  const summary = summarizePasses(passes.flatMap((p) => p.rows), columns);
  console.log(`\n## ${repeat} passes: each case's median over them (and range)`);
  printTable(summary);
  console.log(`\nwrote ${writeResults(name, { passes, summary })}`);
}

/**
 * One row per case, ISA and thread count over the passes of a repeated bench: each numeric column
 * named holds its median over the passes, and `<column> range` its range. On a shared machine a
 * single pass can land on a busy moment; the median of several is the figure to judge a kernel by.
 */
function summarizePasses(rows: Row[], columns: string[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.case}|${r.isa}|${r.threads}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const digits = (v: number) => (v < 100 ? v.toPrecision(3) : v.toFixed(1));
  return [...groups.values()].map((group) => {
    const out: Row = { case: group[0].case, isa: group[0].isa, threads: group[0].threads, passes: group.length };
    for (const column of columns) {
      const values = group.map((r) => r[column]).filter((v): v is number => typeof v === 'number');
      if (values.length === 0) continue;
      out[column] = median(values);
      out[`${column} range`] = `${digits(Math.min(...values))}-${digits(Math.max(...values))}`;
    }
    return out;
  });
}

export interface Peak {
  isa: Isa;
  threads: number;
  oneThread: number; // GFLOP/s
  allThreads: number;
}

const fmaPeak = binding<(seconds: number) => Peak>('fmaPeak');

/**
 * Measured FP32 FMA peak of the current ISA, 1 thread and the pool's threads: the best of
 * `runs` probes, since other processes on the machine can only slow a probe down.
 */
export function measurePeak(seconds = 0.1, runs = 5): Peak {
  const probes = Array.from({ length: runs }, () => fmaPeak(seconds));
  return { ...probes[0], oneThread: Math.max(...probes.map((p) => p.oneThread)),
    allThreads: Math.max(...probes.map((p) => p.allThreads)) };
}

/** Runs body with the pool at `threads` and the ISA forced, restoring both after. */
export function withSettings<T>(settings: { threads?: number; isa?: Isa }, body: () => T): T {
  const before = { threads: getNumThreads(), isa: info().isa };
  if (settings.threads !== undefined) setNumThreads(settings.threads);
  if (settings.isa !== undefined) setIsa(settings.isa);
  try {
    return body();
  } finally {
    setNumThreads(before.threads);
    setIsa(before.isa);
  }
}

export type Row = Record<string, string | number>;

/** Prints rows as a left-aligned text table; non-integer numbers with `digits` decimals. */
export function printTable(rows: Row[], digits = 1): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) =>
    typeof v !== 'number' ? (v ?? '') : Number.isInteger(v) ? String(v) : Math.abs(v) < 1 ? v.toPrecision(2) : v.toFixed(digits);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c]))));
}

/** Writes bench/results/<name>.json with the machine facts; returns the path. */
export function writeResults(name: string, data: unknown): string {
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const { isa, bestIsa, numThreads, physicalCores, compiler, version, node } = info();
  const machine = { isa, bestIsa, numThreads, physicalCores, compiler, version, node, date: new Date().toISOString() };
  fs.writeFileSync(file, JSON.stringify({ machine, results: data }, null, 2) + '\n');
  return file;
}
