// Shared pieces of the training tests: a compiled linear model on Gaussian blobs, scripted
// metrics, and weight snapshots.
import { optimizers } from '../../lib';
import { Callback, compile, LambdaCallback, type FitOptions, type Logs, type TrainableModel } from '../../lib/training';
import { blobs, LinearModel, setupModule, softmaxCrossEntropy } from './linear-model';

export const modes = [
  { name: 'worker', options: { workerSetup: setupModule } },
  { name: 'in-process', options: { inProcess: true } },
] as const;

export function linearTask(seed = 1, n = 240) {
  const data = blobs(n, 3, 4, seed);
  const model = new LinearModel(4, 3, seed);
  const optimizer = new optimizers.Adam(model.parameters(), { lr: 0.05 });
  compile(model, { optimizer, loss: softmaxCrossEntropy, metrics: ['accuracy'] });
  return { ...data, model, optimizer };
}

export const quiet: FitOptions = { verbose: 0, workerSetup: setupModule };

export function snapshot(model: TrainableModel): Float32Array[] {
  return model.getWeights().map((w) => w.data.slice());
}

/** Bitwise equality of two weight lists (NaN-safe, -0 != +0). */
export function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((w, i) => w.length === b[i].length &&
    new Uint32Array(w.buffer, w.byteOffset, w.length).every((v, j) => v === new Uint32Array(b[i].buffer, b[i].byteOffset, b[i].length)[j]));
}

/** A callback that overwrites `key` in each epoch's logs with the next scripted value. */
export function scripted(key: string, values: number[]) {
  return new LambdaCallback({ onEpochEnd: (epoch: number, logs: Logs) => { logs[key] = values[epoch]; } });
}

/** Records the model's weights at the end of each epoch (after the callbacks before it). */
export class WeightRecorder extends Callback {
  readonly epochs: Float32Array[][] = [];

  onEpochEnd(): void {
    this.epochs.push(snapshot(this.model));
  }
}
