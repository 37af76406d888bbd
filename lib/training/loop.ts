// The training loop proper: one batch, one epoch, evaluation and prediction over batches. The
// same code runs in the training worker and, in in-process mode, on the main thread.
import { Tensor } from '../tensor';
import type { Parameter } from '../parameter';
import { regularizationLoss } from '../regularizers';
import { gatherRows, numSamples, rowSize, sliceRows, type Dataset, type Targets } from './data';
import { deriveSeed, permutation } from '../random';
import type { Logs, Loss, Metric, Optimizer, TrainableModel } from './types';

export interface Objectives {
  optimizer: Optimizer;
  loss: Loss;
  metrics: Metric[];
  /** Applied to the gradients after backward, before the optimizer step (clipping). */
  transformGrads?: (params: Parameter[]) => void;
}

export interface LoopHooks {
  onBatchEnd?: (batch: number, logs: Logs) => void | Promise<void>;
  /** Checked before each batch: true ends the epoch early. */
  shouldStop?: () => boolean;
  /** Awaited between batches (in-process mode yields to the event loop here). */
  pause?: () => Promise<void>;
}

export interface EpochOptions {
  epoch: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
}

/** Running sample-weighted means of named values. */
class Averages {
  private sums = new Map<string, number>();
  private count = 0;

  add(values: Logs, n: number): void {
    for (const [k, v] of Object.entries(values)) this.sums.set(k, (this.sums.get(k) ?? 0) + v * n);
    this.count += n;
  }

  means(): Logs {
    const logs: Logs = {};
    for (const [k, s] of this.sums) logs[k] = s / this.count;
    return logs;
  }
}

/** Batch buffers reused across batches so an epoch allocates two batches, not N. */
class Batcher {
  private full: { x: Tensor; y: Targets } | null = null;

  constructor(private readonly data: Dataset, private readonly batchSize: number) {}

  get count(): number {
    return Math.ceil(numSamples(this.data.x) / this.batchSize);
  }

  batch(order: Int32Array, b: number): { x: Tensor; y: Targets } {
    const start = b * this.batchSize, end = Math.min(start + this.batchSize, order.length);
    if (end - start !== this.batchSize) {
      return { x: gatherRows(this.data.x, order, start, end), y: gatherRows(this.data.y, order, start, end) };
    }
    if (!this.full) {
      this.full = { x: gatherRows(this.data.x, order, start, end), y: gatherRows(this.data.y, order, start, end) };
    } else {
      gatherRows(this.data.x, order, start, end, this.full.x);
      gatherRows(this.data.y, order, start, end, this.full.y);
    }
    return this.full;
  }
}

export class TrainingLoop {
  private readonly params: Parameter[];

  constructor(readonly model: TrainableModel, readonly objectives: Objectives) {
    this.params = model.parameters();
  }

  private measure(prediction: Tensor, y: Targets, loss: number): Logs {
    const logs: Logs = { loss };
    for (const m of this.objectives.metrics) logs[m.name] = m.compute(prediction, y);
    return logs;
  }

  /** One optimizer step on (x, y); returns the batch's loss (with the penalty term) and metrics. */
  trainBatch(x: Tensor, y: Targets, seed: number): Logs {
    const { optimizer, loss, transformGrads } = this.objectives;
    // Every parameter, not only the optimizer's: grads of the others would grow without bound.
    for (const p of this.params) p.zeroGrad();
    const prediction = this.model.forward(x, { training: true, seed });
    const result = loss.compute(prediction, y);
    const logs = this.measure(prediction, y, result.loss + regularizationLoss(this.params));
    this.model.backward(result.grad);
    transformGrads?.(this.params);
    optimizer.step(this.params);
    return logs;
  }

  /** One pass over `data` in batches; the order is a permutation seeded by (seed, epoch). */
  async trainEpoch(data: Dataset, options: EpochOptions, hooks: LoopHooks = {}): Promise<Logs> {
    const n = numSamples(data.x);
    const order = permutation(n, options.shuffle ? deriveSeed(options.seed, options.epoch) : undefined);
    const batcher = new Batcher(data, options.batchSize);
    const averages = new Averages();
    for (let b = 0; b < batcher.count; b++) {
      if (hooks.shouldStop?.()) break;
      const { x, y } = batcher.batch(order, b);
      const logs = this.trainBatch(x, y, deriveSeed(options.seed, options.epoch, b, 0x0d0));
      averages.add(logs, numSamples(x));
      await hooks.onBatchEnd?.(b, { ...logs, size: numSamples(x) });
      await hooks.pause?.();
    }
    return averages.means();
  }

  /** Loss and metrics over `data` in inference mode. */
  async evaluate(data: Dataset, batchSize: number, hooks: LoopHooks = {}): Promise<Logs> {
    const n = numSamples(data.x);
    const averages = new Averages();
    for (let start = 0, b = 0; start < n; start += batchSize, b++) {
      if (hooks.shouldStop?.()) break;
      const end = Math.min(start + batchSize, n);
      const y = sliceRows(data.y, start, end);
      const prediction = this.model.forward(sliceRows(data.x, start, end), { training: false });
      const logs = this.measure(prediction, y, this.objectives.loss.compute(prediction, y).loss);
      averages.add(logs, end - start);
      await hooks.onBatchEnd?.(b, { ...logs, size: end - start });
      await hooks.pause?.();
    }
    const logs = averages.means();
    if (logs.loss !== undefined) logs.loss += regularizationLoss(this.params);
    return logs;
  }
}

/** Outputs of `model` on x, batch by batch, gathered into one tensor [N, ...]. */
export async function predictBatches(model: TrainableModel, x: Tensor, batchSize: number, hooks: LoopHooks = {}): Promise<Tensor> {
  const n = numSamples(x);
  let out: Tensor | null = null;
  for (let start = 0, b = 0; start < n; start += batchSize, b++) {
    if (hooks.shouldStop?.()) break;
    const end = Math.min(start + batchSize, n);
    const y = model.forward(sliceRows(x, start, end), { training: false });
    out ??= new Tensor(new Float32Array(n * rowSize(y)), [n, ...y.shape.slice(1)]);
    out.data.set(y.data, start * rowSize(y));
    await hooks.onBatchEnd?.(b, { size: end - start });
    await hooks.pause?.();
  }
  return out ?? new Tensor(new Float32Array(0), [0]);
}

export interface FitEpochOptions extends EpochOptions {
  validation: Dataset | null;
  /** Batch size of the validation pass. */
  validationBatchSize: number;
}

/**
 * Trains one epoch, then evaluates the validation set: train logs plus `val_`-prefixed ones. The
 * validation pass runs even when the epoch was stopped early (`hooks.shouldStop`), unless
 * `shouldAbort` says the whole call is cancelled.
 */
export async function fitEpoch(loop: TrainingLoop, train: Dataset, options: FitEpochOptions, hooks: LoopHooks,
  shouldAbort?: () => boolean): Promise<Logs> {
  const logs = await loop.trainEpoch(train, options, hooks);
  if (options.validation && numSamples(options.validation.x) > 0) {
    const val = await loop.evaluate(options.validation, options.validationBatchSize, { pause: hooks.pause, shouldStop: shouldAbort });
    for (const [k, v] of Object.entries(val)) logs[`val_${k}`] = v;
  }
  return logs;
}
