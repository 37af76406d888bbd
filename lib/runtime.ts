// Threads, instruction set and versions of the native runtime.
import { binding, addonPath } from './native';

export type Isa = 'generic' | 'avx2' | 'avx512';

interface NativeInfo {
  isa: Isa;
  bestIsa: Isa;
  supportedIsas: Isa[];
  numThreads: number;
  physicalCores: number;
  napiVersion: number;
  compiler: string;
}

export interface Info extends NativeInfo {
  version: string;
  node: string;
  addon: string;
}

const nativeInfo = binding<() => NativeInfo>('info');
const nativeSetNumThreads = binding<(n: number) => void>('setNumThreads');
const nativeSetIsa = binding<(isa: string) => void>('setIsa');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../package.json') as { version: string };

/** The ISA the kernels use on this thread, the thread count, and versions. */
export function info(): Info {
  return { ...nativeInfo(), version, node: process.versions.node, addon: addonPath() };
}

/** Threads of the process-wide pool every kernel uses (default: physical cores, or CONVKIT_NUM_THREADS). */
export function setNumThreads(n: number): void {
  nativeSetNumThreads(n);
}

export function getNumThreads(): number {
  return nativeInfo().numThreads;
}

/**
 * Forces the kernels called from this JS thread (main or worker) onto one instruction set.
 * CONVKIT_ISA does the same for the whole process when the addon loads. An ISA this CPU does
 * not have is a RangeError.
 */
export function setIsa(isa: Isa): void {
  nativeSetIsa(isa);
}
