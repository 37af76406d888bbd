// LeNet-5 (6-16-120-84-10 on 1x32x32, 61,706 parameters) and random data shaped for it.
import { Tensor } from '../../lib';
import { AvgPool2D, Conv2D, Dense, Flatten, Tanh } from '../../lib/layers';
import { sequential } from '../../lib/sequential';
import { randomArray, rng } from './random';

export function lenet5(seed = 1) {
  return sequential([
    new Conv2D({ filters: 6, kernelSize: 5 }), new Tanh(), new AvgPool2D({ poolSize: 2 }),
    new Conv2D({ filters: 16, kernelSize: 5 }), new Tanh(), new AvgPool2D({ poolSize: 2 }),
    new Flatten(), new Dense({ units: 120 }), new Tanh(), new Dense({ units: 84 }), new Tanh(), new Dense({ units: 10 }),
  ], { inputShape: [1, 32, 32], name: 'lenet5', seed });
}

export function randomImages(n: number, seed: number): { x: Tensor; y: Int32Array } {
  const random = rng(seed);
  return { x: new Tensor(randomArray(n * 32 * 32, random), [n, 1, 32, 32]), y: Int32Array.from({ length: n }, () => Math.floor(random() * 10)) };
}
