// Loads the native addon: a prebuild from prebuilds/ when one matches this platform, else the
// node-gyp build in build/Release (node-gyp-build's rules).
import path from 'node:path';
import load from 'node-gyp-build';

export const packageRoot = path.join(__dirname, '..');

const addon = load(packageRoot) as Record<string, unknown>;

/** The native function `name`, typed by the caller. */
export function binding<F extends (...args: never[]) => unknown>(name: string): F {
  const fn = addon[name];
  if (typeof fn !== 'function') {
    throw new Error(`convkit: the native addon has no function '${name}'; rebuild it (npm run build:native)`);
  }
  return fn as F;
}

/** Path of the addon file that was loaded. */
export function addonPath(): string {
  return load.resolve(packageRoot);
}
