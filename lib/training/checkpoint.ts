// Checkpoints: the model (config and weights), the optimizer state, the learning rate, the
// callbacks' state, the epoch and the seed, in one file written atomically. fit({resume}) from
// a checkpoint continues exactly as the uninterrupted run would have.
import { promises as fs } from 'node:fs';
import { Callback, improvement, type Mode } from './callbacks';
import { decode, encode, writeFileAtomic } from './serialize';
import type { Logs, Optimizer, TrainableModel } from './types';
import { copyWeights, loadWeights } from './weights';

export interface Checkpoint {
  format: 'convkit-checkpoint';
  version: 1;
  /** The epoch (0-based) whose end this checkpoint records; training resumes at epoch + 1. */
  epoch: number;
  seed: number;
  modelConfig: unknown;
  weights: Float32Array[];
  optimizerState: unknown;
  lr: number;
  callbacks: unknown[];
  logs: Logs;
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
    await saveCheckpoint(file, {
      epoch,
      seed: this.context.seed,
      model: this.model,
      optimizer: this.optimizer,
      callbacks: this.context.callbacks.stateDict(),
      logs,
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

export interface CheckpointSource {
  epoch: number;
  seed: number;
  model: TrainableModel;
  optimizer: Optimizer;
  callbacks?: unknown[];
  logs?: Logs;
}

export async function saveCheckpoint(file: string, source: CheckpointSource): Promise<void> {
  const checkpoint: Checkpoint = {
    format: 'convkit-checkpoint',
    version: 1,
    epoch: source.epoch,
    seed: source.seed,
    modelConfig: source.model.toConfig(),
    weights: copyWeights(source.model),
    optimizerState: source.optimizer.stateDict(),
    lr: source.optimizer.lr,
    callbacks: source.callbacks ?? [],
    logs: source.logs ?? {},
  };
  await writeFileAtomic(file, encode(checkpoint));
}

export async function readCheckpoint(file: string): Promise<Checkpoint> {
  const checkpoint = decode(await fs.readFile(file), file) as Checkpoint;
  if (checkpoint?.format !== 'convkit-checkpoint' || checkpoint.version !== 1) {
    throw new Error(`${file}: unsupported checkpoint format`);
  }
  return checkpoint;
}

/** Puts a checkpoint's weights into the model and its state into the optimizer. */
export function restoreCheckpoint(checkpoint: Checkpoint, model: TrainableModel, optimizer: Optimizer): void {
  loadWeights(model, checkpoint.weights);
  optimizer.loadStateDict(checkpoint.optimizerState);
  optimizer.lr = checkpoint.lr;
}
