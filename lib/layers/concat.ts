// Concatenation of its inputs along a batch axis (default 1, the channels of NCHW): joins the
// branches of an Inception module. Backward splits dy into the inputs' gradients.
import { formatShape, type Shape, type Tensor } from '../tensor';
import { concat, split } from '../ops/elementwise';
import { Layer, type LayerArgs, type LayerConfig } from './layer';
import { positiveInt } from './options';

export interface ConcatArgs extends LayerArgs {
  /** Axis of the batch tensors, >= 1 (the batch axis 0 can't be concatenated). Default 1. */
  axis?: number;
}

export class Concat extends Layer {
  static override readonly className = 'Concat';
  readonly axis: number;

  constructor(args: ConcatArgs = {}) {
    super(args);
    this.axis = positiveInt(args.axis ?? 1, 'Concat axis');
  }

  protected override get inputCount(): [number, number] {
    return [1, Infinity];
  }

  protected inferShape(inputs: readonly Shape[]): Shape {
    const a = this.axis - 1; // axis of the per-sample shapes
    const first = inputs[0];
    if (a >= first.length) this.fail(`axis ${this.axis} is out of range for input 0 [N, ${first.join(', ')}]`);
    let total = 0;
    inputs.forEach((s, i) => {
      const fits = s.length === first.length && s.every((d, k) => k === a || d === first[k]);
      if (!fits) {
        this.fail(`input ${i} has shape ${formatShape(s)} but input 0 has ${formatShape(first)}; all dimensions but axis ${this.axis} must match`);
      }
      total += s[a];
    });
    return first.map((d, k) => (k === a ? total : d));
  }

  protected call(inputs: readonly Tensor[]): Tensor {
    return concat([...inputs], this.axis, this.outputBuffer(inputs[0].shape[0]));
  }

  protected grad(dy: Tensor, needDx: readonly boolean[]): (Tensor | null)[] {
    const dx = this.inputGrads(dy.shape[0]);
    split(dy, this.inputShapes!.map((s) => s[this.axis - 1]), this.axis, dx);
    return dx.map((t, i) => (needDx[i] ? t : null));
  }

  protected layerConfig(): LayerConfig {
    return { axis: this.axis };
  }
}
