// The main-thread side of a training worker: starts it (TypeScript sources under tsx, or the
// compiled dist/*.js), sends one request at a time, and relays per-batch progress.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { info } from '../runtime';
import type { Reply, Request, SerializedError, WorkerInit } from './protocol';
import type { Logs } from './types';

/** The worker entry next to this module: worker.ts when running the sources, worker.js from dist. */
function spawn(workerData: WorkerInit): Worker {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `worker${ext}`);
  if (ext !== '.ts') return new Worker(entry, { workerData });
  // A .ts entry needs tsx's require hook registered before it loads; --import in execArgv registers
  // its hooks too late for the entry module itself.
  const tsx = require.resolve('tsx/cjs');
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, workerData });
}

/** The worker's error on this thread: TypeError and RangeError keep their class, others their name. */
function toError(e: SerializedError): Error {
  const error = e.name === 'TypeError' ? new TypeError(e.message) : e.name === 'RangeError' ? new RangeError(e.message) : new Error(e.message);
  error.name = e.name;
  if (e.stack) error.stack = e.stack;
  return error;
}

type BatchHandler = (batch: number, logs: Logs) => void | Promise<void>;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onBatch?: BatchHandler;
}

export class TrainingWorker {
  private readonly worker: Worker;
  private readonly control = new Int32Array(new SharedArrayBuffer(4));
  private pending: Pending | null = null;
  /** Batch handlers run in order; a request resolves after the handlers of its batches. */
  private batches: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  private constructor(init: Omit<WorkerInit, 'control' | 'isa'>) {
    this.worker = spawn({ ...init, isa: info().isa, control: this.control.buffer as SharedArrayBuffer });
    this.worker.on('message', (reply: Reply) => this.receive(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`training worker exited (code ${code})`)));
  }

  static async start(init: Omit<WorkerInit, 'control' | 'isa'>): Promise<TrainingWorker> {
    const worker = new TrainingWorker(init);
    try {
      await new Promise((resolve, reject) => { worker.pending = { resolve, reject }; });
    } catch (error) {
      await worker.close();
      throw error;
    }
    return worker;
  }

  private receive(reply: Reply): void {
    const pending = this.pending;
    if (!pending) return;
    if (reply.type === 'batch') {
      const onBatch = pending.onBatch;
      if (onBatch) this.batches = this.batches.then(() => onBatch(reply.batch, reply.logs)).catch((e) => this.fail(e));
      return;
    }
    this.pending = null;
    const done = this.batches;
    this.batches = Promise.resolve();
    void done.then(() => {
      if (this.failure) pending.reject(this.failure);
      else if (reply.type === 'error') pending.reject(toError(reply.error));
      else pending.resolve(reply.type === 'result' ? reply.result : undefined);
    });
  }

  /** Rejects the request in flight (and every later one) with `error`, and ends the worker. */
  fail(error: unknown): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(this.failure);
    void this.worker.terminate();
  }

  request<T>(request: Request, transfer: ArrayBuffer[] = [], onBatch?: BatchHandler): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('training worker: a request is already running'));
    Atomics.store(this.control, 0, 0);
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (v: unknown) => void, reject, onBatch };
      this.worker.postMessage(request, transfer);
    });
  }

  /** Asks the running request to finish after its current batch. */
  requestStop(): void {
    Atomics.store(this.control, 0, 1);
  }

  async close(): Promise<void> {
    this.failure ??= new Error('training worker closed');
    await this.worker.terminate();
  }
}
