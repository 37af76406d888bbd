// Batch normalisation over axis 1 of x [N, C, H, W] (or [N, C]), PyTorch's conventions.
import { binding } from '../native';
import { formatShape, type Tensor } from '../tensor';
import { checkRank, checkShape, output } from './elementwise-checks';

const nativeForward = binding<(training: boolean, N: number, C: number, S: number, x: Float32Array,
  gamma: Float32Array, beta: Float32Array, eps: number, momentum: number, runningMean: Float32Array,
  runningVar: Float32Array, y: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array) => void>('batchNormForward');
const nativeBackward = binding<(training: boolean, N: number, C: number, S: number, x: Float32Array,
  dy: Float32Array, gamma: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, dx: Float32Array | null,
  dgamma: Float32Array, dbeta: Float32Array) => void>('batchNormBackward');

export interface BatchNorm2dOptions {
  /** Batch statistics (and running-stat update) when true, running statistics when false. */
  training: boolean;
  /** running = (1 - momentum) running + momentum batch; default 0.1. */
  momentum?: number;
  /** Added to the variance; default 1e-5. */
  eps?: number;
  out?: Tensor;
  saveMean?: Tensor;
  saveInvStd?: Tensor;
}

export interface BatchNorm2dResult {
  y: Tensor;
  /** Per-channel mean and 1 / sqrt(var + eps) that normalised x (batch or running), for the backward pass. */
  saveMean: Tensor;
  saveInvStd: Tensor;
}

export interface BatchNorm2dBackwardOptions {
  /** As in the forward pass: with batch statistics dx includes their dependence on x. */
  training: boolean;
  /** Accumulated into (+=) when given, else a new zero-initialised [C] tensor. */
  dgamma?: Tensor;
  dbeta?: Tensor;
  dx?: Tensor;
  /** false skips dx (e.g. when x is the network input). */
  needDx?: boolean;
}

/** x viewed as [N, C, S], S = H*W (1 for [N, C]). */
function dims(op: string, x: Tensor): [number, number, number] {
  checkRank(op, 'x', x, 2, '[N, C, H, W] or [N, C]');
  return [x.shape[0], x.shape[1], x.shape.slice(2).reduce((a, b) => a * b, 1)];
}

function checkChannels(op: string, tensors: Record<string, Tensor>, C: number): void {
  for (const [name, t] of Object.entries(tensors)) checkShape(op, name, t, [C], 'the channels of x');
}

/**
 * Training: normalises each channel with the batch mean and biased variance over (N, H, W),
 * y = gamma (x - mean) / sqrt(var + eps) + beta, and updates runningMean / runningVar in place
 * (runningVar with the unbiased variance). Inference: uses the running statistics instead.
 */
export function batchNorm2d(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
  opts: BatchNorm2dOptions): BatchNorm2dResult {
  const op = 'batchNorm2d';
  const [N, C, S] = dims(op, x);
  checkChannels(op, { gamma, beta, runningMean, runningVar }, C);
  const { momentum = 0.1, eps = 1e-5 } = opts;
  if (!(momentum >= 0 && momentum <= 1)) throw new RangeError(`${op}: momentum must be in [0, 1], got ${momentum}`);
  if (!(eps > 0 && Number.isFinite(eps))) throw new RangeError(`${op}: eps must be a positive number, got ${eps}`);
  if (opts.training && N * S < 2) {
    throw new RangeError(`${op}: training needs more than one value per channel, x has shape ${formatShape(x.shape)}`);
  }
  const y = output(op, 'out', opts.out, x.shape, 'the shape of x');
  const saveMean = output(op, 'saveMean', opts.saveMean, [C], 'the channels of x');
  const saveInvStd = output(op, 'saveInvStd', opts.saveInvStd, [C], 'the channels of x');
  if (x.size > 0) {
    nativeForward(Boolean(opts.training), N, C, S, x.data, gamma.data, beta.data, eps, momentum, runningMean.data,
      runningVar.data, y.data, saveMean.data, saveInvStd.data);
  }
  return { y, saveMean, saveInvStd };
}

/**
 * Gradients of batchNorm2d given the saved statistics: dgamma += sum dy xhat, dbeta += sum dy,
 * dx = gamma invstd (dy - mean(dy) - xhat mean(dy xhat)) in training, gamma invstd dy otherwise.
 */
export function batchNorm2dBackward(x: Tensor, dy: Tensor, gamma: Tensor, saveMean: Tensor, saveInvStd: Tensor,
  opts: BatchNorm2dBackwardOptions): { dx: Tensor | null; dgamma: Tensor; dbeta: Tensor } {
  const op = 'batchNorm2dBackward';
  const [N, C, S] = dims(op, x);
  checkShape(op, 'dy', dy, x.shape, 'the shape of x');
  checkChannels(op, { gamma, saveMean, saveInvStd }, C);
  const dgamma = output(op, 'dgamma', opts.dgamma, [C], 'the channels of x');
  const dbeta = output(op, 'dbeta', opts.dbeta, [C], 'the channels of x');
  const dx = opts.needDx === false ? null : output(op, 'dx', opts.dx, x.shape, 'the shape of x');
  if (x.size > 0) {
    nativeBackward(Boolean(opts.training), N, C, S, x.data, dy.data, gamma.data, saveMean.data, saveInvStd.data,
      dx ? dx.data : null, dgamma.data, dbeta.data);
  }
  return { dx, dgamma, dbeta };
}
