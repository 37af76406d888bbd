import test from 'ava';
import { Add, Conv2D, Dense, GlobalAvgPool2D, Model, ReLU, Tensor, input, model } from '../lib';
import { SoftmaxCrossEntropy } from '../lib/losses';
import { gradCheck } from './helpers/gradcheck';
import { forEachIsa } from './helpers/isa';
import { randomArray, rng } from './helpers/random';

/** x -> relu(conv(x)) -> y; out = dense(gap(relu(y + conv(y) + x'))) with x' a 1x1 projection: three-way Add. */
function residualNet(): Model {
  const x = input([2, 5, 5]);
  const y = new ReLU().apply(new Conv2D({ filters: 3, kernelSize: 3, padding: 1 }).apply(x));
  const f = new Conv2D({ filters: 3, kernelSize: 3, padding: 'same' }).apply(y);
  const proj = new Conv2D({ filters: 3, kernelSize: 1 }).apply(x);
  const sum = new Add({ name: 'sum' }).apply([y, f, proj]);
  return model({ inputs: x, outputs: new Dense({ units: 3 }).apply(new GlobalAvgPool2D().apply(sum)), seed: 3 });
}

forEachIsa('Add: y = Σ inputs in a residual block, gradients of every weight and the input by finite differences', (t) => {
  const m = residualNet();
  const x = new Tensor(randomArray(2 * 2 * 25, rng(1)), [2, 2, 5, 5]);
  const labels = Int32Array.from([2, 0]);
  const loss = new SoftmaxCrossEntropy();
  let dx: Tensor | undefined;
  gradCheck(t, {
    forward: () => m.forward(x),
    backward: (dy) => {
      m.zeroGrad();
      dx = m.backward(dy, { inputGrad: true });
    },
    loss: (y) => loss.compute(y, labels).loss,
    lossGrad: (y) => loss.compute(y, labels).grad.clone(),
    checked: [{ name: 'input', values: x.data, grad: () => dx!.data }, ...m.parameters().map((p) => ({ name: p.name, values: p.value.data, grad: () => p.grad.data }))],
    eps: 1e-3,
    atol: 1e-4,
    rtol: 3e-2,
  });
});

test('Add: forward sums, shape mismatches are named, config round trip', (t) => {
  const layer = new Add({ name: 'plus' });
  const a = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
  const b = new Tensor(Float32Array.from([10, 20, 30, 40]), [2, 2]);
  t.deepEqual([...layer.forward([a, b, a]).data], [12, 24, 36, 48]);
  t.throws(() => new Add({ name: 'bad' }).apply([input([3, 4, 4]), input([2, 4, 4])]), { message: /Add 'bad'.*input 1 has shape \[2, 4, 4\]/ });
  t.throws(() => new Add().apply([input([3])]), { message: /takes 2 to any number of input/ });
  const m = residualNet();
  const copy = Model.fromConfig(m.toConfig());
  copy.setWeights(m.getWeights());
  const x = new Tensor(randomArray(50, rng(2)), [1, 2, 5, 5]);
  t.deepEqual([...copy.forward(x).data], [...m.forward(x).data]);
});
