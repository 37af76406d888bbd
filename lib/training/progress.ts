// Progress output of fit: a bar redrawn in place on a TTY, one plain line per epoch otherwise.
import { Callback } from './callbacks';
import type { Logs } from './types';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** 1: a bar on a TTY (plain epoch lines otherwise); 2: one line per epoch. */
  verbose?: 1 | 2;
  stream?: ProgressStream;
  /** Least time between redraws of the bar. */
  intervalMs?: number;
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

export function formatLogs(logs: Logs): string {
  return Object.entries(logs).filter(([k]) => k !== 'size').map(([k, v]) => `${k}: ${formatNumber(v)}`).join(' - ');
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Prints epoch, batch, loss, metrics, images (samples) per second and ETA. */
export class ProgressBar extends Callback {
  private readonly stream: ProgressStream;
  private readonly bar: boolean;
  private readonly intervalMs: number;
  private epochStart = 0;
  private lastDraw = 0;
  private samples = 0;
  private sums: Logs = {};
  private epoch = 0;

  constructor(options: ProgressOptions = {}) {
    super();
    this.stream = options.stream ?? process.stdout;
    this.bar = (options.verbose ?? 1) === 1 && this.stream.isTTY === true;
    this.intervalMs = options.intervalMs ?? 100;
  }

  private get header(): string {
    return `Epoch ${this.epoch + 1}/${this.context.params.epochs}`;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.epochStart = performance.now();
    this.lastDraw = 0;
    this.samples = 0;
    this.sums = {};
  }

  onBatchEnd(batch: number, logs: Logs): void {
    const size = logs.size ?? 0;
    this.samples += size;
    for (const [k, v] of Object.entries(logs)) if (k !== 'size') this.sums[k] = (this.sums[k] ?? 0) + v * size;
    const now = performance.now();
    const steps = this.context.params.steps;
    if (!this.bar || (now - this.lastDraw < this.intervalMs && batch + 1 < steps)) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const means: Logs = {};
    for (const [k, v] of Object.entries(this.sums)) means[k] = v / this.samples;
    const width = 24, done = Math.min(width, Math.floor(((batch + 1) / steps) * width));
    const bar = '='.repeat(Math.max(0, done - 1)) + (done < width ? '>' : '=') + '.'.repeat(width - done);
    const eta = (elapsed / (batch + 1)) * (steps - batch - 1);
    const line = `${this.header} [${bar}] ${batch + 1}/${steps} - ETA ${formatDuration(eta)} - ` +
      `${Math.round(this.samples / Math.max(elapsed, 1e-9))} images/s - ${formatLogs(means)}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const elapsed = (performance.now() - this.epochStart) / 1000;
    const steps = this.context.params.steps;
    const rate = Math.round(this.samples / Math.max(elapsed, 1e-9));
    const line = `${this.header} - ${steps}/${steps} - ${formatDuration(elapsed)} - ${rate} images/s - ${formatLogs(logs)}`;
    this.stream.write(this.bar ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
}
