// Element-wise activations and softmax over the last axis, with their backward passes.
// Each takes an optional preallocated output; out = x (in place) is allowed.
import { binding } from '../native';
import type { Tensor } from '../tensor';
import { checkRank, checkShape, checkTensor, output } from './elementwise-checks';

const KIND = { relu: 0, sigmoid: 1, tanh: 2, exp: 3 } as const;
type Kind = keyof typeof KIND;

const nativeForward = binding<(kind: number, x: Float32Array, y: Float32Array) => void>('activationForward');
const nativeBackward = binding<(kind: number, xy: Float32Array, dy: Float32Array, dx: Float32Array) => void>(
  'activationBackward');
const nativeSoftmax = binding<(log: boolean, N: number, K: number, x: Float32Array, y: Float32Array) => void>(
  'softmaxForward');
const nativeSoftmaxBackward = binding<(log: boolean, N: number, K: number, y: Float32Array, dy: Float32Array,
  dx: Float32Array) => void>('softmaxBackward');

function activate(kind: Kind, x: Tensor, out?: Tensor): Tensor {
  checkTensor(kind, 'x', x);
  const y = output(kind, 'out', out, x.shape, 'the shape of x');
  nativeForward(KIND[kind], x.data, y.data);
  return y;
}

// `xy` is the forward input for relu and the forward output for the others.
function activateBackward(kind: Kind, xyName: string, xy: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  const op = `${kind}Backward`;
  checkTensor(op, xyName, xy);
  checkShape(op, 'dy', dy, xy.shape, `the shape of ${xyName}`);
  const result = output(op, 'dx', dx, xy.shape, `the shape of ${xyName}`);
  nativeBackward(KIND[kind], xy.data, dy.data, result.data);
  return result;
}

/** max(x, 0). */
export function relu(x: Tensor, out?: Tensor): Tensor {
  return activate('relu', x, out);
}

/** 1 / (1 + e^-x). */
export function sigmoid(x: Tensor, out?: Tensor): Tensor {
  return activate('sigmoid', x, out);
}

export function tanh(x: Tensor, out?: Tensor): Tensor {
  return activate('tanh', x, out);
}

/** e^x (0 below -103.9, +Infinity above 88.72). */
export function exp(x: Tensor, out?: Tensor): Tensor {
  return activate('exp', x, out);
}

/** dx = dy where x > 0, else 0 (x: the forward input). */
export function reluBackward(x: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  return activateBackward('relu', 'x', x, dy, dx);
}

/** dx = dy y (1 - y) (y: the forward output). */
export function sigmoidBackward(y: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  return activateBackward('sigmoid', 'y', y, dy, dx);
}

/** dx = dy (1 - y^2) (y: the forward output). */
export function tanhBackward(y: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  return activateBackward('tanh', 'y', y, dy, dx);
}

function softmaxRows(op: string, log: boolean, x: Tensor, out?: Tensor): Tensor {
  checkRank(op, 'x', x, 1, 'at least one axis (softmax runs over the last)');
  const y = output(op, 'out', out, x.shape, 'the shape of x');
  const K = x.shape[x.rank - 1];
  if (x.size > 0) nativeSoftmax(log, x.size / K, K, x.data, y.data);
  return y;
}

function softmaxRowsBackward(op: string, log: boolean, y: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  checkRank(op, 'y', y, 1, 'at least one axis (softmax runs over the last)');
  checkShape(op, 'dy', dy, y.shape, 'the shape of y');
  const result = output(op, 'dx', dx, y.shape, 'the shape of y');
  const K = y.shape[y.rank - 1];
  if (y.size > 0) nativeSoftmaxBackward(log, y.size / K, K, y.data, dy.data, result.data);
  return result;
}

/** Softmax over the last axis (x [N, K]: each row sums to 1); stable for any finite or -Infinity logits. */
export function softmax(x: Tensor, out?: Tensor): Tensor {
  return softmaxRows('softmax', false, x, out);
}

/** log softmax over the last axis: x - max - log sum exp(x - max). */
export function logSoftmax(x: Tensor, out?: Tensor): Tensor {
  return softmaxRows('logSoftmax', true, x, out);
}

/** dx = y (dy - sum(dy y)) per row (y: the softmax output). */
export function softmaxBackward(y: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  return softmaxRowsBackward('softmaxBackward', false, y, dy, dx);
}

/** dx = dy - exp(y) sum(dy) per row (y: the logSoftmax output). */
export function logSoftmaxBackward(y: Tensor, dy: Tensor, dx?: Tensor): Tensor {
  return softmaxRowsBackward('logSoftmaxBackward', true, y, dy, dx);
}
