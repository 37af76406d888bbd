// fit, evaluate and predict. By default the work runs in a worker thread (see engine.ts) so the
// event loop stays free; `inProcess: true` runs it on the main thread, yielding between batches.
import { Tensor } from '../tensor';
import { CallbackList, runsLast, type CallbackLike, type FitParams } from './callbacks';
import { readCheckpoint, restoreCheckpoint } from './checkpoint';
import { compiledOf, type Compiled } from './compile';
import { checkDataset, numSamples, sliceRows, type Dataset, type Targets } from './data';
import { createEngine, type Engine } from './engine';
import { ProgressBar, type ProgressStream } from './progress';
import type { ClipOptions } from './protocol';
import { randomSeed } from '../random';
import type { Logs, TrainableModel } from './types';

export interface RunOptions {
  /** Run on the main thread (for models a worker cannot rebuild); yields to the event loop between batches. */
  inProcess?: boolean;
  /** Module the worker imports first: it registers custom layers, losses, metrics. */
  workerSetup?: string;
  /** Aborting rejects with an AbortError (its cause: signal.reason); see fit for the model's state. */
  signal?: AbortSignal;
  batchSize?: number;
}

export interface FitOptions extends RunOptions, ClipOptions {
  epochs?: number;
  shuffle?: boolean;
  /** Hold out this fraction of the samples, taken from the end before shuffling (as Keras does). */
  validationSplit?: number;
  validationData?: [Tensor, Targets] | Dataset;
  validationBatchSize?: number;
  callbacks?: CallbackLike[];
  /** Seeds shuffling and dropout; the same seed and thread count give the same weights. */
  seed?: number;
  /** 0: silent, 1: progress bar (plain lines when not a TTY), 2: one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Where progress goes (default process.stdout). */
  progressStream?: ProgressStream;
  /** First epoch to run (0-based), e.g. when resuming by hand. */
  initialEpoch?: number;
  /** A checkpoint file (ModelCheckpoint) to restore before training and continue from. */
  resume?: string;
}

export interface History {
  /** The epochs run (0-based). */
  epoch: number[];
  /** Per-epoch values: loss, metrics, val_loss, val_ metrics, lr. */
  history: Record<string, number[]>;
  params: FitParams;
}

function positiveInt(v: unknown, name: string, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new RangeError(`${what}: ${name} must be a positive integer, got ${v}`);
  return v as number;
}

function validationSet(data: Dataset, options: FitOptions): { train: Dataset; validation: Dataset | null } {
  const { validationData: vd, validationSplit } = options;
  if (vd) {
    const [x, y] = Array.isArray(vd) ? vd : [vd.x, vd.y];
    return { train: data, validation: checkDataset(x, y, 'fit validationData') };
  }
  if (validationSplit === undefined || validationSplit === 0) return { train: data, validation: null };
  if (!(validationSplit > 0 && validationSplit < 1)) throw new RangeError(`fit: validationSplit must be in (0, 1), got ${validationSplit}`);
  const n = numSamples(data.x), nTrain = n - Math.round(n * validationSplit);
  if (nTrain < 1) throw new RangeError(`fit: validationSplit ${validationSplit} leaves no training samples of ${n}`);
  const slice = (start: number, end: number) => ({ x: sliceRows(data.x, start, end), y: sliceRows(data.y, start, end) });
  return { train: slice(0, nTrain), validation: slice(nTrain, n) };
}

/** Node's convention (as fs and timers/promises): an Error named AbortError, the signal's reason as its cause. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';

  constructor(cause?: unknown) {
    super('The operation was aborted', { cause });
    this.name = 'AbortError';
  }
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError(signal.reason);
}

/** Rejects as soon as `signal` aborts; `onAbort` runs first (to stop the work). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort: () => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      onAbort();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', listener, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', listener));
  });
}

/** Starts an engine; if `signal` aborts first, rejects and closes the engine once it is up. */
async function startEngine(model: TrainableModel, compiled: Compiled | null, options: RunOptions & ClipOptions): Promise<Engine> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  const starting = createEngine({
    model, compiled, inProcess: options.inProcess ?? false, workerSetup: options.workerSetup ?? null, clip: options,
  });
  return abortable(starting, signal, () => void starting.then((engine) => engine.close(), () => {}));
}

/** Callbacks in the order fit calls them: the user's, the progress bar, then checkpoints. */
function orderCallbacks(options: FitOptions): CallbackLike[] {
  const user = options.callbacks ?? [];
  if (!Array.isArray(user)) throw new TypeError('fit: callbacks must be an array');
  const verbose = options.verbose ?? 1;
  const progress = verbose ? [new ProgressBar({ verbose, stream: options.progressStream })] : [];
  return [...user.filter((cb) => !runsLast(cb)), ...progress, ...user.filter(runsLast)];
}

