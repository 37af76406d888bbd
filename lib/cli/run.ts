// What a training run records in its directory (run.json) so that predict and featuremaps can
// rebuild the same data split, plus the helpers the commands share.
import fs from 'node:fs';
import path from 'node:path';
import { Tensor } from '../tensor';
import { setNumThreads } from '../runtime';
import { head, type Dataset } from '../data/dataset';
import { loadDataset } from '../data/load';
import { splitData } from '../training/split';
import type { Model } from '../model';
import { loadModel } from '../io/model-file';
import { lenet5 } from '../models/lenet5';
import { UsageError } from './args';

export interface RunInfo {
  format: 'convkit.run';
  version: 1;
  /** `--data`: 'mnist' or a path (absolute). */
  data: string;
  limit: number | null;
  seed: number;
  validation: number;
  test: number;
  /** The command line that made the run. */
  command: string;
}

export interface SplitData {
  train: Dataset;
  validation: Dataset;
  test: Dataset;
  classNames?: readonly string[];
}

export const RUN_FILE = 'run.json';
/** The trained model inside a run directory (convkit model file: topology and weights). */
export const MODEL_FILE = 'model.convkit';

/** Loads `--data`, keeps the first `limit` samples, and splits it stratified by class with `seed`. */
export function loadSplit(info: Pick<RunInfo, 'data' | 'limit' | 'seed' | 'validation' | 'test'>): SplitData {
  let data = loadDataset(info.data);
  if (info.limit !== null) data = head(data, info.limit);
  const split = splitData(data.x, data.y, { validation: info.validation, test: info.test, stratify: true, seed: info.seed });
  const asLabels = (d: { x: Tensor; y: unknown }): Dataset => ({ x: d.x, y: d.y as Int32Array });
  return { train: asLabels(split.train), validation: asLabels(split.validation), test: asLabels(split.test), classNames: data.classNames };
}

export function writeRunInfo(dir: string, info: RunInfo): void {
  fs.writeFileSync(path.join(dir, RUN_FILE), `${JSON.stringify(info, null, 2)}\n`);
}

/** `--model lenet5` names the shipped pre-trained model, made by the default run. */
export const PRETRAINED = 'lenet5';
const DEFAULT_RUN: RunInfo = {
  format: 'convkit.run', version: 1, data: 'mnist', limit: null, seed: 1, validation: 0.1, test: 0.1, command: 'convkit train',
};

/** The run.json of a run directory, or of the directory holding a model file. */
export function readRunInfo(model: string): RunInfo {
  if (model === PRETRAINED) return DEFAULT_RUN;
  const dir = fs.existsSync(model) && !fs.statSync(model).isDirectory() ? path.dirname(model) : model;
  const file = path.join(dir, RUN_FILE);
  let info: RunInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the run description (${(err as Error).message}); is ${dir} a directory written by 'convkit train'?`);
  }
  if (info?.format !== 'convkit.run' || typeof info.data !== 'string' || !Number.isInteger(info.seed)) {
    throw new Error(`${file}: not a convkit run description`);
  }
  return info;
}

/** The model of a run directory (DIR/model.convkit), a model file, or 'lenet5' (the shipped one). */
export async function loadRunModel(dirOrFile: string): Promise<Model> {
  if (dirOrFile === PRETRAINED) return lenet5({ pretrained: true });
  if (!fs.existsSync(dirOrFile)) throw new UsageError(`--model ${dirOrFile}: no such file or directory`);
  return loadModel(fs.statSync(dirOrFile).isDirectory() ? path.join(dirOrFile, MODEL_FILE) : dirOrFile);
}

export function applyThreads(threads: number | undefined): void {
  if (threads !== undefined) setNumThreads(threads);
}

/** Index of the largest value in each row of logits [N, K]. */
export function argmaxRows(logits: Tensor): Int32Array {
  const [n, k] = logits.shape;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits.data[i * k + j] > logits.data[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** Softmax of one row of logits. */
export function softmaxRow(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Image i of a dataset as a batch of one. */
export function sample(data: Dataset, i: number, flag = '--index'): Tensor {
  const n = data.y.length;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new UsageError(`${flag} must be in 0..${n - 1} (the test split has ${n} images); got ${i}`);
  const size = data.x.size / n;
  return new Tensor(data.x.data.slice(i * size, (i + 1) * size), [1, ...data.x.shape.slice(1)]);
}
