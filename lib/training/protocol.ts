// Messages between the main thread and a training worker.
import type { Isa } from '../runtime';
import type { CompiledSpec } from './compile';
import type { DatasetData, TensorData } from './shared';
import type { Logs } from './types';

export interface ClipOptions {
  /** Rescale all gradients together so their global L2 norm is at most this. */
  clipNorm?: number;
  /** Clamp each gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
}

export interface WorkerInit {
  /** Module imported first: registers custom layers, losses, metrics, model factories. */
  setup: string | null;
  isa: Isa;
  modelConfig: unknown;
  weights: Float32Array[];
  /** Compiled objectives (fit and evaluate), with the optimizer's state. */
  spec: CompiledSpec | null;
  optimizerState: unknown;
  clip: ClipOptions;
  /** Int32Array view: [0] = 1 asks the running loop to stop after its current batch. */
  control: SharedArrayBuffer;
}

export interface FitEpochRequest {
  type: 'fitEpoch';
  epoch: number;
  /** The main thread's optimizer (callbacks may have changed lr or loaded state). */
  lr: number;
  optimizerState: unknown;
  weights: Float32Array[];
  train: DatasetData;
  validation: DatasetData | null;
  batchSize: number;
  validationBatchSize: number;
  shuffle: boolean;
  seed: number;
}

export interface EvaluateRequest {
  type: 'evaluate';
  data: DatasetData;
  batchSize: number;
}

export interface PredictRequest {
  type: 'predict';
  x: TensorData;
  batchSize: number;
}

export type Request = FitEpochRequest | EvaluateRequest | PredictRequest;

export interface FitEpochResult {
  logs: Logs;
  weights: Float32Array[];
  optimizerState: unknown;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type Reply =
  | { type: 'ready' }
  | { type: 'batch'; batch: number; logs: Logs }
  | { type: 'result'; result: unknown }
  | { type: 'error'; error: SerializedError };
