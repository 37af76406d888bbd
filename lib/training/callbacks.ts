// Callbacks: hooks the fit loop calls on the main thread with the real model, Keras-style.
import type { Logs, Optimizer, TrainableModel } from './types';
import { copyWeights, loadWeights } from './weights';

export interface FitParams {
  epochs: number;
  initialEpoch: number;
  /** Batches per epoch. */
  steps: number;
  samples: number;
  batchSize: number;
  verbose: 0 | 1 | 2;
}

/** What callbacks see and steer: set `stopTraining` to end fit after the current epoch. */
export interface TrainingContext {
  model: TrainableModel;
  optimizer: Optimizer;
  params: FitParams;
  /** The seed of this fit: shuffling and dropout derive from it (a checkpoint records it). */
  seed: number;
  stopTraining: boolean;
  /** All callbacks of this fit, for checkpoints of their state. */
  callbacks: CallbackList;
}

type Hook<A extends unknown[]> = ((...args: A) => void | Promise<void>) | undefined;

/** Any object with some of these methods is a callback; extend Callback to get `model` etc. */
export interface CallbackLike {
  setContext?(context: TrainingContext): void;
  onTrainBegin?: Hook<[logs: Logs]>;
  onEpochBegin?: Hook<[epoch: number, logs: Logs]>;
  /** In worker mode batch hooks observe progress as it is reported: the model holds the weights of the last epoch. */
  onBatchEnd?: Hook<[batch: number, logs: Logs]>;
  onEpochEnd?: Hook<[epoch: number, logs: Logs]>;
  onTrainEnd?: Hook<[logs: Logs]>;
  /** State that a checkpoint saves so that a resumed run continues exactly (e.g. patience counters). */
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
}

export class Callback implements CallbackLike {
  protected context!: TrainingContext;

  setContext(context: TrainingContext): void {
    this.context = context;
  }

  get model(): TrainableModel {
    return this.context.model;
  }

  get optimizer(): Optimizer {
    return this.context.optimizer;
  }
}

/** Calls each hook of each callback in order, awaiting async ones. */
export class CallbackList {
  readonly context: TrainingContext;

  constructor(readonly callbacks: CallbackLike[], context: Omit<TrainingContext, 'callbacks'>) {
    this.context = { ...context, callbacks: this };
    for (const cb of callbacks) cb.setContext?.(this.context);
  }

  async call<K extends 'onTrainBegin' | 'onEpochBegin' | 'onBatchEnd' | 'onEpochEnd' | 'onTrainEnd'>(
    hook: K, ...args: Parameters<NonNullable<CallbackLike[K]>>
  ): Promise<void> {
    for (const cb of this.callbacks) {
      const fn = cb[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (fn) await fn.apply(cb, args);
    }
  }

  stateDict(): unknown[] {
    return this.callbacks.map((cb) => cb.stateDict?.() ?? null);
  }

  loadStateDict(states: unknown[]): void {
    this.callbacks.forEach((cb, i) => {
      if (states[i] !== null && states[i] !== undefined) cb.loadStateDict?.(states[i]);
    });
  }
}

export type Mode = 'min' | 'max' | 'auto';

/** Whether `current` beats `best` by more than minDelta in the monitored direction. */
export function improvement(monitor: string, mode: Mode, minDelta: number): (current: number, best: number) => boolean {
  const max = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall|f1/i.test(monitor));
  return max ? (current, best) => current - Math.abs(minDelta) > best : (current, best) => current + Math.abs(minDelta) < best;
}

function monitored(logs: Logs, monitor: string, who: string): number | undefined {
  const value = logs[monitor];
  if (value === undefined && !monitorWarned.has(`${who}:${monitor}`)) {
    monitorWarned.add(`${who}:${monitor}`);
    process.emitWarning(`${who}: metric '${monitor}' is not in the logs (${Object.keys(logs).join(', ')})`);
  }
  return value;
}
const monitorWarned = new Set<string>();

