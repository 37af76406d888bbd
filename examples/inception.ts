// A small GoogLeNet-style network with the functional API: an Inception module (four branches
// joined by channel concatenation), its summary, one training step, and a save/load round trip.
// Run: npx tsx examples/inception.ts
import os from 'node:os';
import path from 'node:path';
import {
  Conv2D, Dense, GlobalAvgPool2D, MaxPool2D, ReLU, SymbolicTensor, Tensor, concat, input, loadModel, losses, model,
  optimizers, saveModel,
} from '../lib';

/** Conv2D + ReLU with 'same' padding. */
function conv(x: SymbolicTensor, filters: number, kernelSize: number): SymbolicTensor {
  return new ReLU().apply(new Conv2D({ filters, kernelSize, padding: 'same', kernelInitializer: 'heNormal' }).apply(x));
}

function inception(x: SymbolicTensor, [f1, f3r, f3, f5r, f5, fp]: number[]): SymbolicTensor {
  const b1 = conv(x, f1, 1);
  const b2 = conv(conv(x, f3r, 1), f3, 3);
  const b3 = conv(conv(x, f5r, 1), f5, 5);
  const b4 = conv(new MaxPool2D({ poolSize: 3, strides: 1, padding: 1 }).apply(x), fp, 1);
  return concat([b1, b2, b3, b4]);
}

async function main(): Promise<void> {
  const x = input([3, 32, 32]);
  const stem = new MaxPool2D({ poolSize: 2 }).apply(conv(x, 32, 3));
  const block = inception(stem, [16, 24, 32, 4, 8, 8]);
  const logits = new Dense({ units: 10 }).apply(new GlobalAvgPool2D().apply(block));
  const net = model({ inputs: x, outputs: logits, name: 'mini_googlenet', seed: 1 });
  net.summary();

  const images = new Tensor(Float32Array.from({ length: 8 * 3 * 32 * 32 }, (_, i) => Math.sin(i)), [8, 3, 32, 32]);
  const labels = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const loss = new losses.SoftmaxCrossEntropy();
  const optimizer = new optimizers.Adam(net.parameters(), { lr: 1e-3 });
  for (let step = 0; step < 5; step++) {
    net.zeroGrad();
    const result = loss.compute(net.forward(images, { training: true }), labels);
    net.backward(result.grad);
    optimizer.step();
    console.log(`step ${step}: loss ${result.loss.toFixed(4)}`);
  }

  const file = path.join(os.tmpdir(), 'mini_googlenet.convkit');
  await saveModel(net, file);
  const restored = await loadModel(file);
  const expected = net.forward(images).clone();
  const same = restored.forward(images).data.every((v, i) => v === expected.data[i]);
  console.log(`saved to ${file}; reloaded predictions identical: ${same}`);
}

void main();
