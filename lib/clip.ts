// Gradient clipping on the grad buffers, as PyTorch's torch.nn.utils.clip_grad_*. (Optimizers
// can also clip inside their fused step: the clipNorm / clipValue options.)
import type { Parameter } from './parameter';
import { clampInplace, scaleInplace, sumAbsSq } from './optimizers/native';

/**
 * Scales all gradients by maxNorm / (norm + 1e-6) when their global L2 norm exceeds maxNorm;
 * returns the norm before clipping. A non-finite norm (a NaN/Inf gradient) is returned and the
 * gradients are left as they are, for the optimizer's check to report.
 */
export function clipGradNorm(params: Parameter[], maxNorm: number): number {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new RangeError(`clipGradNorm: maxNorm must be a finite number >= 0, got ${String(maxNorm)}`);
  }
  let squares = 0;
  for (const p of params) squares += sumAbsSq(p.grad.data)[1];
  const norm = Math.sqrt(squares);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const p of params) scaleInplace(p.grad.data, scale);
  }
  return norm;
}

/** Clamps every gradient element to [-clipValue, clipValue] (NaN stays NaN). */
export function clipGradValue(params: Parameter[], clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0) || !Number.isFinite(clipValue)) {
    throw new RangeError(`clipGradValue: clipValue must be a finite number >= 0, got ${String(clipValue)}`);
  }
  for (const p of params) clampInplace(p.grad.data, clipValue);
}
