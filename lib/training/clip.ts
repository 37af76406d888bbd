// Gradient clipping between backward and the optimizer step (fit's clipNorm / clipValue).
import type { Parameter } from '../parameter';
import type { ClipOptions } from './protocol';

function clipByValue(params: Parameter[], limit: number): void {
  for (const p of params) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(limit, Math.max(-limit, g[i]));
  }
}

function clipByGlobalNorm(params: Parameter[], maxNorm: number): void {
  let sq = 0;
  for (const p of params) for (const v of p.grad.data) sq += v * v;
  const norm = Math.sqrt(sq);
  if (norm <= maxNorm) return;
  const scale = maxNorm / norm;
  for (const p of params) {
    const g = p.grad.data;
    for (let i = 0; i < g.length; i++) g[i] *= scale;
  }
}

/** The clipping fit options ask for, or undefined. Value clipping runs before norm clipping. */
export function gradTransform(clip: ClipOptions): ((params: Parameter[]) => void) | undefined {
  const { clipNorm, clipValue } = clip;
  for (const [name, v] of [['clipNorm', clipNorm], ['clipValue', clipValue]] as const) {
    if (v !== undefined && !(v > 0)) throw new RangeError(`fit: ${name} must be a positive number, got ${v}`);
  }
  if (clipNorm === undefined && clipValue === undefined) return undefined;
  return (params) => {
    const trainable = params.filter((p) => p.trainable);
    if (clipValue !== undefined) clipByValue(trainable, clipValue);
    if (clipNorm !== undefined) clipByGlobalNorm(trainable, clipNorm);
  };
}
