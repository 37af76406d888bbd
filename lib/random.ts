// Seeded pseudo-random numbers for weight initialization and dropout seeds (sfc32, seeded through
// splitmix32), so that building a model is reproducible given a seed.
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
