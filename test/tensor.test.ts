import test from 'ava';
import { tensor, zeros, full, Tensor, shapeSize } from '../lib';

test('tensor wraps a Float32Array without copying it', (t) => {
  const data = new Float32Array([1, 2, 3, 4, 5, 6]);
  const x = tensor(data, [2, 3]);
  t.is(x.data, data);
  t.deepEqual(x.shape, [2, 3]);
  t.is(x.size, 6);
  t.is(x.rank, 2);
});

test('tensor copies plain arrays and defaults to a flat shape', (t) => {
  const x = tensor([1, 2, 3]);
  t.true(x.data instanceof Float32Array);
  t.deepEqual(x.shape, [3]);
  t.deepEqual(Array.from(x.data), [1, 2, 3]);
});

test('tensor rejects a shape that does not fit the data', (t) => {
  const e = t.throws(() => tensor(new Float32Array(5), [2, 3]), { instanceOf: RangeError });
  t.regex(e!.message, /5 elements.*\[2, 3\].*6/);
  t.throws(() => tensor(new Float32Array(2), [2, -1]), { instanceOf: RangeError });
  t.throws(() => tensor(new Float32Array(2), [1.5, 2]), { instanceOf: RangeError });
  t.throws(() => new Tensor([1, 2] as unknown as Float32Array, [2]), { instanceOf: TypeError });
});

test('reshape shares data and infers one dimension', (t) => {
  const x = zeros([2, 3, 4]);
  const y = x.reshape([6, -1]);
  t.deepEqual(y.shape, [6, 4]);
  t.is(y.data, x.data);
  t.throws(() => x.reshape([5, -1]), { instanceOf: RangeError });
  t.throws(() => x.reshape([5, 5]), { instanceOf: RangeError });
});

test('full, clone and shapeSize', (t) => {
  const x = full([2, 2], 3);
  const y = x.clone();
  y.data[0] = 0;
  t.is(x.data[0], 3);
  t.is(shapeSize([2, 0, 5]), 0);
  t.is(shapeSize([]), 1);
});
