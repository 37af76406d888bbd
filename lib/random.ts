// Seeded pseudo-random numbers, so that building and training a model is reproducible.
// - Random (sfc32, seeded through splitmix32): weight initialization and layers' dropout seeds.
// - Training's choices (shuffle order, dropout masks, data splits) are pure functions of
//   (seed, epoch, batch) through deriveSeed and mulberry32, so a run resumed at epoch k draws what
//   an uninterrupted run would have drawn, and a worker thread and the main thread agree without
//   sharing generator state.
//
// Seeding: `manualSeed(n)` reseeds the global generator (like torch.manual_seed); a model built
// with `{seed}` uses its own generator and ignores the global one. Without either, the global
// generator starts from a random seed, so models differ between runs.
import { randomBytes } from 'node:crypto';

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    let s = seed >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.uint32() / 4294967296;
  }

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u = 1 - this.uniform(); // (0, 1]: log(u) is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

let globalRandom = new Random(randomBytes(4).readUInt32LE(0));

/** Reseeds the global generator: models built afterwards without their own seed are reproducible. */
export function manualSeed(seed: number): void {
  globalRandom = new Random(seed);
}

/** The generator used when no seed is given. */
export function getGlobalRandom(): Random {
  return globalRandom;
}

/** A generator seeded with `seed`, or a child of the global generator when `seed` is undefined. */
export function randomFor(seed?: number): Random {
  return new Random(seed ?? globalRandom.uint32());
}

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
