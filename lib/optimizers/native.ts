// Typed handles on the native optimizer, reduction and clipping kernels.
import { binding } from '../native';

/** The fused kernels, by the name the native side knows them. */
export type Kind = 'sgd' | 'momentum' | 'nesterov' | 'adagrad' | 'rmsprop' | 'adadelta' | 'adam';

/** State buffers per parameter that each kernel reads and writes. */
export const stateBuffers: Record<Kind, number> = {
  sgd: 0, momentum: 1, nesterov: 1, adagrad: 1, rmsprop: 1, adadelta: 2, adam: 2,
};

/** Layout of the hyper-parameter row the kernels read (OptimHyper in native/kernels/optim.h). */
export const HYPER = { lr: 0, l1: 1, c2: 2, keep: 3, gamma: 4, beta2: 5, eps: 6, step1: 7, rsqrt2: 8, gscale: 9, gclip: 10 } as const;
export const HYPER_SIZE = 11;
/** Largest float32: the clip value that clips nothing. */
export const FLOAT32_MAX = 3.4028234663852886e38;

export const optimStep = binding<(kind: Kind, hyper: Float32Array, theta: Float32Array, grad: Float32Array,
  state1: Float32Array | null, state2: Float32Array | null) => void>('optimStep');

const nativeSumAbsSq = binding<(x: Float32Array, out: Float64Array) => void>('sumAbsSq');
export const scaleInplace = binding<(x: Float32Array, s: number) => void>('scaleInplace');
export const clampInplace = binding<(x: Float32Array, c: number) => void>('clampInplace');

const sums = new Float64Array(2);

/** [Σ|x|, Σx²] in double, the same bits for any thread count. */
export function sumAbsSq(x: Float32Array): [number, number] {
  nativeSumAbsSq(x, sums);
  return [sums[0], sums[1]];
}
