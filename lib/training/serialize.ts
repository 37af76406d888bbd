// Structured values with big arrays in them (weights, optimizer state): the transfer list for
// postMessage, and the split into JSON and float32 tensors that checkpoints store as a model
// file's extra state.
import type { ExtraState } from '../io/model-file';
import { Tensor } from '../tensor';

/** Every distinct non-shared ArrayBuffer under `value`, for postMessage's transfer list. */
export function transferList(value: unknown, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (value instanceof Tensor) {
    transferList(value.data, found);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) transferList(v, found);
  }
  return [...found];
}

/**
 * `value` as model-file extra state: Float32Arrays (and tensors) go to named float32 tensors,
 * the rest to JSON that refers to them ({$f32: name}) and keeps NaN and ±Infinity ({$number}).
 */
export function toExtraState(value: unknown): ExtraState {
  const tensors: Record<string, Tensor> = {};
  const store = (t: Tensor) => {
    const name = `state/${Object.keys(tensors).length}`;
    tensors[name] = t;
    return name;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (v instanceof Tensor) return { $f32: store(v), tensor: true };
    if (v instanceof Float32Array) return { $f32: store(new Tensor(v, [v.length])) };
    if (ArrayBuffer.isView(v)) throw new TypeError(`checkpoint state holds a ${v.constructor.name}; only Float32Arrays and numbers are stored`);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { json: walk(value), tensors };
}

/** The value toExtraState stored, from a model file's extra state. */
export function fromExtraState(extra: { json: unknown; tensors: Record<string, Tensor> }): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.$number === 'string') return Number(o.$number);
    if (typeof o.$f32 === 'string') {
      const t = extra.tensors[o.$f32];
      if (!t) throw new Error(`checkpoint: state tensor '${o.$f32}' is missing`);
      return o.tensor ? t : t.data;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(extra.json);
}
