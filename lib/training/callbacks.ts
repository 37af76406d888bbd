// Callbacks: hooks the fit loop calls on the main thread with the real model, Keras-style.
import { ReduceLROnPlateau as PlateauScheduler } from '../schedules';
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

export interface CallbackState {
  name: string;
  /** A callback that fit runs after the others (checkpoints). */
  last: boolean;
  state: unknown;
}

/** Callbacks that fit runs after all others: checkpoints, so they save each epoch's final state. */
export function runsLast(cb: CallbackLike): boolean {
  return (cb as { runsLast?: boolean }).runsLast === true;
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

  private stateful(): CallbackLike[] {
    return this.callbacks.filter((cb) => typeof cb.stateDict === 'function');
  }

  /** The state of each callback that has one, in order, with its class name. */
  stateDict(): CallbackState[] {
    return this.stateful().map((cb) => ({ name: cb.constructor.name, last: runsLast(cb), state: cb.stateDict!() }));
  }

  /**
   * Restores stateDict() output. Callbacks that steer training (early stopping, schedules) must
   * be of the same classes in the same order; checkpoint callbacks may be left out or added.
   */
  loadStateDict(states: CallbackState[]): void {
    const stateful = this.stateful();
    const steering = stateful.filter((cb) => !runsLast(cb)), saved = states.filter((s) => !s.last);
    const names = steering.map((cb) => cb.constructor.name);
    if (saved.length !== names.length || saved.some((s, i) => s.name !== names[i])) {
      throw new Error(`resume: the checkpoint has state for callbacks [${saved.map((s) => s.name).join(', ')}], ` +
        `this fit has [${names.join(', ')}]; pass the same callbacks as the run that wrote it`);
    }
    steering.forEach((cb, i) => cb.loadStateDict?.(saved[i].state));
    const checkpoints = stateful.filter(runsLast), savedCheckpoints = states.filter((s) => s.last);
    checkpoints.forEach((cb, i) => {
      if (savedCheckpoints[i]?.name === cb.constructor.name) cb.loadStateDict?.(savedCheckpoints[i].state);
    });
  }
}

export type Mode = 'min' | 'max' | 'auto';

/** 'auto' is 'max' for accuracy-like names (acc, auc, precision, recall, f1), else 'min'. */
export function direction(monitor: string, mode: Mode): 'min' | 'max' {
  return mode === 'auto' ? (/acc|auc|precision|recall|f1/i.test(monitor) ? 'max' : 'min') : mode;
}

/** Whether `current` beats `best` by more than minDelta in the monitored direction. */
export function improvement(monitor: string, mode: Mode, minDelta: number): (current: number, best: number) => boolean {
  const delta = Math.abs(minDelta);
  return direction(monitor, mode) === 'max' ? (current, best) => current - delta > best : (current, best) => current + delta < best;
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

/** A function of the epoch and the current learning rate giving the epoch's learning rate. */
export type ScheduleFn = (epoch: number, lr: number) => number;

/** A scheduler of the schedules module (StepLR, CosineAnnealingLR, ...): step() once per epoch. */
export interface EpochScheduler {
  step(): void;
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

/**
 * Sets the learning rate per epoch: with a function, lr = schedule(epoch, lr) at the start of each
 * epoch (Keras); with a scheduler of the schedules module built on this optimizer, its step() at
 * the end of each epoch (PyTorch). Either way `lr` joins the epoch's logs.
 */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: ScheduleFn | EpochScheduler) {
    super();
    if (typeof schedule !== 'function' && typeof schedule?.step !== 'function') {
      throw new TypeError('LearningRateScheduler takes a function (epoch, lr) => lr or a scheduler with step()');
    }
  }

  onEpochBegin(epoch: number): void {
    if (typeof this.schedule !== 'function') return;
    const lr = this.schedule(epoch, this.optimizer.lr);
    if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`LearningRateScheduler: schedule gave lr ${lr} at epoch ${epoch}`);
    this.optimizer.lr = lr;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    logs.lr = this.optimizer.lr;
    if (typeof this.schedule !== 'function') this.schedule.step();
  }

  stateDict(): unknown {
    return typeof this.schedule === 'function' ? null : this.schedule.stateDict();
  }

  loadStateDict(state: unknown): void {
    if (typeof this.schedule !== 'function') this.schedule.loadStateDict(state as never);
  }
}

export interface ReduceLROnPlateauOptions {
  /** The logged value to watch (default 'val_loss'). */
  monitor?: string;
  /** 'auto': 'max' for accuracy-like names, else 'min'. */
  mode?: Mode;
  /** lr <- lr * factor on a plateau (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (default 10). */
  patience?: number;
  /** Smallest absolute change that counts as an improvement (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. */
  cooldown?: number;
  minLr?: number;
}

/**
 * Reduces the learning rate when `monitor` stops improving: the schedules module's
 * ReduceLROnPlateau (PyTorch semantics: reduce after more than `patience` bad epochs) stepped
 * with the monitored value at each epoch end.
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  private readonly options: ReduceLROnPlateauOptions;
  private scheduler: PlateauScheduler | null = null;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.options = options;
  }

  onTrainBegin(): void {
    const { mode = 'auto', factor, patience, minDelta = 1e-4, cooldown, minLr } = this.options;
    this.scheduler = new PlateauScheduler(this.optimizer as never, {
      mode: direction(this.monitor, mode), factor, patience, threshold: minDelta, thresholdMode: 'abs', cooldown, minLr,
    });
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const current = monitored(logs, this.monitor, 'ReduceLROnPlateau');
    if (current !== undefined && !Number.isNaN(current)) this.scheduler!.step(current);
    logs.lr = this.optimizer.lr;
  }

  stateDict(): unknown {
    const s = this.scheduler!;
    return { best: s.best, numBadEpochs: s.numBadEpochs, cooldownCounter: s.cooldownCounter, lastEpoch: s.lastEpoch };
  }

  loadStateDict(state: unknown): void {
    Object.assign(this.scheduler!, state as object);
  }
}

/** Calls the given functions as hooks (Keras LambdaCallback). */
export class LambdaCallback extends Callback {
  constructor(hooks: Omit<CallbackLike, 'setContext'>) {
    super();
    Object.assign(this, hooks);
  }
}
