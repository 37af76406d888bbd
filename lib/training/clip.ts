// Gradient clipping between backward and the optimizer step (fit's clipNorm / clipValue).
import { clipGradNorm, clipGradValue } from '../clip';
import type { Parameter } from '../parameter';
import type { ClipOptions } from './protocol';

/** The clipping fit options ask for, or undefined. Value clipping runs before norm clipping. */
export function gradTransform(clip: ClipOptions): ((params: Parameter[]) => void) | undefined {
  const { clipNorm, clipValue } = clip;
  for (const [name, v] of [['clipNorm', clipNorm], ['clipValue', clipValue]] as const) {
    if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new RangeError(`fit: ${name} must be a finite number > 0, got ${v}`);
  }
  if (clipNorm === undefined && clipValue === undefined) return undefined;
  return (params) => {
    const trainable = params.filter((p) => p.trainable);
    if (clipValue !== undefined) clipGradValue(trainable, clipValue);
    if (clipNorm !== undefined) clipGradNorm(trainable, clipNorm);
  };
}