/**
 * Trains the compiled model on (x, y). Returns the per-epoch history. On abort it rejects with
 * an AbortError; the model then holds the weights of the last completed epoch (worker mode) or
 * of the last completed batch (in-process mode).
 */
export async function fit(model: TrainableModel, x: Tensor, y: Targets, options: FitOptions = {}): Promise<History> {
  if (training.has(model)) throw new Error('fit: this model is already training (await the running fit first)');
  training.add(model);
  try {
    return await fitModel(model, x, y, options);
  } finally {
    training.delete(model);
  }
}

/** Models inside fit: a second concurrent fit would fight over their weights. */
const training = new WeakSet<TrainableModel>();

async function fitModel(model: TrainableModel, x: Tensor, y: Targets, options: FitOptions): Promise<History> {
  const compiled = compiledOf(model, 'fit');
  const { train, validation } = validationSet(checkDataset(x, y, 'fit'), options);
  const epochs = positiveInt(options.epochs ?? 1, 'epochs', 'fit');
  const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize', 'fit');
  const validationBatchSize = positiveInt(options.validationBatchSize ?? batchSize, 'validationBatchSize', 'fit');
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new TypeError(`fit: shuffle must be a boolean, got ${typeof shuffle}`);
  const verbose = options.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new RangeError(`fit: verbose must be 0, 1 or 2, got ${verbose}`);
  const checkpoint = options.resume ? await readCheckpoint(options.resume) : null;
  if (checkpoint) restoreCheckpoint(checkpoint, model, compiled.optimizer);
  const seed = options.seed ?? checkpoint?.seed ?? randomSeed();
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) throw new RangeError(`fit: seed must be an integer in [0, 2^32), got ${seed}`);
  const initialEpoch = checkpoint ? checkpoint.epoch + 1 : options.initialEpoch ?? 0;
  const params: FitParams = { epochs, initialEpoch, steps: Math.ceil(numSamples(train.x) / batchSize), samples: numSamples(train.x), batchSize, verbose };
  const callbacks = new CallbackList(orderCallbacks(options), { model, optimizer: compiled.optimizer, params, seed, stopTraining: false });
  const context = callbacks.context;
  const history: History = { epoch: [], history: {}, params };
  const engine = await startEngine(model, compiled, options);
  const stop = () => engine.stop();
  try {
    await callbacks.call('onTrainBegin', {});
    if (checkpoint) callbacks.loadStateDict(checkpoint.callbacks);
    const data = await engine.prepare(train, validation);
    let logs: Logs = {};
    for (let epoch = initialEpoch; epoch < epochs && !context.stopTraining; epoch++) {
      if (options.signal?.aborted) throw abortError(options.signal);
      await callbacks.call('onEpochBegin', epoch, {});
      const run = engine.fitEpoch(data, { epoch, batchSize, shuffle, seed, validationBatchSize }, async (batch, batchLogs) => {
        await callbacks.call('onBatchEnd', batch, batchLogs);
        if (context.stopTraining) stop();
      });
      logs = await abortable(run, options.signal, () => engine.abort());
      await callbacks.call('onEpochEnd', epoch, logs);
      history.epoch.push(epoch);
      for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    }
    await callbacks.call('onTrainEnd', logs);
    return history;
  } finally {
    await engine.close();
  }
}

export type EvaluateOptions = RunOptions;

/** Loss (with the regularization term) and metrics over (x, y), in inference mode. */
export async function evaluate(model: TrainableModel, x: Tensor, y: Targets, options: EvaluateOptions = {}): Promise<Logs> {
  const compiled = compiledOf(model, 'evaluate');
  const data = checkDataset(x, y, 'evaluate');
  const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize', 'evaluate');
  const engine = await startEngine(model, compiled, options);
  try {
    return await abortable(engine.evaluate(data, batchSize), options.signal, () => engine.abort());
  } finally {
    await engine.close();
  }
}

/** The model's outputs for every row of x, computed in batches, in inference mode. */
export async function predict(model: TrainableModel, x: Tensor, options: RunOptions = {}): Promise<Tensor> {
  if (!(x instanceof Tensor) || x.rank < 2) throw new TypeError('predict: x must be a Tensor [N, ...]');
  const batchSize = positiveInt(options.batchSize ?? 32, 'batchSize', 'predict');
  const engine = await startEngine(model, null, options);
  try {
    return await abortable(engine.predict(x, batchSize), options.signal, () => engine.abort());
  } finally {
    await engine.close();
  }
}
