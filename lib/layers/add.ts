// Elementwise sum of its inputs (all of one shape): the join of a residual connection, Keras'
// Add layer (x + f(x) in PyTorch). Backward hands dy to every input.
import { formatShape, sameShape, type Shape, type Tensor } from '../tensor';
import { add } from '../ops/elementwise';
import { Layer, type LayerArgs, type LayerConfig } from './layer';

export class Add extends Layer {
  static override readonly className = 'Add';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  protected override get inputCount(): [number, number] {
    return [2, Infinity];
  }

  protected inferShape(inputs: readonly Shape[]): Shape {
    inputs.forEach((s, i) => {
      if (!sameShape(s, inputs[0])) this.fail(`input ${i} has shape ${formatShape(s)} but input 0 has ${formatShape(inputs[0])}; Add sums tensors of one shape`);
    });
    return inputs[0];
  }

  protected call(inputs: readonly Tensor[]): Tensor {
    const y = add(inputs[0], inputs[1], this.outputBuffer(inputs[0].shape[0]));
    for (const x of inputs.slice(2)) add(y, x, y);
    return y;
  }

  protected grad(dy: Tensor, needDx: readonly boolean[]): (Tensor | null)[] {
    // Copies, not dy itself: the model may sum into an input's gradient buffer.
    return this.inputGrads(dy.shape[0]).map((dx, i) => {
      if (!needDx[i]) return null;
      dx.data.set(dy.data);
      return dx;
    });
  }

  protected layerConfig(): LayerConfig {
    return {};
  }
}
