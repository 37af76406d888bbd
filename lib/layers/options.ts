// Validation of layer constructor options, with errors naming the layer class and the option.
export type Pair = [number, number];
export type PairLike = number | readonly number[];

export function positiveInt(value: unknown, what: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2 ** 30) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A number or [h, w] of integers >= min, as a pair. */
export function pair(value: unknown, what: string, min = 1): Pair {
  const v = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(v) || v.length !== 2) throw new RangeError(`${what} must be a number or a pair [h, w], got ${JSON.stringify(value)}`);
  return [positiveInt(v[0], what, min), positiveInt(v[1], what, min)];
}

export type Padding = Pair | 'same' | 'valid';

export function padding(value: unknown, what: string): Padding {
  if (value === 'same' || value === 'valid') return value;
  return pair(value, what, 0);
}

export function fraction(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new RangeError(`${what} must be in [0, 1), got ${JSON.stringify(value)}`);
  return value;
}

export function positiveNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${what} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function oneOf<T>(...values: (T | undefined)[]): T | undefined {
  return values.find((v) => v !== undefined);
}
