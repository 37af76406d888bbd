// Checkpoints: convkit model files (topology and weights; loadModel reads them) whose extra state
// holds the optimizer state, the learning rate, the callbacks' state, the epoch and the seed.
// Written atomically. fit({resume}) from a checkpoint continues exactly as the uninterrupted run.
import { readModelFile, saveModel } from '../io/model-file';
import { Model } from '../model';
import { Callback, improvement, type CallbackState, type Mode } from './callbacks';
import { fromExtraState, toExtraState } from './serialize';
import type { Logs, Optimizer, TrainableModel } from './types';
import { copyWeights, loadWeights } from './weights';

const FORMAT = 'convkit-checkpoint';
const VERSION = 1;

export interface TrainingState {
  /** The epoch (0-based) whose end this checkpoint records; training resumes at epoch + 1. */
  epoch: number;
  seed: number;
  optimizerState: unknown;
  lr: number;
  /** State of each callback of the fit that has one, in fit's calling order. */
  callbacks: CallbackState[];
  logs: Logs;
}

export interface Checkpoint extends TrainingState {
  /** The model rebuilt from the file, with the checkpoint's weights. */
  model: Model;
}

export interface ModelCheckpointOptions {
  /** File to write; `{epoch}` is replaced by the 1-based epoch number. */
  path: string;
  /** Write every this many epochs (default 1). */
  everyEpochs?: number;
  /** With saveBestOnly: keep only epochs where `monitor` improved. */
  monitor?: string;
  saveBestOnly?: boolean;
  mode?: Mode;
}

/** Saves a checkpoint at the end of epochs. fit runs checkpoints after the other callbacks. */
export class ModelCheckpoint extends Callback {
  /** fit calls this callback after all others, so the state it saves is the epoch's final state. */
  readonly runsLast = true;
  readonly path: string;
  private readonly everyEpochs: number;
  private readonly monitor: string;
  private readonly saveBestOnly: boolean;
  private readonly better: (current: number, best: number) => boolean;
  private best: number | null = null;
  /** Files written, in order. */
  readonly saved: string[] = [];

  constructor(options: ModelCheckpointOptions) {
    super();
    if (!options || typeof options.path !== 'string') throw new TypeError('ModelCheckpoint: options.path is required');
    this.path = options.path;
    this.everyEpochs = options.everyEpochs ?? 1;
    if (!(Number.isInteger(this.everyEpochs) && this.everyEpochs >= 1)) throw new RangeError(`ModelCheckpoint: everyEpochs must be a positive integer, got ${this.everyEpochs}`);
    this.monitor = options.monitor ?? 'val_loss';
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.better = improvement(this.monitor, options.mode ?? 'auto', 0);
  }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if ((epoch + 1) % this.everyEpochs !== 0) return;
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined || (this.best !== null && !this.better(current, this.best))) return;
      this.best = current;
    }
    const file = this.path.replace('{epoch}', String(epoch + 1));
    await saveCheckpoint(file, this.model, this.optimizer, {
      epoch, seed: this.context.seed, callbacks: this.context.callbacks.stateDict(), logs,
    });
    this.saved.push(file);
  }

  stateDict(): unknown {
    return { best: this.best };
  }

  loadStateDict(state: unknown): void {
    this.best = (state as { best: number | null }).best;
  }
}

/** Writes the model, the optimizer's state and lr, and `state` to `file` (atomically). */
export async function saveCheckpoint(file: string, model: TrainableModel, optimizer: Optimizer,
  state: Omit<TrainingState, 'optimizerState' | 'lr'>): Promise<void> {
  if (!(model instanceof Model)) throw new TypeError('checkpoints store convkit Models (the model file format)');
  const json = { format: FORMAT, version: VERSION, ...state, optimizerState: optimizer.stateDict(), lr: optimizer.lr };
  await saveModel(model, file, { extra: toExtraState(json) });
}

export async function readCheckpoint(file: string): Promise<Checkpoint> {
  const { model, extra } = await readModelFile(file);
  const state = fromExtraState(extra) as TrainingState & { format?: unknown; version?: unknown };
  if (state?.format !== FORMAT || state.version !== VERSION) {
    throw new Error(`${file} is a model file without training state (not a checkpoint of this convkit version)`);
  }
  return { ...state, model };
}

/** Puts a checkpoint's weights into the model and its state into the optimizer. */
export function restoreCheckpoint(checkpoint: Checkpoint, model: TrainableModel, optimizer: Optimizer): void {
  loadWeights(model, copyWeights(checkpoint.model));
  // lr first: optimizers whose state holds per-group rates restore them from the state.
  optimizer.lr = checkpoint.lr;
  optimizer.loadStateDict(checkpoint.optimizerState);
}