export interface EarlyStoppingOptions {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  /** Put back the weights of the best epoch when stopping. */
  restoreBestWeights?: boolean;
}

/** Stops training when `monitor` has not improved by more than minDelta for `patience` epochs. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  private readonly better: (current: number, best: number) => boolean;
  private best = NaN;
  private bestEpoch = -1;
  private wait = 0;
  private bestWeights: Float32Array[] | null = null;
  /** The epoch at whose end training stopped, or -1. */
  stoppedEpoch = -1;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.patience = options.patience ?? 0;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.better = improvement(this.monitor, options.mode ?? 'auto', options.minDelta ?? 0);
  }

  get bestValue(): number {
    return this.best;
  }

  override setContext(context: TrainingContext): void {
    super.setContext(context);
    this.stoppedEpoch = -1;
  }

  onTrainBegin(): void {
    this.best = NaN;
    this.bestEpoch = -1;
    this.wait = 0;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = monitored(logs, this.monitor, 'EarlyStopping');
    if (current === undefined || Number.isNaN(current)) return;
    if (this.bestEpoch < 0 || this.better(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = copyWeights(this.model);
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      this.stoppedEpoch = epoch;
      this.context.stopTraining = true;
      if (this.bestWeights) loadWeights(this.model, this.bestWeights);
    }
  }

  stateDict(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch, wait: this.wait, bestWeights: this.bestWeights };
  }

  loadStateDict(state: unknown): void {
    const s = state as { best: number; bestEpoch: number; wait: number; bestWeights: Float32Array[] | null };
    Object.assign(this, { best: s.best, bestEpoch: s.bestEpoch, wait: s.wait, bestWeights: s.bestWeights });
  }
}

/** A function of the epoch and the current learning rate, or an object giving lr per epoch. */
export type ScheduleFn = (epoch: number, lr: number) => number;

/** Sets the optimizer's learning rate at the start of each epoch from a schedule. */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: ScheduleFn) {
    super();
  }

  onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, this.optimizer.lr);
    if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`LearningRateScheduler: schedule gave lr ${lr} at epoch ${epoch}`);
    this.optimizer.lr = lr;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.lr = this.optimizer.lr;
  }
}

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  factor?: number;
  patience?: number;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  mode?: Mode;
}

/** Multiplies the learning rate by `factor` when `monitor` stalls for `patience` epochs. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly better: (current: number, best: number) => boolean;
  private best = NaN;
  private seen = false;
  private wait = 0;
  private cooldownLeft = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    if (!(this.factor > 0 && this.factor < 1)) throw new RangeError(`ReduceLROnPlateau: factor must be in (0, 1), got ${this.factor}`);
    this.patience = options.patience ?? 10;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    this.better = improvement(this.monitor, options.mode ?? 'auto', options.minDelta ?? 1e-4);
  }

  onTrainBegin(): void {
    Object.assign(this, { best: NaN, seen: false, wait: 0, cooldownLeft: 0 });
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.lr = this.optimizer.lr;
    const current = monitored(logs, this.monitor, 'ReduceLROnPlateau');
    if (current === undefined || Number.isNaN(current)) return;
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    if (!this.seen || this.better(current, this.best)) {
      this.best = current;
      this.seen = true;
      this.wait = 0;
    } else if (this.cooldownLeft === 0 && ++this.wait >= this.patience) {
      this.optimizer.lr = Math.max(this.optimizer.lr * this.factor, this.minLr);
      this.cooldownLeft = this.cooldown;
      this.wait = 0;
    }
  }

  stateDict(): unknown {
    return { best: this.best, seen: this.seen, wait: this.wait, cooldownLeft: this.cooldownLeft };
  }

  loadStateDict(state: unknown): void {
    Object.assign(this, state as object);
  }
}

/** Calls the given functions as hooks (Keras LambdaCallback). */
export class LambdaCallback extends Callback {
  constructor(hooks: Omit<CallbackLike, 'setContext'>) {
    super();
    Object.assign(this, hooks);
  }
}
