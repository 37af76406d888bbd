// Seeded randomness for training: every random choice (shuffle order, dropout masks) is a pure
// function of (seed, epoch, batch), so a run resumed at epoch k draws what an uninterrupted run
// would have drawn, and the worker and the main thread agree without sharing RNG state.

/** A 32-bit hash of a list of integers (murmur3 finalizer over a running mix). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32: uniform floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `a` in place (Fisher-Yates) with the given random source. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, random: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}

/** 0..n-1, shuffled when `seed` is given. */
export function permutation(n: number, seed?: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return seed === undefined ? order : shuffleInPlace(order, mulberry32(seed));
}

/** A seed for a run that was given none. */
export function randomSeed(): number {
  return (Math.random() * 4294967296) >>> 0;
}
