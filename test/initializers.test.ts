import test from 'ava';
import { Tensor, zeros, type Shape } from '../lib';
import { computeFans, getInitializer, glorotNormal, glorotUniform, heNormal, heUniform, constant, serializeInitializer } from '../lib/initializers';
import { Random, manualSeed, randomFor } from '../lib/random';
import { Conv2D, Dense } from '../lib/layers';

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / t.size;
  return { mean, std: Math.sqrt(sq / t.size - mean * mean), min, max };
}

function filled(init: ReturnType<typeof getInitializer>, shape: Shape, seed = 1): Tensor {
  const t = zeros(shape);
  init.fill(t, new Random(seed));
  return t;
}

test('fans follow PyTorch: Dense [out, in], conv [O, C/g, KH, KW]', (t) => {
  t.deepEqual(computeFans([120, 400]), { fanIn: 400, fanOut: 120 });
  t.deepEqual(computeFans([64, 3, 7, 7]), { fanIn: 3 * 49, fanOut: 64 * 49 });
  t.deepEqual(computeFans([32, 8, 3, 3]), { fanIn: 72, fanOut: 288 }); // grouped conv: C/g = 8
  t.throws(() => computeFans([5]), { message: /rank >= 2/ });
});

test('variance-scaling initializers have the documented mean and std', (t) => {
  const shape = [256, 64, 3, 3]; // fanIn 576, fanOut 2304
  const { fanIn, fanOut } = computeFans(shape);
  const cases = [
    { init: glorotNormal(), std: Math.sqrt(2 / (fanIn + fanOut)) },
    { init: glorotNormal({ gain: 2 }), std: 2 * Math.sqrt(2 / (fanIn + fanOut)) },
    { init: glorotUniform(), std: Math.sqrt(2 / (fanIn + fanOut)), limit: Math.sqrt(6 / (fanIn + fanOut)) },
    { init: heNormal(), std: Math.sqrt(2 / fanIn) },
    { init: heUniform(), std: Math.sqrt(2 / fanIn), limit: Math.sqrt(6 / fanIn) },
  ];
  for (const { init, std, limit } of cases) {
    const s = stats(filled(init, shape));
    t.true(Math.abs(s.mean) < 0.02 * std, `${init.className} mean ${s.mean}`);
    t.true(Math.abs(s.std / std - 1) < 0.01, `${init.className} std ${s.std}, expected ${std}`);
    if (limit) t.true(s.min >= -limit && s.max <= limit && s.max > 0.99 * limit, `${init.className} in ±${limit}: [${s.min}, ${s.max}]`);
  }
});

test('constant, zeros, ones; names and serialization round-trip', (t) => {
  t.true(filled(constant({ value: 0.25 }), [3, 3]).data.every((v) => v === 0.25));
  t.true(filled(getInitializer('zeros'), [4]).data.every((v) => v === 0));
  t.true(filled(getInitializer('ones'), [4]).data.every((v) => v === 1));
  for (const name of ['glorotUniform', 'glorot_uniform', 'GlorotUniform', 'xavierUniform', 'xavier_uniform']) {
    t.is(getInitializer(name).className, 'GlorotUniform');
  }
  t.is(getInitializer('he_normal').className, 'HeNormal');
  const spec = serializeInitializer(glorotNormal({ gain: 3 }));
  t.deepEqual(spec, { className: 'GlorotNormal', config: { gain: 3 } });
  t.is((getInitializer(spec) as ReturnType<typeof glorotNormal>).gain, 3);
  t.throws(() => glorotNormal({ gain: -1 }), { message: /gain must be a positive number/ });
  t.throws(() => getInitializer('constructor'), { message: /unknown initializer/ });
  t.throws(() => getInitializer({ className: 'Constant', config: { value: 'x' as unknown as number } }), { message: /config/ });
});

test('seeded generators are reproducible; layers default to glorotUniform kernels and zero biases', (t) => {
  t.deepEqual(filled(heNormal(), [50, 20], 3).data, filled(heNormal(), [50, 20], 3).data);
  t.notDeepEqual(filled(heNormal(), [50, 20], 3).data, filled(heNormal(), [50, 20], 4).data);
  manualSeed(9);
  const a = randomFor().uint32();
  manualSeed(9);
  t.is(randomFor().uint32(), a);
  t.is(randomFor(5).uint32(), new Random(5).uint32());

  const dense = new Dense({ units: 300 });
  dense.build([[200]], new Random(1));
  const [kernel, bias] = dense.getWeights();
  const limit = Math.sqrt(6 / 500);
  t.true(kernel.data.every((v) => Math.abs(v) <= limit));
  t.true(Math.abs(stats(kernel).std / Math.sqrt(2 / 500) - 1) < 0.02);
  t.true(bias.data.every((v) => v === 0));
  const conv = new Conv2D({ filters: 64, kernelSize: 3, kernelInitializer: 'heNormal', biasInitializer: constant({ value: 0.1 }) });
  conv.build([[32, 8, 8]], new Random(2));
  const [w, b] = conv.getWeights();
  t.true(Math.abs(stats(w).std / Math.sqrt(2 / (32 * 9)) - 1) < 0.03);
  t.true(b.data.every((v) => Math.abs(v - 0.1) < 1e-7));
});
