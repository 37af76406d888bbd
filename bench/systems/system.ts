// What the harness asks of each system it measures.
import type { NamedArray, Workload } from '../workloads';

/** A workload set up on one system: weights and inputs loaded, buffers allocated. */
export interface Instance {
  /** Runs `reps` calls; seconds per call. */
  sample(reps: number): Promise<number>;
  /** Runs one call and returns its outputs (NCHW): y, dx, loss, or the weights after a step. */
  check(): Promise<NamedArray[]>;
  dispose(): Promise<void>;
  /** How the system runs this workload, when worth saying (e.g. which matmul path). */
  note?: string;
}

export interface System {
  name: string; // column name: convkit, tfjs-cpu, tfjs-wasm, pytorch
  /** Versions and settings worth printing (SIMD, threads, ...). */
  describe(): string;
  /** Uses one thread whatever the setting (the harness then measures it at 1 thread only). */
  singleThreaded: boolean;
  /** Throws Unsupported when the system cannot run this workload. */
  setup(w: Workload, arrays: NamedArray[], threads: number): Promise<Instance>;
  close(): Promise<void>;
}

/** The system has no way to run the workload (a missing kernel, ...): the table says why. */
export class Unsupported extends Error {}

/** A call ran past the harness's time limit and was stopped. */
export class TimeLimit extends Error {}

/** Times `reps` calls of a synchronous function. */
export function timeSync(fn: () => void, reps: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - start) * 1e-9 / reps;
}

export function find(arrays: NamedArray[], name: string): NamedArray {
  const a = arrays.find((x) => x.name === name);
  if (!a) throw new Error(`workload has no array '${name}'`);
  return a;
}

export const weightArrays = (arrays: NamedArray[]) => arrays.filter((a) => /^w\d+$/.test(a.name));
