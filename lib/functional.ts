// The functional API in one import: input(), model(), and concat() of branches.
import type { SymbolicTensor } from './symbolic-tensor';
import { Concat, type ConcatArgs } from './layers/concat';

export { input } from './symbolic-tensor';
export { model } from './model';

/** Concatenates branches along the channels: concat([b1, b2, b3, b4]). */
export function concat(tensors: readonly SymbolicTensor[], args: ConcatArgs = {}): SymbolicTensor {
  return new Concat(args).apply(tensors);
}
